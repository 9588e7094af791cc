"""The admin is one more caller of the services: what a coordinator or the city's administrator
changes there goes through them, so the texts, the waiting list and the statistics follow."""

from datetime import datetime, timedelta

import pytest
from django.contrib.admin import helpers
from django.utils import timezone

from config.fiscal import TOKYO, FiscalYear
from consultations.services import annual_figures
from notifications.models import OutboundMessage
from sessions.models import Session, Shift
from sessions.reminders import refresh_reminders
from sessions.services import (
    RegistrationError,
    cancel_registration,
    join_waitlist,
    schedule_request,
    sign_up,
)
from supporters.services import pause_supporter, withdraw_supporter
from tests import factories
from tests.test_admin import admin_url, assert_saved, form_data, messages_of, post_action

MONDAY_10AM = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
THURSDAY_10AM = datetime(2026, 6, 4, 10, 0, tzinfo=TOKYO)
Purpose, Status = OutboundMessage.Purpose, OutboundMessage.Status


pytestmark = pytest.mark.usefixtures("monday_morning")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


@pytest.fixture
def full_session(db):
    """Thursday's help desk: both places taken (with their reminders), one supporter waiting."""
    session = factories.session(starts_at=THURSDAY_10AM, supporters_needed=2)
    first, second, waiting = (factories.supporter() for _ in range(3))
    sign_up(first, session, by=first.user)
    sign_up(second, session, by=second.user)
    join_waitlist(waiting, session, by=waiting.user)
    return session


def shifts(session) -> tuple[Shift, Shift, Shift]:
    first, second = session.shifts.filter(status=Shift.Status.SIGNED_UP).order_by("pk")
    return first, second, session.shifts.get(status=Shift.Status.WAITLISTED)


def texts(obj, purpose) -> list[str]:
    return list(OutboundMessage.objects.about(obj).filter(purpose=purpose).values_list("status"))


def change_page_post(client, label, obj, **changes):
    """Send an admin change page back as a browser would, with `changes` typed in."""
    page = client.get(admin_url(label, "change", obj.pk))
    data = form_data(page)
    data.update({key.replace("__", "-"): value for key, value in changes.items()}, _save="1")
    return client.post(admin_url(label, "change", obj.pk), data)


def test_taking_a_shift_off_calls_off_its_reminders_texts_them_and_offers_the_place(
    staff_client, full_session
):
    first, _second, waiting = shifts(full_session)
    assert texts(first, Purpose.REMINDER) == [(Status.PENDING,)] * 2

    response = post_action(staff_client, "helpdesk_sessions.shift", "take_off_roster", [first])

    assert messages_of(response) == ["1 shift cancelled."]
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == Shift.Status.CANCELLED
    assert texts(first, Purpose.REMINDER) == [(Status.CANCELLED,)] * 2
    assert texts(first, Purpose.CANCELLATION) == [(Status.PENDING,)]
    assert waiting.status == Shift.Status.OFFERED
    assert texts(waiting, Purpose.WAITLIST_OFFER) == [(Status.PENDING,)]


def test_a_shift_is_taken_off_from_its_own_page(staff_client, full_session):
    first, _second, waiting = shifts(full_session)

    staff_client.post(
        admin_url("helpdesk_sessions.shift", "change", first.pk),
        {"CHANGE_FORM-action": "take_off_roster", helpers.ACTION_CHECKBOX_NAME: [first.pk]},
    )

    first.refresh_from_db()
    waiting.refresh_from_db()
    assert (first.status, waiting.status) == (Shift.Status.CANCELLED, Shift.Status.OFFERED)


def test_a_shift_that_already_began_stays_and_says_why(staff_client, full_session, time_machine):
    first, _second, _waiting = shifts(full_session)
    time_machine.move_to(THURSDAY_10AM + timedelta(minutes=5), tick=False)

    response = post_action(staff_client, "helpdesk_sessions.shift", "take_off_roster", [first])

    assert messages_of(response) == [
        "0 shifts cancelled.",
        "1 was left as it was: This session has already started.",
    ]
    first.refresh_from_db()
    assert first.status == Shift.Status.SIGNED_UP


