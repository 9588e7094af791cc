from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from config.fiscal import TOKYO
from sessions.models import Session
from sessions.services import (
    ScheduleError,
    generate_helpdesk_sessions,
    generate_sessions,
    plan_generation,
)
from tests import factories
from venues.models import Closure, HelpdeskSchedule


def local_dates(sessions):
    return [timezone.localdate(session.starts_at) for session in sessions]


def test_generating_creates_one_session_per_date_with_the_schedules_details(db):
    district = factories.district(code="soja", name="総社")
    venue = factories.venue(name="総社公民館", district=district)
    schedule = factories.schedule(venue=venue, weekday=HelpdeskSchedule.Weekday.TUESDAY)

    sessions = generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))

    assert local_dates(sessions) == [date(2026, 10, 13), date(2026, 10, 27)]
    for session in sessions:
        assert session.kind == Session.Kind.HELPDESK
        assert session.status == Session.Status.SCHEDULED
        assert session.venue == venue
        assert session.district == district
        assert session.schedule == schedule
        assert session.supporters_needed == 2
        assert timezone.localtime(session.starts_at).time() == time(10)
        assert timezone.localtime(session.ends_at).time() == time(12)


def test_generating_twice_creates_nothing_new(db):
    schedule = factories.schedule(weeks_of_month="1,3,5", supporters_needed=3)
    first = generate_helpdesk_sessions(schedule, date(2026, 4, 1), date(2027, 3, 31))

    again = generate_helpdesk_sessions(schedule, date(2026, 4, 1), date(2027, 3, 31))

    assert [s.pk for s in again] == [s.pk for s in first]
    assert Session.objects.filter(schedule=schedule).count() == len(first) > 20
    assert {s.supporters_needed for s in first} == {3}


def test_generating_skips_national_holidays(db):
    # 2026-09-22 (国民の休日) is the 4th Tuesday of September.
    schedule = factories.schedule(weekday=HelpdeskSchedule.Weekday.TUESDAY, weeks_of_month="2,4")

    sessions = generate_helpdesk_sessions(schedule, date(2026, 9, 1), date(2026, 9, 30))

    assert local_dates(sessions) == [date(2026, 9, 8)]


def test_generating_skips_the_new_year_closure(db):
    # 29 December 2026 is the 5th Tuesday: venues are closed from 29 December to 3 January.
    schedule = factories.schedule(weekday=HelpdeskSchedule.Weekday.TUESDAY, weeks_of_month="2,4,5")

    sessions = generate_helpdesk_sessions(schedule, date(2026, 12, 1), date(2027, 1, 31))

    assert local_dates(sessions) == [
        date(2026, 12, 8),
        date(2026, 12, 22),
        date(2027, 1, 12),
        date(2027, 1, 26),
    ]


def test_a_new_start_time_does_not_add_a_second_sitting_on_a_day(db):
    schedule = factories.schedule()
    generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))
    schedule.start_time, schedule.end_time = time(13, 30), time(15, 30)
    schedule.save()

    sessions = generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 11, 30))

    assert local_dates(sessions) == [
        date(2026, 10, 13),
        date(2026, 10, 27),
        date(2026, 11, 10),
        date(2026, 11, 24),
    ]
    times = [timezone.localtime(session.starts_at).time() for session in sessions]
    assert times == [time(10), time(10), time(13, 30), time(13, 30)]


def test_a_cancelled_date_is_not_created_again(db):
    schedule = factories.schedule()
    cancelled = generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))[0]
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)

    sessions = generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))

    assert len(sessions) == 2
    assert sessions[0].pk == cancelled.pk
    assert sessions[0].status == Session.Status.CANCELLED


def test_generating_a_year_takes_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    schedule = factories.schedule(weeks_of_month="1,2,3,4,5")

    with django_assert_max_num_queries(6):
        sessions = generate_helpdesk_sessions(schedule, date(2026, 4, 1), date(2027, 3, 31))

    assert len(sessions) > 40


