"""A supporter who cannot make a shift asks for cover (issue 13): eligible supporters are asked
by text a few at a time; the first to take it (the link, or reply 1) gets the shift, the
requester is released, the others are told; nobody by the deadline tells the coordinators and
asks the requester whether they can still come."""

import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from twilio.request_validator import RequestValidator

from config.fiscal import TOKYO
from notifications.models import InboundMessage, OptOut, OutboundMessage
from notifications.tasks import run_outbox
from sessions.models import CoverOffer, CoverRequest, Shift
from sessions.reminders import schedule_shift_reminders
from sessions.services import (
    CoverError,
    ShiftError,
    advance_cover_rounds,
    cancel_cover,
    cancel_shift,
    cover_deadline,
    decline_cover,
    expire_due_cover_requests,
    request_cover,
    sign_up,
    take_cover,
)
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_THURSDAY_10AM as THURSDAY_10AM
from tests.versions import settle_public_version

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")

PUBLIC_URL = "https://digisapo.example.jp"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/cover/[\w-]+/)")
Purpose = OutboundMessage.Purpose


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.PUBLIC_URL = PUBLIC_URL
    settings.COVER_ROUND_SIZE = 1
    settings.COVER_DEADLINE_HOURS = 24
    settings.COVER_ROUND_HOURS = 4


@pytest.fixture
def session(db):
    """A help desk on Thursday 10:00 for two, both places taken: the requester and one more."""
    session = factories.session(
        venue=factories.venue(name="南橘公民館"), starts_at=THURSDAY_10AM, supporters_needed=2
    )
    factories.shift(session=session)
    return session


@pytest.fixture
def requester(session):
    supporter = factories.supporter(given_name="一郎", user_kwargs={"language": "en"})
    return sign_up(supporter, session, by=None)


def english_supporter(user_kwargs=None, **kwargs):
    return factories.supporter(user_kwargs={"language": "en", **(user_kwargs or {})}, **kwargs)


@pytest.fixture
def candidates(session):
    """Three supporters free then, best ranked first (their levels)."""
    return [english_supporter(training_level=level, given_name=f"L{level}") for level in (5, 4, 3)]


def texts_to(supporter, prefix=""):
    texts = OutboundMessage.objects.filter(to=supporter.phone).order_by("created_at", "pk")
    return [text for text in texts if text.idempotency_key.startswith(prefix)]


def link_in(text) -> str:
    return LINK.search(text.body).group(1)


def asked(cover) -> list:
    return [offer.supporter for offer in cover.offers.order_by("pk")]


def on_session(session) -> set:
    return set(session.shifts.holding_place().values_list("supporter_id", flat=True))


# Asking ------------------------------------------------------------------------------------


def test_asking_for_cover_texts_the_best_ranked_eligible_supporter_and_keeps_the_shift(
    requester, candidates
):
    cover = request_cover(requester, by=requester.supporter.user)

    assert cover.status == CoverRequest.Status.OPEN
    assert cover.deadline == THURSDAY_10AM - timedelta(hours=24)
    assert asked(cover) == [candidates[0]]
    [text] = texts_to(candidates[0], "cover-offer")
    assert text.purpose == Purpose.INVITATION
    assert "南橘公民館" in text.body
    assert link_in(text) == f"/cover/{cover.offers.get().token}/"
    requester.refresh_from_db()
    assert requester.status == Shift.Status.SIGNED_UP  # theirs until someone takes it


def test_asking_twice_gives_back_the_open_request(requester, candidates):
    first = request_cover(requester, by=requester.supporter.user)
    again = request_cover(requester, by=requester.supporter.user)
    assert again.pk == first.pk
    assert CoverRequest.objects.count() == 1
    assert CoverOffer.objects.count() == 1


def test_the_database_keeps_one_open_request_per_shift(requester):
    deadline = THURSDAY_10AM - timedelta(days=1)
    CoverRequest.objects.create(shift=requester, deadline=deadline)
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverRequest.objects.create(shift=requester, deadline=deadline)


def test_only_the_supporter_themselves_may_ask_for_cover(requester):
    with pytest.raises(CoverError) as error:
        request_cover(requester, by=factories.supporter().user)
    assert error.value.code == "forbidden"


def test_no_cover_is_asked_for_a_place_in_line_or_too_close_to_the_start(
    session, requester, monday_morning
):
    waiting = factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)
    with pytest.raises(CoverError) as error:
        request_cover(waiting, by=None)
    assert error.value.code == "not_signed_up"
    monday_morning.move_to(THURSDAY_10AM - timedelta(minutes=50))
    with pytest.raises(CoverError) as error:
        request_cover(requester, by=None)
    assert error.value.code == "too_late"


