"""A coordinator runs a session's roster: who is on it with their phones, the waiting list and
offers, adding someone found by name or kana, taking someone off, and marking attendance."""

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications.models import OutboundMessage
from sessions.models import Shift
from sessions.services import ShiftError, add_to_roster, join_waitlist, mark_attendance
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_THURSDAY_10AM as THURSDAY_10AM
from tests.pages import parse, unlabelled_fields
from tests.versions import settle_public_version

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


def roster_url(session):
    return reverse("helpdesk_sessions:roster", args=[session.pk])


def change(client, session, action, **data):
    url = reverse("helpdesk_sessions:change_roster", args=[session.pk, action])
    return client.post(url, data, follow=True)


def test_the_roster_is_refused_to_anyone_off_the_session(client, session, supporter):
    url = roster_url(session)
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(supporter.user)
    assert client.get(url).status_code == 403
    client.force_login(factories.user())
    assert client.get(url).status_code == 403
    post = reverse("helpdesk_sessions:change_roster", args=[session.pk, "add"])
    assert client.post(post, {"supporter": supporter.pk}).status_code == 403
    assert not Shift.objects.exists()


def test_the_roster_lists_the_lead_first_whoever_signed_up_first(coordinator_client, session):
    factories.shift(session=session, supporter=factories.supporter(family_name="榛名"))
    lead = factories.supporter(family_name="赤城")
    factories.shift(session=session, supporter=lead, role=Shift.Role.LEAD)

    html = coordinator_client.get(roster_url(session)).content.decode()

    assert html.index("赤城") < html.index("榛名")


def test_the_roster_shows_names_kana_roles_statuses_and_phones(coordinator_client, session):
    lead = factories.supporter(family_name="赤城", given_name="一郎", given_name_kana="いちろう")
    factories.shift(session=session, supporter=lead, role=Shift.Role.LEAD)

    response = coordinator_client.get(roster_url(session))

    html = response.content.decode()
    assert response.status_code == 200
    assert "赤城 一郎" in html
    assert "まえばし いちろう" in html
    assert "Lead" in html
    assert "Signed up" in html
    national = f"0{lead.phone[3:5]}-{lead.phone[5:9]}-{lead.phone[9:]}"
    assert f'href="tel:{lead.phone}">{national}</a>' in html
    assert unlabelled_fields(parse(response)) == []


def test_a_coordinator_finds_a_supporter_by_kana_and_adds_them(coordinator_client, session):
    wanted = factories.supporter(family_name="榛名", family_name_kana="はるな", given_name="次郎")
    factories.supporter(family_name="妙義", family_name_kana="みょうぎ")

    found = coordinator_client.get(roster_url(session), {"q": "はるな　じろう"})
    assert list(found.context["found"]) == []  # every word must match: no じろう in kana
    found = coordinator_client.get(roster_url(session), {"q": "はるな 次郎"})
    assert list(found.context["found"]) == [wanted]

    response = change(coordinator_client, session, "add", supporter=wanted.pk, role="lead")

    assert "榛名 次郎 is on the session." in response.content.decode()
    shift = Shift.objects.get(supporter=wanted)
    assert (shift.status, shift.role) == (Shift.Status.SIGNED_UP, Shift.Role.LEAD)
    assert OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.CONFIRMATION, to=wanted.phone
    ).exists()
    again = coordinator_client.get(roster_url(session), {"q": "はるな"})
    assert list(again.context["found"]) == []  # on the session already


def test_adding_to_a_full_session_is_refused_with_the_reason(coordinator_client, session):
    factories.shift(session=session)
    factories.shift(session=session)
    extra = factories.supporter()

    response = change(coordinator_client, session, "add", supporter=extra.pk)

    assert "All places on this session are taken." in response.content.decode()
    assert not Shift.objects.filter(supporter=extra).exists()


def test_taking_someone_off_texts_them_and_offers_the_place_to_the_line(
    coordinator_client, session
):
    on_it = factories.shift(session=session).supporter
    factories.shift(session=session)
    waiting = join_waitlist(factories.supporter(), session)

    response = change(coordinator_client, session, "remove", supporter=on_it.pk)

    assert "is off the session." in response.content.decode()
    assert Shift.objects.get(supporter=on_it).status == Shift.Status.CANCELLED
    assert OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.CANCELLATION, to=on_it.phone
    ).exists()
    waiting.refresh_from_db()
    assert waiting.status == Shift.Status.OFFERED


