"""A coordinator plans the help desks' year (issue 11): a venue's rule, its dates generated after
a preview, a rule changed with the sessions to come following it, one date called off; on the
pages, the API and the admin alike. The generator's own rules: test_schedule_generates_...py."""

import re
from datetime import date, time

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import Session, Shift
from sessions.services import (
    ScheduleError,
    cancel_shift,
    change_schedule,
    create_schedule,
    generate_sessions,
    sign_up,
)
from tests import factories
from tests.clock import JUNE_MONDAY_10AM
from tests.test_admin import form_data
from tests.test_shift_api import bearer
from venues.models import HelpdeskSchedule

pytestmark = pytest.mark.usefixtures("monday_morning")


@pytest.fixture
def monday_10am():
    return JUNE_MONDAY_10AM  # Monday 1 June 2026, fiscal year 2026


@pytest.fixture
def schedule(db):
    """The 2nd and 4th Tuesday 10:00–12:00 at 東公民館, generated to the end of August."""
    venue = factories.venue(name="東公民館", name_kana="あずまこうみんかん")
    made = factories.schedule(venue=venue, valid_from=date(2026, 4, 1))
    generate_sessions(made, date(2026, 4, 1), date(2026, 8, 31))
    return made


def days(sessions):
    return [timezone.localdate(session.starts_at) for session in sessions]


def session_on(schedule, day):
    return Session.objects.on_day(day).get(schedule=schedule)


# Rule changes ---------------------------------------------------------------------------------


def test_a_new_time_moves_the_dates_to_come_with_nobody_on_them(schedule, coordinator):
    past = session_on(schedule, date(2026, 5, 26))
    taken = session_on(schedule, date(2026, 6, 23))
    supporter = factories.supporter()
    sign_up(supporter, taken, by=coordinator)

    change = change_schedule(
        schedule, by=coordinator, start_time=time(13, 30), end_time=time(15, 30)
    )

    # 11 August, the 2nd Tuesday, is 山の日: it never had a session.
    assert days(change.updated) == [
        date(2026, 6, 9),
        date(2026, 7, 14),
        date(2026, 7, 28),
        date(2026, 8, 25),
    ]
    moved = session_on(schedule, date(2026, 6, 9))
    assert timezone.localtime(moved.starts_at).time() == time(13, 30)
    assert timezone.localtime(moved.ends_at).time() == time(15, 30)
    assert change.left_alone == [taken]
    taken.refresh_from_db()
    assert timezone.localtime(taken.starts_at).time() == time(10)  # untouched: a sign-up
    past.refresh_from_db()
    assert timezone.localtime(past.starts_at).time() == time(10)  # the past is history
    assert change.removed == change.added == []
    assert set(change.changed) == {"start_time", "end_time"}


def test_a_new_weekday_removes_the_free_dates_and_adds_the_new_ones(schedule, coordinator):
    taken = session_on(schedule, date(2026, 7, 14))
    sign_up(factories.supporter(), taken, by=coordinator)
    history = session_on(schedule, date(2026, 7, 28))  # someone signed up, then cancelled
    cancel_shift(sign_up(factories.supporter(), history, by=coordinator), by=coordinator)

    change = change_schedule(schedule, by=coordinator, weekday=HelpdeskSchedule.Weekday.THURSDAY)

    assert days(change.removed) == [
        date(2026, 6, 9),
        date(2026, 6, 23),
        date(2026, 7, 28),
        date(2026, 8, 25),
    ]
    assert [s.was_deleted for s in change.removed] == [True, True, False, True]
    history.refresh_from_db()
    assert history.status == Session.Status.CANCELLED  # its shift's history is kept
    assert change.left_alone == [taken]
    # 2nd and 4th Thursdays up to the last date generated (25 August).
    assert days(change.added) == [
        date(2026, 6, 11),
        date(2026, 6, 25),
        date(2026, 7, 9),
        date(2026, 7, 23),
        date(2026, 8, 13),
    ]
    future = Session.objects.filter(schedule=schedule, starts_at__gte=timezone.now())
    assert taken in future
    assert session_on(schedule, date(2026, 5, 26)).status == Session.Status.SCHEDULED


def test_ending_a_schedule_early_removes_its_free_dates_after_the_end(schedule, coordinator):
    change = change_schedule(schedule, by=coordinator, valid_until=date(2026, 7, 31))

    assert days(change.removed) == [date(2026, 8, 25)]
    assert change.updated == change.added == []


