"""A full session has a waiting list: a freed place is offered to the first in line by SMS, with
a link and "reply 1"; unanswered in time it passes to the next, and coordinators see it all."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.fiscal import TOKYO
from notifications.inbound import receive_sms
from notifications.models import OutboundMessage
from sessions.models import Shift
from sessions.services import (
    ShiftError,
    accept_offer,
    cancel_shift,
    confirm_shift,
    expire_offers,
    join_waitlist,
    offer_deadline,
    offer_next_place,
    sign_up,
)
from sessions.tasks import expire_due_offers, schedule_offer_expiry
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_THURSDAY_10AM as THURSDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.PUBLIC_URL = "https://digisapo.example.jp"


Purpose = OutboundMessage.Purpose


@pytest.fixture
def session(db):
    """A session for two, full."""
    session = factories.session(
        venue=factories.venue(name="南橘公民館"), starts_at=THURSDAY_10AM, supporters_needed=2
    )
    factories.shift(session=session)
    factories.shift(session=session)
    return session


def waiting(session, count=1):
    """`count` supporters in line, first first."""
    return [join_waitlist(s, session) for s in (factories.supporter() for _ in range(count))]


def a_place_frees_up(session):
    shift = Shift.objects.filter(session=session, status=Shift.Status.SIGNED_UP).first()
    cancel_shift(shift, by=None)


def offer_texts(shift):
    return list(
        OutboundMessage.objects.filter(
            purpose=Purpose.WAITLIST_OFFER,
            content_type=ContentType.objects.get_for_model(Shift),
            object_id=shift.pk,
        )
    )


def refresh(*shifts):
    for shift in shifts:
        shift.refresh_from_db()


# Joining the line -------------------------------------------------------------------------


def test_a_full_session_takes_supporters_in_line_in_order(session):
    first, second = waiting(session, 2)
    assert (first.status, first.waitlist_position) == (Shift.Status.WAITLISTED, 1)
    assert second.waitlist_position == 2
    assert session.places_left() == 0


def test_the_waiting_list_is_only_for_full_sessions(db):
    open_session = factories.session(starts_at=THURSDAY_10AM)
    with pytest.raises(ShiftError) as error:
        join_waitlist(factories.supporter(), open_session)
    assert error.value.code == "not_full"


def test_the_waiting_list_checks_the_same_rules_as_signing_up(session):
    for supporter, code in [
        (factories.supporter(training_level=1), "level"),
        (factories.supporter(insurance_valid_until=date(2026, 6, 3)), "insurance"),
    ]:
        session.min_level = 2
        session.save()
        with pytest.raises(ShiftError) as error:
            join_waitlist(supporter, session)
        assert error.value.code == code
    [first] = waiting(session)
    with pytest.raises(ShiftError) as error:
        join_waitlist(first.supporter, session)
    assert error.value.code == "already"


# Offers -----------------------------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_in_line_by_sms_with_a_link(session):
    first, second = waiting(session, 2)

    a_place_frees_up(session)

    refresh(first, second)
    assert first.status == Shift.Status.OFFERED
    assert first.waitlist_position is None
    assert first.offer_expires_at == MONDAY_10AM + timedelta(hours=12)
    assert second.status == Shift.Status.WAITLISTED
    [text] = offer_texts(first)
    assert text.to == first.supporter.phone
    assert "南橘公民館" in text.body
    link = f"https://digisapo.example.jp/offers/{first.pk}/"
    assert text.body.endswith("\n" + link)
    assert reverse("helpdesk_sessions:offer", args=[first.pk]) == f"/offers/{first.pk}/"
    assert session.places_left() == 0  # held for them while they decide


def test_an_offer_is_shorter_when_the_session_is_near(session, settings):
    assert offer_deadline(session) == MONDAY_10AM + timedelta(hours=12)
    session.starts_at = MONDAY_10AM + timedelta(hours=10)
    assert offer_deadline(session) == MONDAY_10AM + timedelta(hours=5)  # half the time left
    session.starts_at = MONDAY_10AM + timedelta(minutes=50)
    assert offer_deadline(session) == MONDAY_10AM + timedelta(minutes=30)  # the minimum
    session.starts_at = MONDAY_10AM + timedelta(minutes=20)
    assert offer_deadline(session) is None  # too late to offer: the board has the place
    settings.SHIFT_OFFER_HOURS = 2
    session.starts_at = THURSDAY_10AM
    assert offer_deadline(session) == MONDAY_10AM + timedelta(hours=2)


def test_an_offer_made_at_night_counts_from_the_morning(session, monday_morning):
    night = datetime(2026, 6, 1, 23, 0, tzinfo=TOKYO)
    assert offer_deadline(session, night) == datetime(2026, 6, 2, 20, 0, tzinfo=TOKYO)


def test_no_offer_is_made_when_the_session_is_about_to_start(session, monday_morning):
    [first] = waiting(session)
    monday_morning.move_to(THURSDAY_10AM - timedelta(minutes=20), tick=False)
    a_place_frees_up(session)
    first.refresh_from_db()
    assert first.status == Shift.Status.WAITLISTED
    assert session.places_left() == 1


def test_taking_the_offer_on_its_page_gives_the_place(client, session):
    [first] = waiting(session)
    a_place_frees_up(session)
    client.force_login(first.supporter.user)
    url = reverse("helpdesk_sessions:offer", args=[first.pk])

    page = client.get(url).content.decode()
    assert "Take this place" in page
    assert "It is kept for you until" in page
    response = client.post(url, {"answer": "accept"}, follow=True)

    assert response.redirect_chain == [(reverse("helpdesk_sessions:my_shifts"), 302)]
    assert "The place is yours." in response.content.decode()
    first.refresh_from_db()
    assert first.status == Shift.Status.SIGNED_UP
    assert OutboundMessage.objects.filter(purpose=Purpose.CONFIRMATION, to=first.supporter.phone)
    assert OutboundMessage.objects.filter(purpose=Purpose.REMINDER, to=first.supporter.phone)


def test_an_offer_whose_time_ran_out_is_closed_on_every_page_before_the_job_runs(
    client, session, monday_morning
):
    [first] = waiting(session)
    a_place_frees_up(session)
    first.refresh_from_db()
    assert first.is_offer_open
    monday_morning.move_to(first.offer_expires_at + timedelta(minutes=1), tick=False)
    client.force_login(first.supporter.user)

    first.refresh_from_db()
    assert first.status == Shift.Status.OFFERED  # the expiry job has not run yet
    assert not first.is_offer_open
    offer_page = client.get(reverse("helpdesk_sessions:offer", args=[first.pk])).content.decode()
    my_shifts = client.get(reverse("helpdesk_sessions:my_shifts")).content.decode()
    board = client.get(reverse("helpdesk_sessions:board")).content.decode()

    assert "Take this place" not in offer_page
    assert "This offer has passed" in offer_page
    for page in (my_shifts, board):
        assert "Take the place, or turn it down" not in page
        assert "offered until" not in page


def test_the_offer_page_belongs_to_the_supporter_offered(client, session):
    [first] = waiting(session)
    a_place_frees_up(session)
    client.force_login(factories.supporter().user)
    assert client.get(reverse("helpdesk_sessions:offer", args=[first.pk])).status_code == 404


def test_replying_1_takes_the_offered_place(session):
    [first] = waiting(session)
    a_place_frees_up(session)

    inbound = receive_sms(sid="SM1", from_number=first.supporter.phone, to_number="", body="１")

    assert inbound.action == "accepted_offer"
    first.refresh_from_db()
    assert first.status == Shift.Status.SIGNED_UP
    [reply] = OutboundMessage.objects.filter(purpose=Purpose.REPLY)
    assert "南橘公民館" in reply.body


def test_confirm_shift_on_an_offered_place_takes_it(session):
    [first] = waiting(session)
    a_place_frees_up(session)
    first.refresh_from_db()
    assert confirm_shift(first).status == Shift.Status.SIGNED_UP


def test_turning_the_offer_down_passes_it_to_the_next(client, session):
    first, second = waiting(session, 2)
    a_place_frees_up(session)
    client.force_login(first.supporter.user)

    client.post(reverse("helpdesk_sessions:offer", args=[first.pk]), {"answer": "decline"})

    refresh(first, second)
    assert first.status == Shift.Status.CANCELLED
    assert second.status == Shift.Status.OFFERED
    assert len(offer_texts(second)) == 1


def test_an_unanswered_offer_passes_to_the_next_when_its_time_is_up(session, monday_morning):
    first, second = waiting(session, 2)
    a_place_frees_up(session)
    first.refresh_from_db()

    monday_morning.move_to(first.offer_expires_at - timedelta(seconds=1), tick=False)
    assert expire_offers() == 0
    monday_morning.move_to(first.offer_expires_at, tick=False)
    assert expire_offers() == 1

    refresh(first, second)
    assert first.status == Shift.Status.CANCELLED
    assert first.offer_expires_at is not None  # kept: the roster shows it lapsed
    assert second.status == Shift.Status.OFFERED
    # Passed on at 22:00: the text waits for 08:00, and so does the clock of the offer.
    assert timezone.localtime(timezone.now()).hour == 22
    assert second.offer_expires_at == datetime(2026, 6, 2, 20, 0, tzinfo=TOKYO)
    assert len(offer_texts(second)) == 1
    assert expire_offers() == 0


def test_taking_an_offer_too_late_is_refused_and_passes_it_on(session, monday_morning):
    first, second = waiting(session, 2)
    a_place_frees_up(session)
    first.refresh_from_db()
    monday_morning.move_to(first.offer_expires_at + timedelta(minutes=1), tick=False)

    with pytest.raises(ShiftError) as error:
        accept_offer(first, by=first.supporter.user)

    assert error.value.code == "offer_expired"
    refresh(first, second)
    assert first.status == Shift.Status.CANCELLED
    assert second.status == Shift.Status.OFFERED


def test_a_supporter_who_can_no_longer_take_the_place_is_passed_over(session):
    first, second = waiting(session, 2)
    first.supporter.insurance_valid_until = date(2026, 5, 31)
    first.supporter.save()

    a_place_frees_up(session)

    refresh(first, second)
    assert first.status == Shift.Status.WAITLISTED  # keeps their place in line
    assert second.status == Shift.Status.OFFERED


def test_signing_up_from_the_line_takes_an_open_place(session, monday_morning):
    [first] = waiting(session)
    monday_morning.move_to(THURSDAY_10AM - timedelta(minutes=20), tick=False)
    a_place_frees_up(session)  # too late for an offer: the place is open on the board
    shift = sign_up(first.supporter, session, by=first.supporter.user)
    assert shift.pk == first.pk
    assert (shift.status, shift.waitlist_position) == (Shift.Status.SIGNED_UP, None)


def test_more_places_needed_are_offered_to_the_line(session):
    first, second = waiting(session, 2)
    session.supporters_needed = 3
    session.save()

    assert expire_offers() == 0

    refresh(first, second)
    assert first.status == Shift.Status.OFFERED
    assert second.status == Shift.Status.WAITLISTED
    assert offer_next_place(session) == []  # nothing more is open


def test_the_board_shows_the_offer_and_links_to_it(client, session):
    [first] = waiting(session)
    a_place_frees_up(session)
    client.force_login(first.supporter.user)
    html = client.get(reverse("helpdesk_sessions:board")).content.decode()
    assert "A place is offered to you until" in html
    assert f'href="/offers/{first.pk}/"' in html


# Coordinators see who was offered what -----------------------------------------------------


def test_the_roster_shows_offers_with_their_deadline_and_the_texts_sent(
    coordinator_client, session, monday_morning
):
    first, second, third = waiting(session, 3)
    a_place_frees_up(session)
    first.refresh_from_db()
    monday_morning.move_to(first.offer_expires_at, tick=False)
    expire_offers()

    html = coordinator_client.get(
        reverse("helpdesk_sessions:roster", args=[session.pk])
    ).content.decode()

    section = html[html.index('id="waiting-heading"') :]
    assert f"{second.supporter.full_name} — " in section
    assert "place offered until" in section
    assert f"{third.supporter.full_name} — waiting" in section
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\">(.*?)</th>.*?<td>([^<]*)</td>\s*</tr>", section, re.S
    )
    assert [(name, outcome.split(" ")[0]) for name, outcome in rows] == [
        (first.supporter.full_name, "lapsed"),
        (second.supporter.full_name, "open"),
    ]


# The worker ---------------------------------------------------------------------------------


def test_each_offer_schedules_the_worker_at_its_deadline(
    session, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    [first] = waiting(session)
    with django_capture_on_commit_callbacks(execute=True):
        a_place_frees_up(session)
    first.refresh_from_db()
    runs = DBTaskResult.objects.filter(task_path=expire_due_offers.module_path)
    [run] = runs
    assert run.run_after == first.offer_expires_at
    schedule_offer_expiry(first.offer_expires_at)  # already scheduled: not twice
    assert runs.count() == 1


def test_the_worker_passes_lapsed_offers_on_and_schedules_the_next_deadline(
    session, settings, monday_morning
):
    first, second = waiting(session, 2)
    a_place_frees_up(session)
    first.refresh_from_db()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monday_morning.move_to(first.offer_expires_at, tick=False)

    assert expire_due_offers.call() == 1

    second.refresh_from_db()
    assert second.status == Shift.Status.OFFERED
    [run] = DBTaskResult.objects.filter(task_path=expire_due_offers.module_path)
    assert run.run_after == second.offer_expires_at