def test_a_late_request_looks_until_halfway_to_the_start_counted_from_eight(session):
    # Asked at 22:00 the evening before: texts go out at 08:00, halfway to 10:00 is 09:00.
    late = datetime(2026, 6, 3, 22, 0, tzinfo=TOKYO)
    assert cover_deadline(session, late) == datetime(2026, 6, 4, 9, 0, tzinfo=TOKYO)


def test_only_eligible_supporters_who_take_texts_are_asked(session, requester, settings):
    settings.COVER_ROUND_SIZE = 10
    busy = english_supporter(training_level=5)
    factories.shift(
        supporter=busy, session=factories.session(starts_at=THURSDAY_10AM + timedelta(hours=1))
    )
    landline = english_supporter(training_level=5, user_kwargs={"phone": "+81272241111"})
    stopped = english_supporter(training_level=5)
    OptOut.objects.create(phone=stopped.phone)
    texts_off = english_supporter(training_level=5, sms_opt_in=False)
    low_level = english_supporter(training_level=1)
    session.min_level = 2
    session.save()
    uninsured = english_supporter(training_level=5, insurance_valid_until=date(2026, 6, 1))
    paused = english_supporter(training_level=5, status="paused", paused_on=date(2026, 5, 1))
    on_it = Shift.objects.exclude(supporter=requester.supporter).get(session=session).supporter
    eligible = english_supporter(training_level=2)

    cover = request_cover(requester, by=None)

    assert asked(cover) == [eligible]
    never = [busy, landline, stopped, texts_off, low_level, uninsured, paused, on_it]
    assert not OutboundMessage.objects.filter(to__in=[s.phone for s in never]).exists()


# Taking ------------------------------------------------------------------------------------


def test_the_second_supporter_asked_takes_the_shift_from_the_texts_link(
    client, session, requester, candidates
):
    cover = request_cover(requester, by=requester.supporter.user)
    first, second, _third = candidates
    [text] = texts_to(first, "cover-offer")

    page = client.get(link_in(text))  # no sign-in: the link is the proof
    assert page.status_code == 200
    assert "Can you cover this shift?" in page.content.decode()
    client.post(link_in(text), {"answer": "decline"})

    assert asked(cover) == [first, second]  # all of round one said no: round two
    [text] = texts_to(second, "cover-offer")
    response = client.post(link_in(text), {"answer": "take"}, follow=True)

    assert "The shift is yours" in response.content.decode()
    cover.refresh_from_db()
    assert (cover.status, cover.taken_by) == (CoverRequest.Status.TAKEN, second)
    requester.refresh_from_db()
    assert requester.status == Shift.Status.CANCELLED
    assert requester.supporter_id not in on_session(session)
    assert second.pk in on_session(session)
    taken = cover.taken_shift
    assert (taken.supporter, taken.role, taken.status) == (second, requester.role, "signed_up")
    assert session.shifts.holding_place().count() == 2  # the place changed hands, no more
    [released] = texts_to(requester.supporter, "cover-found")
    assert "L4 will cover your shift" in released.body
    assert texts_to(second, "confirmation")  # the new shift's confirmation and reminders
    assert texts_to(second, "reminder")
    assert not OutboundMessage.objects.filter(
        related_shift_filter(requester), purpose=Purpose.REMINDER, status="pending"
    ).exists()


def related_shift_filter(shift):
    return Q(content_type=ContentType.objects.get_for_model(Shift), object_id=shift.pk)


def test_the_next_round_is_asked_when_nobody_answers_in_time(requester, candidates, monday_morning):
    cover = request_cover(requester, by=None)
    assert asked(cover) == candidates[:1]
    monday_morning.shift(timedelta(hours=3))
    assert advance_cover_rounds() == 0
    monday_morning.shift(timedelta(hours=1))
    assert advance_cover_rounds() == 1
    assert asked(cover) == candidates[:2]


def test_the_others_asked_are_told_once_it_is_taken(requester, candidates, settings):
    settings.COVER_ROUND_SIZE = 3
    cover = request_cover(requester, by=None)
    run_outbox()  # the offers go out
    first, second, third = candidates
    decline_cover(cover.offers.get(supporter=third))

    take_cover(cover, second, by=second.user)

    [told] = texts_to(first, "cover-taken")
    assert "has been covered" in told.body
    assert not texts_to(third, "cover-taken")  # said no: nothing more to tell
    outcomes = dict(cover.offers.values_list("supporter_id", "outcome"))
    assert outcomes == {first.pk: "filled", second.pk: "taken", third.pk: "declined"}
    with pytest.raises(CoverError) as error:
        take_cover(cover, first, by=first.user)
    assert error.value.code == "taken"