def test_no_status_waiting_place_or_offer_is_typed_in_on_the_shift_or_the_session_page(
    staff_client, full_session
):
    first, _second, waiting = shifts(full_session)

    on_shift = staff_client.get(admin_url("helpdesk_sessions.shift", "change", first.pk))
    response = change_page_post(
        staff_client,
        "helpdesk_sessions.session",
        full_session,
        shifts__0__status="cancelled",
        shifts__2__waitlist_position="1",
        shifts__2__status="offered",
        shifts__2__offer_expires_at_0="2026-06-02",
        shifts__2__offer_expires_at_1="10:00",
    )

    assert_saved(response)
    form_fields = on_shift.context["adminform"].form.fields
    assert not {"status", "waitlist_position", "offer_expires_at"} & set(form_fields)
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == Shift.Status.SIGNED_UP
    assert (waiting.status, waiting.waitlist_position) == (Shift.Status.WAITLISTED, 1)
    assert texts(first, Purpose.REMINDER) == [(Status.PENDING,)] * 2


def test_attendance_is_marked_through_the_rules_of_the_roster(
    staff_client, full_session, time_machine
):
    first, second, waiting = shifts(full_session)
    time_machine.move_to(THURSDAY_10AM - timedelta(minutes=20), tick=False)

    attended = post_action(staff_client, "helpdesk_sessions.shift", "mark_attended", [first])
    no_show = post_action(staff_client, "helpdesk_sessions.shift", "mark_no_show", [second])
    in_line = post_action(staff_client, "helpdesk_sessions.shift", "mark_attended", [waiting])

    assert messages_of(attended) == messages_of(no_show) == ["1 shift marked."]
    assert messages_of(in_line) == [
        "0 shifts marked.",
        "1 was left as it was: This supporter is not on this session.",
    ]
    statuses = dict(Shift.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "attended", second.pk: "no_show", waiting.pk: "waitlisted"}


def test_attendance_cannot_be_marked_days_before(staff_client, full_session):
    first, _second, _waiting = shifts(full_session)

    response = post_action(staff_client, "helpdesk_sessions.shift", "mark_attended", [first])

    assert messages_of(response)[1] == (
        "1 was left as it was: Attendance can be marked from 30 minutes before the start."
    )


def test_a_session_is_not_made_held_on_its_page_nor_before_it_starts(staff_client, full_session):
    response = change_page_post(
        staff_client, "helpdesk_sessions.session", full_session, status="held"
    )
    refused = post_action(staff_client, "helpdesk_sessions.session", "mark_held", [full_session])

    assert_saved(response)
    assert messages_of(refused)[-1] == (
        "1 was left as it was: A session can be marked as held only once it has started."
    )
    full_session.refresh_from_db()
    assert full_session.status == Session.Status.SCHEDULED
    assert annual_figures(FiscalYear(2026)).helpdesk_sessions_held == 0


def test_a_running_session_marked_held_counts_in_the_annual_figures(staff_client):
    running = factories.session(starts_at=timezone.now() - timedelta(hours=1))
    before = annual_figures(FiscalYear(2026)).helpdesk_sessions_held

    response = post_action(staff_client, "helpdesk_sessions.session", "mark_held", [running])
    again = post_action(staff_client, "helpdesk_sessions.session", "mark_held", [running])

    assert messages_of(response) == ["1 session marked as held."]
    assert messages_of(again) == ["0 sessions marked as held."]
    assert (before, annual_figures(FiscalYear(2026)).helpdesk_sessions_held) == (0, 1)


def test_a_session_cancelled_by_action_keeps_the_reason_saved_on_its_page(staff_client):
    session = factories.session(starts_at=THURSDAY_10AM)
    change_page_post(
        staff_client, "helpdesk_sessions.session", session, cancellation_reason="台風のため"
    )

    post_action(staff_client, "helpdesk_sessions.session", "cancel", [session])

    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == ("cancelled", "台風のため")


