"""A coordinator cancels or moves a session: its pending reminders are called off or replaced,
calendars get a new revision, and everyone taking part is told of a cancellation, whichever
way it is done (the services, the admin's action, the admin's form)."""

from datetime import datetime, timedelta

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from sessions.models import DispatchRequest, Session, Shift
from sessions.reminders import schedule_registration_reminder
from sessions.services import (
    SessionError,
    cancel_session,
    join_waitlist,
    move_session,
    offer_next_place,
    reinstate_session,
    sign_up,
)
from tests import factories
from tests.clock import FRIDAY_2PM, MONDAY_10AM, WEDNESDAY_10AM
from tests.test_admin import assert_saved, form_data

pytestmark = pytest.mark.usefixtures("monday_morning")

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose


@pytest.fixture
def session(db):
    return factories.session(
        starts_at=WEDNESDAY_10AM, venue=factories.venue(name="東公民館"), supporters_needed=1
    )


@pytest.fixture
def signed_up(session, coordinator):
    supporter = factories.supporter()
    return sign_up(supporter, session, by=coordinator)


def texts(purpose, status=Status.PENDING):
    return OutboundMessage.objects.filter(purpose=purpose, status=status)


def sequences(session) -> set[int]:
    return set(Shift.objects.filter(session=session).values_list("sequence", flat=True))


# --- Cancelling ------------------------------------------------------------------------------


def test_cancelling_calls_off_pending_reminders_and_tells_the_supporters(
    session, signed_up, coordinator
):
    assert texts(Purpose.REMINDER).count() == 2  # the evening before and the morning of

    cancel_session(session, by=coordinator, reason="空調工事のため")

    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == ("cancelled", "空調工事のため")
    assert not texts(Purpose.REMINDER).exists()
    assert texts(Purpose.REMINDER, Status.CANCELLED).count() == 2
    [told] = texts(Purpose.CANCELLATION)
    assert told.to == signed_up.supporter.phone
    assert told.related_object == signed_up
    assert "3/11 (水) 10:00 東公民館" in told.body
    assert sequences(session) == {1}
    signed_up.refresh_from_db()
    assert signed_up.status == Shift.Status.SIGNED_UP  # shown cancelled with its session


def test_everyone_taking_part_is_told_in_their_language_but_not_who_already_left(
    session, signed_up, coordinator
):
    english = factories.supporter(user_kwargs={"language": "en"})
    waiting = join_waitlist(english, session, by=coordinator)
    gone = factories.shift(session=session, status=Shift.Status.CANCELLED)

    cancel_session(session, by=coordinator)

    told = {sms.to: sms for sms in texts(Purpose.CANCELLATION)}
    assert set(told) == {signed_up.supporter.phone, waiting.supporter.phone}
    assert gone.supporter.phone not in told
    assert "3/11 (Wed) 10:00" in told[english.phone].body
    assert "cancelled" in told[english.phone].body


def test_class_registrants_and_a_groups_representative_are_told_too(coordinator):
    lesson = factories.session(kind=Session.Kind.CLASS, starts_at=WEDNESDAY_10AM)
    registration = factories.class_registration(session=lesson)
    schedule_registration_reminder(registration)
    visit = factories.session(kind=Session.Kind.DISPATCH, starts_at=WEDNESDAY_10AM)
    request = factories.dispatch_request(session=visit, status=DispatchRequest.Status.SCHEDULED)

    cancel_session(lesson, by=coordinator)
    cancel_session(visit, by=coordinator)

    told = set(texts(Purpose.CANCELLATION).values_list("to", flat=True))
    assert told == {registration.phone, request.representative_phone}
    assert not texts(Purpose.REMINDER).exists()


def test_a_pending_offer_of_a_place_is_called_off_with_the_session(session, coordinator):
    first = sign_up(factories.supporter(), session, by=coordinator)
    waiting = join_waitlist(factories.supporter(), session, by=coordinator)
    Shift.objects.filter(pk=first.pk).update(status=Shift.Status.CANCELLED)
    [offered] = offer_next_place(session)
    assert offered.pk == waiting.pk
    assert texts(Purpose.WAITLIST_OFFER).count() == 1

    cancel_session(session, by=coordinator)

    assert not texts(Purpose.WAITLIST_OFFER).exists()
    assert waiting.supporter.phone in texts(Purpose.CANCELLATION).values_list("to", flat=True)


def test_texts_already_sent_are_left_as_they_were(session, signed_up, coordinator):
    sent = OutboundMessage.objects.filter(purpose=Purpose.REMINDER).first()
    OutboundMessage.objects.filter(pk=sent.pk).update(status=Status.DELIVERED)

    cancel_session(session, by=coordinator)

    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


