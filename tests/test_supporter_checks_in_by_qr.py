"""A supporter checks in by scanning a QR code (issue 5, "Check-in by QR").

Codes come from the lead's phone (one session) or from the A4 poster at a venue (whichever
session runs there when it is scanned). Check-in is open from 30 minutes before the start to the
end; the rule lives in `sessions.services.check_in`, which the page and the API both call.
"""

import sys
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.urls import reverse

from config.fiscal import TOKYO
from config.templatetags.qrcodes import qr_code_svg
from sessions.models import Shift
from sessions.services import CheckInError, ShiftError, check_in, check_in_token
from tests import factories

STARTS = datetime(2026, 12, 8, 10, 0, tzinfo=TOKYO)
ENDS = STARTS + timedelta(hours=2)
OPENS = STARTS - timedelta(minutes=30)
ENGLISH = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def _a_week_before():
    """Everyone signs in a week before the session (sign-in sessions last two weeks)."""
    with time_machine.travel(STARTS - timedelta(days=7), tick=False):
        yield


@pytest.fixture
def venue(db):
    return factories.venue(name="城南公民館")


@pytest.fixture
def session(venue):
    return factories.session(venue=venue, starts_at=STARTS, ends_at=ENDS, supporters_needed=2)


@pytest.fixture
def shift(session, supporter):
    return factories.shift(session=session, supporter=supporter)


def at(moment):
    return time_machine.travel(moment, tick=False)


def scan(client, token, **kwargs):
    return client.get(reverse("helpdesk_sessions:checkin", args=[token]), headers=ENGLISH, **kwargs)


def api_check_in(client, token, **body):
    return client.post(
        "/api/checkin", {"token": token, **body}, content_type="application/json", headers=ENGLISH
    )


@pytest.mark.parametrize("moment", [OPENS, STARTS + timedelta(hours=1), ENDS])
def test_scanning_from_30_minutes_before_the_start_to_the_end_checks_the_supporter_in(
    supporter_client, shift, moment
):
    with at(moment):
        response = scan(supporter_client, check_in_token(shift.session))

    assert response.status_code == 200
    assert "You are checked in. Thank you!" in response.content.decode()
    shift.refresh_from_db()
    assert shift.status == Shift.Status.ATTENDED
    assert shift.checked_in_at == moment


def test_scanning_before_check_in_opens_says_when_it_opens(supporter_client, shift):
    with at(OPENS - timedelta(seconds=1)):
        response = scan(supporter_client, check_in_token(shift.session))

    assert "Check-in opens at 12/08/2026 9:30 a.m., 30 minutes before the start." in (
        response.content.decode()
    )
    shift.refresh_from_db()
    assert (shift.status, shift.checked_in_at) == (Shift.Status.SIGNED_UP, None)


def test_scanning_after_the_end_says_check_in_is_closed(supporter_client, shift):
    with at(ENDS + timedelta(seconds=1)):
        response = scan(supporter_client, check_in_token(shift.session))

    assert "This session ended at 12/08/2026 noon: check-in is closed." in (
        response.content.decode()
    )
    shift.refresh_from_db()
    assert shift.checked_in_at is None


def test_scanning_twice_changes_nothing(supporter_client, shift):
    token = check_in_token(shift.session)
    with at(STARTS):
        scan(supporter_client, token)
    with at(STARTS + timedelta(minutes=20)):
        response = scan(supporter_client, token)

    page = response.content.decode()
    assert "You are already checked in" in page
    assert "Checked in at 10:00." in page
    shift.refresh_from_db()
    assert shift.checked_in_at == STARTS


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "s999" + token[token.index(":") :],  # another session, same signature
        lambda token: token.split(":")[0],  # no signature: a raw id
        lambda token: "1",
    ],
    ids=["signature", "session", "unsigned", "raw-id"],
)
def test_a_tampered_code_is_refused(supporter_client, shift, tamper):
    with at(STARTS):
        response = scan(supporter_client, tamper(check_in_token(shift.session)))

    assert response.status_code == 404
    assert "This check-in code is not valid." in response.content.decode()
    shift.refresh_from_db()
    assert shift.checked_in_at is None


def test_a_code_is_signed_and_does_not_show_a_bare_id(session, venue):
    token = check_in_token(session)

    assert token.startswith(f"s{session.pk}:")
    assert len(token.split(":")[1]) >= 40  # an HMAC-SHA256, not guessable
    # A venue's code is signed for the venue: it cannot be turned into a session's.
    assert check_in_token(venue).split(":")[1] != token.split(":")[1]