def test_attendance_is_marked_once_the_session_is_about_to_start(
    coordinator_client, session, monday_morning
):
    came = factories.shift(session=session).supporter
    missed = factories.shift(session=session).supporter

    too_early = change(
        coordinator_client, session, "attendance", supporter=came.pk, status="attended"
    )
    assert "Attendance can be marked from 30 minutes before the start." in (
        too_early.content.decode()
    )
    monday_morning.move_to(THURSDAY_10AM - timedelta(minutes=30), tick=False)
    assert "Did not come" in coordinator_client.get(roster_url(session)).content.decode()
    change(coordinator_client, session, "attendance", supporter=came.pk, status="attended")
    change(coordinator_client, session, "attendance", supporter=missed.pk, status="no_show")

    statuses = dict(Shift.objects.values_list("supporter", "status"))
    assert statuses == {came.pk: Shift.Status.ATTENDED, missed.pk: Shift.Status.NO_SHOW}


def test_attendance_can_be_corrected_and_a_no_show_loses_its_check_in_time(
    coordinator, session, monday_morning
):
    monday_morning.move_to(THURSDAY_10AM + timedelta(minutes=5), tick=False)
    shift = factories.shift(
        session=session, status=Shift.Status.ATTENDED, checked_in_at=THURSDAY_10AM
    )
    shift = mark_attendance(shift, Shift.Status.NO_SHOW, by=coordinator)
    assert (shift.status, shift.checked_in_at) == (Shift.Status.NO_SHOW, None)
    shift = mark_attendance(shift, Shift.Status.ATTENDED, by=coordinator)
    assert shift.status == Shift.Status.ATTENDED


def test_attendance_is_only_for_coordinators_and_people_on_the_roster(
    coordinator, supporter, session, monday_morning
):
    monday_morning.move_to(THURSDAY_10AM, tick=False)
    shift = factories.shift(session=session, supporter=supporter)
    in_line = factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)
    for call, code in [
        (lambda: mark_attendance(shift, Shift.Status.ATTENDED, by=supporter.user), "forbidden"),
        (lambda: mark_attendance(in_line, Shift.Status.ATTENDED, by=coordinator), "not_on_roster"),
        (lambda: mark_attendance(shift, Shift.Status.CANCELLED, by=coordinator), "invalid"),
    ]:
        with pytest.raises(ShiftError) as error:
            call()
        assert error.value.code == code


def test_only_coordinators_add_to_a_roster(supporter, session):
    other = factories.supporter()
    with pytest.raises(ShiftError) as error:
        add_to_roster(session, other, by=supporter.user)
    assert error.value.code == "forbidden"


def test_the_roster_runs_the_same_queries_for_a_few_or_many_people(
    coordinator_client, django_assert_max_num_queries
):
    session = factories.session(starts_at=THURSDAY_10AM, supporters_needed=40)

    def fill(count):
        for _ in range(count):
            factories.shift(session=session)
            factories.shift(session=session, status=Shift.Status.CANCELLED)

    fill(3)
    coordinator_client.get(roster_url(session), {"q": "まえばし"})
    settle_public_version()
    with django_assert_max_num_queries(15) as few:
        coordinator_client.get(roster_url(session), {"q": "まえばし"})
    afresh = len(few.captured_queries)
    fill(30)
    settle_public_version()
    with django_assert_max_num_queries(afresh):
        response = coordinator_client.get(roster_url(session), {"q": "まえばし"})
    assert response.content.decode().count('id="shift-') == 33


# Who may see a roster: one rule for the page and the API (issue 8) ----------------------------


