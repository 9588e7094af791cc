"""A resident registers for a smartphone class (issue 11): the class list and page, the form,
the waiting list, a freed seat offered by text (taken by the link or by replying 1) or by a
coordinator's call to a landline, the status page, series, the reminder and the purge."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape
from twilio.request_validator import RequestValidator

from config.fiscal import TOKYO
from config.public_pages import public_version
from notifications.models import InboundMessage, OutboundMessage
from sessions.models import ClassRegistration, ClassSeries, Session
from sessions.models.requests import participant_key_of
from sessions.services import (
    ClassError,
    RegistrationError,
    cancel_registration,
    cancel_session,
    expire_class_offers,
    mark_attended,
    mark_registrant_called,
    purge_registrations_due,
    record_call_answer,
    register_for_class,
)
from sessions.tasks import expire_due_offers, purge_personal_data
from tests import factories

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)  # a Tuesday
THURSDAY_NEXT_WEEK = datetime(2026, 5, 21, 10, 0, tzinfo=TOKYO)
Status = ClassRegistration.Status
Purpose = OutboundMessage.Purpose

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clock(_frozen_clock):
    return _frozen_clock


@pytest.fixture
def hall(db):
    return factories.venue(
        name="中央公民館",
        address="前橋市大手町2-12-1",
        latitude=Decimal("36.389"),
        longitude=Decimal("139.063"),
    )


def a_class(hall, *, days=9, capacity=10, **kwargs):
    return factories.session(
        kind=Session.Kind.CLASS,
        venue=hall,
        title=kwargs.pop("title", "LINE入門"),
        starts_at=NOW + timedelta(days=days, hours=1),
        capacity=capacity,
        class_level=kwargs.pop("class_level", Session.Level.INTRODUCTION),
        **kwargs,
    )


def form_data(**changes):
    data = {
        "name": "赤城 花子",
        "kana": "あかぎ はなこ",
        "phone": "090-1234-5678",
        "own_phone": "yes",
        "language": "ja",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def register(client, session, **changes):
    url = reverse("helpdesk_sessions:class_register", args=[session.pk])
    return client.post(url, form_data(**changes))


def data(**changes):
    values = {
        "name": "赤城 花子",
        "kana": "あかぎ はなこ",
        "phone": "090-1234-5678",
        "language": "ja",
        "own_phone": True,
        "consent": True,
    }
    values.update(changes)
    return values


def registered(session, phone, **changes):
    """A resident registered through the service, as the form does."""
    made, _created = register_for_class(data(phone=phone, **changes), session)
    return made[0]


def outbox(registration, purpose):
    return list(OutboundMessage.objects.about(registration).filter(purpose=purpose))


def full_class(hall, *, waiting=("090-2000-0001", "090-2000-0002")):
    """A class of two seats, both taken, with residents waiting in this order."""
    session = a_class(hall, capacity=2)
    seated = [registered(session, f"090-1000-000{n}", name=f"着席 {n}") for n in (1, 2)]
    line = [registered(session, phone, name=f"待つ {n}") for n, phone in enumerate(waiting)]
    return session, seated, line


# The class list and a class's page -----------------------------------------------------------


def test_the_class_list_shows_the_place_with_a_map_the_level_phones_lent_and_seats(client, hall):
    series = ClassSeries.objects.create(title="5回でわかるスマホ講座")
    a_class(hall, title="はじめてのスマホ", loaner_devices=True, series=series)
    full, _seated, _line = full_class(hall)

    page = client.get(reverse("helpdesk_sessions:classes")).content.decode()

    assert "はじめてのスマホ" in page
    assert "中央公民館" in page
    hall.refresh_from_db()
    assert escape(hall.openstreetmap_url) in page
    assert "Level 1: first steps (入門編)" in page
    assert "Phones are lent at the class" in page
    assert "Bring your own smartphone." in page
    assert "10 seats left" in page
    assert "Full" in page
    assert "Waiting list: 2 people" in page
    assert "5回でわかるスマホ講座" in page
    assert reverse("helpdesk_sessions:class_detail", args=[full.pk]) in page
    assert "See the class and join the waiting list" in page


@pytest.mark.parametrize("size", [1, 12])
def test_the_class_list_and_a_class_page_cost_a_fixed_number_of_queries(
    client, hall, django_assert_max_num_queries, size
):
    series = ClassSeries.objects.create(title="LINE教室")
    classes = [a_class(hall, days=n + 2, series=series, capacity=1) for n in range(size)]
    for n, session in enumerate(classes):
        registered(session, f"090-3000-{n:04}")
        registered(session, f"090-4000-{n:04}")  # waiting
    public_version()

    # The public content version, then the classes with their seats and lines.
    with django_assert_max_num_queries(2):
        listed = client.get(reverse("helpdesk_sessions:classes"))
    # The version, the class, its series' coming dates.
    with django_assert_max_num_queries(3):
        detail = client.get(reverse("helpdesk_sessions:class_detail", args=[classes[0].pk]))

    assert len(listed.context["classes"]) == size
    assert detail.status_code == 200
    assert detail.content.decode().count('class="dates"') == (1 if size > 1 else 0)


def test_a_class_page_lists_its_series_and_links_to_the_form(client, hall):
    series = ClassSeries.objects.create(title="LINE教室")
    first = a_class(hall, days=3, series=series)
    a_class(hall, days=10, series=series)

    page = client.get(reverse("helpdesk_sessions:class_detail", args=[first.pk])).content.decode()

    assert "The dates of LINE教室" in page
    assert reverse("helpdesk_sessions:class_register", args=[first.pk]) in page
    assert "Register for this class" in page


def test_a_past_or_cancelled_class_has_no_page(client, hall):
    past = a_class(hall, days=-2)
    off = a_class(hall, status=Session.Status.CANCELLED)

    for session in (past, off):
        url = reverse("helpdesk_sessions:class_detail", args=[session.pk])
        assert client.get(url).status_code == 404


# Registering ---------------------------------------------------------------------------------


def test_a_resident_registers_and_is_texted_the_reference_and_the_absolute_status_link(
    client, hall
):
    session = a_class(hall)

    response = register(client, session)

    registration = ClassRegistration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "helpdesk_sessions:class_sent", args=[registration.status_token]
    )
    assert registration.status == Status.REGISTERED
    assert registration.phone == "+819012345678"
    assert registration.name_kana == "あかぎ はなこ"
    assert registration.own_phone is True
    assert registration.consent_at == NOW
    assert registration.entered_by is None
    assert registration.participant_key == participant_key_of("+819012345678")
    [text] = outbox(registration, Purpose.CONFIRMATION)
    link = f"http://testserver/classes/registrations/{registration.status_token}/"
    assert text.body.endswith(f"\n{link}")
    assert registration.reference in text.body
    sent = client.get(response["Location"]).content.decode()
    assert registration.reference[0] in sent
    assert "You have a seat" in sent
    assert link in sent


def test_a_full_class_puts_the_resident_on_the_waiting_list_with_their_position(client, hall):
    session, _seated, _line = full_class(hall)

    register(client, session, phone="090-5555-6666")

    registration = ClassRegistration.objects.get(phone="+819055556666")
    assert registration.status == Status.WAITLISTED
    assert registration.place_in_line() == 3
    [text] = outbox(registration, Purpose.CONFIRMATION)
    assert "キャンセル待ち3番目" in text.body
    page = client.get(
        reverse("helpdesk_sessions:class_registration", args=[registration.status_token])
    )
    assert "Number 3 on the waiting list" in page.content.decode()


def test_a_double_submit_makes_one_registration_and_one_text(client, hall):
    session = a_class(hall)

    first = register(client, session)
    again = register(client, session, name="赤城  花子")  # a reload; spaces aside the same

    registration = ClassRegistration.objects.get()
    assert first["Location"] == again["Location"]
    assert len(outbox(registration, Purpose.CONFIRMATION)) == 1


def test_a_phone_holds_one_place_per_class_and_never_shows_another_persons_place(client, hall):
    session = a_class(hall)
    register(client, session)

    response = register(client, session, name="榛名 次郎")

    assert response.status_code == 200
    assert "This phone number already holds a place in this class" in response.content.decode()
    assert ClassRegistration.objects.count() == 1
    assert ClassRegistration.objects.get().status_token not in response.content.decode()


def test_a_phone_may_register_again_after_cancelling(client, hall):
    session = a_class(hall)
    first = registered(session, "090-1234-5678")
    cancel_registration(first, by=None)

    register(client, session)

    assert ClassRegistration.objects.filter(session=session).taking_part().count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"phone": "12345"}, "phone", "Enter a valid phone number."),
        ({"kana": "Akagi"}, "kana", "Write your name in hiragana or katakana."),
        ({"consent": None}, "consent", "Please agree to how we handle your details"),
        ({"own_phone": None}, "own_phone", "This field is required."),
    ],
)
def test_each_wrong_answer_is_refused_next_to_its_field_and_nothing_saved(
    client, hall, changes, field, message
):
    session = a_class(hall)

    response = register(client, session, **changes)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert ClassRegistration.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_a_resident_without_a_phone_is_sent_to_a_class_that_lends_them(client, hall):
    session = a_class(hall, loaner_devices=False)
    lending = a_class(hall, loaner_devices=True)

    refused = register(client, session, own_phone="no")
    register(client, lending, own_phone="no")

    assert "This class is for residents who bring their own smartphone" in refused.content.decode()
    registration = ClassRegistration.objects.get()
    assert registration.session == lending
    assert registration.needs_device is True


def test_a_landline_gets_no_text_and_the_page_shows_the_reference(client, hall):
    session = a_class(hall)

    response = register(client, session, phone="027-224-1111")

    registration = ClassRegistration.objects.get()
    assert OutboundMessage.objects.count() == 0
    sent = client.get(response["Location"]).content.decode()
    assert registration.reference in sent.replace("<span>", "").replace("</span>", "")
    assert "A coordinator from the city calls you" not in sent  # a seat: nothing to call about


def test_a_class_that_started_or_was_called_off_takes_no_registrations(client, hall, clock):
    session = a_class(hall, days=1)
    clock.move_to(session.starts_at + timedelta(minutes=1))

    with pytest.raises(RegistrationError) as refused:
        register_for_class(data(), session)
    assert refused.value.code == "started"


def test_a_filled_honeypot_pretends_success_and_keeps_nothing(client, hall):
    response = register(client, a_class(hall), website="http://spam.example")

    assert response.status_code == 200
    assert ClassRegistration.objects.count() == 0


def test_a_network_registering_too_often_is_told_to_wait(client, hall, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "class_registration": "2/h/ip"}
    session = a_class(hall)
    for n in range(2):
        register(client, session, phone=f"090-7000-000{n}")

    response = register(client, session, phone="090-7000-0009")

    assert response.status_code == 429
    assert ClassRegistration.objects.count() == 2


def test_a_coordinator_takes_a_registration_by_phone_through_the_same_form(
    coordinator_client, coordinator, hall, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "class_registration": "1/h/ip"}
    session = a_class(hall)
    page = coordinator_client.get(reverse("helpdesk_sessions:class_register", args=[session.pk]))
    assert "I read the text on the handling of personal details out" in page.content.decode()

    register(coordinator_client, session, phone="027-224-1111")
    register(coordinator_client, session, phone="090-8888-0000", name="榛名 次郎")

    registrations = ClassRegistration.objects.order_by("pk")
    assert [r.entered_by for r in registrations] == [coordinator, coordinator]
    assert all(r.consent_at == NOW for r in registrations)


# Series --------------------------------------------------------------------------------------


def test_a_resident_registers_for_every_coming_date_of_a_series_each_decided_by_itself(
    client, hall
):
    series = ClassSeries.objects.create(title="5回講座")
    first = a_class(hall, days=3, series=series)
    full = a_class(hall, days=10, series=series, capacity=1)
    registered(full, "090-1111-0000", name="先客")
    a_class(hall, days=17, series=series, status=Session.Status.CANCELLED)
    a_class(hall, days=-4, series=series)  # over

    response = register(client, first, dates="series")

    mine = ClassRegistration.objects.filter(phone="+819012345678").order_by("session__starts_at")
    assert [(r.session, r.status) for r in mine] == [
        (first, Status.REGISTERED),
        (full, Status.WAITLISTED),
    ]
    [text] = OutboundMessage.objects.filter(to="+819012345678", purpose=Purpose.CONFIRMATION)
    assert "2回の申込を受付" in text.body
    sent = client.get(response["Location"]).content.decode()
    assert "Your other dates in this series" in sent


def test_a_series_registration_is_all_or_nothing(client, hall):
    series = ClassSeries.objects.create(title="5回講座")
    lending = a_class(hall, days=3, series=series, loaner_devices=True)
    a_class(hall, days=10, series=series, loaner_devices=False)

    response = register(client, lending, dates="series", own_phone="no")

    assert response.status_code == 200
    assert ClassRegistration.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_a_series_registration_sent_twice_makes_each_date_once(client, hall):
    series = ClassSeries.objects.create(title="5回講座")
    first = a_class(hall, days=3, series=series)
    a_class(hall, days=10, series=series)

    register(client, first, dates="series")
    register(client, first, dates="series")

    assert ClassRegistration.objects.count() == 2
    assert OutboundMessage.objects.filter(purpose=Purpose.CONFIRMATION).count() == 1


# Cancelling, offers and the waiting list ----------------------------------------------------


def test_cancelling_after_a_confirmation_step_offers_the_seat_to_the_first_in_line(client, hall):
    _session, (leaving, _staying), (first, second) = full_class(hall)
    status_url = reverse("helpdesk_sessions:class_registration", args=[leaving.status_token])
    cancel_url = reverse("helpdesk_sessions:class_registration_cancel", args=[leaving.status_token])
    assert cancel_url in client.get(status_url).content.decode()

    question = client.get(cancel_url)
    assert "Yes, cancel my place" in question.content.decode()
    response = client.post(cancel_url)

    assert response["Location"] == status_url
    leaving.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert leaving.status == Status.CANCELLED
    assert first.status == Status.OFFERED
    assert first.offer_expires_at == NOW + timedelta(hours=24)
    assert second.status == Status.WAITLISTED
    assert second.place_in_line() == 1
    [offer] = outbox(first, Purpose.WAITLIST_OFFER)
    assert offer.body.endswith(f"\nhttp://testserver/classes/registrations/{first.status_token}/")
    assert "5/13 (水) 9:00までに1を返信" in offer.body  # in the registrant's language
    assert outbox(leaving, Purpose.REMINDER)[0].status == OutboundMessage.Status.CANCELLED


def test_the_offered_resident_takes_the_seat_by_the_link(client, hall):
    _session, (leaving, _staying), (first, _second) = full_class(hall)
    cancel_registration(leaving, by=None)
    status_url = reverse("helpdesk_sessions:class_registration", args=[first.status_token])

    page = client.get(status_url).content.decode()
    assert "A seat opened for you" in page
    assert "Take it by 5/13 (Wed) 9:00" in page
    response = client.post(
        reverse("helpdesk_sessions:class_registration_accept", args=[first.status_token])
    )
    again = client.post(
        reverse("helpdesk_sessions:class_registration_accept", args=[first.status_token])
    )

    first.refresh_from_db()
    assert response["Location"] == status_url
    assert again["Location"] == status_url  # a double tap changes nothing
    assert first.status == Status.REGISTERED
    assert len(outbox(first, Purpose.CONFIRMATION)) == 2  # registered-on-the-list, seat taken
    assert outbox(first, Purpose.REMINDER)
    assert "You have a seat" in client.get(status_url).content.decode()


TOKEN = "webhook-auth-token"
PUBLIC_URL = "https://digisapo.example.jp"
INBOUND_PATH = "/notifications/twilio/inbound"


def text_in(client, body, from_number, sid):
    """A text arriving through Twilio's signed webhook, as tests/test_sms_webhooks.py sends it."""
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "f" * 32,
        "From": from_number,
        "To": "+815012345678",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + INBOUND_PATH, params)
    return client.post(INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = PUBLIC_URL


def test_the_offered_resident_takes_the_seat_by_replying_1(client, hall, twilio):
    _session, (leaving, _staying), (first, _second) = full_class(hall)
    cancel_registration(leaving, by=None)

    response = text_in(client, "１", first.phone, "SM" + "1" * 32)

    assert response.status_code == 200
    first.refresh_from_db()
    assert first.status == Status.REGISTERED
    assert InboundMessage.objects.get().action == "took_class_seat"
    [taken] = [m for m in outbox(first, Purpose.CONFIRMATION) if "席を確保しました" in m.body]
    assert first.reference in taken.body


def test_a_supporters_1_stays_with_the_supporters_handler(client, hall, twilio):
    account = factories.user(phone="+819020000001", phone_verified=True)
    supporter = factories.supporter(user=account)
    _session, (leaving, _staying), (first, _second) = full_class(hall)
    assert first.phone == supporter.user.phone  # the same person, both a supporter and waiting
    cancel_registration(leaving, by=None)

    text_in(client, "1", first.phone, "SM" + "2" * 32)

    first.refresh_from_db()
    assert first.status == Status.OFFERED  # the shift rules answered it ("no shift")
    assert InboundMessage.objects.get().action != "took_class_seat"


def test_a_1_from_a_resident_with_no_offer_is_not_claimed(client, hall, twilio):
    _session, _seated, (first, _second) = full_class(hall)

    text_in(client, "1", first.phone, "SM" + "3" * 32)

    first.refresh_from_db()
    assert first.status == Status.WAITLISTED
    assert InboundMessage.objects.get().action == "none"


def test_an_offer_not_taken_in_time_is_passed_to_the_next_in_line(client, hall, clock):
    _session, (leaving, _staying), (first, second) = full_class(hall)
    cancel_registration(leaving, by=None)
    clock.move_to(NOW + timedelta(hours=24, minutes=1))

    assert expire_due_offers.call() == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert first.offer_lapsed
    assert second.status == Status.OFFERED
    assert outbox(second, Purpose.WAITLIST_OFFER)
    page = client.get(reverse("helpdesk_sessions:class_registration", args=[first.status_token]))
    assert "The offered seat was not taken in time" in page.content.decode()


def test_taking_an_offer_after_its_deadline_is_refused_and_passes_it_on(client, hall, clock):
    _session, (leaving, _staying), (first, second) = full_class(hall)
    cancel_registration(leaving, by=None)
    clock.move_to(NOW + timedelta(hours=25))

    client.post(reverse("helpdesk_sessions:class_registration_accept", args=[first.status_token]))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert second.status == Status.OFFERED


def test_an_offer_never_runs_past_the_class_start(hall, clock):
    session, (leaving, _staying), (first, _second) = full_class(hall)
    clock.move_to(session.starts_at - timedelta(hours=3))

    cancel_registration(leaving, by=None)

    first.refresh_from_db()
    assert first.offer_expires_at == session.starts_at


def test_a_landline_first_in_line_becomes_a_call_task_and_the_coordinator_records_it(
    hall, coordinator
):
    _session, (one, two), (landline, mobile) = full_class(
        hall, waiting=("027-224-1111", "090-2000-0002")
    )

    cancel_registration(one, by=None)

    landline.refresh_from_db()
    assert landline.status == Status.OFFERED
    assert landline.offer_expires_at is None
    assert list(ClassRegistration.objects.to_call()) == [landline]
    assert OutboundMessage.objects.filter(to=landline.phone).count() == 0

    record_call_answer(landline, accepted=True, by=coordinator)

    landline.refresh_from_db()
    assert landline.status == Status.REGISTERED
    assert landline.called_back_at == NOW
    assert list(ClassRegistration.objects.to_call()) == []

    cancel_registration(two, by=None)
    mobile.refresh_from_db()
    assert mobile.status == Status.OFFERED


def test_a_landline_declining_on_the_phone_passes_the_seat_on(hall, coordinator):
    _session, (one, _two), (landline, mobile) = full_class(
        hall, waiting=("027-224-1111", "090-2000-0002")
    )
    cancel_registration(one, by=None)

    record_call_answer(landline, accepted=False, by=coordinator)

    landline.refresh_from_db()
    mobile.refresh_from_db()
    assert landline.status == Status.CANCELLED
    assert mobile.status == Status.OFFERED
    assert list(ClassRegistration.objects.to_call()) == []


def test_an_offered_seat_given_up_goes_to_the_next(hall):
    _session, (one, _two), (first, second) = full_class(hall)
    cancel_registration(one, by=None)
    first.refresh_from_db()

    cancel_registration(first, by=None)

    second.refresh_from_db()
    assert second.status == Status.OFFERED


def test_a_class_called_off_texts_those_offered_a_seat_too(hall):
    session, (one, _two), (first, _second) = full_class(hall)
    cancel_registration(one, by=None)

    cancel_session(session, by=None)

    assert outbox(first, Purpose.WAITLIST_OFFER)[0].status == OutboundMessage.Status.CANCELLED
    assert outbox(first, Purpose.CANCELLATION)


# The day before, at the door, and after -----------------------------------------------------


def test_a_registrant_is_reminded_the_evening_before(hall):
    session = a_class(hall)
    registration = registered(session, "090-1234-5678")

    [reminder] = outbox(registration, Purpose.REMINDER)

    assert reminder.send_after == datetime(2026, 5, 20, 18, 0, tzinfo=TOKYO)
    assert registration.reference in reminder.body


def test_attendance_is_marked_at_the_door_and_undone(hall, coordinator, clock):
    session = a_class(hall)
    registration = registered(session, "090-1234-5678")
    with pytest.raises(ClassError) as early:
        mark_attended(registration, True, by=coordinator)
    assert early.value.code == "too_early"
    clock.move_to(session.starts_at - timedelta(minutes=10))

    mark_attended(registration, True, by=coordinator)
    registration.refresh_from_db()
    assert registration.status == Status.ATTENDED
    mark_attended(registration, False, by=coordinator)
    registration.refresh_from_db()
    assert registration.status == Status.REGISTERED


def test_the_purge_removes_names_and_phones_and_keeps_the_participant_key_and_counts(
    hall, coordinator, clock, settings
):
    settings.CLASS_PERSONAL_DATA_DAYS = 180
    session, (came, _stayed_away), (_waiting, _second) = full_class(hall)
    clock.move_to(session.starts_at)
    mark_attended(came, True, by=coordinator)
    later = a_class(hall, days=200)
    again = registered(later, came.phone, name=came.name)

    clock.move_to(session.ends_at + timedelta(days=179))
    assert purge_registrations_due() == 0
    clock.move_to(session.ends_at + timedelta(days=180, minutes=1))
    purged = purge_personal_data.call()

    assert purged == 4
    came.refresh_from_db()
    assert (came.name, came.name_kana, came.phone) == ("", "", "")
    assert came.is_purged
    assert came.status == Status.ATTENDED
    assert came.participant_key == again.participant_key == participant_key_of("+819010000001")
    rows = ClassRegistration.objects.filter(session=session)
    assert rows.filter(status=Status.ATTENDED).count() == 1
    assert rows.values("participant_key").distinct().count() == 4
    again.refresh_from_db()
    assert again.phone == "+819010000001"  # its class is still to come


def test_the_purge_command_purges_requests_and_registrations(hall, clock):
    from io import StringIO

    from django.core.management import call_command

    session = a_class(hall)
    registered(session, "090-1234-5678")
    clock.move_to(session.ends_at + timedelta(days=181))
    out = StringIO()

    call_command("purge_personal_data", stdout=out)

    assert "1 class registration(s) purged." in out.getvalue()
    assert ClassRegistration.objects.get().is_purged


def test_expire_class_offers_leaves_open_offers_alone(hall):
    _session, (one, _two), (first, _second) = full_class(hall)
    cancel_registration(one, by=None)

    assert expire_class_offers() == 0
    first.refresh_from_db()
    assert first.status == Status.OFFERED


def test_a_larger_room_offers_the_new_seats_to_the_line_in_order(hall):
    """What the coordinators' class page does when capacity rises: offer_freed_seats, locked."""
    from django.db import transaction

    from sessions.services import offer_freed_seats
    from sessions.services.rules import lock_session

    session, _seated, (first, second) = full_class(hall, waiting=("090-2000-0001", "090-2000-0002"))
    Session.objects.filter(pk=session.pk).update(capacity=3)

    with transaction.atomic():
        offered = offer_freed_seats(lock_session(session.pk))

    assert [r.pk for r in offered] == [first.pk]
    second.refresh_from_db()
    assert second.status == Status.WAITLISTED


def test_the_status_page_costs_a_fixed_number_of_queries(
    client, hall, django_assert_max_num_queries
):
    series = ClassSeries.objects.create(title="5回講座")
    classes = [a_class(hall, days=3 + 7 * n, series=series) for n in range(4)]
    made, _created = register_for_class(data(), classes[0], series=True)
    url = reverse("helpdesk_sessions:class_registration", args=[made[0].status_token])
    public_version()

    # The public content version, the registration with its class, the other dates.
    with django_assert_max_num_queries(3):
        response = client.get(url)

    assert response.context["others"] == made[1:]


def test_a_landline_registrant_of_a_class_called_off_is_a_call_for_the_coordinators(
    hall, coordinator
):
    session, (one, _two), (landline, _mobile) = full_class(
        hall, waiting=("027-224-1111", "090-2000-0002")
    )
    seated_landline = registered(a_class(hall, days=12), "027-231-2222", name="固定 電話")
    cancel_registration(one, by=None)  # the landline is offered the seat: a call already
    other = seated_landline.session

    cancel_session(session, by=None)
    cancel_session(other, by=None)

    assert set(ClassRegistration.objects.to_call()) == {landline, seated_landline}
    mark_registrant_called(landline, by=coordinator)
    mark_registrant_called(seated_landline, by=coordinator)
    landline.refresh_from_db()
    assert landline.status == Status.CANCELLED  # the seat offered went with the class
    assert list(ClassRegistration.objects.to_call()) == []


def test_an_offered_seat_is_answered_not_merely_marked_called(hall, coordinator):
    _session, (one, _two), (landline, _mobile) = full_class(
        hall, waiting=("027-224-1111", "090-2000-0002")
    )
    cancel_registration(one, by=None)

    with pytest.raises(RegistrationError) as refused:
        mark_registrant_called(landline, by=coordinator)

    assert refused.value.code == "offered"


def test_the_class_list_filters_by_level_and_phones_lent_without_javascript(
    client, hall, django_assert_max_num_queries
):
    first_steps = a_class(hall, title="はじめての一歩", loaner_devices=True)
    a_class(hall, title="写真の整理", class_level=Session.Level.APPS)
    a_class(hall, title="マイナポータル", class_level=Session.Level.ONLINE, loaner_devices=True)
    public_version()

    with django_assert_max_num_queries(2):
        response = client.get(reverse("helpdesk_sessions:classes"), {"level": 1, "lent": "on"})
    everything = client.get(reverse("helpdesk_sessions:classes"), {"level": "9"})

    assert list(response.context["classes"]) == [first_steps]
    assert 'method="get"' in response.content.decode()
    assert len(everything.context["classes"]) == 3  # a level that is none: no filter
