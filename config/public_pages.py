"""Public pages served from a cache (issue 9): the pattern is in docs/architecture.md.

A public page is the same for every anonymous visitor in a language, so it is rendered once per
*public content version*, language, path and minute, and kept in each process's memory. The
version is a random token in the shared (database) cache, replaced after every committed write
to a model whose queryset is a `PublicContentQuerySet`: one query per request tells every process
whether its copy is still good.
"""

import base64
import hashlib
import pickle
import time
import uuid
from contextvars import ContextVar
from functools import wraps

from allauth.core import ratelimit
from django.contrib.messages import get_messages
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt, csrf_protect

VERSION_KEY = "public-content-version"
# Pages also follow the clock (a session drops off once it has ended, a date enters the
# horizon): they are rendered again at least once a minute, whatever the data does.
CLOCK_STEP = 60
# Stands for the language switcher's CSRF token in a cached page; each response gets its own.
CSRF_PLACEHOLDER = "__public-page-csrf-token__"

pages = LocMemCache("public-pages", {"TIMEOUT": CLOCK_STEP, "OPTIONS": {"MAX_ENTRIES": 500}})


# Set when a write happens inside a test case's transaction, which is rolled back, never
# committed: its commit hooks never run, so the next read takes a new version instead.
_stale_in_test = False


def _new_version():
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, timeout=None)
    return version


def bump_public_version(using=None):
    """Mark every cached public page stale once the current transaction commits (once per
    transaction however many rows it writes); outside a transaction, at once."""
    global _stale_in_test
    connection = transaction.get_connection(using)
    if any(block._from_testcase for block in connection.atomic_blocks):
        _stale_in_test = True
        return
    if any(func is _new_version for _, func, _ in connection.run_on_commit):
        return
    # robust: the write has committed whatever happens here; a bump that fails is logged and the
    # minute in the key still bounds how long a page can lag.
    transaction.on_commit(_new_version, using=using, robust=True)


def public_version() -> str:
    """The current version: one query to the shared cache; a few more to start a new one when
    the key is missing (the first request ever, or the cache table culled it)."""
    global _stale_in_test
    if _stale_in_test:
        _stale_in_test = False
        return _new_version()
    return _stored_version() or _new_version()


# What this request has read of the version: a dict between request_started and
# request_finished, None outside a request (a task, a command), where each ask reads again.
_this_request: ContextVar[dict | None] = ContextVar("public_content_this_request", default=None)


def request_version() -> str:
    """`public_version()`, read once per request however many kept parts use it: the signed-in
    user (supporters/backends.py), a page's content, the board API's page. Outside a request,
    read each time."""
    read = _this_request.get()
    if read is None:
        return public_version()
    if "version" not in read:
        read["version"] = public_version()
    return read["version"]


@receiver(request_started, dispatch_uid="public_content_request_started")
def _request_started(**kwargs):
    _this_request.set({})


@receiver(request_finished, dispatch_uid="public_content_request_finished")
def _request_finished(**kwargs):
    _this_request.set(None)


def _stored_version():
    """`cache.get(VERSION_KEY)`, made as cheap as one indexed row read on a database cache.

    Every cached page pays for this read, so on the database cache it is a single-row SELECT by
    primary key: `cache.get()` adds about half as much CPU again (key validation, the expiry
    converters), and the version never expires (`_new_version` sets no timeout) but is kept
    pickled as the cache keeps every value, so `cache.set()` stays the one writer.

    The read doubles as the connection's health check: with `CONN_HEALTH_CHECKS` Django sends
    `SELECT 1` before a request's first query, to replace a kept connection the server dropped,
    which on a cached page was a second round trip. If the read fails, the connection is closed
    and the read made again on a new one, as the health check would have done.
    """
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy to it
    if not isinstance(backend, DatabaseCache):
        return cache.get(VERSION_KEY)
    db = connections[router.db_for_read(backend.cache_model_class)]
    if (
        db.connection is None
        or not db.health_check_enabled
        or db.health_check_done
        or db.in_atomic_block
    ):
        return _read_version(backend, db)
    db.health_check_done = True
    try:
        return _read_version(backend, db)
    except DatabaseError:
        db.close()
        return _read_version(backend, db)


def _read_version(backend, db):
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {db.ops.quote_name(backend._table)} WHERE cache_key = %s",
            [backend.make_key(VERSION_KEY)],
        )
        row = cursor.fetchone()
    return row and pickle.loads(base64.b64decode(db.ops.process_clob(row[0])))


class PublicContentQuerySet(models.QuerySet):
    """For models a public page shows: writes that send no signal still mark the pages stale.

    `save()` and `delete()` of one row are seen by the signals `connect_public_models` connects.
    """

    def update(self, **kwargs):
        if not kwargs.keys() <= _unshown_fields(self.model):
            bump_public_version(self.db)
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        bump_public_version(self.db)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        bump_public_version(self.db)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def delete(self):
        bump_public_version(self.db)
        return super().delete()


