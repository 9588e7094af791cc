"""Every page and endpoint of the site, visited by each persona, answers as the table says.

A new URL must be added to PAGES: `test_every_named_url_is_in_the_table` walks the resolver.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests import factories
from tests.pages import parse, third_party_urls, unlabelled_fields

ROLES = ("anonymous", "supporter", "coordinator", "stranger")

# What a persona should get: a status code, or a redirect to one of these places.
LOGIN = "redirect to sign-in"
ADMIN_LOGIN = "redirect to the admin's sign-in"
HOME = "redirect to the home page"


def everyone(expected):
    return dict.fromkeys(ROLES, expected)


def signed_in(expected, anonymous=LOGIN):
    return {**everyone(expected), "anonymous": anonymous}


# (url name, kwargs, method, data, {role: expected})
PAGES = [
    ("home", {}, "get", None, everyone(200)),
    ("healthz", {}, "get", None, everyone(200)),
    ("helpdesk_sessions:classes", {}, "get", None, everyone(200)),
    ("helpdesk_sessions:visits", {}, "get", None, everyone(200)),
    # Group-visit requests (issue 10): the form is public (coordinators enter phoned-in ones
    # there too); an empty request is refused next to its fields, and the API's with details.
    ("helpdesk_sessions:request", {}, "get", None, everyone(200)),
    ("helpdesk_sessions:request", {}, "post", {}, everyone(200)),
    ("helpdesk_sessions:request_status", {"token": "no-such-token"}, "get", None, everyone(404)),
    ("helpdesk_sessions:request_sent", {"token": "no-such-token"}, "get", None, everyone(404)),
    ("helpdesk_sessions:request_cancel", {"token": "no-such-token"}, "get", None, everyone(404)),
    ("api:create_dispatch_request", {}, "post", {}, everyone(422)),
    ("api:get_request_status", {"token": "no-such-token"}, "get", None, everyone(404)),
    # Smartphone classes (issue 11): public; a registration is reached by its secret token.
    ("api:list_classes", {}, "get", None, everyone(200)),
    ("helpdesk_sessions:class_detail", {"session_id": 999999}, "get", None, everyone(404)),
    ("helpdesk_sessions:class_register", {"session_id": 999999}, "get", None, everyone(404)),
    ("helpdesk_sessions:class_registration", {"token": "no-such"}, "get", None, everyone(404)),
    ("helpdesk_sessions:class_sent", {"token": "no-such"}, "get", None, everyone(404)),
    ("helpdesk_sessions:class_registration_cancel", {"token": "no"}, "get", None, everyone(404)),
    ("api:get_class_registration", {"token": "no-such-token"}, "get", None, everyone(404)),
    ("set_language", {}, "post", {"language": "en", "next": "/"}, everyone(HOME)),
    ("javascript-catalog", {}, "get", None, everyone(200)),
    # allauth sends a signed-in person on from its sign-in page.
    ("account_login", {}, "get", None, signed_in(HOME, anonymous=200)),
    ("supporters:tokens", {}, "get", None, signed_in(200)),
    ("admin:index", {}, "get", None, {**everyone(ADMIN_LOGIN), "coordinator": 200}),
    # Twilio's webhooks refuse anything Twilio did not sign, whoever sends it.
    ("notifications:twilio_status", {}, "post", {"MessageStatus": "delivered"}, everyone(403)),
    ("notifications:twilio_inbound", {}, "post", {"Body": "STOP"}, everyone(403)),
    ("api:api-root", {}, "get", None, everyone(404)),
    ("api:openapi-view", {}, "get", None, everyone(200)),
    ("api:openapi-json", {}, "get", None, everyone(200)),
    ("api:list_districts", {}, "get", None, everyone(200)),
    ("api:list_venues", {}, "get", None, everyone(200)),
    ("api:list_sessions", {}, "get", None, everyone(200)),
    ("api:me", {}, "get", None, signed_in(200, anonymous=401)),
    ("api:list_tokens", {}, "get", None, signed_in(200, anonymous=401)),
    # An empty body: refused for its content once signed in, for the person before that.
    ("api:create_token", {}, "post", {}, signed_in(422, anonymous=401)),
    # Calendar feed and check-in by QR (issue 5): supporters' own, posters for coordinators.
    ("supporters:calendar", {}, "get", None, {**signed_in(403), "supporter": 200}),
    ("supporters:regenerate_calendar", {}, "post", {}, {**signed_in(403), "supporter": 302}),
    ("helpdesk_sessions:checkin_posters", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("api:calendar", {}, "get", None, {**signed_in(403, anonymous=401), "supporter": 200}),
    (
        "api:regenerate_calendar",
        {},
        "post",
        {},
        {**signed_in(403, anonymous=401), "supporter": 200},
    ),
    ("api:checkin", {}, "post", {}, signed_in(422, anonymous=401)),
    # Usual availability (issue 10): supporters' own.
    ("supporters:availability", {}, "get", None, {**signed_in(403), "supporter": 200}),
    ("api:get_availability", {}, "get", None, {**signed_in(403, anonymous=401), "supporter": 200}),
    (
        "api:put_availability",
        {},
        "put",
        {"slots": []},
        {**signed_in(403, anonymous=401), "supporter": 200},
    ),
    # Invitations (issue 5): coordinators invite; a link's page answers only a valid key.
    ("supporters:invitations", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("supporters:join", {"key": "no-such-key"}, "get", None, everyone(404)),
    ("supporters:join_code", {"key": "no-such-key"}, "get", None, everyone(404)),
    (
        "api:list_invitations",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    # Refused for the person before the body is read; a coordinator's empty body is invalid.
    (
        "api:create_invitation",
        {},
        "post",
        {},
        {**signed_in(403, anonymous=401), "coordinator": 422},
    ),
    # Shift board and My shifts (issue 5): supporters; coordinators may see the board.
    ("helpdesk_sessions:board", {}, "get", None, {**signed_in(200), "stranger": 403}),
    ("helpdesk_sessions:my_shifts", {}, "get", None, {**signed_in(403), "supporter": 200}),
    # Cover requests (issue 13): the text's link is its own proof; the rest a supporter's own.
    ("helpdesk_sessions:cover", {"token": "no-such-token"}, "get", None, everyone(404)),
    (
        "helpdesk_sessions:ask_for_cover",
        {"shift_id": 999999},
        "get",
        None,
        {**signed_in(403), "supporter": 404},
    ),
    (
        "api:list_cover_requests",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    ("api:board", {}, "get", None, {**signed_in(200, anonymous=401), "stranger": 403}),
    ("api:my_shifts", {}, "get", None, {**signed_in(403, anonymous=401), "supporter": 200}),
    ("api:my_hours", {}, "get", None, {**signed_in(403, anonymous=401), "supporter": 200}),
    # The certificate of hours (issue 13): a supporter's own; coordinators print anyone's.
    ("helpdesk_sessions:my_certificate", {}, "get", None, {**signed_in(403), "supporter": 200}),
    (
        "helpdesk_sessions:supporter_certificate",
        {"supporter_id": 999999},
        "get",
        None,
        {**signed_in(403), "coordinator": 404},
    ),
    ("api:my_certificate", {}, "get", None, {**signed_in(403, anonymous=401), "supporter": 200}),
    (
        "api:supporter_certificate",
        {"supporter_id": 999999},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 404},
    ),
    # SMS for coordinators (issue 4): the outbox, incoming texts, broadcasts.
    ("notifications:outbox", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    # The annual report (issue 12): coordinators only; closing a year needs the box ticked.
    ("consultations:annual_report", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("consultations:annual_report", {}, "post", {}, {**signed_in(403), "coordinator": 200}),
    ("consultations:annual_report_print", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("notifications:inbound", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("supporters:broadcast", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("api:list_outbox", {}, "get", None, {**signed_in(403, anonymous=401), "coordinator": 200}),
    ("api:list_inbound", {}, "get", None, {**signed_in(403, anonymous=401), "coordinator": 200}),
    (
        "api:notifications_summary",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    (
        "api:preview_broadcast",
        {},
        "post",
        {},
        {**signed_in(403, anonymous=401), "coordinator": 422},
    ),
    ("api:send_broadcast", {}, "post", {}, {**signed_in(403, anonymous=401), "coordinator": 422}),
    # Group-visit requests (issue 10): coordinators triage them on their pages and the API.
    ("helpdesk_sessions:requests", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("api:list_requests", {}, "get", None, {**signed_in(403, anonymous=401), "coordinator": 200}),
    # Smartphone classes (issue 11): the coordinators' class desk, its forms and its API; an
    # empty form comes back with its errors, an empty body is refused with its details.
    ("helpdesk_sessions:class_desk", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("helpdesk_sessions:class_new", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("helpdesk_sessions:class_new", {}, "post", {}, {**signed_in(403), "coordinator": 200}),
    (
        "helpdesk_sessions:class_series_new",
        {},
        "get",
        None,
        {**signed_in(403), "coordinator": 200},
    ),
    (
        "helpdesk_sessions:class_series_new",
        {},
        "post",
        {},
        {**signed_in(403), "coordinator": 200},
    ),
    # Help-desk schedules (issue 11): the venues' pages are public, the schedules coordinators'.
    ("helpdesk_sessions:venues", {}, "get", None, everyone(200)),
    ("helpdesk_sessions:schedules", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    ("helpdesk_sessions:schedule_new", {}, "get", None, {**signed_in(403), "coordinator": 200}),
    (
        "helpdesk_sessions:schedule_new",
        {},
        "post",
        {},
        {**signed_in(403), "coordinator": 200},
    ),
    ("api:add_class", {}, "post", {}, {**signed_in(403, anonymous=401), "coordinator": 422}),
    ("api:add_series", {}, "post", {}, {**signed_in(403, anonymous=401), "coordinator": 422}),
    (
        "api:list_schedules",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    (
        "api:create_helpdesk_schedule",
        {},
        "post",
        {},
        {**signed_in(403, anonymous=401), "coordinator": 422},
    ),
    # The annual activity report (issue 12): coordinators only; closing names the year.
    (
        "api:annual_statistics",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    (
        "api:export_annual_statistics",
        {},
        "get",
        None,
        {**signed_in(403, anonymous=401), "coordinator": 200},
    ),
    (
        "api:close_annual_statistics",
        {},
        "post",
        {},
        {**signed_in(403, anonymous=401), "coordinator": 422},
    ),
]


def sign_in(client, role):
    """Sign the client in as the role, with a help-desk session and a class in the data."""
    factories.session()
    factories.session(kind="class")
    if role == "supporter":
        client.force_login(factories.supporter().user)
    elif role == "coordinator":
        client.force_login(factories.coordinator(is_staff=True))
    elif role == "stranger":
        client.force_login(factories.user())
    return client


def assert_answers_as_expected(response, url, expected):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == reverse("admin:login")
    elif expected == HOME:
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
    else:
        assert response.status_code == expected, response.content[:500]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "kwargs", "method", "data", "expected"), PAGES, ids=[row[0] for row in PAGES]
)
def test_every_url_answers_each_persona_as_the_table_says(
    client, db, role, name, kwargs, method, data, expected
):
    sign_in(client, role)
    url = reverse(name, kwargs=kwargs)
    if method == "get":
        response = client.get(url)
    elif method == "put":
        response = client.put(url, data, content_type="application/json")
    elif name.startswith("api:"):
        response = client.post(url, data, content_type="application/json")
    else:
        response = client.post(url, data)
    assert_answers_as_expected(response, url, expected[role])
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        page = parse(response)
        assert third_party_urls(page) == []
        assert unlabelled_fields(page) == []


def named_urls(patterns, namespace=""):
    """(name, pattern) of every named URL, with its namespace, whatever the nesting."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from named_urls(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join(filter(None, [namespace, entry.name])), entry


def needs_no_arguments(name):
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_every_named_url_is_in_the_table():
    tabled = {row[0] for row in PAGES}
    missing = sorted(
        name
        for name, pattern in named_urls(get_resolver().url_patterns)
        if not name.startswith("admin:")
        and not pattern.lookup_str.startswith("allauth.")
        and needs_no_arguments(name)
        and name not in tabled
    )
    assert missing == [], "Add these URLs to PAGES in tests/test_every_url.py"


def test_the_table_names_only_urls_that_exist():
    for name, kwargs, *_rest in PAGES:
        assert reverse(name, kwargs=kwargs)