def test_the_roster_page_and_api_agree_on_who_may_see_it(client, session):
    on_team = factories.shift(session=session, role=Shift.Role.LEAD).supporter
    factories.shift(session=session)
    waiting = join_waitlist(factories.supporter(), session).supporter
    offered = factories.shift(
        session=factories.session(starts_at=THURSDAY_10AM, supporters_needed=1),
        status=Shift.Status.OFFERED,
        offer_expires_at=MONDAY_10AM + timedelta(hours=3),
    ).supporter
    offered_session = offered.shifts.get().session
    who = {
        "coordinator": (factories.coordinator(), session, 200),
        "supporter on the team": (on_team.user, session, 200),
        "supporter waiting": (waiting.user, session, 403),
        "supporter only offered a place": (offered.user, offered_session, 403),
        "another supporter": (factories.supporter().user, session, 403),
        "stranger": (factories.user(), session, 403),
    }

    for persona, (user, their_session, expected) in who.items():
        client.force_login(user)
        page = client.get(roster_url(their_session))
        api = client.get(f"/api/sessions/{their_session.pk}/roster")
        assert (persona, page.status_code, api.status_code) == (persona, expected, expected)
        assert their_session.roster_visible_to(user) is (expected == 200)
    client.logout()
    assert client.get(roster_url(session)).status_code == 302


def test_a_supporter_on_the_team_sees_given_names_on_the_page_as_in_the_api(client, session):
    lead = factories.supporter(family_name="赤城", given_name="一郎")
    helper = factories.supporter(family_name="榛名", given_name="花子")
    factories.shift(session=session, supporter=lead, role=Shift.Role.LEAD)
    factories.shift(session=session, supporter=helper)
    join_waitlist(factories.supporter(given_name="待機"), session)
    client.force_login(helper.user)

    page = client.get(roster_url(session)).content.decode()
    page = page[page.index("<main") : page.index("</main>")]
    api = client.get(f"/api/sessions/{session.pk}/roster").json()["shifts"]

    assert [entry["name"] for entry in api] == [lead.short_name, helper.short_name]
    assert lead.short_name in page
    assert helper.short_name in page
    for private in ("赤城", "榛名", "待機", lead.phone, "tel:", 'method="post"'):
        assert private not in page
    board = client.get(reverse("helpdesk_sessions:board")).content.decode()
    assert f'href="{roster_url(session)}"' in board


def test_a_supporter_offered_a_place_is_not_yet_on_the_team(session):
    signed_up = factories.shift(session=session)
    factories.shift(
        session=session,
        status=Shift.Status.OFFERED,
        offer_expires_at=MONDAY_10AM + timedelta(hours=3),
    )

    assert session.team == [signed_up]


def test_remove_asks_first_on_a_page_of_its_own_without_javascript(coordinator_client, session):
    on_it = factories.shift(session=session).supporter
    roster = coordinator_client.get(roster_url(session)).content.decode()
    remove_url = reverse("helpdesk_sessions:change_roster", args=[session.pk, "remove"])
    assert f'method="get" action="{remove_url}" hx-post="{remove_url}" hx-confirm="Take ' in roster

    asked = coordinator_client.get(remove_url, {"supporter": on_it.pk})

    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Take {on_it.full_name} off this session?" in page
    assert f'<form method="post" action="{remove_url}">' in page
    assert Shift.objects.get(supporter=on_it).status == Shift.Status.SIGNED_UP
    assert change(coordinator_client, session, "remove", supporter=on_it.pk).status_code == 200
    assert Shift.objects.get(supporter=on_it).status == Shift.Status.CANCELLED


def test_removing_with_htmx_answers_the_roster_with_its_count_renewed(coordinator_client, session):
    on_it = factories.shift(session=session).supporter
    factories.shift(session=session)
    before = coordinator_client.get(roster_url(session)).content.decode()
    assert "2 of 2 supporters" in before

    response = coordinator_client.post(
        reverse("helpdesk_sessions:change_roster", args=[session.pk, "remove"]),
        {"supporter": on_it.pk},
        headers={"HX-Request": "true"},
        follow=True,
    )

    page = response.content.decode()
    assert '<main id="main"' in page  # what hx-select="#main" takes
    assert "1 of 2 supporters" in page
    assert "is off the session." in page


def test_a_place_offered_to_the_line_is_not_counted_as_filled(coordinator_client, session):
    on_it = factories.shift(session=session).supporter
    factories.shift(session=session)
    join_waitlist(factories.supporter(), session)

    page = change(coordinator_client, session, "remove", supporter=on_it.pk).content.decode()

    assert "1 of 2 supporters" in page
    assert "1 place offered" in page


def test_only_remove_asks_by_get(coordinator_client, session):
    url = reverse("helpdesk_sessions:change_roster", args=[session.pk, "add"])
    assert coordinator_client.get(url).status_code == 405
