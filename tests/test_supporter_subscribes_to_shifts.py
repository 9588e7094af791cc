"""A supporter subscribes to their shifts in their phone's calendar (issue 5, "Calendar").

The feed is read back with vobject, a second iCalendar implementation, not with the `icalendar`
library that wrote it: what calendar apps will parse, not what we meant to write.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
import vobject
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from config.fiscal import TOKYO
from sessions.models import Session, Shift
from sessions.services import cancel_session, cancel_shift, sign_up
from supporters.services import calendar_feed_token, regenerate_calendar_token
from tests import factories
from tests.test_admin import assert_saved, form_data

# A Tuesday; the feed is read a week before, unless a test travels on.
STARTS = datetime(2026, 12, 8, 10, 0, tzinfo=TOKYO)
NOW = STARTS - timedelta(days=7)


@pytest.fixture(autouse=True)
def _a_week_before():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supporter(supporter):
    """The persona, reading in English so the tests can read the events' texts."""
    supporter.user.language = "en"
    supporter.user.save(update_fields=["language"])
    return supporter


@pytest.fixture
def venue(db):
    return factories.venue(
        name="城南公民館",
        address="前橋市鶴光路町15-1",
        access_notes="Bus stop “Jōnan Kōminkan”, 2 minutes on foot.",
        latitude="36.367500",
        longitude="139.094200",
    )


@pytest.fixture
def session(venue):
    return factories.session(venue=venue, starts_at=STARTS, ends_at=STARTS + timedelta(hours=2))


def feed_path(supporter) -> str:
    return reverse("supporters:calendar_feed", args=[calendar_feed_token(supporter)])


def read_feed(path: str):
    """The feed as a calendar app fetches it: no cookies, then parsed by vobject."""
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return vobject.readOne(response.content.decode())


def events(calendar) -> dict:
    return {event.uid.value: event for event in calendar.contents.get("vevent", [])}


def test_the_calendar_page_offers_a_webcal_link_its_qr_code_and_the_web_address(
    supporter_client, supporter
):
    response = supporter_client.get(reverse("supporters:calendar"))

    supporter.refresh_from_db()
    token = supporter.calendar_token
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    page = response.content.decode()
    assert f'href="webcal://testserver/calendar/{token}.ics"' in page
    assert f'value="http://testserver/calendar/{token}.ics"' in page
    assert "<svg" in page
    assert f'action="{reverse("supporters:regenerate_calendar")}"' in page
    # The link is made once and stays: calendar apps keep the URL they subscribed to.
    supporter_client.get(reverse("supporters:calendar"))
    supporter.refresh_from_db()
    assert supporter.calendar_token == token


def test_the_feed_has_one_event_per_active_shift_in_tokyo_time(supporter, session, venue):
    lead = factories.shift(session=session, supporter=supporter, role=Shift.Role.LEAD)
    offered = factories.shift(
        session=factories.session(venue=venue, starts_at=STARTS + timedelta(days=14)),
        supporter=supporter,
        status=Shift.Status.OFFERED,
        offer_expires_at=NOW + timedelta(hours=12),
    )
    attended = factories.shift(
        session=factories.session(venue=venue, starts_at=STARTS - timedelta(days=30)),
        supporter=supporter,
        status=Shift.Status.ATTENDED,
    )
    no_show = factories.shift(
        session=factories.session(venue=venue, starts_at=STARTS - timedelta(days=60)),
        supporter=supporter,
        status=Shift.Status.NO_SHOW,
    )
    # Not in the feed: a place in line (not the supporter's yet), someone else's shift.
    factories.shift(
        session=factories.session(venue=venue, starts_at=STARTS + timedelta(days=21)),
        supporter=supporter,
        status=Shift.Status.WAITLISTED,
        waitlist_position=1,
    )
    factories.shift(session=session)

    response = Client().get(feed_path(supporter))
    calendar = vobject.readOne(response.content.decode())

    listed = events(calendar)
    assert set(listed) == {
        f"shift-{shift.pk}@testserver" for shift in (lead, offered, attended, no_show)
    }
    assert calendar.vtimezone.tzid.value == "Asia/Tokyo"
    event = listed[f"shift-{lead.pk}@testserver"]
    assert "DTSTART;TZID=Asia/Tokyo:20261208T100000" in response.content.decode()
    assert event.dtstart.value == STARTS
    assert event.dtstart.value.utcoffset() == timedelta(hours=9)
    assert event.dtend.value == STARTS + timedelta(hours=2)
    assert event.sequence.value == "0"
    assert event.status.value == "CONFIRMED"
    assert event.summary.value == "Help desk at 城南公民館"
    assert event.location.value == "城南公民館, 前橋市鶴光路町15-1"
    description = event.description.value
    assert "Your role: Lead" in description
    assert "Bus stop “Jōnan Kōminkan”, 2 minutes on foot." in description
    assert "http://testserver" + reverse("helpdesk_sessions:my_shifts") in description
    assert event.geo.value == "36.3675;139.0942"
    # An offered place is the supporter's only once taken.
    assert listed[f"shift-{offered.pk}@testserver"].status.value == "TENTATIVE"