def test_a_supporter_without_a_shift_is_offered_to_join_and_then_checked_in(client, session):
    joiner = factories.supporter()
    client.force_login(joiner.user)
    token = check_in_token(session)

    with at(STARTS + timedelta(minutes=15)):  # the session has started: joining is still open
        offered = scan(client, token)
        joined = client.post(
            reverse("helpdesk_sessions:checkin", args=[token]), headers=ENGLISH, follow=True
        )

    assert "You have no place on this session. 2 places are still open" in (
        offered.content.decode()
    )
    assert "Join this session and check in" in offered.content.decode()
    page = joined.content.decode()
    assert "You have joined this session. Thank you!" in page
    assert "You are already checked in" in page
    shift = Shift.objects.get(session=session, supporter=joiner)
    assert shift.status == Shift.Status.ATTENDED
    assert shift.checked_in_at == STARTS + timedelta(minutes=15)


def test_a_supporter_waiting_in_line_takes_the_open_place_on_the_spot(client, session):
    waiting = factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)
    client.force_login(waiting.supporter.user)

    with at(STARTS):
        result = check_in(waiting.supporter, check_in_token(session), join=True)

    assert result.shift == waiting
    waiting.refresh_from_db()
    assert (waiting.status, waiting.waitlist_position) == (Shift.Status.ATTENDED, None)


def test_a_full_session_has_no_place_to_join(client, session):
    factories.shift(session=session)
    factories.shift(session=session)
    joiner = factories.supporter()
    client.force_login(joiner.user)
    token = check_in_token(session)

    with at(STARTS):
        offered = scan(client, token)
        refused = client.post(reverse("helpdesk_sessions:checkin", args=[token]), headers=ENGLISH)

    assert "it has all the supporters it needs" in offered.content.decode()
    assert "Join this session" not in offered.content.decode()
    assert "This session has all the supporters it needs. Thank you for coming!" in (
        refused.content.decode()
    )
    assert not Shift.objects.filter(supporter=joiner).exists()


def test_joining_on_the_spot_keeps_the_shift_boards_rules(session):
    session.min_level = 5
    session.save(update_fields=["min_level"])
    beginner = factories.supporter(training_level=1)

    with at(STARTS), pytest.raises(ShiftError) as refused:
        check_in(beginner, session, join=True)

    assert refused.value.code == "level"
    assert not Shift.objects.filter(supporter=beginner).exists()


def test_an_offered_place_or_a_no_show_becomes_attended_when_the_supporter_is_there(session):
    offered = factories.shift(session=session, status=Shift.Status.OFFERED, offer_expires_at=STARTS)
    no_show = factories.shift(session=session, status=Shift.Status.NO_SHOW)

    with at(STARTS + timedelta(minutes=5)):
        for shift in (offered, no_show):
            check_in(shift.supporter, session)

    for shift in (offered, no_show):
        shift.refresh_from_db()
        assert shift.status == Shift.Status.ATTENDED
        assert shift.checked_in_at == STARTS + timedelta(minutes=5)


def test_a_cancelled_session_refuses_check_in(supporter, shift, session, coordinator):
    from sessions.services import cancel_session

    cancel_session(session, by=coordinator)

    with at(STARTS), pytest.raises(CheckInError) as refused:
        check_in(supporter, check_in_token(session))

    assert refused.value.code == "session_cancelled"


def test_signing_in_first_comes_back_to_the_code(client, session):
    url = reverse("helpdesk_sessions:checkin", args=[check_in_token(session)])

    response = client.get(url)

    assert response["Location"] == f"{reverse('account_login')}?next={quote(url, safe='/')}"


def test_a_person_who_is_not_a_supporter_is_told_check_in_is_for_supporters(
    coordinator_client, session
):
    with at(STARTS):
        response = scan(coordinator_client, check_in_token(session))

    assert response.status_code == 403
    assert "Check-in is for supporters." in response.content.decode()


# The venue's poster ---------------------------------------------------------------------------


def test_the_venue_poster_checks_in_on_the_session_running_there(client, venue, session):
    later = factories.session(
        venue=venue, starts_at=STARTS + timedelta(days=3), ends_at=ENDS + timedelta(days=3)
    )
    elsewhere = factories.session(starts_at=STARTS, ends_at=ENDS)
    supporter = factories.supporter()
    shift = factories.shift(session=later, supporter=supporter)
    factories.shift(session=elsewhere, supporter=supporter)
    client.force_login(supporter.user)

    with at(STARTS + timedelta(days=3, minutes=-10)):
        response = scan(client, check_in_token(venue))

    assert "You are checked in. Thank you!" in response.content.decode()
    shift.refresh_from_db()
    assert shift.status == Shift.Status.ATTENDED


def test_the_venue_poster_prefers_the_supporters_own_session_when_two_run_at_once(venue, session):
    other = factories.session(venue=venue, starts_at=STARTS - timedelta(minutes=30), ends_at=ENDS)
    mine = factories.shift(session=session)
    factories.shift(session=other)

    with at(STARTS):
        result = check_in(mine.supporter, check_in_token(venue))

    assert result.shift == mine