def test_fewer_supporters_needed_follows_into_the_free_dates_only(schedule, coordinator):
    taken = session_on(schedule, date(2026, 6, 9))
    sign_up(factories.supporter(), taken, by=coordinator)

    change = change_schedule(schedule, by=coordinator, supporters_needed=3)

    assert len(change.updated) == 4
    assert {s.supporters_needed for s in change.updated} == {3}
    taken.refresh_from_db()
    assert taken.supporters_needed == 2
    assert change.left_alone == [taken]


def test_a_change_that_changes_nothing_touches_nothing(schedule, coordinator):
    change = change_schedule(schedule, by=coordinator, weekday=schedule.weekday)

    assert change.changed == {}
    assert change.updated == change.removed == change.added == change.left_alone == []


def test_a_rule_change_is_refused_whole_when_a_value_is_wrong(schedule, coordinator):
    with pytest.raises(ScheduleError) as refused:
        change_schedule(schedule, by=coordinator, start_time=time(13), end_time=time(12))

    assert refused.value.code == "invalid"
    schedule.refresh_from_db()
    assert schedule.start_time == time(10)


def test_a_schedule_at_a_venue_that_is_not_a_help_desk_is_refused(db, coordinator):
    hall = factories.venue(is_helpdesk=False)

    with pytest.raises(ScheduleError) as refused:
        create_schedule(
            hall,
            by=coordinator,
            weekday=1,
            weeks_of_month="2,4",
            start_time=time(10),
            end_time=time(12),
            valid_from=date(2026, 4, 1),
        )

    assert refused.value.code == "not_helpdesk"
    assert not HelpdeskSchedule.objects.exists()


# Pages ----------------------------------------------------------------------------------------


def test_the_schedules_page_lists_every_venue_with_its_rule_in_plain_words(
    coordinator_client, schedule, django_assert_max_num_queries
):
    factories.venue(name="城南公民館", is_helpdesk=False)
    for _ in range(5):
        factories.schedule()

    with django_assert_max_num_queries(9):
        page = coordinator_client.get(reverse("helpdesk_sessions:schedules"))

    text = page.content.decode()
    assert "東公民館" in text
    assert "第2・第4火曜日 10:00–12:00" in text
    assert "城南公民館" in text
    assert reverse("helpdesk_sessions:schedule_generate", args=[schedule.pk]) in text
    header = coordinator_client.get(reverse("home")).content.decode()
    assert reverse("helpdesk_sessions:schedules") in header


