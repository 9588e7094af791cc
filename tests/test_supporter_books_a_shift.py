"""A supporter picks a shift on the board: one tap to sign up, one to cancel, every rule refused
with its own clear message; My shifts shows what is coming and the hours served."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone, translation

from config import public_pages
from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from sessions.models import Session, Shift
from sessions.services import ShiftError, cancel_shift, sign_up
from supporters.models import Supporter
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_WEDNESDAY_10AM as WEDNESDAY_10AM
from tests.csrf import assert_forms_carry_the_visitors_token
from tests.pages import parse, third_party_urls, unlabelled_fields

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


Purpose = OutboundMessage.Purpose
Status = OutboundMessage.Status

BOARD = reverse("helpdesk_sessions:board")
MY_SHIFTS = reverse("helpdesk_sessions:my_shifts")


@pytest.fixture
def session(db):
    venue = factories.venue(name="東公民館", district=factories.district(code="azuma", name="東"))
    return factories.session(venue=venue, starts_at=WEDNESDAY_10AM, supporters_needed=2)


def refusal(call) -> ShiftError:
    with pytest.raises(ShiftError) as error:
        call()
    return error.value


def texts(purpose, to=None):
    messages = OutboundMessage.objects.filter(purpose=purpose)
    return list(messages.filter(to=to) if to else messages)


# The rules (sessions.services) ---------------------------------------------------------------


def test_signing_up_takes_a_place_texts_a_confirmation_and_schedules_reminders(supporter, session):
    shift = sign_up(supporter, session, by=supporter.user)

    assert (shift.status, shift.role) == (Shift.Status.SIGNED_UP, Shift.Role.HELPER)
    assert session.places_left() == 1
    [confirmation] = texts(Purpose.CONFIRMATION)
    assert confirmation.to == supporter.phone
    assert "東公民館" in confirmation.body
    reminders = texts(Purpose.REMINDER)
    assert sorted(timezone.localtime(m.send_after).hour for m in reminders) == [8, 18]


def test_a_full_session_refuses_a_sign_up_as_full(supporter, session):
    factories.shift(session=session)
    factories.shift(session=session)

    with translation.override("en"):
        error = refusal(lambda: sign_up(supporter, session, by=supporter.user))
        assert "waiting list" in str(error.message)

    assert error.code == "full"
    assert not Shift.objects.filter(supporter=supporter).exists()


def test_an_offered_place_counts_as_taken(supporter, session):
    factories.shift(session=session)
    factories.shift(session=session, status=Shift.Status.OFFERED, offer_expires_at=WEDNESDAY_10AM)
    assert refusal(lambda: sign_up(supporter, session, by=supporter.user)).code == "full"


def test_a_supporter_cannot_take_two_shifts_at_the_same_time(supporter, session):
    other = factories.session(
        starts_at=WEDNESDAY_10AM + timedelta(hours=1), ends_at=WEDNESDAY_10AM + timedelta(hours=3)
    )
    factories.shift(session=other, supporter=supporter)

    assert refusal(lambda: sign_up(supporter, session, by=supporter.user)).code == "overlap"


def test_back_to_back_shifts_and_cancelled_ones_do_not_overlap(supporter, session):
    after = factories.session(starts_at=session.ends_at)
    factories.shift(session=after, supporter=supporter)
    during = factories.session(starts_at=WEDNESDAY_10AM)
    factories.shift(session=during, supporter=supporter, status=Shift.Status.CANCELLED)
    called_off = factories.session(starts_at=WEDNESDAY_10AM, status=Session.Status.CANCELLED)
    factories.shift(session=called_off, supporter=supporter)

    assert sign_up(supporter, session, by=supporter.user).status == Shift.Status.SIGNED_UP


def test_a_session_above_the_supporters_level_is_refused(session):
    beginner = factories.supporter(training_level=2)
    session.min_level = 3
    session.save()

    with translation.override("en"):
        error = refusal(lambda: sign_up(beginner, session, by=beginner.user))
        assert str(error.message) == "This session needs training level 3 or above; yours is 2."

    assert error.code == "level"
    session.min_level = 2
    session.save()
    assert sign_up(beginner, session, by=beginner.user).status == Shift.Status.SIGNED_UP


def test_insurance_must_be_valid_on_the_day_of_the_session(session):
    lapsing = factories.supporter(insurance_valid_until=date(2026, 6, 2))
    uninsured = factories.supporter(insurance_valid_until=None)
    covered = factories.supporter(insurance_valid_until=date(2026, 6, 3))

    assert refusal(lambda: sign_up(lapsing, session, by=lapsing.user)).code == "insurance"
    assert refusal(lambda: sign_up(uninsured, session, by=uninsured.user)).code == "insurance"
    assert sign_up(covered, session, by=covered.user).status == Shift.Status.SIGNED_UP


def test_a_paused_or_withdrawn_supporter_cannot_sign_up(session):
    paused = factories.supporter(status=Supporter.Status.PAUSED, paused_on=date(2026, 5, 1))
    gone = factories.supporter(status=Supporter.Status.WITHDRAWN, withdrawn_on=date(2026, 5, 1))
    for supporter in (paused, gone):
        assert refusal(lambda s=supporter: sign_up(s, session, by=s.user)).code == "inactive"


def test_a_cancelled_or_started_session_takes_no_sign_ups(supporter, session, monday_morning):
    session.status = Session.Status.CANCELLED
    session.save()
    assert refusal(lambda: sign_up(supporter, session, by=supporter.user)).code == (
        "session_cancelled"
    )
    session.status = Session.Status.SCHEDULED
    session.save()
    monday_morning.move_to(WEDNESDAY_10AM + timedelta(minutes=1), tick=False)
    assert refusal(lambda: sign_up(supporter, session, by=supporter.user)).code == "started"


def test_signing_up_twice_is_refused(supporter, session):
    sign_up(supporter, session, by=supporter.user)
    assert refusal(lambda: sign_up(supporter, session, by=supporter.user)).code == "already"
    assert Shift.objects.filter(supporter=supporter).count() == 1


def test_nobody_signs_up_someone_else_but_a_coordinator(supporter, session, coordinator):
    other = factories.supporter()
    assert refusal(lambda: sign_up(supporter, session, by=other.user)).code == "forbidden"
    assert sign_up(supporter, session, by=coordinator).status == Shift.Status.SIGNED_UP


def test_signing_up_again_after_cancelling_makes_a_new_shift(supporter, session):
    first = sign_up(supporter, session, by=supporter.user)
    cancel_shift(first, by=supporter.user)
    again = sign_up(supporter, session, by=supporter.user)
    assert again.pk != first.pk
    assert again.status == Shift.Status.SIGNED_UP


def test_cancelling_frees_the_place_calls_off_reminders_and_texts_the_supporter(supporter, session):
    shift = sign_up(supporter, session, by=supporter.user)

    cancel_shift(shift, by=supporter.user)

    shift.refresh_from_db()
    assert shift.status == Shift.Status.CANCELLED
    assert shift.cancelled_at == timezone.now()
    assert session.places_left() == 2
    assert {m.status for m in texts(Purpose.REMINDER)} == {Status.CANCELLED}
    [notice] = texts(Purpose.CANCELLATION)
    assert notice.to == supporter.phone
    assert shift.sequence == 1  # the calendar feed sees the change


def test_cancelling_more_than_24_hours_ahead_tells_no_coordinator(supporter, session):
    factories.coordinator(phone=factories.phone_number())
    shift = sign_up(supporter, session, by=supporter.user)
    cancel_shift(shift, by=supporter.user)  # 48 hours before
    assert [m.to for m in texts(Purpose.CANCELLATION)] == [supporter.phone]


def test_cancelling_within_24_hours_is_allowed_but_texts_the_coordinators(
    supporter, session, monday_morning
):
    reachable = factories.coordinator(phone=factories.phone_number(), language="en")
    factories.coordinator()  # no phone: nothing to send
    shift = sign_up(supporter, session, by=supporter.user)
    monday_morning.move_to(WEDNESDAY_10AM - timedelta(hours=23, minutes=59), tick=False)

    cancel_shift(shift, by=supporter.user)

    [late] = texts(Purpose.CANCELLATION, to=reachable.phone)
    assert late.body.startswith("Late cancellation: 前橋 花子")
    assert "東公民館" in late.body
    assert late.idempotency_key == f"late-cancellation:shift:{shift.pk}:to:{reachable.pk}"


def test_a_coordinator_taking_someone_off_late_is_not_told_about_it(
    supporter, session, coordinator, monday_morning
):
    factories.coordinator(phone=factories.phone_number())
    shift = sign_up(supporter, session, by=supporter.user)
    monday_morning.move_to(WEDNESDAY_10AM - timedelta(hours=2), tick=False)
    cancel_shift(shift, by=coordinator)
    assert [m.to for m in texts(Purpose.CANCELLATION)] == [supporter.phone]


def test_a_shift_cannot_be_cancelled_once_the_session_started(supporter, session, monday_morning):
    shift = sign_up(supporter, session, by=supporter.user)
    monday_morning.move_to(WEDNESDAY_10AM, tick=False)
    assert refusal(lambda: cancel_shift(shift, by=supporter.user)).code == "started"


def test_only_the_supporter_or_a_coordinator_cancels_a_shift(supporter, session):
    shift = sign_up(supporter, session, by=supporter.user)
    other = factories.supporter()
    assert refusal(lambda: cancel_shift(shift, by=other.user)).code == "forbidden"


# The board page ------------------------------------------------------------------------------


def card_of(html: str, session) -> str:
    match = re.search(
        rf'<li class="card session-card[^"]*" id="session-{session.pk}">.*?</li>', html, re.S
    )
    assert match, f"no card for session {session.pk}"
    return match[0]


def test_the_board_lists_sessions_that_need_supporters_by_day(supporter_client, supporter, session):
    hanako = factories.supporter(given_name="花子")
    factories.shift(session=session, supporter=hanako, role=Shift.Role.LEAD)
    dispatch = factories.session(
        kind=Session.Kind.DISPATCH,
        venue=None,
        place_name="大手町自治会館",
        address="前橋市大手町1-1-1",
        district=factories.district(code="honcho"),
        starts_at=WEDNESDAY_10AM + timedelta(days=1),
        min_level=2,
    )
    factories.session(starts_at=WEDNESDAY_10AM, status=Session.Status.CANCELLED)
    factories.session(starts_at=WEDNESDAY_10AM, supporters_needed=0)
    factories.session(starts_at=MONDAY_10AM - timedelta(hours=1))  # started

    response = supporter_client.get(BOARD)

    assert response.status_code == 200
    html = response.content.decode()
    cards = re.findall(r'id="session-(\d+)"', html)
    assert cards == [str(session.pk), str(dispatch.pk)]
    days = re.findall(r'<h2 class="day-heading" id="day-(\d+)"', html)
    assert days == ["20260603", "20260604"]
    card = card_of(html, session)
    assert "Help desk" in card
    assert '東公民館 <span class="muted">· 東</span>' in card
    assert "10:00–12:00" in card
    assert "1 of 2 supporters" in card
    assert "花子" in card
    assert "前橋" not in card  # given names only
    assert "Level 1 or above" in card
    assert "Sign up" in card
    visit = card_of(html, dispatch)
    assert "Group visit" in visit
    assert '大手町自治会館 <span class="muted">· 本庁管内</span>' in visit
    assert "Level 2 or above" in visit
    page = parse(response)
    assert third_party_urls(page) == []
    assert unlabelled_fields(page) == []


def test_the_board_shows_the_viewers_own_status(supporter_client, supporter, session):
    sign_up(supporter, session, by=supporter.user)
    card = card_of(supporter_client.get(BOARD).content.decode(), session)
    assert "You are signed up" in card
    assert "Cancel my shift" in card
    assert "you" in card


def test_the_board_filters_by_kind_venue_district_and_dates(supporter_client, session):
    azuma = factories.district(code="azuma")
    nankitsu = factories.district(code="nankitsu")
    hall = factories.venue(district=nankitsu)
    at_hall = factories.session(venue=hall, starts_at=WEDNESDAY_10AM + timedelta(days=1))
    a_class = factories.session(kind=Session.Kind.CLASS, starts_at=WEDNESDAY_10AM)
    later = factories.session(venue=session.venue, starts_at=WEDNESDAY_10AM + timedelta(days=30))

    def listed(**query):
        html = supporter_client.get(BOARD, query).content.decode()
        return [int(pk) for pk in re.findall(r'id="session-(\d+)"', html)]

    assert listed() == [session.pk, a_class.pk, at_hall.pk]
    assert listed(kind="class") == [a_class.pk]
    assert listed(venue=hall.pk) == [at_hall.pk]
    assert listed(district="nankitsu") == [at_hall.pk]
    assert set(listed(district=azuma.code)) == {session.pk}
    assert listed(date_from="2026-07-01", date_to="2026-07-10") == [later.pk]
    assert listed(date_from="2026-06-04") == [at_hall.pk]


def test_only_where_im_needed_leaves_out_full_sessions_mine_and_those_above_my_level(
    supporter_client, supporter, session
):
    full = factories.session(starts_at=WEDNESDAY_10AM, supporters_needed=1)
    factories.shift(session=full)
    mine = factories.session(starts_at=WEDNESDAY_10AM + timedelta(days=1))
    sign_up(supporter, mine, by=supporter.user)
    too_hard = factories.session(starts_at=WEDNESDAY_10AM, min_level=5)
    html = supporter_client.get(BOARD, {"needed": "on"}).content.decode()
    assert re.findall(r'id="session-(\d+)"', html) == [str(session.pk)]
    everything = supporter_client.get(BOARD).content.decode()
    for other in (full, mine, too_hard):
        assert f'id="session-{other.pk}"' in everything


def test_the_board_shows_two_weeks_and_links_to_the_next_ones(supporter_client, session):
    far = factories.session(starts_at=MONDAY_10AM + timedelta(days=15))
    html = supporter_client.get(BOARD).content.decode()
    assert f'id="session-{far.pk}"' not in html
    later = re.search(r'href="\?([^"]*)">Later dates', html)[1].replace("&amp;", "&")
    assert "date_from=2026-06-15" in later
    assert "date_to=2026-06-28" in later
    assert f'id="session-{far.pk}"' in supporter_client.get(f"{BOARD}?{later}").content.decode()


def test_the_board_is_for_supporters_and_coordinators(client, session):
    assert client.get(BOARD).status_code == 302
    client.force_login(factories.user())
    assert client.get(BOARD).status_code == 403
    client.force_login(factories.coordinator())
    response = client.get(BOARD)
    assert response.status_code == 200
    card = card_of(response.content.decode(), session)
    assert "Sign up" not in card  # coordinators add people from the roster
    assert reverse("helpdesk_sessions:roster", args=[session.pk]) in card


def test_one_tap_signs_up_and_comes_back_to_the_board(supporter_client, supporter, session):
    back = f"{BOARD}?kind=helpdesk"
    response = supporter_client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]), {"next": back}, follow=True
    )
    assert response.redirect_chain == [(back, 302)]
    assert "You are signed up. Thank you!" in response.content.decode()
    assert Shift.objects.get(supporter=supporter).status == Shift.Status.SIGNED_UP


def test_with_htmx_signing_up_swaps_the_card(supporter_client, supporter, session):
    response = supporter_client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]),
        {"next": BOARD},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(
        f'<li class="card session-card session-card--mine" id="session-{session.pk}">'
    )
    assert "<html" not in html
    assert "You are signed up" in html
    assert "1 of 2 supporters" in html


def test_a_refused_sign_up_says_why(supporter_client, supporter, session):
    session.min_level = 5
    session.save()
    response = supporter_client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]), {"next": BOARD}, follow=True
    )
    assert "This session needs training level 5 or above; yours is 3." in response.content.decode()
    htmx = supporter_client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]),
        {"next": BOARD},
        headers={"HX-Request": "true"},
    )
    assert 'role="alert">This session needs training level 5' in htmx.content.decode()
    assert not Shift.objects.exists()


def test_a_full_session_offers_the_waiting_list_instead(supporter_client, supporter, session):
    factories.shift(session=session)
    factories.shift(session=session)
    card = card_of(supporter_client.get(BOARD).content.decode(), session)
    assert "All places are taken." in card
    assert reverse("helpdesk_sessions:waitlist", args=[session.pk]) in card
    assert reverse("helpdesk_sessions:sign_up", args=[session.pk]) not in card

    response = supporter_client.post(
        reverse("helpdesk_sessions:waitlist", args=[session.pk]), {"next": BOARD}, follow=True
    )
    assert "You are on the waiting list." in response.content.decode()
    assert "You are number 1 on the waiting list" in card_of(response.content.decode(), session)


def test_cancelling_asks_first_on_a_page_of_its_own(supporter_client, supporter, session):
    sign_up(supporter, session, by=supporter.user)
    url = reverse("helpdesk_sessions:cancel", args=[session.pk])

    question = supporter_client.get(url, {"next": BOARD})
    assert question.status_code == 200
    assert "Cancel your shift on this session?" in question.content.decode()
    assert Shift.objects.get().status == Shift.Status.SIGNED_UP
    assert unlabelled_fields(parse(question)) == []

    response = supporter_client.post(url, {"next": BOARD}, follow=True)
    assert "Your shift is cancelled." in response.content.decode()
    assert Shift.objects.get().status == Shift.Status.CANCELLED


def test_cancelling_late_warns_that_the_coordinators_will_be_told(
    supporter_client, supporter, session, monday_morning
):
    sign_up(supporter, session, by=supporter.user)
    monday_morning.move_to(WEDNESDAY_10AM - timedelta(hours=3), tick=False)
    page = supporter_client.get(reverse("helpdesk_sessions:cancel", args=[session.pk]))
    assert "less than 24 hours: the coordinators will be told" in page.content.decode()


def test_with_htmx_the_card_asks_and_then_cancels(supporter_client, supporter, session):
    sign_up(supporter, session, by=supporter.user)
    url = reverse("helpdesk_sessions:cancel", args=[session.pk])
    question = supporter_client.get(url, {"next": BOARD}, headers={"HX-Request": "true"})
    html = question.content.decode()
    assert html.strip().startswith("<li")
    assert f'hx-post="{url}"' in html

    answer = supporter_client.post(url, {"next": BOARD}, headers={"HX-Request": "true"})
    assert "Your shift is cancelled." in answer.content.decode()
    assert "Sign up" in answer.content.decode()


def test_a_supporter_cannot_cancel_what_they_do_not_have(supporter_client, session):
    url = reverse("helpdesk_sessions:cancel", args=[session.pk])
    assert supporter_client.get(url).status_code == 404
    assert supporter_client.post(url).status_code == 404


def test_the_board_runs_the_same_queries_for_5_or_100_sessions(
    supporter_client, supporter, django_assert_max_num_queries
):
    def fill(count):
        for n in range(count):
            session = factories.session(starts_at=MONDAY_10AM + timedelta(hours=3 + n * 3))
            factories.shift(session=session)
            factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)

    fill(5)
    # The session, the user with their supporter and roles, the viewer's own shifts, the public
    # content version, the page count, the filters' venues and districts, the sessions and their
    # shifts: rendered afresh, as after any change.
    window = {"date_to": "2026-12-31"}
    to_render_afresh(supporter_client, BOARD, window)
    with django_assert_max_num_queries(9) as few:
        assert supporter_client.get(BOARD, window).status_code == 200
    afresh = len(few.captured_queries)
    fill(95)
    to_render_afresh(supporter_client, BOARD, window)
    with django_assert_max_num_queries(afresh):
        response = supporter_client.get(BOARD, window)
    assert response.content.decode().count("session-card") >= 30  # a full page


def to_render_afresh(client, url, data=None):
    """Set up the next request for `url` as after a committed change, with the queries
    production makes then: a first request settles the public content version (in a test's
    transaction, which never commits, a write makes the next request store a new version,
    config/public_pages.py) and keeps what every version shares; then a new version, as a
    commit makes."""
    client.get(url, data)
    public_pages._new_version()


def test_the_board_seen_again_in_the_same_state_costs_two_queries(
    supporter_client, supporter, session, django_assert_max_num_queries
):
    """The list, the viewer's own shifts and the signed-in user are kept (`kept_page`,
    `kept_value`, supporters/backends.py): the session and the version are all a second look
    asks of the database."""
    factories.shift(session=session)
    first = supporter_client.get(BOARD).content.decode()
    with django_assert_max_num_queries(2) as queries:
        again = supporter_client.get(BOARD).content.decode()

    assert len(queries.captured_queries) == 2
    assert _without_tokens(again) == _without_tokens(first)
    assert f'id="session-{session.pk}"' in again


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_board_counts_and_lists_its_sessions_without_grouping_rows(
    supporter_client, session, django_assert_max_num_queries
):
    """Places taken are a subquery per session, not a join with GROUP BY (issue 9): the page
    count is a bare COUNT(*) of the sessions, however many there are."""
    to_render_afresh(supporter_client, BOARD)
    with django_assert_max_num_queries(9) as queries:
        assert supporter_client.get(BOARD).status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    counts = [query for query in sql if query.startswith("SELECT COUNT(*)")]

    assert len(counts) == 1
    assert "(SELECT" not in counts[0]
    assert not any('GROUP BY "helpdesk_sessions_session"."id"' in query for query in sql)


def rendered(response) -> list[str]:
    return [template.name for template in response.templates]


def test_a_cards_shared_part_is_rendered_once_for_every_supporter_who_opens_the_board(
    client, supporter, session
):
    caches["fragments"].clear()
    other = factories.supporter()
    client.force_login(supporter.user)
    first = client.get(BOARD)
    client.force_login(other.user)
    second = client.get(BOARD)

    assert rendered(first).count("sessions/_session_card_public.html") == 1
    assert "sessions/_session_card_public.html" not in rendered(second)
    assert "0 of 2 supporters" in second.content.decode()


def test_the_board_never_shows_a_stale_card_after_a_sign_up_or_a_cancellation(
    client, supporter, session
):
    other = factories.supporter(given_name="花子")
    client.force_login(supporter.user)
    assert "0 of 2 supporters" in client.get(BOARD).content.decode()

    shift = sign_up(other, session, by=other.user)
    html = client.get(BOARD).content.decode()
    assert "1 of 2 supporters" in html
    assert "花子" in html

    cancel_shift(shift, by=other.user)
    html = client.get(BOARD).content.decode()
    assert "0 of 2 supporters" in html
    assert "花子" not in html


def test_a_card_on_the_team_reads_you_for_the_viewer_only(client, supporter, session):
    sign_up(supporter, session, by=supporter.user)
    client.force_login(supporter.user)
    mine = client.get(BOARD).content.decode()
    client.force_login(factories.supporter().user)
    theirs = client.get(BOARD).content.decode()

    assert "Supporters:</span>\n    you</p>" in mine
    assert f"Supporters:</span>\n    {supporter.short_name}</p>" in theirs


def test_the_shared_parts_follow_the_language_they_are_asked_in(client, supporter, session):
    client.force_login(supporter.user)
    english = client.get(BOARD).content.decode()
    japanese = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert "0 of 2 supporters" in english
    assert "0 of 2 supporters" not in japanese
    assert "All venues" in english
    assert "All venues" not in japanese


def test_the_list_of_cards_is_rendered_once_for_supporters_who_see_the_same(
    client, supporter, session
):
    caches["fragments"].clear()
    client.force_login(supporter.user)
    first = client.get(BOARD)
    client.force_login(factories.supporter().user)
    second = client.get(BOARD)

    assert "sessions/_board_days.html" in rendered(first)
    assert "sessions/_board_days.html" not in rendered(second)
    sign_up_url = reverse("helpdesk_sessions:sign_up", args=[session.pk])
    assert f'action="{sign_up_url}"' in second.content.decode()


def test_two_supporters_in_a_row_each_see_only_their_own_shift_and_buttons(
    client, supporter, session
):
    sign_up(supporter, session, by=supporter.user)
    client.force_login(supporter.user)
    mine = client.get(BOARD).content.decode()
    client.force_login(factories.supporter().user)
    theirs = client.get(BOARD).content.decode()
    client.force_login(supporter.user)
    mine_again = client.get(BOARD).content.decode()

    for html in (mine, mine_again):
        assert "You are signed up" in html
        assert "Cancel my shift" in html
        assert ">Sign up</button>" not in html
    assert "You are signed up" not in theirs
    assert "Cancel my shift" not in theirs
    assert ">Sign up</button>" in theirs


def test_each_response_carries_its_own_csrf_token_and_way_back(client, supporter, session):
    other = factories.supporter()
    client.force_login(supporter.user)
    client.get(BOARD)
    client.force_login(other.user)
    response = client.get(BOARD, {"kind": "helpdesk", "needed": "on"})
    html = response.content.decode()

    card = html[html.index(f'id="session-{session.pk}"') :]
    assert_forms_carry_the_visitors_token(response, card)
    assert "__board-" not in html
    assert f'name="next" value="{BOARD}?kind=helpdesk&amp;needed=on"' in card

    sign_up(other, session, by=other.user)
    html = client.get(BOARD, {"kind": "helpdesk"}).content.decode()
    assert f"?next={BOARD}%3Fkind%3Dhelpdesk" in html


def test_the_filters_offer_a_new_venue_at_once(client, supporter):
    client.force_login(supporter.user)
    client.get(BOARD)
    factories.venue(name="新しい公民館")

    assert "新しい公民館" in client.get(BOARD).content.decode()


# My shifts -----------------------------------------------------------------------------------


def test_my_shifts_shows_the_way_there_and_the_access_notes(supporter_client, supporter, session):
    session.venue.latitude = Decimal("36.389000")
    session.venue.longitude = Decimal("139.096000")
    session.venue.access_notes = "バス停「東公民館前」すぐ"
    session.venue.save()
    sign_up(supporter, session, by=supporter.user)

    response = supporter_client.get(MY_SHIFTS)

    html = response.content.decode()
    assert "東公民館" in html
    assert "バス停「東公民館前」すぐ" in html
    assert (
        'href="https://www.openstreetmap.org/?mlat=36.389000&amp;mlon=139.096000'
        '#map=17/36.389000/139.096000"'
    ) in html
    # A link to the map, never a request to it: no script, image or frame from another site.
    assert [url for url in third_party_urls(parse(response)) if "openstreetmap" not in url] == []
    assert not re.search(r"<(img|iframe|script)[^>]+openstreetmap", html)


def test_my_shifts_lists_past_ones_and_hours_per_fiscal_year(supporter_client, supporter):
    def served(start, hours, status=Shift.Status.ATTENDED):
        session = factories.session(
            starts_at=start, ends_at=start + timedelta(hours=hours), status=Session.Status.HELD
        )
        return factories.shift(session=session, supporter=supporter, status=status)

    served(datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), 2)  # FY2025
    served(datetime(2026, 3, 31, 13, 0, tzinfo=TOKYO), 1.5)  # FY2025, its last day
    served(datetime(2026, 4, 1, 9, 0, tzinfo=TOKYO), 3, status=Shift.Status.SIGNED_UP)  # FY2026
    served(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO), 3, status=Shift.Status.NO_SHOW)
    served(datetime(2026, 5, 2, 9, 0, tzinfo=TOKYO), 3, status=Shift.Status.CANCELLED)

    response = supporter_client.get(MY_SHIFTS)

    rows = [(row["fiscal_year"], row["hours"], row["shifts"]) for row in response.context["hours"]]
    assert rows == [(2026, 3.0, 1), (2025, 3.5, 2)]
    html = response.content.decode()
    assert "FY2025 (Reiwa 7)" in html
    assert len(response.context["past"].object_list) == 4  # served and missed, not cancelled
    assert "You have no coming shifts." in html


def test_my_shifts_is_for_supporters(client, db):
    client.force_login(factories.coordinator())
    assert client.get(MY_SHIFTS).status_code == 403


def test_past_shifts_render_once_and_show_marked_attendance_at_once(client, supporter):
    caches["fragments"].clear()
    held = factories.session(starts_at=MONDAY_10AM - timedelta(days=3), status="held")
    shift = factories.shift(session=held, supporter=supporter, status=Shift.Status.ATTENDED)
    client.force_login(supporter.user)
    first, second = client.get(MY_SHIFTS), client.get(MY_SHIFTS)
    shift.status = Shift.Status.NO_SHOW
    shift.save()
    marked = client.get(MY_SHIFTS)

    assert rendered(first).count("sessions/_past_shift_rows.html") == 1
    assert "sessions/_past_shift_rows.html" not in rendered(second)
    assert "Attended" in second.content.decode()
    assert "Did not come" in marked.content.decode()
    assert "Attended" not in marked.content.decode()


def test_my_shifts_runs_the_same_queries_for_5_or_100_shifts(
    supporter_client, supporter, django_assert_max_num_queries
):
    def fill(count, offset):
        for n in range(count):
            start = MONDAY_10AM + timedelta(days=1 + offset + n)
            factories.shift(session=factories.session(starts_at=start), supporter=supporter)
            past = MONDAY_10AM - timedelta(days=1 + offset + n)
            factories.shift(
                session=factories.session(starts_at=past, status=Session.Status.HELD),
                supporter=supporter,
                status=Shift.Status.ATTENDED,
            )

    fill(5, 0)
    # The session, the user with their supporter and roles, the version, the past page's count
    # and rows, the hours, the coming shifts.
    to_render_afresh(supporter_client, MY_SHIFTS)
    with django_assert_max_num_queries(7) as few:
        supporter_client.get(MY_SHIFTS)
    afresh = len(few.captured_queries)
    fill(95, 5)
    to_render_afresh(supporter_client, MY_SHIFTS)
    with django_assert_max_num_queries(afresh):
        response = supporter_client.get(MY_SHIFTS)
    assert response.content.decode().count('id="shift-') == 100
    # Seen again with nothing changed: kept, so only who is asking and the version are read.
    with django_assert_max_num_queries(3):
        again = supporter_client.get(MY_SHIFTS)
    assert _without_tokens(again.content.decode()) == _without_tokens(response.content.decode())


def test_a_shift_can_be_cancelled_only_while_its_session_is_on_and_not_started(db):
    soon = factories.session(starts_at=timezone.now() + timedelta(days=2))
    started = factories.session(starts_at=timezone.now() - timedelta(minutes=5))
    called_off = factories.session(status=Session.Status.CANCELLED)

    def cancellable(session, status=Shift.Status.SIGNED_UP, **kwargs):
        return factories.shift(session=session, status=status, **kwargs).can_be_cancelled

    assert cancellable(soon)
    assert cancellable(soon, Shift.Status.WAITLISTED, waitlist_position=1)
    assert cancellable(soon, Shift.Status.OFFERED, offer_expires_at=timezone.now())
    assert not cancellable(soon, Shift.Status.ATTENDED)
    assert not cancellable(soon, Shift.Status.NO_SHOW)
    assert not cancellable(soon, Shift.Status.CANCELLED)
    assert not cancellable(started)
    assert not cancellable(called_off)


def test_my_shifts_offers_no_cancelling_once_the_session_has_started(client, supporter):
    started = factories.session(starts_at=timezone.now() - timedelta(minutes=5))
    factories.shift(session=started, supporter=supporter)
    client.force_login(supporter.user)

    page = client.get(reverse("helpdesk_sessions:my_shifts")).content.decode()

    assert reverse("helpdesk_sessions:cancel", args=[started.pk]) not in page


def test_my_shifts_gives_the_year_of_a_shift_in_another_year(supporter_client, supporter):
    for start in (datetime(2025, 12, 25, 10, 0, tzinfo=TOKYO), MONDAY_10AM - timedelta(days=7)):
        session = factories.session(starts_at=start, status=Session.Status.HELD)
        factories.shift(session=session, supporter=supporter, status=Shift.Status.ATTENDED)

    html = supporter_client.get(MY_SHIFTS, headers={"Accept-Language": "ja"}).content.decode()

    assert "2025年12月25日 (木)" in html
    assert ">5月25日 (月)" in html  # this year's: no year, as on the board
    assert "2026年5月" not in html


@pytest.mark.parametrize(
    ("now", "said"),
    [
        (datetime(2026, 6, 1, 22, 30, tzinfo=TOKYO), "a confirmation tomorrow at 8 a.m."),
        (datetime(2026, 6, 2, 6, 15, tzinfo=TOKYO), "a confirmation at 8 a.m."),
    ],
)
def test_signing_up_in_quiet_hours_says_when_the_text_will_go(
    supporter_client, session, monday_morning, now, said
):
    monday_morning.move_to(now, tick=False)

    response = supporter_client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]), {"next": BOARD}, follow=True
    )

    html = response.content.decode()
    assert f"We will text you {said}: no texts go out at night." in html
    assert "We sent you a text" not in html
    (text,) = texts(Purpose.CONFIRMATION)
    assert text.send_after == datetime(2026, 6, 2, 8, 0, tzinfo=TOKYO)


def test_signing_up_by_day_says_the_text_is_sent_and_without_a_number_says_nothing_of_one(
    supporter_client, supporter, session
):
    sign_up_url = reverse("helpdesk_sessions:sign_up", args=[session.pk])
    html = supporter_client.post(sign_up_url, headers={"HX-Request": "true"}).content.decode()
    assert "We sent you a text to confirm." in html

    other = factories.supporter(user=factories.user(phone=""))
    supporter_client.force_login(other.user)
    html = supporter_client.post(sign_up_url, headers={"HX-Request": "true"}).content.decode()
    assert "You are signed up. Thank you!" in html
    assert "text" not in html.split("You are signed up. Thank you!")[1].split("<")[0]


# Signed out meanwhile: the tap leads through the sign-in and back to the sign-up (issue 8)


def sign_in_by_code(client, supporter, login_url: str) -> str:
    """Sign in from `login_url` as a person would, with the code texted; where it lands."""
    code_request = reverse("account_request_login_code")
    (action,) = [
        attrs["action"]
        for tag, attrs in parse(client.get(login_url)).tags
        if tag == "form" and attrs.get("action", "").startswith(code_request)
    ]
    asked = client.post(action, {"phone": supporter.user.phone})
    code = re.search(r"\d{6}", texts(Purpose.SIGN_IN_CODE, to=supporter.user.phone)[-1].body)[0]
    return client.post(asked["Location"], {"code": code})["Location"]


def test_signed_out_an_htmx_sign_up_sends_the_browser_to_sign_in_and_back_to_the_board(
    client, supporter, session
):
    back = f"{BOARD}?kind=helpdesk"

    response = client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]),
        {"next": back},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{back}"},
    )

    assert response.status_code == 204
    assert response.content == b""  # no sign-in page drawn inside the card
    login = reverse("account_login")
    assert response["HX-Redirect"] == f"{login}?next=%2Fboard%2F%3Fkind%3Dhelpdesk"
    assert not Shift.objects.exists()
    assert sign_in_by_code(client, supporter, response["HX-Redirect"]) == back
    board = client.get(back).content.decode()
    assert f'action="{reverse("helpdesk_sessions:sign_up", args=[session.pk])}"' in board


def test_an_htmx_request_from_another_site_never_becomes_the_way_back(client, session):
    response = client.post(
        reverse("helpdesk_sessions:sign_up", args=[session.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/board/"},
    )

    assert response["HX-Redirect"] == f"{reverse('account_login')}?next=%2F"


def test_signed_out_a_sign_up_without_js_comes_back_to_a_page_offering_it_again(
    client, supporter, session
):
    sign_up_url = reverse("helpdesk_sessions:sign_up", args=[session.pk])

    response = client.post(sign_up_url, {"next": BOARD})

    assert response.status_code == 302
    assert not Shift.objects.exists()
    landed = sign_in_by_code(client, supporter, response["Location"])
    assert landed == sign_up_url
    offered = client.get(landed)
    assert offered.status_code == 200  # not the 405 of a POST-only URL
    page = offered.content.decode()
    assert f'<form method="post" action="{sign_up_url}"' in page
    assert ">Sign up</button>" in page

    done = client.post(sign_up_url, {"next": BOARD}, follow=True)

    assert done.redirect_chain == [(BOARD, 302)]
    assert "You are signed up. Thank you!" in done.content.decode()
    assert Shift.objects.get().status == Shift.Status.SIGNED_UP


def test_the_waiting_list_tap_is_offered_again_after_signing_in(supporter_client, session):
    session.supporters_needed = 1
    session.save()
    factories.shift(session=session)

    page = supporter_client.get(reverse("helpdesk_sessions:waitlist", args=[session.pk]))

    assert page.status_code == 200
    assert ">Join the waiting list</button>" in page.content.decode()


# The board and My shifts are kept per public content version (issue 9) ------------------------


def test_supporters_in_the_same_state_share_one_rendering_of_the_board(client, session):
    caches["fragments"].clear()
    first, second, on_it = factories.supporter(), factories.supporter(), factories.supporter()
    factories.shift(session=session, supporter=on_it)

    client.force_login(first.user)
    assert "sessions/_board.html" in rendered(client.get(BOARD))
    client.force_login(second.user)
    shared = client.get(BOARD)
    client.force_login(on_it.user)
    own = client.get(BOARD)

    assert "sessions/_board.html" not in rendered(shared)
    assert "sessions/_board.html" in rendered(own)
    assert "You are signed up" in own.content.decode()
    assert "You are signed up" not in shared.content.decode()


def test_a_kept_board_shows_someone_elses_sign_up_at_once(client, supporter, session):
    client.force_login(supporter.user)
    before = client.get(BOARD).content.decode()
    jiro = factories.supporter(given_name="次郎")
    sign_up(jiro, session, by=jiro.user)

    after = client.get(BOARD).content.decode()
    assert "0 of 2 supporters" in before
    assert "1 of 2 supporters" in after
    assert "次郎" in after


def test_a_kept_board_follows_the_viewers_own_cancellation(client, supporter, session):
    shift = sign_up(supporter, session, by=supporter.user)
    client.force_login(supporter.user)
    assert "You are signed up" in client.get(BOARD).content.decode()
    cancel_shift(shift, by=supporter.user)

    html = client.get(BOARD).content.decode()
    assert "You are signed up" not in html
    assert reverse("helpdesk_sessions:sign_up", args=[session.pk]) in html


def test_a_coordinator_and_a_supporter_never_share_a_board(client, supporter, session):
    caches["fragments"].clear()
    client.force_login(supporter.user)
    as_supporter = client.get(BOARD).content.decode()
    client.force_login(factories.coordinator())
    as_coordinator = client.get(BOARD).content.decode()

    roster = reverse("helpdesk_sessions:roster", args=[session.pk])
    assert roster in as_coordinator
    assert roster not in as_supporter
    assert "Sign up" in as_supporter
    assert ">Sign up<" not in as_coordinator


def test_a_kept_board_follows_the_clock(client, supporter, monday_morning):
    soon = factories.session(starts_at=timezone.now() + timedelta(minutes=30))
    client.force_login(supporter.user)
    assert f'id="session-{soon.pk}"' in client.get(BOARD).content.decode()

    monday_morning.shift(timedelta(minutes=31))
    assert f'id="session-{soon.pk}"' not in client.get(BOARD).content.decode()


def test_my_shifts_kept_per_supporter_follow_a_cancellation(client, supporter, session):
    shift = sign_up(supporter, session, by=supporter.user)
    other = factories.supporter()
    sign_up(other, session, by=other.user)
    client.force_login(other.user)
    client.get(MY_SHIFTS)
    client.force_login(supporter.user)
    assert f'id="shift-{shift.pk}"' in client.get(MY_SHIFTS).content.decode()
    cancel_shift(shift, by=supporter.user)

    html = client.get(MY_SHIFTS).content.decode()
    assert f'id="shift-{shift.pk}"' not in html
    assert "You have no coming shifts." in html


def test_a_kept_board_follows_the_viewers_new_level_at_once(client, supporter, monday_10am):
    advanced = factories.session(starts_at=monday_10am + timedelta(days=2), min_level=2)
    supporter.training_level = 1
    supporter.save()
    client.force_login(supporter.user)
    needed = {"needed": "on"}
    assert f'id="session-{advanced.pk}"' not in client.get(BOARD, needed).content.decode()

    Supporter.objects.filter(pk=supporter.pk).update(training_level=2)
    assert f'id="session-{advanced.pk}"' in client.get(BOARD, needed).content.decode()


def test_a_message_waiting_is_shown_once_on_a_kept_board(client, supporter, session):
    client.force_login(supporter.user)
    client.get(BOARD)
    url = reverse("helpdesk_sessions:sign_up", args=[session.pk])
    shown = client.post(url, {"next": BOARD}, follow=True).content.decode()
    again = client.get(BOARD).content.decode()

    assert '<div class="messages"' in shown
    assert "Thank you" in shown
    assert '<div class="messages"' not in again
    assert "You are signed up" in again  # the card, from the page kept for this state
