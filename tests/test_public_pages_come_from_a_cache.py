"""Public pages come from a cache (issue 9), and a resident never sees a stale count from it."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, connections
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from config.fiscal import TOKYO
from config.public_pages import (
    CSRF_PLACEHOLDER,
    VERSION_KEY,
    is_public_model,
    public_context,
    public_page,
    public_version,
)
from sessions.models import ClassRegistration, Session, Shift
from sessions.services import (
    add_registration,
    cancel_registration,
    cancel_session,
    cancel_shift,
    join_waitlist,
    offer_next_place,
    sign_up,
)
from tests import factories

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)
PUBLIC_PAGES = [
    "home",
    "helpdesk_sessions:classes",
    "helpdesk_sessions:class_detail",
    "helpdesk_sessions:class_register",
    "helpdesk_sessions:class_registration",
    "helpdesk_sessions:visits",
    "helpdesk_sessions:request",
    "helpdesk_sessions:request_status",
    "consultations:feedback",
    "helpdesk_sessions:venues",
    "helpdesk_sessions:venue",
    "helpdesk_sessions:venue_print",
]


def page_url(name):
    """The page's address; a group's status page is a scheduled visit's (issue 10)."""
    if name == "helpdesk_sessions:request_status":
        visit = factories.scheduled_visit(starts_at=NOW + timedelta(days=20))
        return reverse(name, args=[visit.status_token])
    if name in ("helpdesk_sessions:class_detail", "helpdesk_sessions:class_register"):
        a_class = factories.session(kind=Session.Kind.CLASS, starts_at=NOW + timedelta(days=4))
        return reverse(name, args=[a_class.pk])
    if name == "helpdesk_sessions:class_registration":  # a registrant's status page (issue 11)
        return reverse(name, args=[factories.class_registration().status_token])
    if name == "consultations:feedback":  # a session's question to residents (issue 11)
        return reverse(name, args=[factories.session(starts_at=NOW).pk])
    if name in ("helpdesk_sessions:venue", "helpdesk_sessions:venue_print"):  # issue 11
        venue = factories.venue()
        factories.schedule(venue=venue)
        factories.session(venue=venue, starts_at=NOW + timedelta(days=3))
        return reverse(name, args=[venue.pk])
    return reverse(name)


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def a_class(db):
    return factories.session(
        kind=Session.Kind.CLASS,
        title="LINE for beginners",
        capacity=2,
        starts_at=NOW + timedelta(3),
    )


def seats_shown(client):
    page = client.get(reverse("helpdesk_sessions:classes")).content.decode()
    found = re.search(r"(\d+) seats? left", page)
    return int(found[1]) if found else "full"


def registration(a_class, resident_number):
    return ClassRegistration(session=a_class, name="赤城 花子", phone=f"+8190{resident_number:08}")


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_a_public_page_seen_before_costs_one_query(client, db, django_assert_max_num_queries, name):
    factories.session(starts_at=NOW + timedelta(days=2))
    factories.session(kind=Session.Kind.CLASS, starts_at=NOW + timedelta(days=2))
    url = page_url(name)
    first = client.get(url)

    with django_assert_max_num_queries(1):  # the public content version
        again = client.get(url)

    assert again.status_code == 200
    assert without_token(again) == without_token(first)
    assert CSRF_PLACEHOLDER not in again.content.decode()


def without_token(response):
    return re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_the_seats_left_follow_each_registration_and_cancellation_at_once(client, a_class):
    assert seats_shown(client) == 2
    first = add_registration(registration(a_class, 1), by=None)
    assert seats_shown(client) == 1
    add_registration(registration(a_class, 2), by=None)
    assert seats_shown(client) == "full"
    cancel_registration(first, by=None)

    assert seats_shown(client) == 1


def test_a_class_called_off_leaves_the_list_at_once(client, a_class):
    assert "LINE for beginners" in client.get(reverse("helpdesk_sessions:classes")).content.decode()
    cancel_session(a_class, by=None)

    assert "LINE for beginners" not in (
        client.get(reverse("helpdesk_sessions:classes")).content.decode()
    )


def test_a_help_desk_date_called_off_shows_as_cancelled_at_once(client, db):
    helpdesk = factories.session(starts_at=NOW + timedelta(days=2))
    assert "Cancelled" not in client.get(reverse("home")).content.decode()
    cancel_session(helpdesk, by=None)

    assert "Cancelled" in client.get(reverse("home")).content.decode()