# --- A supporter who withdraws or pauses gives up their coming shifts --------------------------


@pytest.fixture
def on_call(db):
    """A coordinator with a phone, told when supporters stop."""
    return factories.coordinator(phone=factories.phone_number())


def test_withdrawing_a_supporter_cancels_their_coming_shifts_with_one_text_each(
    staff_client, full_session, on_call
):
    first, _second, waiting = shifts(full_session)
    leaving = first.supporter
    later = sign_up(
        leaving, factories.session(starts_at=THURSDAY_10AM + timedelta(days=7)), by=None
    )
    past = factories.shift(
        supporter=leaving,
        session=factories.session(starts_at=MONDAY_10AM - timedelta(days=7)),
        status=Shift.Status.ATTENDED,
    )

    response = post_action(staff_client, "supporters.supporter", "withdraw", [leaving])

    assert messages_of(response) == ["1 supporter withdrawn."]
    leaving.refresh_from_db()
    assert (leaving.status, leaving.withdrawn_on) == ("withdrawn", MONDAY_10AM.date())
    statuses = dict(Shift.objects.filter(supporter=leaving).values_list("pk", "status"))
    assert statuses == {first.pk: "cancelled", later.pk: "cancelled", past.pk: "attended"}
    assert texts(first, Purpose.REMINDER) == [(Status.CANCELLED,)] * 2
    assert texts(first, Purpose.CANCELLATION) == texts(later, Purpose.CANCELLATION) == []
    (summary,) = OutboundMessage.objects.about(leaving).filter(to=leaving.phone)
    assert "2" in summary.body
    assert OutboundMessage.objects.about(leaving).filter(to=on_call.phone).count() == 1
    waiting.refresh_from_db()
    assert waiting.status == Shift.Status.OFFERED
    assert texts(waiting, Purpose.WAITLIST_OFFER) == [(Status.PENDING,)]


def test_a_paused_supporter_is_resumed_and_counted_again(staff_client, full_session):
    _first, _second, waiting = shifts(full_session)
    pausing = waiting.supporter

    paused = post_action(staff_client, "supporters.supporter", "pause", [pausing])
    pausing.refresh_from_db()
    waiting.refresh_from_db()
    was = (pausing.status, pausing.paused_on, waiting.status)
    resumed = post_action(staff_client, "supporters.supporter", "resume", [pausing])
    again = post_action(staff_client, "supporters.supporter", "resume", [pausing])

    assert messages_of(paused) == ["1 supporter paused."]
    assert was == ("paused", MONDAY_10AM.date(), Shift.Status.CANCELLED)
    assert messages_of(resumed) == ["1 supporter resumed."]
    assert messages_of(again)[-1] == "1 was left as it was: Only a paused supporter can be resumed."
    pausing.refresh_from_db()
    assert (pausing.status, pausing.paused_on) == ("active", None)
    assert annual_figures(FiscalYear(2026)).active_supporters == 3  # all of Thursday's


def test_a_withdrawn_supporter_is_neither_paused_nor_withdrawn_again(staff_client, supporter):
    post_action(staff_client, "supporters.supporter", "withdraw", [supporter])

    response = post_action(staff_client, "supporters.supporter", "pause", [supporter])

    assert messages_of(response)[-1] == (
        "1 was left as it was: This supporter has withdrawn: their registration cannot change."
    )
    supporter.refresh_from_db()
    assert supporter.status == "withdrawn"


def test_the_supporter_page_does_not_set_the_status(staff_client, full_session):
    first, _second, _waiting = shifts(full_session)

    response = change_page_post(
        staff_client,
        "supporters.supporter",
        first.supporter,
        status="withdrawn",
        withdrawn_on="2026-06-01",
        notes="退会の相談あり",
    )

    assert_saved(response)
    first.refresh_from_db()
    first.supporter.refresh_from_db()
    assert (first.supporter.status, first.supporter.notes) == ("active", "退会の相談あり")
    assert first.status == Shift.Status.SIGNED_UP


# --- Class registrations: seats and the waiting list ------------------------------------------