@pytest.mark.parametrize("status", [Session.Status.HELD, Session.Status.CANCELLED])
def test_only_a_scheduled_session_can_be_cancelled(session, signed_up, coordinator, status):
    Session.objects.filter(pk=session.pk).update(status=status)

    with pytest.raises(SessionError) as refusal:
        cancel_session(session, by=coordinator)

    assert refusal.value.code == "not_scheduled"
    assert not texts(Purpose.CANCELLATION).exists()
    assert sequences(session) == {0}


# --- Moving ----------------------------------------------------------------------------------


def test_moving_replaces_pending_reminders_with_ones_for_the_new_time(
    session, signed_up, coordinator
):
    old = set(texts(Purpose.REMINDER))

    move_session(session, FRIDAY_2PM, FRIDAY_2PM + timedelta(hours=2), by=coordinator)

    session.refresh_from_db()
    assert session.starts_at == FRIDAY_2PM
    assert all(
        OutboundMessage.objects.get(pk=message.pk).status == Status.CANCELLED for message in old
    )
    new = texts(Purpose.REMINDER).order_by("send_after")
    assert [message.send_after for message in new] == [
        datetime(2026, 3, 12, 18, 0, tzinfo=TOKYO),
        datetime(2026, 3, 13, 8, 0, tzinfo=TOKYO),
    ]
    assert all("14:00" in message.body for message in new)
    assert sequences(session) == {1}
    assert not texts(Purpose.CANCELLATION).exists()


def test_moving_a_session_to_the_time_it_has_changes_nothing(session, signed_up, coordinator):
    move_session(session, session.starts_at, session.ends_at, by=coordinator)

    assert sequences(session) == {0}
    assert texts(Purpose.REMINDER).count() == 2


def test_a_session_cannot_end_before_it_starts_or_be_moved_once_cancelled(session, coordinator):
    with pytest.raises(SessionError) as refusal:
        move_session(session, FRIDAY_2PM, FRIDAY_2PM - timedelta(hours=1), by=coordinator)
    assert refusal.value.code == "invalid"

    cancel_session(session, by=coordinator)
    with pytest.raises(SessionError) as refusal:
        move_session(session, FRIDAY_2PM, FRIDAY_2PM + timedelta(hours=1), by=coordinator)
    assert refusal.value.code == "cancelled"


# --- The admin goes through the same services -------------------------------------------------


def test_the_admins_cancel_action_calls_off_reminders_and_tells_supporters(
    admin_client, session, signed_up
):
    held = factories.session(starts_at=MONDAY_10AM - timedelta(days=1), status=Session.Status.HELD)

    admin_client.post(
        reverse("admin:helpdesk_sessions_session_changelist"),
        {"action": "cancel", helpers.ACTION_CHECKBOX_NAME: [session.pk, held.pk]},
    )

    session.refresh_from_db()
    held.refresh_from_db()
    assert (session.status, held.status) == ("cancelled", "held")
    assert not texts(Purpose.REMINDER).exists()
    assert texts(Purpose.CANCELLATION).get().to == signed_up.supporter.phone
    assert sequences(session) == {1}


def change(admin_client, session, **changes):
    url = reverse("admin:helpdesk_sessions_session_change", args=[session.pk])
    data = {**form_data(admin_client.get(url)), **changes, "_save": "1"}
    return admin_client.post(url, data, headers={"accept-language": "en"})


def test_new_times_on_the_admins_form_replace_the_reminders(admin_client, session, signed_up):
    assert_saved(
        change(
            admin_client,
            session,
            starts_at_0="2026-03-13",
            starts_at_1="14:00:00",
            ends_at_0="2026-03-13",
            ends_at_1="16:00:00",
            title="場所も時間も変更",
        )
    )

    session.refresh_from_db()
    assert (session.starts_at, session.title) == (FRIDAY_2PM, "場所も時間も変更")
    assert texts(Purpose.REMINDER).count() == 2
    assert all("14:00" in message.body for message in texts(Purpose.REMINDER))
    assert texts(Purpose.REMINDER, Status.CANCELLED).count() == 2
    assert sequences(session) == {1}


def test_the_admins_form_leaves_cancelling_to_the_action_which_keeps_the_reason(
    admin_client, session, signed_up
):
    reminders = set(texts(Purpose.REMINDER))

    assert_saved(
        change(admin_client, session, status="cancelled", cancellation_reason="台風のため")
    )
    session.refresh_from_db()
    typed_in = (session.status, set(texts(Purpose.REMINDER)), texts(Purpose.CANCELLATION).count())
    admin_client.post(
        reverse("admin:helpdesk_sessions_session_changelist"),
        {"action": "cancel", helpers.ACTION_CHECKBOX_NAME: [session.pk]},
    )

    assert typed_in == ("scheduled", reminders, 0)
    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == ("cancelled", "台風のため")
    assert not texts(Purpose.REMINDER).exists()
    assert texts(Purpose.CANCELLATION).count() == 1
    assert sequences(session) == {2}  # the reason saved, then the cancellation


