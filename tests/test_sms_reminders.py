"""What is sent and when: reminders at fixed Tokyo times, in the recipient's language, one message
each; rescheduled or called off with their session; shift cancellation through one service."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.fiscal import TOKYO
from notifications import texts
from notifications.models import OptOut, OutboundMessage
from notifications.segments import count_segments
from notifications.services import cancel_pending
from sessions import texts as session_texts
from sessions.models import DispatchRequest, Session, Shift
from sessions.reminders import (
    reschedule_for_session,
    schedule_dispatch_reminder,
    schedule_registration_reminder,
    schedule_shift_reminders,
)
from sessions.services import ShiftError, cancel_shift, confirm_shift
from sessions.texts import REMINDER_TEMPLATES, render_sms
from supporters import texts as supporter_texts
from supporters.broadcasts import preview_broadcast, queue_broadcast
from tests import factories
from tests.clock import WEDNESDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose


@pytest.fixture
def shift(db):
    venue = factories.venue(name="東公民館")
    return factories.shift(session=factories.session(venue=venue, starts_at=WEDNESDAY_10AM))


def pending_reminders():
    return OutboundMessage.objects.filter(purpose=Purpose.REMINDER, status=Status.PENDING)


def test_a_supporter_is_reminded_the_evening_before_and_the_morning_of(shift):
    evening, morning = schedule_shift_reminders(shift)
    assert evening.send_after == datetime(2026, 3, 10, 18, 0, tzinfo=TOKYO)
    assert morning.send_after == datetime(2026, 3, 11, 8, 0, tzinfo=TOKYO)
    assert evening.idempotency_key == f"reminder:shift:{shift.pk}:day-before@2026-03-11T10:00"
    assert morning.idempotency_key == f"reminder:shift:{shift.pk}:morning-of@2026-03-11T10:00"
    assert evening.to == shift.supporter.phone
    assert evening.related_object == shift
    assert "10:00" in evening.body
    assert "東公民館" in evening.body
    assert evening.segments == morning.segments == 1


def test_scheduling_the_same_reminders_twice_makes_one_message_each(shift):
    schedule_shift_reminders(shift)
    schedule_shift_reminders(shift)
    assert OutboundMessage.objects.count() == 2


def test_a_reminder_whose_time_has_passed_is_not_scheduled(shift, monday_morning):
    monday_morning.move_to(datetime(2026, 3, 10, 19, 0, tzinfo=TOKYO), tick=False)
    [morning] = schedule_shift_reminders(shift)
    assert morning.send_after == datetime(2026, 3, 11, 8, 0, tzinfo=TOKYO)


def test_an_early_shift_gets_no_morning_reminder_after_it_starts(db):
    early = factories.shift(
        session=factories.session(starts_at=datetime(2026, 3, 11, 7, 30, tzinfo=TOKYO))
    )
    [evening] = schedule_shift_reminders(early)
    assert evening.send_after == datetime(2026, 3, 10, 18, 0, tzinfo=TOKYO)


def test_a_supporter_who_turned_texts_off_gets_no_reminders(db):
    quiet = factories.shift(
        session=factories.session(starts_at=WEDNESDAY_10AM),
        supporter=factories.supporter(sms_opt_in=False),
    )
    assert schedule_shift_reminders(quiet) == []


def test_a_class_registrant_is_reminded_the_day_before(db):
    session = factories.session(kind=Session.Kind.CLASS, starts_at=WEDNESDAY_10AM, title="LINE入門")
    registration = factories.class_registration(session=session, language="en")
    reminder = schedule_registration_reminder(registration)
    assert reminder.send_after == datetime(2026, 3, 10, 18, 0, tzinfo=TOKYO)
    assert reminder.to == registration.phone
    assert registration.reference in reminder.body
    assert reminder.language == "en"
    assert schedule_registration_reminder(registration).pk == reminder.pk


def test_a_dispatch_representative_is_reminded_the_day_before(db):
    session = factories.session(kind=Session.Kind.DISPATCH, starts_at=WEDNESDAY_10AM)
    request = factories.dispatch_request(
        session=session, status=DispatchRequest.Status.SCHEDULED, place_name="大手町自治会館"
    )
    reminder = schedule_dispatch_reminder(request)
    assert reminder.send_after == datetime(2026, 3, 10, 18, 0, tzinfo=TOKYO)
    assert reminder.to == request.representative_phone
    assert "大手町自治会館" in reminder.body
    assert request.reference in reminder.body


def test_a_moved_session_replaces_its_pending_reminders(shift):
    session = shift.session
    registration = factories.class_registration(session=session)
    schedule_shift_reminders(shift)
    schedule_registration_reminder(registration)
    old = set(pending_reminders().values_list("pk", flat=True))

    session.starts_at = datetime(2026, 3, 12, 14, 0, tzinfo=TOKYO)
    session.ends_at = session.starts_at + timedelta(hours=2)
    session.save()
    assert reschedule_for_session(session) == 3

    assert (
        set(OutboundMessage.objects.filter(status=Status.CANCELLED).values_list("pk", flat=True))
        == old
    )
    assert sorted(pending_reminders().values_list("send_after", flat=True)) == [
        datetime(2026, 3, 11, 18, 0, tzinfo=TOKYO),
        datetime(2026, 3, 11, 18, 0, tzinfo=TOKYO),
        datetime(2026, 3, 12, 8, 0, tzinfo=TOKYO),
    ]
    assert all("14:00" in body for body in pending_reminders().values_list("body", flat=True))


def test_a_session_moved_back_revives_its_original_reminders(shift):
    session = shift.session
    original = {m.pk for m in schedule_shift_reminders(shift)}
    session.starts_at += timedelta(days=1)
    session.ends_at += timedelta(days=1)
    reschedule_for_session(session)
    session.starts_at -= timedelta(days=1)
    session.ends_at -= timedelta(days=1)
    reschedule_for_session(session)
    assert set(pending_reminders().values_list("pk", flat=True)) == original


def test_a_cancelled_session_calls_off_its_reminders_and_sends_no_new_ones(shift):
    schedule_shift_reminders(shift)
    shift.session.status = Session.Status.CANCELLED
    shift.session.save()
    assert reschedule_for_session(shift.session) == 0
    assert not pending_reminders().exists()
    assert OutboundMessage.objects.filter(status=Status.CANCELLED).count() == 2


def test_rescheduling_leaves_texts_already_sent_alone(shift):
    evening, _ = schedule_shift_reminders(shift)
    OutboundMessage.objects.filter(pk=evening.pk).update(status=Status.SENT)
    shift.session.status = Session.Status.CANCELLED
    reschedule_for_session(shift.session)
    evening.refresh_from_db()
    assert evening.status == Status.SENT


def test_cancel_pending_calls_off_only_the_waiting_texts_about_one_object(shift):
    evening, morning = schedule_shift_reminders(shift)
    OutboundMessage.objects.filter(pk=evening.pk).update(status=Status.SENT)
    other = factories.shift(session=shift.session)
    [other_evening, _] = schedule_shift_reminders(other)
    assert cancel_pending(shift) == 1
    morning.refresh_from_db()
    other_evening.refresh_from_db()
    assert morning.status == Status.CANCELLED
    assert other_evening.status == Status.PENDING


# --- Texts ----------------------------------------------------------------------------------

WORST_CASE = {
    "place": "第五コミュニティセンター多目的ホール",
    "title": "スマホ教室 LINE入門 写真の送り方と保存",
    "reference": "C-ABCDEF",
    "moment": datetime(2026, 12, 28, 13, 30, tzinfo=TOKYO),
}


@pytest.mark.parametrize("template", REMINDER_TEMPLATES)
def test_each_reminder_fits_one_message_in_japanese(template):
    text = render_sms(template, "ja", **WORST_CASE)
    assert len(text.encode("utf-16-le")) // 2 <= 70, text
    assert count_segments(text) == 1


# Every app's texts: the outbox's own, and those of each app that sends some.
EVERY_TEMPLATE = [
    template
    for module in (texts, session_texts, supporter_texts)
    for template in module.TEMPLATES.values()
]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("template", EVERY_TEMPLATE)
def test_every_template_renders_in_every_language(template, language):
    context = {
        **WORST_CASE,
        "code": "123456",
        "minutes": 10,
        "count": 3,
        "deadline": datetime(2026, 12, 27, 20, 0, tzinfo=TOKYO),
        "message": "火曜日の東公民館は休みです",
        "name": "前橋 花子",
        "link": "https://digisapo.example.jp/join/abc/",
        # Group visits (issue 10).
        "question": "会場に駐車場はありますか？",
        "reason": "その日は担当できる者がおりません",
        "lead": "一郎",
        # Smartphone classes (issue 11).
        "position": 3,
        # Volunteer insurance (issue 13): the office's number.
        "phone": "027-224-1111",
        # Missed shifts (issue 13): the given names of those nobody marked.
        "names": "花子, 一郎",
    }
    assert texts.render_sms(template, language, **context)


def test_texts_are_rendered_in_the_recipients_language():
    moment = datetime(2026, 3, 10, 10, 0, tzinfo=TOKYO)
    assert "3/10 (火)" in render_sms("shift_confirmation", "ja", moment=moment, place="東")
    assert "3/10 (Tue)" in render_sms("shift_confirmation", "en", moment=moment, place="東")


def test_a_broadcast_reaches_each_chosen_supporter_who_takes_texts(db):
    keen = [factories.supporter(), factories.supporter()]
    opted_out = factories.supporter()
    OptOut.objects.create(phone=opted_out.phone)
    sent = queue_broadcast([*keen, opted_out], "火曜日の東公民館は休みです", key="closure-0310")
    assert sorted(m.to for m in sent) == sorted(s.phone for s in keen)
    assert all("火曜日の東公民館は休みです" in m.body for m in sent)
    queue_broadcast(keen, "火曜日の東公民館は休みです", key="closure-0310")
    assert OutboundMessage.objects.count() == 2


def test_a_broadcast_preview_counts_recipients_parts_and_cost(db, settings):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("11.5")
    chosen = [factories.supporter(), factories.supporter(), factories.supporter(sms_opt_in=False)]
    preview = preview_broadcast(chosen, "あ" * 60)  # with the signature: two parts each
    assert (preview["recipients"], preview["skipped"]) == (2, 1)
    assert (preview["segments"], preview["cost"]) == (4, Decimal("46.0"))


# --- Cancelling and confirming a shift (sessions.services) ---------------------------------


def test_cancelling_a_shift_calls_off_its_reminders_and_texts_the_supporter(shift):
    schedule_shift_reminders(shift)
    cancel_shift(shift, by=shift.supporter.user)
    shift.refresh_from_db()
    assert shift.status == Shift.Status.CANCELLED
    assert shift.cancelled_at == timezone.now()
    assert not pending_reminders().exists()
    [notice] = OutboundMessage.objects.filter(purpose=Purpose.CANCELLATION)
    assert notice.idempotency_key == f"cancellation:shift:{shift.pk}"
    assert "東公民館" in notice.body


def test_a_shift_cancelled_by_text_is_not_texted_twice(shift):
    cancel_shift(shift, by=shift.supporter.user, notify=False)
    assert not OutboundMessage.objects.filter(purpose=Purpose.CANCELLATION).exists()


def test_a_shift_whose_session_has_started_cannot_be_cancelled(shift, monday_morning):
    monday_morning.move_to(WEDNESDAY_10AM + timedelta(minutes=5), tick=False)
    with pytest.raises(ShiftError) as error:
        cancel_shift(shift, by=shift.supporter.user)
    assert error.value.code == "started"
    shift.refresh_from_db()
    assert shift.status == Shift.Status.SIGNED_UP


def test_a_cancelled_shift_cannot_be_cancelled_or_confirmed_again(shift):
    cancel_shift(shift, by=shift.supporter.user)
    shift.refresh_from_db()
    for change in (lambda: cancel_shift(shift, by=None), lambda: confirm_shift(shift)):
        with pytest.raises(ShiftError) as error:
            change()
        assert error.value.code == "not_signed_up"


def test_a_shift_of_a_cancelled_session_cannot_be_confirmed(shift):
    shift.session.status = Session.Status.CANCELLED
    shift.session.save()
    with pytest.raises(ShiftError) as error:
        confirm_shift(shift)
    assert error.value.code == "session_cancelled"