def test_generating_skips_city_wide_and_the_venues_own_closures_but_not_other_venues(db):
    tuesdays = "1,2,3,4"  # in October 2026: the 6th, 13th, 20th and 27th
    schedule = factories.schedule(weekday=HelpdeskSchedule.Weekday.TUESDAY, weeks_of_month=tuesdays)
    factories.closure(starts_on=date(2026, 10, 6))  # every venue: an election
    factories.closure(
        starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 14), venue=schedule.venue
    )
    factories.closure(starts_on=date(2026, 10, 20), venue=factories.venue())

    sessions = generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))

    assert local_dates(sessions) == [date(2026, 10, 20), date(2026, 10, 27)]


def test_a_closure_ending_before_it_starts_is_refused(db):
    closure = Closure(starts_on=date(2026, 10, 6), ends_on=date(2026, 10, 5), reason="誤り")
    with pytest.raises(ValidationError):
        closure.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        closure.save()


def test_a_coordinator_adds_a_closure_in_the_admin(coordinator_client):
    venue = factories.venue()

    response = coordinator_client.post(
        reverse("admin:venues_closure_add"),
        {"venue": venue.pk, "starts_on": "2026-10-06", "ends_on": "2026-10-06", "reason": "点検"},
    )

    assert response.status_code == 302
    assert Closure.objects.get().venue == venue


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 12),  # 成人の日
        date(2026, 5, 4),  # みどりの日
        date(2026, 5, 5),  # こどもの日
        date(2026, 5, 6),  # 振替休日
        date(2026, 9, 21),  # 敬老の日
        date(2026, 9, 22),  # 国民の休日
        date(2026, 9, 23),  # 秋分の日
    ],
)
def test_every_week_on_a_holidays_weekday_skips_the_holiday_alone(db, holiday):
    """The holidays issue 11 names, from the `holidays` library: the weekly sitting goes ahead
    the week before and the week after, not on the day."""
    from datetime import timedelta

    schedule = factories.schedule(weekday=holiday.weekday(), weeks_of_month="1,2,3,4,5")
    week = timedelta(days=7)

    sessions = generate_helpdesk_sessions(schedule, holiday - week, holiday + week)

    # The Wednesday before 6 May is 29 April, 昭和の日: closed as well.
    expected = [day for day in (holiday - week, holiday + week) if day != date(2026, 4, 29)]
    assert local_dates(sessions) == expected


# The plan a coordinator previews before anything is written (issue 11) -----------------------


def skipped(plan):
    return [(s.day, s.reason, s.detail) for s in plan.skipped]


def test_the_plan_names_the_holiday_and_the_new_year_it_skips(db):
    mondays = factories.schedule(
        weekday=HelpdeskSchedule.Weekday.MONDAY, weeks_of_month="1,2,3,4,5"
    )

    plan = plan_generation(mondays, date(2025, 12, 22), date(2026, 1, 31))

    assert plan.to_add == [
        date(2025, 12, 22),
        date(2026, 1, 5),
        date(2026, 1, 19),
        date(2026, 1, 26),
    ]
    assert skipped(plan) == [
        (date(2025, 12, 29), "new_year", ""),
        (date(2026, 1, 12), "holiday", "成人の日"),
    ]
    assert plan.existing == []
    assert not Session.objects.exists()  # a preview writes nothing


@pytest.mark.parametrize(
    ("weekday", "holiday", "name"),
    [
        (HelpdeskSchedule.Weekday.MONDAY, date(2026, 5, 4), "みどりの日"),
        (HelpdeskSchedule.Weekday.TUESDAY, date(2026, 5, 5), "こどもの日"),
        (HelpdeskSchedule.Weekday.WEDNESDAY, date(2026, 5, 6), "振替休日"),
        (HelpdeskSchedule.Weekday.MONDAY, date(2026, 9, 21), "敬老の日"),
        (HelpdeskSchedule.Weekday.TUESDAY, date(2026, 9, 22), "国民の休日"),
        (HelpdeskSchedule.Weekday.WEDNESDAY, date(2026, 9, 23), "秋分の日"),
    ],
)
def test_the_plan_skips_golden_week_and_the_silver_week_by_name(db, weekday, holiday, name):
    schedule = factories.schedule(weekday=weekday, weeks_of_month="1,2,3,4,5")

    plan = plan_generation(schedule, holiday.replace(day=1), holiday.replace(day=28))

    assert (holiday, "holiday", name) in skipped(plan)
    assert holiday not in plan.to_add