def test_a_cancelled_session_reinstated_by_the_admins_action_gets_its_reminders_back(
    admin_client, session, signed_up, coordinator
):
    cancel_session(session, by=coordinator)

    admin_client.post(
        reverse("admin:helpdesk_sessions_session_changelist"),
        {"action": "reinstate", helpers.ACTION_CHECKBOX_NAME: [session.pk]},
    )

    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
    assert texts(Purpose.REMINDER).count() == 2
    assert sequences(session) == {2}


def test_a_session_that_has_started_is_not_reinstated(session, coordinator, time_machine):
    cancel_session(session, by=coordinator)
    time_machine.move_to(session.starts_at, tick=False)

    with pytest.raises(SessionError) as refusal:
        reinstate_session(session, by=coordinator)

    assert refusal.value.code == "started"


def test_other_changes_on_the_admins_form_leave_the_reminders_alone(
    admin_client, session, signed_up
):
    reminders = set(texts(Purpose.REMINDER))

    assert_saved(change(admin_client, session, supporters_needed="3"))

    assert set(texts(Purpose.REMINDER)) == reminders
    assert not texts(Purpose.CANCELLATION).exists()


def test_a_cancellation_decided_at_night_is_texted_at_eight(
    session, signed_up, coordinator, time_machine
):
    time_machine.move_to(datetime(2026, 3, 9, 22, 30, tzinfo=TOKYO), tick=False)

    cancel_session(session, by=coordinator)

    assert texts(Purpose.CANCELLATION).get().send_after == datetime(2026, 3, 10, 8, 0, tzinfo=TOKYO)


# --- Query counts: one bulk path for everyone's texts ------------------------------------------


def session_with(count, coordinator, *, kind=Session.Kind.HELPDESK):
    """A session with `count` supporters signed up (their reminders queued) and `count` in line."""
    session = factories.session(starts_at=WEDNESDAY_10AM, supporters_needed=count, kind=kind)
    for _ in range(count):
        sign_up(factories.supporter(), session, by=coordinator)
    for _ in range(count):
        join_waitlist(factories.supporter(), session)
    return session


def class_with(count):
    """A class with `count` registrants, their reminders queued."""
    session = factories.session(kind=Session.Kind.CLASS, starts_at=WEDNESDAY_10AM)
    for _ in range(count):
        schedule_registration_reminder(factories.class_registration(session=session))
    return session


def test_cancelling_runs_as_many_queries_for_10_people_as_for_2(
    coordinator, django_assert_max_num_queries
):
    few_session, many_session = session_with(2, coordinator), session_with(10, coordinator)
    few_class, many_class = class_with(2), class_with(10)
    with CaptureQueriesContext(connection) as few:
        cancel_session(few_session, by=coordinator)
        cancel_session(few_class, by=coordinator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        cancel_session(many_session, by=coordinator)
        cancel_session(many_class, by=coordinator)
    # Everyone on the rosters, in line or registered is told: 4 + 2, then 20 + 10.
    assert texts(Purpose.CANCELLATION).count() == 6 + 30
    assert not texts(Purpose.REMINDER).exists()


def test_moving_runs_as_many_queries_for_10_supporters_as_for_2(
    coordinator, django_assert_max_num_queries
):
    few_session, many_session = session_with(2, coordinator), session_with(10, coordinator)
    with CaptureQueriesContext(connection) as few:
        move_session(few_session, FRIDAY_2PM, FRIDAY_2PM + timedelta(hours=2), by=coordinator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        move_session(many_session, FRIDAY_2PM, FRIDAY_2PM + timedelta(hours=2), by=coordinator)
    assert texts(Purpose.REMINDER).filter(send_after__date=FRIDAY_2PM.date()).count() == 12


def test_offering_freed_places_runs_as_many_queries_for_10_as_for_2(
    coordinator, django_assert_max_num_queries
):
    few_session, many_session = session_with(2, coordinator), session_with(10, coordinator)
    # More places needed: as many as are waiting, each offered at once.
    Session.objects.filter(pk=few_session.pk).update(supporters_needed=4)
    Session.objects.filter(pk=many_session.pk).update(supporters_needed=20)
    with CaptureQueriesContext(connection) as few:
        assert len(offer_next_place(few_session)) == 2
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(offer_next_place(many_session)) == 10
    assert texts(Purpose.WAITLIST_OFFER).count() == 12