def test_the_venue_poster_outside_any_session_names_the_next_one(supporter_client, venue, session):
    with at(STARTS - timedelta(days=1)):
        response = scan(supporter_client, check_in_token(venue))

    assert (
        "No session is running at 城南公民館 now. The next one starts at 12/08/2026 10 a.m.; "
        "check-in opens 30 minutes before." in response.content.decode()
    )


def test_the_poster_prints_on_a4_for_coordinators(client, coordinator_client, venue, session):
    url = reverse("helpdesk_sessions:checkin_poster", args=[venue.pk])

    with at(STARTS - timedelta(days=3)):
        response = coordinator_client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    assert response.context["checkin_url"] == "http://testserver" + reverse(
        "helpdesk_sessions:checkin", args=[check_in_token(venue)]
    )
    assert list(response.context["sessions"]) == [session]
    assert '<link rel="stylesheet" href="/static/css/qr.css">' in page
    with open(finders.find("css/qr.css"), encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    assert "@page {\n  size: A4;" in css
    assert "@media print" in css
    index = coordinator_client.get(reverse("helpdesk_sessions:checkin_posters"))
    assert url in index.content.decode()
    client.force_login(factories.supporter().user)
    assert client.get(url).status_code == 403


# The lead's phone -----------------------------------------------------------------------------


def test_the_sessions_code_shows_to_its_supporters_and_coordinators(
    client, coordinator_client, shift, session
):
    url = reverse("helpdesk_sessions:checkin_qr", args=[session.pk])
    client.force_login(shift.supporter.user)

    response = client.get(url)

    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert response.context["checkin_url"] == "http://testserver" + reverse(
        "helpdesk_sessions:checkin", args=[check_in_token(session)]
    )
    assert coordinator_client.get(url).status_code == 200
    client.force_login(factories.supporter().user)
    assert client.get(url).status_code == 403


def test_qr_codes_render_without_pillow(monkeypatch, supporter_client, shift):
    # None in sys.modules makes `import PIL` fail, as on a machine without Pillow.
    monkeypatch.setitem(sys.modules, "PIL", None)

    svg = qr_code_svg("https://example.org/checkin/s1:abc/", "Check-in")
    page = supporter_client.get(reverse("helpdesk_sessions:checkin_qr", args=[shift.session.pk]))

    assert svg.startswith("<svg")
    assert 'aria-label="Check-in"' in svg
    assert "<path" in svg
    assert page.content.decode().count("<svg") == 1


# The API ----------------------------------------------------------------------------------------


def test_the_api_checks_in_once_and_then_says_already(supporter_client, shift):
    token = check_in_token(shift.session)

    with at(STARTS):
        first = api_check_in(supporter_client, token)
    with at(STARTS + timedelta(minutes=5)):
        again = api_check_in(supporter_client, token)

    assert first.status_code == 200
    assert first.json() == {
        "session_id": shift.session_id,
        "shift_id": shift.pk,
        "status": "attended",
        "checked_in_at": "2026-12-08T10:00:00+09:00",
        "already_checked_in": False,
    }
    assert again.json()["already_checked_in"] is True
    assert again.json()["checked_in_at"] == "2026-12-08T10:00:00+09:00"


def test_the_api_refuses_with_codes(supporter_client, shift):
    token = check_in_token(shift.session)

    with at(OPENS - timedelta(minutes=1)):
        early = api_check_in(supporter_client, token)
    with at(STARTS):
        tampered = api_check_in(supporter_client, token + "x")

    assert early.status_code == 409
    assert early.json()["code"] == "outside_window"
    assert tampered.status_code == 404
    assert tampered.json() == {
        "code": "invalid_token",
        "message": "This check-in code is not valid. Scan the code at the session again.",
    }


def test_the_api_tells_a_supporter_without_a_shift_the_places_left_and_joins_on_request(
    client, session
):
    factories.shift(session=session)
    joiner = factories.supporter()
    client.force_login(joiner.user)
    token = check_in_token(session)

    with at(STARTS):
        no_shift = api_check_in(client, token)
        joined = api_check_in(client, token, join=True)
        full = api_check_in(client.__class__(), token)  # anonymous

    assert no_shift.status_code == 409
    assert no_shift.json()["code"] == "no_shift"
    assert no_shift.json()["session_id"] == session.pk
    assert no_shift.json()["places_left"] == 1
    assert joined.status_code == 200
    assert joined.json()["status"] == "attended"
    assert full.status_code == 401


def test_the_api_refuses_joining_a_full_session(client, session):
    factories.shift(session=session)
    factories.shift(session=session)
    client.force_login(factories.supporter().user)

    with at(STARTS):
        response = api_check_in(client, check_in_token(session), join=True)

    assert response.status_code == 409
    assert response.json()["code"] == "full"


def test_the_api_check_in_is_for_supporters(client, stranger, session):
    client.force_login(stranger)

    with at(STARTS):
        response = api_check_in(client, check_in_token(session))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