@pytest.fixture
def full_class(db):
    """Thursday's class: both seats taken, two residents waiting."""
    session = factories.session(kind=Session.Kind.CLASS, starts_at=THURSDAY_10AM, capacity=2)
    for position in (None, None, 1, 2):
        status = "waitlisted" if position else "registered"
        registration = factories.class_registration(
            session=session, status=status, waitlist_position=position
        )
        refresh_reminders(registration)
    return session


def registrations(session) -> list[tuple[str, int | None]]:
    rows = session.registrations.order_by("pk").values_list("status", "waitlist_position")
    return list(rows)


def test_cancelling_a_registration_offers_the_seat_to_the_first_in_line(staff_client, full_class):
    leaving, _staying, first_in_line, _second = full_class.registrations.order_by("pk")

    response = post_action(staff_client, "helpdesk_sessions.classregistration", "cancel", [leaving])

    assert messages_of(response) == ["1 registration cancelled."]
    # Issue 11: the seat is held for them until they take it (by the text's link or reply 1).
    assert registrations(full_class) == [
        ("cancelled", None),
        ("registered", None),
        ("offered", None),
        ("waitlisted", 2),
    ]
    assert texts(leaving, Purpose.REMINDER) == [(Status.CANCELLED,)]
    assert texts(first_in_line, Purpose.WAITLIST_OFFER) == [(Status.PENDING,)]
    assert texts(first_in_line, Purpose.REMINDER) == []


def test_the_first_in_line_is_texted_the_class_its_time_and_their_reference(full_class):
    leaving, _staying, first_in_line, _second = full_class.registrations.order_by("pk")
    full_class.title = "LINE"
    full_class.save(update_fields=["title"])
    first_in_line.language = "en"
    first_in_line.save(update_fields=["language"])

    cancel_registration(leaving, by=None)

    text = OutboundMessage.objects.about(first_in_line).get(purpose=Purpose.WAITLIST_OFFER)
    assert text.body.startswith("A seat opened: LINE 6/4 (Thu) 10:00. Reply 1 or open the link by")
    first_in_line.refresh_from_db()
    assert text.body.endswith(f"/classes/registrations/{first_in_line.status_token}/")


def test_a_registration_entered_for_a_full_class_joins_the_line(staff_client, full_class):
    response = staff_client.post(
        admin_url("helpdesk_sessions.classregistration", "add"),
        {
            "session": full_class.pk,
            "name": "榛名 次郎",
            "phone": "090-1234-5678",
            "language": "ja",
            "status": "registered",  # not a field: the class decides
        },
    )

    assert response.status_code == 302
    assert full_class.registrations.get(phone="+819012345678").waitlist_position == 3


