"""Who answers a text someone sends us: STOP and START here, the rest by the domain apps.

An app registers a reply handler in its `AppConfig.ready()` (sessions: 1 or 2 to a shift
reminder). `receive_sms` asks the handlers in order, and the first that claims the message
answers it; a message nobody claims waits for the coordinators.

A handler is called with the `InboundMessage` (`from_number`, `body`, `keyword`) and returns a
`Claim` or None. The claim's `action` is a short code stored on the message, with a label the
handler registers for coordinators to read.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# What the app did with a text: nothing yet, a person reads it.
NO_ACTION = "none"
OPT_OUT = "opt_out"
OPT_IN = "opt_in"

# Twilio's own opt-out and opt-in keywords (it blocks or unblocks the number itself, so we must
# agree with it), and their Japanese equivalents.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
    | {"停止", "ストップ", "配信停止"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP", "再開", "開始"})

# A number we can act for: never a short code, a sender name or an empty `From`.
E164 = re.compile(r"\+[1-9]\d{6,14}")


@dataclass(frozen=True)
class Claim:
    """A handler's answer: the `action` done (NO_ACTION leaves the message for coordinators),
    the `reply` to text back (or None), in `language` (empty: the sender's own)."""

    action: str
    reply: str | None = None
    language: str = ""


Handler = Callable[..., Claim | None]

_handlers: list[Handler] = []
_labels: dict[str, str] = {
    NO_ACTION: _("For coordinators to read"),
    OPT_OUT: _("Opted out"),
    OPT_IN: _("Opted back in"),
}


def keyword(body: str) -> str:
    """The reply reduced to a keyword: full-width and half-width forms folded, case ignored."""
    return unicodedata.normalize("NFKC", body).strip().strip(".。!！、,").strip().upper()


def register_reply_handler(handler: Handler, *, actions: dict | None = None) -> None:
    """Ask `handler` about each text (after STOP/START); `actions`: its codes and their labels.

    Registering the same handler again (a test reloading apps) changes nothing.
    """
    for code, label in (actions or {}).items():
        _labels[code] = label
    if handler not in _handlers:
        _handlers.append(handler)


def action_label(code: str) -> str:
    """What coordinators read for an action code (the code itself if nobody registered it)."""
    return str(_labels.get(code, code))


def claim(message) -> Claim | None:
    """The first claim on `message`: STOP and START, then each registered handler in order."""
    for handler in (_stop_or_start, *_handlers):
        answer = handler(message)
        if answer is not None:
            return answer
    return None


def _stop_or_start(message) -> Claim | None:
    # Only for a real number: STOP from an empty or made-up `From` opts nobody out.
    if not E164.fullmatch(message.from_number):
        return None
    from notifications.services import opt_in, opt_out  # services import this module
    from notifications.texts import render_sms

    language = message.sender_language
    if message.keyword in STOP_WORDS:
        opt_out(message.from_number)
        return Claim(OPT_OUT, render_sms("reply_opted_out", language))
    if message.keyword in START_WORDS:
        opt_in(message.from_number)
        return Claim(OPT_IN, render_sms("reply_opted_in", language))
    return None