def test_a_group_visit_is_located_at_its_place_and_address(supporter):
    visit = factories.session(
        kind=Session.Kind.DISPATCH,
        venue=None,
        place_name="上小出町公会堂",
        address="前橋市上小出町1-2-3",
        starts_at=STARTS,
    )
    shift = factories.shift(session=visit, supporter=supporter)

    event = events(read_feed(feed_path(supporter)))[f"shift-{shift.pk}@testserver"]

    assert event.summary.value == "Group visit at 上小出町公会堂"
    assert event.location.value == "上小出町公会堂, 前橋市上小出町1-2-3"


def test_a_shift_cancelled_by_the_supporter_shows_cancelled_for_30_days_then_leaves(
    supporter, session
):
    shift = factories.shift(session=session, supporter=supporter)
    path = feed_path(supporter)
    uid = f"shift-{shift.pk}@testserver"
    assert events(read_feed(path))[uid].sequence.value == "0"

    cancel_shift(shift, by=supporter.user)

    event = events(read_feed(path))[uid]
    assert event.sequence.value == "1"
    assert event.status.value == "CANCELLED"
    assert event.summary.value == "Cancelled: Help desk at 城南公民館"
    with time_machine.travel(NOW + timedelta(days=29, hours=23), tick=False):
        assert events(read_feed(path))[uid].status.value == "CANCELLED"
    with time_machine.travel(NOW + timedelta(days=30, minutes=1), tick=False):
        assert uid not in events(read_feed(path))


def test_a_supporter_who_signs_up_again_sees_the_new_shift_only(supporter, session):
    first = factories.shift(session=session, supporter=supporter)
    cancel_shift(first, by=supporter.user)

    again = sign_up(supporter, session, by=supporter.user)

    assert set(events(read_feed(feed_path(supporter)))) == {f"shift-{again.pk}@testserver"}


def test_a_session_moved_by_a_coordinator_bumps_the_sequence_with_the_new_time(
    admin_client, supporter, session
):
    shift = factories.shift(session=session, supporter=supporter)
    change_url = reverse("admin:helpdesk_sessions_session_change", args=[session.pk])
    data = form_data(admin_client.get(change_url))
    data.update({"starts_at_1": "13:00:00", "ends_at_1": "15:00:00", "_save": "1"})

    assert_saved(admin_client.post(change_url, data))

    event = events(read_feed(feed_path(supporter)))[f"shift-{shift.pk}@testserver"]
    assert event.sequence.value == "1"
    assert event.dtstart.value == STARTS.replace(hour=13)
    assert event.dtend.value == STARTS.replace(hour=15)


def test_saving_a_session_unchanged_leaves_the_sequence_alone(admin_client, supporter, session):
    shift = factories.shift(session=session, supporter=supporter)
    change_url = reverse("admin:helpdesk_sessions_session_change", args=[session.pk])
    data = {**form_data(admin_client.get(change_url)), "_save": "1"}

    assert_saved(admin_client.post(change_url, data))

    shift.refresh_from_db()
    assert shift.sequence == 0


def test_a_session_cancelled_by_a_coordinator_shows_cancelled_for_30_days_then_leaves(
    admin_client, supporter, session
):
    shift = factories.shift(session=session, supporter=supporter)
    path = feed_path(supporter)
    uid = f"shift-{shift.pk}@testserver"

    admin_client.post(
        reverse("admin:helpdesk_sessions_session_changelist"),
        {"action": "cancel", helpers.ACTION_CHECKBOX_NAME: [session.pk]},
    )

    event = events(read_feed(path))[uid]
    assert event.sequence.value == "1"
    assert event.status.value == "CANCELLED"
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        assert uid in events(read_feed(path))
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        assert uid not in events(read_feed(path))


def test_a_cancelled_sessions_event_gives_the_reason(supporter, session, coordinator):
    shift = factories.shift(session=session, supporter=supporter)

    cancel_session(session, by=coordinator, reason="Hall closed for repairs")

    event = events(read_feed(feed_path(supporter)))[f"shift-{shift.pk}@testserver"]
    assert event.summary.value == "Cancelled: Help desk at 城南公民館"
    assert "Reason: Hall closed for repairs" in event.description.value


def test_a_new_link_revokes_the_old_one(supporter_client, supporter):
    old_path = feed_path(supporter)

    response = supporter_client.post(reverse("supporters:regenerate_calendar"))

    assert response.status_code == 302
    assert response["Location"] == reverse("supporters:calendar")
    supporter.refresh_from_db()
    assert Client().get(old_path).status_code == 404
    assert feed_path(supporter) != old_path
    assert Client().get(feed_path(supporter)).status_code == 200