def test_the_plan_gives_a_closures_reason_and_generating_writes_exactly_the_plan(db):
    schedule = factories.schedule()  # 2nd and 4th Tuesday: 13 and 27 October 2026
    factories.closure(starts_on=date(2026, 10, 13), reason="館内点検", venue=schedule.venue)

    plan = plan_generation(schedule, date(2026, 10, 1), date(2026, 10, 31))
    written = generate_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))

    assert skipped(plan) == [(date(2026, 10, 13), "closure", "館内点検")]
    assert plan.to_add == [date(2026, 10, 27)]
    assert local_dates(written.created) == plan.to_add


def test_generating_the_plan_again_adds_nothing_and_finds_every_date_there(db):
    schedule = factories.schedule(weeks_of_month="1,2,3,4,5")
    first = generate_sessions(schedule, date(2026, 4, 1), date(2027, 3, 31))

    again = generate_sessions(schedule, date(2026, 4, 1), date(2027, 3, 31))

    assert again.created == []
    assert [s.pk for s in again.existing] == [s.pk for s in first.created]
    assert again.to_add == []


def test_generating_adds_only_the_dates_confirmed_on_the_preview(db):
    schedule = factories.schedule()

    written = generate_sessions(
        schedule, date(2026, 10, 1), date(2026, 10, 31), only=[date(2026, 10, 27)]
    )

    assert local_dates(written.created) == [date(2026, 10, 27)]


def test_without_dates_the_plan_covers_the_rest_of_the_fiscal_year_from_today(db, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=TOKYO), tick=False)
    schedule = factories.schedule()

    plan = plan_generation(schedule)

    assert (plan.first, plan.last) == (date(2026, 12, 2), date(2027, 3, 31))
    assert plan.to_add[0] == date(2026, 12, 8)


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 10, 31), date(2026, 10, 1)), (date(2026, 4, 1), date(2027, 4, 5))],
)
def test_a_backwards_range_or_one_longer_than_a_year_is_refused(db, first, last):
    schedule = factories.schedule()

    with pytest.raises(ScheduleError) as refused:
        plan_generation(schedule, first, last)

    assert refused.value.code == "invalid"


@pytest.mark.parametrize("venue", [{"is_helpdesk": False}, {"is_active": False}])
def test_a_venue_residents_do_not_see_as_a_help_desk_gets_no_sessions(db, venue):
    schedule = factories.schedule(venue=factories.venue(**venue))

    with pytest.raises(ScheduleError) as refused:
        generate_helpdesk_sessions(schedule, date(2026, 10, 1), date(2026, 10, 31))

    assert refused.value.code == "not_helpdesk"
    assert not Session.objects.exists()
    with pytest.raises(ValidationError) as invalid:
        schedule.full_clean()
    assert "venue" in invalid.value.message_dict


def test_a_schedule_that_has_ended_may_stay_on_a_venue_no_longer_a_help_desk(db):
    schedule = factories.schedule(
        venue=factories.venue(is_helpdesk=False),
        valid_from=date(2019, 4, 1),
        valid_until=date(2020, 3, 31),
    )

    schedule.full_clean()


def test_the_rule_reads_in_plain_words(db):
    with translation.override("ja"):
        assert factories.schedule().in_words == "第2・第4火曜日 10:00–12:00"
        weekly = factories.schedule(
            weekday=HelpdeskSchedule.Weekday.THURSDAY,
            weeks_of_month="1,2,3,4,5",
            start_time=time(13, 30),
            end_time=time(15, 30),
        )
        assert weekly.in_words == "毎週木曜日 13:30–15:30"
        assert (
            factories.schedule(weeks_of_month="1,3,5").in_words == "第1・第3・第5火曜日 10:00–12:00"
        )
    with translation.override("en"):
        assert factories.schedule().in_words == "2nd and 4th Tuesday of the month, 10:00–12:00"
