"""Missed shifts, handled kindly (issue 13): the morning after, the lead (or the coordinators)
is asked about shifts nobody checked in nor marked; a supporter marked as not coming gets a
kind text, once, and their hours are simply not counted."""

import json
from datetime import timedelta

import pytest

from config.fiscal import FiscalYear
from notifications.models import OutboundMessage
from notifications.planners import queue_planned_reminders
from notifications.services import absolute_url
from sessions.certificates import certificate_of_hours
from sessions.models import Shift
from sessions.services import mark_attendance
from sessions.services.missed import missed_shift_questions
from supporters.services import create_api_token
from tests import factories

pytestmark = pytest.mark.usefixtures("monday_morning")

LANDLINE = "+81272241111"


@pytest.fixture
def held(db, monday_10am):
    """A help desk that ran on the clock's Monday, 10:00 to 12:00."""
    return factories.session(starts_at=monday_10am)


def next_morning(clock, monday_10am):
    clock.move_to(monday_10am + timedelta(hours=23), tick=False)  # Tuesday 09:00


def texts_to(phone):
    return list(OutboundMessage.objects.filter(to=phone).values_list("body", flat=True))


def test_the_lead_who_came_is_asked_about_an_unmarked_shift(held, monday_morning, monday_10am):
    lead = factories.shift(session=held, role=Shift.Role.LEAD, status=Shift.Status.ATTENDED)
    missing = factories.shift(session=held)
    coordinator = factories.coordinator(phone="+819011110001")
    next_morning(monday_morning, monday_10am)

    queue_planned_reminders()

    [body] = texts_to(lead.supporter.user.phone)
    assert missing.supporter.short_name in body
    assert body.endswith("\n" + absolute_url(f"/sessions/{held.pk}/roster/"))
    assert texts_to(coordinator.phone) == []


def test_without_a_lead_the_coordinators_are_asked(held, monday_morning, monday_10am):
    # The lead is the one missing: nobody there to ask but the coordinators.
    lead = factories.shift(session=held, role=Shift.Role.LEAD)
    coordinator = factories.coordinator(phone="+819011110001")
    next_morning(monday_morning, monday_10am)

    queue_planned_reminders()

    [body] = texts_to(coordinator.phone)
    assert lead.supporter.short_name in body
    assert f"/sessions/{held.pk}/roster/" in body
    assert texts_to(lead.supporter.user.phone) == []


def test_marked_shifts_are_not_asked_about_and_twice_queues_nothing_new(
    held, monday_morning, monday_10am
):
    factories.shift(session=held, status=Shift.Status.ATTENDED, checked_in_at=monday_10am)
    factories.shift(session=held, status=Shift.Status.NO_SHOW)
    factories.coordinator(phone="+819011110001")
    next_morning(monday_morning, monday_10am)

    assert missed_shift_questions(monday_10am.date() + timedelta(days=1)) == []
    factories.shift(session=held)
    queue_planned_reminders()
    asked = OutboundMessage.objects.count()
    queue_planned_reminders()

    assert asked == 1
    assert OutboundMessage.objects.count() == asked


def test_the_planner_reads_in_constant_queries(
    held, monday_morning, monday_10am, django_assert_max_num_queries
):
    factories.coordinator(phone="+819011110001")
    for _ in range(2):
        other = factories.session(starts_at=monday_10am + timedelta(hours=3))
        factories.shift(session=other)
        factories.shift(session=held)
    next_morning(monday_morning, monday_10am)

    with django_assert_max_num_queries(2):
        texts = missed_shift_questions(monday_10am.date() + timedelta(days=1))

    assert len(texts) == 3


def test_a_no_show_gets_one_kind_text_and_no_hours(client, held, monday_morning, monday_10am):
    shift = factories.shift(
        session=held, supporter=factories.supporter(user_kwargs={"language": "en"})
    )
    coordinator = factories.coordinator()
    _token, key = create_api_token(coordinator, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = f"/api/sessions/{held.pk}/attendance"
    monday_morning.move_to(monday_10am + timedelta(hours=3), tick=False)
    before = certificate_of_hours(shift.supporter, FiscalYear.current()).total_hours

    for status in ("no_show", "attended", "no_show"):
        data = json.dumps({"supporter": shift.supporter.pk, "status": status})
        response = client.post(url, data, content_type="application/json", **headers)
        assert response.status_code == 200

    [body] = texts_to(shift.supporter.user.phone)
    assert body.startswith("We missed you at ")
    assert "Is everything all right?" in body
    assert before == 2.0
    assert certificate_of_hours(shift.supporter, FiscalYear.current()).total_hours == 0.0


def test_a_landline_gets_no_text(held, monday_morning, monday_10am):
    coordinator = factories.coordinator()
    shift = factories.shift(
        session=held, supporter=factories.supporter(user_kwargs={"phone": LANDLINE})
    )
    monday_morning.move_to(monday_10am + timedelta(hours=3), tick=False)

    mark_attendance(shift, Shift.Status.NO_SHOW, by=coordinator)

    assert texts_to(LANDLINE) == []