def test_a_supporter_who_was_not_asked_cannot_take_it(requester, candidates):
    cover = request_cover(requester, by=None)
    with pytest.raises(CoverError) as error:
        take_cover(cover, candidates[2], by=candidates[2].user)
    assert error.value.code == "not_asked"


def test_a_supporter_who_took_another_shift_meanwhile_is_refused_by_the_shift_rules(
    requester, candidates
):
    cover = request_cover(requester, by=None)
    first = candidates[0]
    sign_up(first, factories.session(starts_at=THURSDAY_10AM + timedelta(hours=1)), by=None)
    with pytest.raises(ShiftError) as error:
        take_cover(cover, first, by=first.user)
    assert error.value.code == "overlap"
    cover.refresh_from_db()
    assert cover.is_open


def test_cancelling_the_shift_or_the_request_withdraws_the_offers(requester, candidates):
    cover = request_cover(requester, by=None)
    cancel_cover(cover, by=requester.supporter.user)
    cover.refresh_from_db()
    assert cover.status == CoverRequest.Status.CANCELLED
    assert cover.offers.get().outcome == CoverOffer.Outcome.WITHDRAWN

    again = request_cover(requester, by=None)
    cancel_shift(requester, by=requester.supporter.user)
    again.refresh_from_db()
    assert again.status == CoverRequest.Status.CANCELLED


# The deadline ------------------------------------------------------------------------------


def test_nobody_by_the_deadline_tells_the_coordinators_and_asks_the_requester(
    session, requester, candidates, monday_morning
):
    coordinator = factories.coordinator(phone=factories.phone_number(), language="en")
    cover = request_cover(requester, by=None)
    monday_morning.move_to(cover.deadline - timedelta(minutes=1))
    assert expire_due_cover_requests() == 0
    monday_morning.move_to(cover.deadline)

    assert expire_due_cover_requests() == 1

    cover.refresh_from_db()
    assert cover.status == CoverRequest.Status.EXPIRED
    assert cover.offers.get().outcome == CoverOffer.Outcome.WITHDRAWN
    [told] = OutboundMessage.objects.filter(to=coordinator.phone)
    assert "No cover found: 前橋 一郎" in told.body
    [asked_back] = texts_to(requester.supporter, "cover-can-you-come")
    assert asked_back.purpose == Purpose.REMINDER  # 1 or 2 answers it as a reminder's
    assert "Can you still come?" in asked_back.body
    requester.refresh_from_db()
    assert requester.status == Shift.Status.SIGNED_UP
    with pytest.raises(CoverError):
        take_cover(cover, candidates[0], by=None)


# By text -----------------------------------------------------------------------------------

TOKEN = "webhook-auth-token"