def test_the_schedules_pages_are_for_coordinators_only(client, supporter, schedule):
    client.force_login(supporter.user)
    urls = [
        reverse("helpdesk_sessions:schedules"),
        reverse("helpdesk_sessions:schedule_new"),
        reverse("helpdesk_sessions:schedule", args=[schedule.pk]),
        reverse("helpdesk_sessions:schedule_generate", args=[schedule.pk]),
        reverse("helpdesk_sessions:call_off", args=[session_on(schedule, date(2026, 6, 9)).pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403


def test_a_coordinator_adds_a_schedule_then_previews_and_writes_its_year(
    coordinator_client, in_english
):
    venue = factories.venue(name="総社公民館")
    factories.closure(starts_on=date(2026, 10, 19), venue=venue, reason="Floor waxing")

    added = coordinator_client.post(
        reverse("helpdesk_sessions:schedule_new"),
        {
            "venue": venue.pk,
            "weekday": HelpdeskSchedule.Weekday.MONDAY,
            "weeks_of_month": "3",
            "start_time": "13:30",
            "end_time": "15:30",
            "supporters_needed": 2,
            "valid_from": "2026-06-01",
        },
    )
    made = HelpdeskSchedule.objects.get(venue=venue)
    generate_url = reverse("helpdesk_sessions:schedule_generate", args=[made.pk])
    assert added["Location"] == generate_url
    form = coordinator_client.get(generate_url)
    assert "FY2026" in form.content.decode()
    assert form.context["form"]["fiscal_year"].value() == "2026"

    preview = coordinator_client.get(generate_url, {"fiscal_year": "2026"}).content.decode()

    # 3rd Mondays from today to March: ten, of which 20 July (海の日), 21 September (敬老の日)
    # and the hall's closed day are skipped.
    assert "7 dates to add" in preview
    assert "Venue closed (Floor waxing)" in preview
    assert "Respect for the Aged Day" in preview
    assert "Marine Day" in preview
    assert not Session.objects.filter(schedule=made).exists()
    confirm = {"first": "2026-06-01", "last": "2027-03-31"}
    confirm["day"] = _to_add(preview)
    written = coordinator_client.post(generate_url, confirm, follow=True)
    assert "7 dates added." in written.content.decode()
    again = coordinator_client.post(generate_url, confirm, follow=True)  # a double submit
    assert "Nothing to add" in again.content.decode()
    assert Session.objects.filter(schedule=made).count() == 7


def _to_add(page: str) -> list[str]:
    return re.findall(r'name="day" value="([0-9-]+)"', page)


def test_the_preview_refuses_a_range_backwards_next_to_its_field(coordinator_client, schedule):
    url = reverse("helpdesk_sessions:schedule_generate", args=[schedule.pk])

    page = coordinator_client.get(
        url, {"fiscal_year": "dates", "date_from": "2026-09-01", "date_to": "2026-08-01"}
    )

    assert page.status_code == 200
    assert page.context["form"].errors["date_to"]
    assert page.context["plan"] is None


def test_editing_a_rule_shows_what_it_changed_with_links_to_the_rosters(
    coordinator_client, coordinator, schedule, in_english
):
    taken = session_on(schedule, date(2026, 6, 23))
    sign_up(factories.supporter(), taken, by=coordinator)
    url = reverse("helpdesk_sessions:schedule", args=[schedule.pk])

    page = coordinator_client.post(
        url,
        {
            "weekday": schedule.weekday,
            "weeks_of_month": "2,4",
            "start_time": "13:00",
            "end_time": "15:00",
            "supporters_needed": 2,
            "valid_from": "2026-04-01",
            "valid_until": "",
        },
    )

    text = page.content.decode()
    assert "4 dates to come have the new times." in text
    assert "Left as they were: supporters are signed up" in text
    assert reverse("helpdesk_sessions:roster", args=[taken.pk]) in text
    schedule.refresh_from_db()
    assert schedule.start_time == time(13)


def test_a_rule_at_a_venue_no_longer_a_help_desk_is_refused_on_the_page(
    coordinator_client, schedule, in_english
):
    schedule.venue.is_helpdesk = False
    schedule.venue.save()

    page = coordinator_client.get(
        reverse("helpdesk_sessions:schedule_generate", args=[schedule.pk]), {"fiscal_year": "2026"}
    )

    assert "not an active help-desk venue" in page.content.decode()
    assert page.context["plan"] is None


def test_calling_one_date_off_tells_its_supporters_and_shows_it_cancelled(
    coordinator_client, coordinator, schedule, client
):
    day = session_on(schedule, date(2026, 6, 9))
    supporter = factories.supporter()
    sign_up(supporter, day, by=coordinator)
    url = reverse("helpdesk_sessions:call_off", args=[day.pk])
    asked = coordinator_client.get(url)
    assert "1 supporter" in asked.content.decode() or "1人" in asked.content.decode()

    done = coordinator_client.post(url, {"reason": "大雪のため"})

    assert done["Location"] == reverse("helpdesk_sessions:schedule", args=[schedule.pk])
    day.refresh_from_db()
    assert (day.status, day.cancellation_reason) == ("cancelled", "大雪のため")
    [told] = OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.CANCELLATION)
    assert told.to == supporter.phone
    assert "東公民館" in told.body


def test_calling_off_needs_a_reason_and_a_second_time_changes_nothing(coordinator_client, schedule):
    day = session_on(schedule, date(2026, 6, 9))
    url = reverse("helpdesk_sessions:call_off", args=[day.pk])

    assert coordinator_client.post(url, {"reason": ""}).status_code == 200
    day.refresh_from_db()
    assert day.status == Session.Status.SCHEDULED
    coordinator_client.post(url, {"reason": "台風"})
    coordinator_client.post(url, {"reason": "別の理由"})
    day.refresh_from_db()
    assert day.cancellation_reason == "台風"


def test_a_coordinator_cannot_add_a_schedule_at_a_hall_that_is_no_help_desk_in_the_admin(
    coordinator_client, in_english
):
    hall = factories.venue(is_helpdesk=False)

    page = coordinator_client.post(
        reverse("admin:venues_helpdeskschedule_add"),
        {
            "venue": hall.pk,
            "weekday": 1,
            "weeks_of_month": "2,4",
            "start_time": "10:00",
            "end_time": "12:00",
            "supporters_needed": 2,
            "valid_from": "2026-04-01",
        },
    )

    assert page.status_code == 200
    assert "not an active help-desk venue" in page.content.decode()
    assert not HelpdeskSchedule.objects.exists()


# API ------------------------------------------------------------------------------------------


def test_the_api_generates_a_year_with_a_dry_run_first(client, coordinator, db):
    schedule = factories.schedule(
        weekday=HelpdeskSchedule.Weekday.MONDAY, weeks_of_month="1,2,3,4,5"
    )
    url = f"/api/schedules/{schedule.pk}/generate"
    body = {"from": "2026-09-01", "to": "2026-09-30", "dry_run": True}

    dry = client.post(url, body, content_type="application/json", **bearer(coordinator, "ja"))

    assert dry.status_code == 200
    assert dry.json() == {
        "dry_run": True,
        "from": "2026-09-01",
        "to": "2026-09-30",
        "created": ["2026-09-07", "2026-09-14", "2026-09-28"],
        "existing": [],
        "skipped": [{"date": "2026-09-21", "reason": "holiday", "detail": "敬老の日"}],
    }
    assert not Session.objects.exists()
    body["dry_run"] = False
    made = client.post(url, body, content_type="application/json", **bearer(coordinator))
    assert made.json()["created"] == ["2026-09-07", "2026-09-14", "2026-09-28"]
    again = client.post(url, body, content_type="application/json", **bearer(coordinator))
    assert again.json()["created"] == []
    assert again.json()["existing"] == ["2026-09-07", "2026-09-14", "2026-09-28"]


def test_the_api_skips_the_new_year_and_defaults_to_the_rest_of_the_fiscal_year(
    client, coordinator, db
):
    schedule = factories.schedule(weeks_of_month="5")  # 5th Tuesdays: 30 June, 29 December …
    url = f"/api/schedules/{schedule.pk}/generate"

    answer = client.post(
        url, {"dry_run": True}, content_type="application/json", **bearer(coordinator)
    ).json()

    assert (answer["from"], answer["to"]) == ("2026-06-01", "2027-03-31")
    assert {"date": "2026-12-29", "reason": "new_year", "detail": ""} in answer["skipped"]
    assert "2026-06-30" in answer["created"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"from": "2026-09-30", "to": "2026-09-01"}, 422, "invalid"),
        ({"from": "2026-04-01", "to": "2028-03-31"}, 422, "invalid"),
        ({"from": "30/09/2026"}, 422, "invalid"),
    ],
)
def test_the_api_refuses_bad_ranges_with_a_code(client, coordinator, db, body, status, code):
    schedule = factories.schedule()

    answer = client.post(
        f"/api/schedules/{schedule.pk}/generate",
        body,
        content_type="application/json",
        **bearer(coordinator),
    )

    assert (answer.status_code, answer.json()["code"]) == (status, code)