def is_public_model(model) -> bool:
    return issubclass(model._default_manager._queryset_class, PublicContentQuerySet)


def _unshown_fields(model) -> frozenset:
    """Fields of a public model that nothing kept shows or depends on (a user's `last_login`
    on every sign-in, a token's `last_used_at`): a write of only those keeps the version."""
    return getattr(model, "unshown_fields", frozenset())


def _row_written(sender, using, update_fields=None, **kwargs):
    if update_fields and update_fields <= _unshown_fields(sender):
        return
    bump_public_version(using)


def connect_public_models(all_models):
    """Called from `ConfigConfig.ready()`: every public model's saves and deletes bump too."""
    for model in all_models:
        if is_public_model(model):
            post_save.connect(_row_written, sender=model, dispatch_uid=f"public:{model._meta}")
            post_delete.connect(_row_written, sender=model, dispatch_uid=f"gone:{model._meta}")


def _csrf_digest(request) -> str:
    secret = request.META.get("CSRF_COOKIE") or ""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def public_page(view):
    """Serve `view` to anonymous visitors from the cache, with an ETag and 304s.

    Signed-in visitors, pending messages and anything but GET/HEAD go straight to the view. The
    view renders `{% csrf_token %}` as `CSRF_PLACEHOLDER` (see `public_context`); the placeholder
    is swapped for this visitor's token on the way out, and the ETag carries a digest of their
    CSRF cookie, so a 304 never hands back a page whose token no longer matches it.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
            or len(get_messages(request))
        ):
            return view(request, *args, **kwargs)
        minute = int(time.time() // CLOCK_STEP)
        version = f"{request_version()}.{request.LANGUAGE_CODE}.{minute}"
        etag = f'"{version}.{_csrf_digest(request)}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return _headers(not_modified)
        # Hashed: a long or odd query string stays a valid key.
        key = f"{version}:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
        page = pages.get(key)
        if page is None:
            request.renders_public_page = True
            needed_token = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            response = view(request, *args, **kwargs)
            cacheable = (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                # get_token() ran: a real token is in the page, which must never be shared.
                and request.META.get("CSRF_COOKIE_NEEDS_UPDATE") == needed_token
            )
            if not cacheable:
                return _with_token(request, response)
            page = (response.content.decode(response.charset), response["Content-Type"])
            pages.set(key, page)
        content, content_type = page
        if CSRF_PLACEHOLDER in content:
            content = content.replace(CSRF_PLACEHOLDER, get_token(request))
            etag = f'"{version}.{_csrf_digest(request)}"'
        response = HttpResponse(content, content_type=content_type)
        response["ETag"] = etag
        return _headers(response)

    wrapper.is_public_page = True
    return wrapper


def public_form(view):
    """`public_page` for a page whose form anonymous visitors post with no CSRF token (the
    group-visit request, a resident's answer after a session).

    CSRF protects what a signed-in person's cookies may do; an anonymous POST carries no
    authority to forge, so anonymous visitors are exempt and the page they get holds no token:
    one cached page for everyone, with no cookie to set (the token's cookie had cost the request
    form a third of its throughput, issue 10). Anyone signed in is checked as everywhere, and
    the template renders `{% csrf_token %}` for them only.
    """
    cached = public_page(view)
    checked = csrf_protect(cached)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return checked(request, *args, **kwargs)
        return cached(request, *args, **kwargs)

    wrapper.is_public_page = True
    return wrapper


def _with_token(request, response):
    """An answer not to be cached still needs the visitor's token where the placeholder is."""
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        token = get_token(request).encode()
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), token)
    return response


def _headers(response):
    # Each visitor's copy holds their own CSRF token: browsers keep it and ask again (304),
    # shared caches keep nothing.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def public_context(request, context: dict) -> dict:
    """A public view's context: the CSRF token as a placeholder when the page is to be cached."""
    if getattr(request, "renders_public_page", False):
        return {**context, "csrf_token": CSRF_PLACEHOLDER}
    return context


class PublicLimit:
    """How many posts one network may make to a public form in an hour, counted by allauth's
    rate limits (`settings.ACCOUNT_RATE_LIMITS[action]`). Only a post that was accepted counts,
    so a resident correcting a mistake is not locked out; coordinators entering what residents
    phoned in are never limited."""

    def __init__(self, action: str):
        self.action = action

    def reached(self, http_request) -> bool:
        if getattr(http_request.user, "is_coordinator", False):
            return False
        return not ratelimit.consume(http_request, action=self.action, dry_run=True)

    def count(self, http_request) -> None:
        if not getattr(http_request.user, "is_coordinator", False):
            ratelimit.consume(http_request, action=self.action)
