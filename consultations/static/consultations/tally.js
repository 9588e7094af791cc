/*
 * The consultation tally on a flaky connection (issue 11). Our own script, no third-party code.
 *
 * Without JavaScript every tap is a plain form post. With it, each tap becomes an entry with its
 * own key, kept in localStorage (per session and supporter) and counted at once, then sent to
 * `POST /api/sessions/{id}/consultations`: on every tap, when the phone comes back online, on a
 * timer and when the page loads. The key makes a resend safe: the server answers an entry it
 * already has with 200. An answer 2xx or a refusal (4xx: the tally closed, not on the team) takes
 * the entry off the queue, the refusal shown in words; a lost connection or a server error keeps
 * it for the next try. Strings come from Django's JavaScript catalogue (/jsi18n/).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-tally]");
  if (!root) {
    return;
  }
  var form = root.querySelector("form.tally");
  var undoForm = root.querySelector("form.tally__undo");
  var countEl = root.querySelector(".tally__total");
  var pendingEl = root.querySelector(".tally__pending");
  var noticeEl = root.querySelector(".tally__notice");
  var recentList = root.querySelector(".tally__recent");
  var apiUrl = root.dataset.apiUrl;
  var queueKey = root.dataset.queueKey;
  var serverCount = parseInt(root.dataset.count, 10) || 0;
  var RETRY_MS = 20000;
  var sending = null; // the key of the entry on its way to the server
  var undoWhenSent = {}; // entries undone while on their way: taken back once the server has them
  // This supporter's entries the server has, newest last: what the undo takes back once the
  // queue is empty. From the page (the server's word), then each entry sent from it.
  var sent = (root.dataset.mine || "").split(",").filter(Boolean).reverse().map(function (id) {
    return { id: parseInt(id, 10), key: null };
  });

  // Django's JavaScript catalogue (/jsi18n/), or English when it did not load.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var fill = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_all, name) { return values[name]; });
  };

  function storage() {
    try {
      var probe = queueKey + ":probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  var store = storage();
  if (!store || !window.fetch || !window.JSON || !form) {
    return; // the plain form posts carry on
  }

  function read(key) {
    try {
      var value = JSON.parse(store.getItem(key) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  function write(key, list) {
    store.setItem(key, JSON.stringify(list));
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Older phones: a version-4 UUID from random bytes (getRandomValues where there is one).
    var bytes = new Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      bytes = Array.prototype.slice.call(window.crypto.getRandomValues(new Uint8Array(16)));
    } else {
      for (var i = 0; i < 16; i += 1) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = bytes.map(function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  // The cookie's token first: signing in again (in another tab) changes it, and the page's
  // would then be refused.
  function csrfToken() {
    var cookie = document.cookie.split("; ").filter(function (pair) {
      return pair.indexOf("csrftoken=") === 0;
    })[0];
    if (cookie) {
      return decodeURIComponent(cookie.slice("csrftoken=".length));
    }
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show() {
    var pending = read(queueKey).length;
    var total = serverCount + pending;
    countEl.textContent = fill(
      ngettext("%(count)s consultation recorded", "%(count)s consultations recorded", total),
      { count: total }, true);
    pendingEl.textContent = fill(
      ngettext("%(count)s not yet sent", "%(count)s not yet sent", pending), { count: pending }, true);
    pendingEl.hidden = false;
    pendingEl.classList.toggle("tally__pending--waiting", pending > 0);
    if (undoForm) {
      undoForm.hidden = !(pending || sent.length);
    }
    if (recentList) {
      recentList.closest("section").hidden = !recentList.children.length;
    }
  }

  function notify(text, isError) {
    noticeEl.textContent = text;
    noticeEl.classList.toggle("tally__notice--error", Boolean(isError));
  }

  function chosen(name) {
    var field = form.elements[name];
    if (!field) {
      return "";
    }
    return field.value;
  }

  function labelOf(name) {
    var checked = form.querySelector("input[name=" + name + "]:checked");
    var label = checked && checked.closest("label");
    return label ? label.textContent.trim() : "";
  }

  function listEntry(entry) {
    if (!recentList) {
      return;
    }
    var item = document.createElement("li");
    item.dataset.key = entry.key;
    item.textContent = entry.label;
    var badge = document.createElement("span");
    badge.className = "badge badge--muted tally__unsent";
    badge.textContent = gettext("not yet sent");
    item.appendChild(document.createTextNode(" "));
    item.appendChild(badge);
    recentList.insertBefore(item, recentList.firstChild);
  }

  function markSent(key) {
    if (!recentList) {
      return;
    }
    var item = recentList.querySelector("li[data-key='" + key + "']");
    var badge = item && item.querySelector(".tally__unsent");
    if (badge) {
      badge.remove();
    }
  }

  function markUndone(key, id) {
    if (!recentList) {
      return;
    }
    var selector = key ? "li[data-key='" + key + "']" : "li[data-id='" + id + "']";
    var item = recentList.querySelector(selector);
    if (item && !key) {
      item.classList.add("tally__undone");
      var badge = document.createElement("span");
      badge.className = "badge badge--muted";
      badge.textContent = gettext("undone");
      item.appendChild(document.createTextNode(" "));
      item.appendChild(badge);
    } else if (item) {
      item.remove();
    }
  }

  function rememberSent(entry, tally) {
    // The answer names the entry it recorded (or found for a resent key): `consultation`.
    var found = tally.consultation && tally.consultation.key === entry.key ? [tally.consultation] : [];
    if (found.length) {
      sent.push({ id: found[0].id, key: entry.key });
      if (recentList) {
        var item = recentList.querySelector("li[data-key='" + entry.key + "']");
        if (item) {
          item.dataset.id = found[0].id;
        }
      }
    }
  }

  function drop(key) {
    write(queueKey, read(queueKey).filter(function (e) { return e.key !== key; }));
  }

  function post(url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
  }

  function refusal(response) {
    return response.json().then(function (error) {
      return error && error.message ? error.message : gettext("The entry was refused.");
    }, function () {
      return gettext("The entry was refused.");
    });
  }

  // Send the queue, oldest first, one at a time; stop at the first lost connection.
  function flush() {
    if (sending) {
      return Promise.resolve();
    }
    var queue = read(queueKey);
    if (!queue.length) {
      show();
      return Promise.resolve();
    }
    var entry = queue[0];
    sending = entry.key;
    var body = {
      key: entry.key,
      topic: entry.topic,
      device: entry.device,
      age_band: entry.age_band,
      language: entry.language,
      resolved: entry.resolved,
      minutes: entry.minutes,
    };
    return post(apiUrl, body).then(function (response) {
      if (response.ok) {
        return response.json().then(function (tally) {
          drop(entry.key);
          serverCount = tally.count;
          rememberSent(entry, tally);
          markSent(entry.key);
          if (undoWhenSent[entry.key]) {
            delete undoWhenSent[entry.key];
            return undoLastSent().then(function () { return true; });
          }
          return true;
        });
      }
      if (response.status === 401) {
        notify(gettext("You are signed out: sign in again and the entries will be sent."), true);
        return false;
      }
      if (response.status === 408 || response.status === 429) {
        return false; // the server is busy: try again later
      }
      if (response.status >= 400 && response.status < 500) {
        return refusal(response).then(function (message) {
          drop(entry.key);
          markUndone(entry.key);
          notify(fill(gettext("Not recorded: %(reason)s"), { reason: message }, true), true);
          return true;
        });
      }
      return false; // the server failed: try again later
    }, function () {
      return false; // no connection: the entry stays on the phone
    }).then(function (goOn) {
      sending = null;
      show();
      if (goOn) {
        return flush();
      }
      return undefined;
    });
  }

  var lastTap = 0;
  var DOUBLE_TAP_MS = 700;

  form.addEventListener("submit", function (event) {
    if (Date.now() - lastTap < DOUBLE_TAP_MS) {
      event.preventDefault(); // a double tap records one
      return;
    }
    if (!form.checkValidity()) {
      return; // the browser says what is missing
    }
    var topic = parseInt(chosen("topic"), 10);
    var minutes = parseInt(chosen("minutes"), 10);
    if (!topic || !minutes || !chosen("device") || !chosen("age_band") || !chosen("resolved")) {
      return; // let the server's form say what is missing
    }
    event.preventDefault();
    lastTap = Date.now();
    var time = new Date();
    var entry = {
      key: newKey(),
      topic: topic,
      device: chosen("device"),
      age_band: chosen("age_band"),
      language: chosen("language") || "ja",
      resolved: chosen("resolved") === "yes",
      minutes: minutes,
      label: [
        String(time.getHours()).padStart(2, "0") + ":" + String(time.getMinutes()).padStart(2, "0"),
        labelOf("topic"), labelOf("device"), labelOf("age_band"),
      ].join(" · "),
    };
    var queue = read(queueKey);
    queue.push(entry);
    write(queueKey, queue);
    listEntry(entry);
    notify(gettext("Recorded. Next resident?"));
    show();
    flush();
  });

  if (undoForm) {
    undoForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var queue = read(queueKey);
      if (queue.length) {
        var last = queue.pop();
        write(queueKey, queue);
        if (last.key === sending) {
          undoWhenSent[last.key] = true; // already on its way: undone when the server answers
        }
        markUndone(last.key);
        notify(gettext("The last entry is undone."));
        show();
        return;
      }
      undoLastSent();
    });
  }

  function undoLastSent() {
    if (!sent.length) {
      return Promise.resolve();
    }
    var lastSent = sent[sent.length - 1];
    return post(apiUrl + "/" + lastSent.id + "/undo").then(function (response) {
      if (response.ok) {
        return response.json().then(function (tally) {
          sent = sent.filter(function (s) { return s.id !== lastSent.id; });
          serverCount = tally.count;
          markUndone(null, lastSent.id);
          notify(gettext("The last entry is undone."));
        });
      }
      return refusal(response).then(function (message) { notify(message, true); });
    }, function () {
      notify(gettext("No connection: the entry could not be undone. Try again in a moment."), true);
    }).then(show);
  }

  read(queueKey).forEach(listEntry);
  window.addEventListener("online", flush);
  window.setInterval(flush, RETRY_MS);
  show();
  flush();
}());