def test_a_phone_that_has_the_page_gets_304_until_something_changes(client, a_class, supporter):
    seen = client.get(reverse("helpdesk_sessions:classes"))
    etag = seen["ETag"]

    again = client.get(reverse("helpdesk_sessions:classes"), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert {"Cookie", "Accept-Language"} <= set(re.split(r",\s*", again["Vary"]))

    shift = sign_up(supporter, a_class, by=supporter.user)  # a place taken: no 304
    changed = client.get(reverse("helpdesk_sessions:classes"), headers={"if-none-match": etag})
    assert changed.status_code == 200
    cancel_shift(shift, by=supporter.user)  # and given back
    assert (
        client.get(
            reverse("helpdesk_sessions:classes"), headers={"if-none-match": changed["ETag"]}
        ).status_code
        == 200
    )


def test_an_offer_written_in_bulk_marks_the_pages_stale(client, supporter):
    session = factories.session(starts_at=NOW + timedelta(days=3), supporters_needed=2)
    for _ in range(session.supporters_needed):
        sign_up(factories.supporter(), session, by=None)
    join_waitlist(supporter, session)
    shift = Shift.objects.filter(session=session, status=Shift.Status.SIGNED_UP).first()
    Shift.objects.filter(pk=shift.pk).update(status=Shift.Status.CANCELLED)  # no signal sent
    etag = client.get(reverse("home"))["ETag"]
    assert client.get(reverse("home"), headers={"if-none-match": etag}).status_code == 304

    assert offer_next_place(session)  # QuerySet.update(): no post_save

    assert client.get(reverse("home"), headers={"if-none-match": etag}).status_code == 200


def test_each_language_has_its_own_page(client, db):
    english = client.get(reverse("home"))
    japanese = client.get(reverse("home"), headers={"accept-language": "ja"})

    assert 'lang="en"' in english.content.decode()[:300]
    assert 'lang="ja"' in japanese.content.decode()[:300]
    assert english["ETag"] != japanese["ETag"]


def test_a_signed_in_visitor_never_gets_the_anonymous_page(client, supporter):
    client.get(reverse("home"))
    client.force_login(supporter.user)

    page = client.get(reverse("home"))

    assert "Your next shifts" in page.content.decode()
    assert "ETag" not in page


def test_a_message_for_the_visitor_is_shown_and_never_cached(client, supporter):
    client.get(reverse("home"))
    client.force_login(supporter.user)
    client.post(reverse("account_logout"))  # "You have signed out." waits for the next page

    signed_out = client.get(reverse("home")).content.decode()
    next_one = Client(headers={"accept-language": "en"}).get(reverse("home")).content.decode()

    assert "signed out" in signed_out
    assert "signed out" not in next_one


def test_the_language_switcher_works_on_a_page_from_the_cache(db):
    """The switcher is a GET form: a public page holds no CSRF token and sets no cookie."""
    Client().get(reverse("home"))  # someone else filled the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(reverse("home"))
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert "csrftoken" not in page.cookies

    switched = visitor.get(reverse("set_language"), {"language": "en", "next": "/classes/"})

    assert switched.status_code == 302
    assert switched["Location"] == "/classes/"
    assert visitor.cookies["django_language"].value == "en"
    assert '<html lang="en">' in visitor.get(reverse("helpdesk_sessions:classes")).content.decode()


@pytest.mark.parametrize("language", ["xx", ""])
def test_the_switcher_ignores_a_language_it_does_not_have_and_a_link_elsewhere(
    client, db, language
):
    switched = client.get(
        reverse("set_language"), {"language": language, "next": "https://elsewhere.example/"}
    )

    assert switched.status_code == 302
    assert switched["Location"] == "/"
    assert "django_language" not in switched.cookies


def a_page_with_a_form(request):
    """A public page holding a form, as the residents' request forms will (issue 10)."""
    template = Template("{% csrf_token %}")
    return HttpResponse(template.render(Context(public_context(request, {}))))


def test_a_new_csrf_cookie_means_a_new_etag(rf, db):
    view = public_page(a_page_with_a_form)

    def visit(cookie=None, etag=None):
        request = rf.get("/with-a-form", headers={"if-none-match": etag} if etag else {})
        request.user, request.LANGUAGE_CODE = AnonymousUser(), "ja"
        if cookie:
            request.META["CSRF_COOKIE"] = cookie  # as CsrfViewMiddleware reads it
        return view(request)

    seen = visit(cookie="a" * 32)
    assert visit(cookie="a" * 32, etag=seen["ETag"]).status_code == 304
    assert visit(cookie="b" * 32, etag=seen["ETag"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_committed_registration_reaches_every_process_through_the_shared_version(client):
    """Outside a test's rolled-back transaction: the version moves when the write commits."""
    a_class = factories.session(kind=Session.Kind.CLASS, capacity=2, starts_at=NOW + timedelta(3))
    before = public_version()
    assert seats_shown(client) == 2

    add_registration(registration(a_class, 1), by=None)

    assert public_version() != before
    assert seats_shown(client) == 1


def test_every_table_a_public_page_reads_marks_it_stale_when_written(client, db):
    """A model a public page reads must have a `PublicContentQuerySet`, so that every write to
    it, `update()` and `bulk_create()` included, marks the cached pages stale. A new public page
    or a new table read by one fails here until its model is one."""
    factories.session(starts_at=NOW + timedelta(days=2))
    factories.class_registration(session=factories.session(kind=Session.Kind.CLASS))
    by_table = {model._meta.db_table: model for model in apps.get_models()}
    read = set()
    factories.topic()
    for name in PUBLIC_PAGES:
        url = page_url(name)
        public_version()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        for query in queries:
            read |= set(re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"]))
    read.discard("digisapo_cache")

    assert read
    assert [table for table in read if not is_public_model(by_table[table])] == []


def cached_pages(patterns, namespace=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from cached_pages(pattern.url_patterns, inner)
        elif getattr(pattern.callback, "is_public_page", False):
            yield f"{namespace}{pattern.name}"


def test_the_tables_test_above_sees_every_cached_page():
    assert sorted(cached_pages(get_resolver().url_patterns)) == sorted(PUBLIC_PAGES)


def test_an_answer_that_is_not_cached_still_gets_the_visitors_own_token(rf, db):
    @public_page
    def sets_a_cookie(request):
        response = a_page_with_a_form(request)
        response.set_cookie("seen", "yes")
        return response

    request = rf.get("/somewhere")
    request.user, request.LANGUAGE_CODE = AnonymousUser(), "en"

    page = sets_a_cookie(request).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    assert token != CSRF_PLACEHOLDER
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_each_query_string_is_a_page_of_its_own(client, db, recwarn):
    plain = client.get(reverse("home"))
    long_query = client.get(reverse("home") + "?utm_source=" + "poster" * 60)

    assert f'value="/?utm_source={"poster" * 60}"' in long_query.content.decode()
    assert 'name="next" value="/"' in plain.content.decode()
    assert not [w for w in recwarn if "CacheKeyWarning" in type(w.message).__name__]


@pytest.fixture
def health_checks_on(transactional_db):
    """Production's `CONN_HEALTH_CHECKS` on a kept connection, at the start of a request."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]

    def start_request():
        connection.ensure_connection()
        connection.health_check_done = False

    return start_request


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_a_cached_page_asks_the_database_once_with_health_checks_on(
    client, health_checks_on, monkeypatch, name
):
    """The version read stands for the health check's `SELECT 1`, which is not sent as well."""
    url = page_url(name)
    first = client.get(url)
    checks = []
    monkeypatch.setattr(connections["default"], "is_usable", lambda: checks.append(1) or True)
    health_checks_on()

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert without_token(again) == without_token(first)
    assert (len(queries), checks) == (1, [])


@pytest.mark.postgres  # SQLite's test database lives in its connection, and goes with it
def test_a_connection_the_server_dropped_is_replaced_for_the_version_read(client, health_checks_on):
    a_class = factories.session(kind=Session.Kind.CLASS, capacity=2, starts_at=NOW + timedelta(3))
    assert seats_shown(client) == 2
    add_registration(registration(a_class, 1), by=None)
    health_checks_on()
    connection.connection.close()  # as the server does to an idle connection

    assert seats_shown(client) == 1


def test_the_version_is_one_row_read_by_its_key_from_what_the_cache_stored(db):
    """Every cached page pays for this read: it skips `cache.get()`'s own work."""
    cache.set(VERSION_KEY, "a-version", timeout=None)

    with CaptureQueriesContext(connection) as queries:
        version = public_version()

    assert version == "a-version"
    assert [query["sql"] for query in queries] == [
        f"SELECT value FROM \"digisapo_cache\" WHERE cache_key = '{cache.make_key(VERSION_KEY)}'"
    ]