def test_a_wrong_or_closed_account_link_is_not_found(supporter):
    path = feed_path(supporter)
    assert Client().get("/calendar/not-a-real-token.ics").status_code == 404

    supporter.user.is_active = False
    supporter.user.save(update_fields=["is_active"])

    assert Client().get(path).status_code == 404


def test_the_calendar_page_is_for_supporters_only(client, stranger, coordinator):
    for person in (stranger, coordinator):
        client.force_login(person)
        assert client.get(reverse("supporters:calendar")).status_code == 403
        assert client.post(reverse("supporters:regenerate_calendar")).status_code == 403


@pytest.mark.parametrize("count", [3, 60])
def test_the_feed_runs_two_queries_whatever_the_number_of_shifts(
    supporter, venue, count, django_assert_max_num_queries
):
    for n in range(count):
        factories.shift(
            session=factories.session(venue=venue, starts_at=STARTS + timedelta(days=n)),
            supporter=supporter,
        )
    path = feed_path(supporter)

    with django_assert_max_num_queries(2):
        calendar = read_feed(path)

    assert len(events(calendar)) == count


def test_a_session_downloads_as_the_supporters_own_shift_event(
    supporter_client, supporter, session
):
    shift = factories.shift(session=session, supporter=supporter)
    cancel_shift(factories.shift(session=session), by=None)  # someone else's: SEQUENCE 1

    response = supporter_client.get(reverse("helpdesk_sessions:event", args=[session.pk]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.ics"'
    calendar = vobject.readOne(response.content.decode())
    assert calendar.vtimezone.tzid.value == "Asia/Tokyo"
    (event,) = calendar.vevent_list
    # The same event as in the feed: importing the file updates it rather than adding another.
    assert event.uid.value == f"shift-{shift.pk}@testserver"
    assert event.sequence.value == "0"
    assert event.dtstart.value == STARTS


def test_any_supporter_downloads_a_session_they_are_not_on(client, session):
    factories.shift(session=session)
    moved = factories.shift(session=session)
    Shift.objects.filter(pk=moved.pk).update(sequence=3)
    client.force_login(factories.supporter().user)

    response = client.get(reverse("helpdesk_sessions:event", args=[session.pk]))

    (event,) = vobject.readOne(response.content.decode()).vevent_list
    assert event.uid.value == f"session-{session.pk}@testserver"
    assert event.sequence.value == "3"  # the session's revision: its most-bumped shift's
    assert event.status.value == "CONFIRMED"
    assert "DTSTART;TZID=Asia/Tokyo:20261208T100000" in response.content.decode()


def test_a_session_download_needs_a_signed_in_supporter(client, stranger, session):
    url = reverse("helpdesk_sessions:event", args=[session.pk])

    assert client.get(url)["Location"] == f"{reverse('account_login')}?next={url}"
    client.force_login(stranger)
    assert client.get(url).status_code == 403


def test_the_api_gives_the_feed_address_and_a_new_one_on_request(supporter_client, supporter):
    response = supporter_client.get("/api/me/calendar")

    assert response.status_code == 200
    token = calendar_feed_token(supporter)
    assert response.json() == {
        "webcal_url": f"webcal://testserver/calendar/{token}.ics",
        "https_url": f"http://testserver/calendar/{token}.ics",
    }

    renewed = supporter_client.post("/api/me/calendar/regenerate")

    assert renewed.status_code == 200
    assert renewed.json()["https_url"] != response.json()["https_url"]
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
    assert Client().get(renewed.json()["https_url"]).status_code == 200


def test_the_api_calendar_is_for_supporters_only(client, stranger):
    assert client.get("/api/me/calendar").status_code == 401
    client.force_login(stranger)

    response = client.get("/api/me/calendar")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_regenerating_twice_gives_two_different_secrets(supporter):
    first = regenerate_calendar_token(supporter)
    assert regenerate_calendar_token(supporter) != first


def test_the_feed_shows_past_shifts_for_a_year(supporter, venue):
    old = factories.shift(
        session=factories.session(venue=venue, starts_at=NOW - timedelta(days=400)),
        supporter=supporter,
        status=Shift.Status.ATTENDED,
    )
    recent = factories.shift(
        session=factories.session(venue=venue, starts_at=NOW - timedelta(days=300)),
        supporter=supporter,
        status=Shift.Status.ATTENDED,
    )

    listed = events(read_feed(feed_path(supporter)))

    assert f"shift-{recent.pk}@testserver" in listed
    assert f"shift-{old.pk}@testserver" not in listed


def test_the_feed_is_in_the_supporters_language(supporter, session):
    supporter.user.language = "ja"
    supporter.user.save(update_fields=["language"])
    factories.shift(session=session, supporter=supporter, role=Shift.Role.LEAD)

    (event,) = read_feed(feed_path(supporter)).vevent_list

    assert "リーダー" in event.description.value
    assert "Lead" not in event.description.value