def inbound(client, body, from_number, sid):
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "f" * 32,
        "From": from_number,
        "To": "+815012345678",
        "Body": body,
        "NumMedia": "0",
    }
    path = "/notifications/twilio/inbound"
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def webhook(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


def reply_to(supporter):
    return OutboundMessage.objects.filter(to=supporter.phone, purpose=Purpose.REPLY).last()


def test_replying_3_to_the_evening_reminder_asks_for_cover_and_1_takes_it(
    client, webhook, session, requester, candidates, monday_morning
):
    schedule_shift_reminders(requester)
    monday_morning.move_to(datetime(2026, 6, 3, 18, 5, tzinfo=TOKYO))
    run_outbox()  # the evening reminder goes out, listing 3
    [evening] = texts_to(requester.supporter, f"reminder:shift:{requester.pk}:day-before")
    assert "3 to ask for cover" in evening.body

    inbound(client, "３", requester.supporter.phone, "SM" + "3" * 32)

    assert InboundMessage.objects.get().action == "asked_for_cover"
    assert "We are asking others to cover" in reply_to(requester.supporter).body
    cover = CoverRequest.objects.get(shift=requester)
    assert cover.deadline > datetime(2026, 6, 3, 18, 5, tzinfo=TOKYO)  # late: halfway
    first = candidates[0]
    [offer_text] = texts_to(first, "cover-offer")
    assert "Reply 1" in offer_text.body

    inbound(client, "1", first.phone, "SM" + "1" * 32)

    assert InboundMessage.objects.get(from_number=first.phone).action == "took_cover"
    assert reply_to(first) is None  # the confirmation text says it
    assert texts_to(first, "confirmation")
    cover.refresh_from_db()
    assert cover.taken_by == first
    requester.refresh_from_db()
    assert requester.status == Shift.Status.CANCELLED


def test_replying_1_after_another_took_it_says_so(client, webhook, requester, candidates, settings):
    settings.COVER_ROUND_SIZE = 2
    cover = request_cover(requester, by=None)
    run_outbox()
    first, second, _ = candidates
    take_cover(cover, second, by=None)

    inbound(client, "1", first.phone, "SM" + "4" * 32)

    assert "already covered" in reply_to(first).body


# The pages ---------------------------------------------------------------------------------


def test_my_shifts_asks_for_cover_and_shows_it_is_looked_for(client, requester, candidates):
    client.force_login(requester.supporter.user)
    page = client.get("/me/shifts/").content.decode()
    assert f"/me/shifts/{requester.pk}/cover/" in page
    assert client.get(f"/me/shifts/{requester.pk}/cover/").status_code == 200

    response = client.post(f"/me/shifts/{requester.pk}/cover/", follow=True)

    page = response.content.decode()
    assert "We are asking other supporters" in page
    assert "Looking for cover until" in page
    client.post(f"/me/shifts/{requester.pk}/cover/cancel/")
    assert not CoverRequest.objects.open().exists()


def test_another_supporters_shift_cannot_be_offered_for_cover_from_my_shifts(client, requester):
    client.force_login(factories.supporter().user)
    assert client.post(f"/me/shifts/{requester.pk}/cover/").status_code == 404


def test_the_roster_and_the_home_page_show_open_cover_requests(
    client, session, requester, candidates
):
    request_cover(requester, by=None)
    client.force_login(factories.coordinator())
    for url in (f"/sessions/{session.pk}/roster/", "/"):
        page = client.get(url).content.decode()
        assert "前橋 一郎" in page
        assert "Looking for cover until" in page


# The API -----------------------------------------------------------------------------------


def bearer(user):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def post(client, url, user=None):
    headers = bearer(user) if user else {}
    return client.post(url, json.dumps({}), content_type="application/json", **headers)


def test_the_api_asks_for_cover_and_calls_it_off(client, requester, candidates):
    user = requester.supporter.user
    response = post(client, f"/api/shifts/{requester.pk}/cover", user)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open"
    assert body["deadline"] == "2026-06-03T10:00:00+09:00"
    assert (body["shift_id"], body["asked"]) == (requester.pk, 1)
    assert body["session"]["place"] == "南橘公民館"

    response = post(client, f"/api/shifts/{requester.pk}/cover/cancel", user)
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    response = post(client, f"/api/shifts/{requester.pk}/cover/cancel", user)
    assert (response.status_code, response.json()["code"]) == (409, "not_open")


def test_the_api_refuses_others_shifts_and_people_signed_out(client, requester):
    assert post(client, f"/api/shifts/{requester.pk}/cover").status_code == 401
    other = factories.supporter().user
    assert post(client, f"/api/shifts/{requester.pk}/cover", other).status_code == 404
    response = post(client, f"/api/shifts/{requester.pk}/cover", factories.coordinator())
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_the_api_lets_the_supporter_asked_take_it_once(client, requester, candidates, settings):
    settings.COVER_ROUND_SIZE = 2
    cover = request_cover(requester, by=None)
    first, second, third = candidates

    response = post(client, f"/api/cover-requests/{cover.pk}/take", third.user)
    assert (response.status_code, response.json()["code"]) == (403, "not_asked")
    response = post(client, f"/api/cover-requests/{cover.pk}/take", second.user)
    assert response.status_code == 200
    assert response.json()["status"] == "signed_up"
    response = post(client, f"/api/cover-requests/{cover.pk}/take", first.user)
    assert (response.status_code, response.json()["code"]) == (409, "taken")
    assert response.json()["message"]


def test_only_coordinators_list_cover_requests(client, requester, candidates):
    request_cover(requester, by=None)
    assert client.get("/api/cover-requests").status_code == 401
    response = client.get("/api/cover-requests", **bearer(requester.supporter.user))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = client.get("/api/cover-requests", **bearer(factories.coordinator()))
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["supporter"]["name"] == "前橋 一郎"
    assert (item["asked"], item["declined"]) == (1, 0)


def test_listing_cover_requests_takes_the_same_queries_however_many(
    client, django_assert_num_queries, candidates
):
    headers = bearer(factories.coordinator())

    def ask_on_a_new_session():
        session = factories.session(starts_at=THURSDAY_10AM + timedelta(days=7))
        request_cover(sign_up(english_supporter(), session, by=None), by=None)

    ask_on_a_new_session()
    client.get("/api/cover-requests", **headers)  # warm: the token's first use
    settle_public_version()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/cover-requests", **headers).json()["count"] == 1
    for _ in range(4):
        ask_on_a_new_session()
    settle_public_version()
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get("/api/cover-requests", **headers).json()["count"] == 5