def test_the_api_lists_creates_shows_and_changes_schedules(client, coordinator, schedule):
    headers = bearer(coordinator, "ja")
    listed = client.get("/api/schedules", **headers).json()
    assert listed["count"] == 1
    assert listed["items"][0]["in_words"] == "第2・第4火曜日 10:00–12:00"

    made = client.post(
        "/api/schedules",
        {
            "venue": schedule.venue.pk,
            "weekday": 3,
            "weeks_of_month": [1, 3],
            "start_time": "13:30",
            "end_time": "15:30",
            "valid_from": "2026-06-01",
        },
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201
    assert made.json()["weeks_of_month"] == [1, 3]
    assert client.get(f"/api/schedules/{made.json()['id']}", **headers).status_code == 200

    taken = session_on(schedule, date(2026, 6, 23))
    sign_up(factories.supporter(), taken, by=coordinator)
    changed = client.patch(
        f"/api/schedules/{schedule.pk}",
        {"start_time": "13:00", "end_time": "15:00"},
        content_type="application/json",
        **headers,
    )
    assert changed.status_code == 200
    answer = changed.json()
    assert answer["changed"] == ["end_time", "start_time"]
    assert [s["date"] for s in answer["left_alone"]] == ["2026-06-23"]
    assert len(answer["updated"]) == 4
    assert answer["updated"][0]["starts_at"] == "2026-06-09T13:00:00+09:00"


def test_the_api_refuses_a_schedule_at_a_venue_that_is_not_a_help_desk(client, coordinator, db):
    hall = factories.venue(is_helpdesk=False)

    answer = client.post(
        "/api/schedules",
        {
            "venue": hall.pk,
            "weekday": 1,
            "weeks_of_month": [2, 4],
            "start_time": "10:00",
            "end_time": "12:00",
            "valid_from": "2026-06-01",
        },
        content_type="application/json",
        **bearer(coordinator),
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "not_helpdesk"


def test_the_api_refuses_a_bad_rule_with_details(client, coordinator, schedule):
    answer = client.patch(
        f"/api/schedules/{schedule.pk}",
        {"weeks_of_month": [6]},
        content_type="application/json",
        **bearer(coordinator),
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid"
    backwards = client.patch(
        f"/api/schedules/{schedule.pk}",
        {"start_time": "13:00", "end_time": "12:00"},
        content_type="application/json",
        **bearer(coordinator),
    )
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid")


def test_the_schedules_api_is_for_coordinators_only(client, supporter, schedule):
    assert client.get("/api/schedules").status_code == 401
    assert client.get("/api/schedules", **bearer(supporter.user)).status_code == 403
    body = {"dry_run": True}
    refused = client.post(
        f"/api/schedules/{schedule.pk}/generate",
        body,
        content_type="application/json",
        **bearer(supporter.user),
    )
    assert refused.json()["code"] == "forbidden"


def test_the_api_calls_one_date_off_and_tells_the_supporters(client, coordinator, schedule):
    day = session_on(schedule, date(2026, 6, 9))
    shift = sign_up(factories.supporter(), day, by=coordinator)
    url = f"/api/sessions/{day.pk}/call-off"

    answer = client.post(
        url, {"reason": "台風のため"}, content_type="application/json", **bearer(coordinator)
    )

    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"
    assert OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.CANCELLATION, to=shift.supporter.phone
    ).exists()
    again = client.post(
        url, {"reason": "台風のため"}, content_type="application/json", **bearer(coordinator)
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_scheduled")
    empty = client.post(url, {"reason": ""}, content_type="application/json", **bearer(coordinator))
    assert empty.status_code == 422
    supporter = client.post(
        url, {"reason": "x"}, content_type="application/json", **bearer(shift.supporter.user)
    )
    assert supporter.status_code == 403
    assert Shift.objects.get(pk=shift.pk).status == Shift.Status.SIGNED_UP


def test_generating_through_the_api_costs_a_fixed_number_of_queries(
    client, coordinator, db, django_assert_max_num_queries
):
    schedule = factories.schedule(weeks_of_month="1,2,3,4,5")
    url = f"/api/schedules/{schedule.pk}/generate"
    headers = bearer(coordinator)
    client.get("/api/schedules", **headers)  # the token's first use

    with django_assert_max_num_queries(14):
        answer = client.post(url, {}, content_type="application/json", **headers)

    assert len(answer.json()["created"]) > 30


def test_a_rule_changed_in_the_admin_follows_into_the_free_dates_too(
    coordinator_client, coordinator, schedule
):
    taken = session_on(schedule, date(2026, 6, 23))
    sign_up(factories.supporter(), taken, by=coordinator)
    url = reverse("admin:venues_helpdeskschedule_change", args=[schedule.pk])
    data = form_data(coordinator_client.get(url))
    data.update(start_time="13:30", end_time="15:30")

    saved = coordinator_client.post(url, data, headers={"accept-language": "en"}, follow=True)

    assert "Left as they were, supporters are signed up" in saved.content.decode()
    moved = session_on(schedule, date(2026, 7, 14))
    assert timezone.localtime(moved.starts_at).time() == time(13, 30)
    taken.refresh_from_db()
    assert timezone.localtime(taken.starts_at).time() == time(10)


def test_a_help_desk_with_a_schedule_in_force_cannot_be_unmarked_in_the_admin(
    coordinator_client, schedule
):
    url = reverse("admin:venues_venue_change", args=[schedule.venue.pk])
    data = form_data(coordinator_client.get(url))
    data.pop("is_helpdesk")

    page = coordinator_client.post(url, data, headers={"accept-language": "en"})

    assert page.status_code == 200
    assert "still has help-desk schedules in force" in page.content.decode()
    schedule.venue.refresh_from_db()
    assert schedule.venue.is_helpdesk


def test_the_api_refuses_a_time_with_an_offset(client, coordinator, schedule):
    answer = client.patch(
        f"/api/schedules/{schedule.pk}",
        {"start_time": "09:00+09:00"},
        content_type="application/json",
        **bearer(coordinator),
    )

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid")
    assert answer.json()["details"][0]["field"] == "start_time"