def test_a_registrations_status_and_place_in_line_are_not_typed_in(staff_client, full_class):
    _leaving, staying, _first, second = full_class.registrations.order_by("pk")

    on_class = change_page_post(
        staff_client,
        "helpdesk_sessions.session",
        full_class,
        registrations__1__status="cancelled",
        registrations__3__waitlist_position="1",
    )
    on_own_page = change_page_post(
        staff_client,
        "helpdesk_sessions.classregistration",
        second,
        status="registered",
        waitlist_position="",
    )

    assert_saved(on_class)
    assert_saved(on_own_page)
    assert registrations(full_class)[1:] == [
        ("registered", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert texts(staying, Purpose.REMINDER) == [(Status.PENDING,)]


# --- Group-visit requests: triage ---------------------------------------------------------------


@pytest.fixture
def visit(db):
    return factories.session(
        kind=Session.Kind.DISPATCH, starts_at=THURSDAY_10AM, venue=None, address="前橋市田口町1"
    )


def test_a_request_is_accepted_and_cancelled_through_the_services(staff_client, on_call):
    request = factories.dispatch_request(representative_phone=factories.phone_number())
    label = "helpdesk_sessions.dispatchrequest"

    accepted = post_action(staff_client, label, "accept", [request])
    typed_in = change_page_post(staff_client, label, request, status="done")
    request.refresh_from_db()
    after_typing = request.status
    request = schedule_request(
        request,
        starts_at=THURSDAY_10AM,
        ends_at=THURSDAY_10AM + timedelta(hours=2),
        supporters_needed=2,
        by=None,
    )
    helper = factories.supporter()
    sign_up(helper, request.session, by=helper.user)
    cancelled = post_action(staff_client, label, "cancel", [request])

    assert messages_of(accepted) == ["1 request accepted."]
    assert_saved(typed_in)
    assert after_typing == "accepted"  # the status is the services' own
    assert messages_of(cancelled)[-1] == "1 request cancelled."
    request.refresh_from_db()
    assert (request.status, request.session.status) == ("cancelled", "cancelled")
    assert texts(request, Purpose.REMINDER) == [(Status.CANCELLED,)]
    assert texts(request, Purpose.CANCELLATION) == [(Status.PENDING,)]
    assert texts(helper.shifts.get(), Purpose.CANCELLATION) == [(Status.PENDING,)]


def test_a_request_is_declined_with_the_reason_saved_on_its_page(staff_client):
    request = factories.dispatch_request(representative_phone=factories.phone_number())
    label = "helpdesk_sessions.dispatchrequest"
    change_page_post(staff_client, label, request, decline_reason="対象地域外のため")

    declined = post_action(staff_client, label, "decline", [request])

    assert messages_of(declined)[-1] == "1 request declined."
    request.refresh_from_db()
    assert (request.status, request.decline_reason, request.session) == (
        "declined",
        "対象地域外のため",
        None,
    )


# --- The services' own edges --------------------------------------------------------------------


def test_withdrawing_keeps_a_shift_already_started(time_machine, coordinator):
    leaving = factories.supporter()
    started = factories.shift(supporter=leaving, session=factories.session(starts_at=MONDAY_10AM))
    coming = sign_up(leaving, factories.session(starts_at=THURSDAY_10AM), by=None)
    time_machine.move_to(MONDAY_10AM + timedelta(minutes=10), tick=False)

    withdraw_supporter(leaving, by=coordinator)

    statuses = dict(Shift.objects.values_list("pk", "status"))
    assert statuses == {started.pk: "signed_up", coming.pk: "cancelled"}


def test_a_supporter_stays_as_they_were_when_their_shifts_cannot_be_called_off(
    monkeypatch, coordinator
):
    leaving = factories.supporter()
    shift = sign_up(leaving, factories.session(starts_at=THURSDAY_10AM), by=None)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("sessions.services.membership.cancel_shift", broken)

    with pytest.raises(RuntimeError):
        pause_supporter(leaving, by=coordinator)

    leaving.refresh_from_db()
    shift.refresh_from_db()
    assert (leaving.status, leaving.paused_on, shift.status) == ("active", None, "signed_up")


def test_a_registration_is_not_cancelled_once_the_class_began(full_class, time_machine):
    registration = full_class.registrations.order_by("pk").first()
    time_machine.move_to(THURSDAY_10AM, tick=False)

    with pytest.raises(RegistrationError) as refusal:
        cancel_registration(registration, by=None)

    assert refusal.value.code == "started"


def test_a_coordinator_records_a_landline_answer_to_an_offered_seat(staff_client, full_class):
    leaving, _staying, first_in_line, second = full_class.registrations.order_by("pk")
    first_in_line.phone = "+81272241111"  # a landline: offered by a call, not a text
    first_in_line.save(update_fields=["phone"])
    cancel_registration(leaving, by=None)
    first_in_line.refresh_from_db()
    assert first_in_line.call_back_since is not None

    response = post_action(
        staff_client,
        "helpdesk_sessions.classregistration",
        "declined_seat_on_the_phone",
        [first_in_line],
    )

    assert messages_of(response) == ["1 offered seat passed on."]
    assert registrations(full_class)[2:] == [("cancelled", None), ("offered", None)]
    second.refresh_from_db()
    assert texts(second, Purpose.WAITLIST_OFFER) == [(Status.PENDING,)]
