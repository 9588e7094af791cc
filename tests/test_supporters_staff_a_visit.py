"""Supporters invited by text staff a scheduled group visit: the first to answer (the link's
page, or "1") take the places through the shift rules, the others are told it is filled, and
the group's representative is told once who leads the visit (issue 10)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from notifications.inbound import receive_sms
from notifications.models import OutboundMessage
from notifications.replies import claim
from notifications.tasks import run_outbox
from sessions.models import ContactAccess, DispatchInvitation, DispatchRequest, RequestEvent, Shift
from sessions.services import (
    InvitationError,
    ShiftError,
    cancel_request,
    cancel_shift,
    decline_invitation,
    invite_supporters,
    sign_up,
    take_invitation,
)
from tests import factories
from tests.clock import THURSDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")

Outcome = DispatchInvitation.Outcome
Purpose = OutboundMessage.Purpose

_sids = iter(range(1, 1_000_000))


@pytest.fixture
def visit(db):
    """A group visit for two supporters on Thursday at 10:00, scheduled; representative on a
    mobile, in English."""
    return factories.scheduled_visit(
        starts_at=THURSDAY_10AM,
        supporters_needed=2,
        place_name="Otemachi Hall",
        preferred_language="en",
        residents_count=7,
    )


def supporters(count, **kwargs):
    return [
        factories.supporter(user_kwargs={"language": "en"}, given_name=f"Hana{n}", **kwargs)
        for n in range(count)
    ]


def invitation_of(visit, supporter) -> DispatchInvitation:
    return DispatchInvitation.objects.get(session=visit.session, supporter=supporter)


def texts_to(phone, purpose=None):
    texts = OutboundMessage.objects.filter(to=phone)
    if purpose:
        texts = texts.filter(purpose=purpose)
    return list(texts.order_by("pk"))


def staffed_texts(visit):
    return list(
        OutboundMessage.objects.filter(idempotency_key__startswith=f"request:{visit.pk}:staffed")
    )


def replies_1(supporter):
    return receive_sms(
        sid=f"SM{next(_sids):032d}", from_number=supporter.phone, to_number="", body="１"
    )


def reply_to(inbound) -> OutboundMessage:
    return OutboundMessage.objects.get(
        purpose=Purpose.REPLY, idempotency_key=f"reply:{inbound.provider_id}"
    )


# Inviting ---------------------------------------------------------------------------------


def test_inviting_three_texts_each_a_link_to_their_own_invitation(visit, coordinator):
    three = supporters(3)

    made = invite_supporters(visit, three, by=coordinator)

    assert len(made) == 3
    for supporter in three:
        invitation = invitation_of(visit, supporter)
        assert (invitation.outcome, invitation.invited_by) == (Outcome.OPEN, coordinator)
        [text] = texts_to(supporter.phone, Purpose.INVITATION)
        link = "http://testserver" + reverse(
            "helpdesk_sessions:visit_invitation", args=[invitation.pk]
        )
        assert text.body.splitlines()[-1] == link  # on its own line: phones make it tappable
        assert "Otemachi Hall" in text.body
        assert "Reply 1" in text.body
    event = visit.events.get(kind=RequestEvent.Kind.INVITED)
    assert event.by == coordinator
    assert all(s.full_name in event.note for s in three)


def test_inviting_again_makes_no_second_invitation_and_no_second_text(visit, coordinator):
    first, second = supporters(2)
    invite_supporters(visit, [first], by=coordinator)

    again = invite_supporters(visit, [first, second], by=coordinator)

    assert [invitation.supporter for invitation in again] == [second]
    assert DispatchInvitation.objects.filter(supporter=first).count() == 1
    assert len(texts_to(first.phone, Purpose.INVITATION)) == 1
    assert invite_supporters(visit, [first, second], by=coordinator) == []


def test_a_supporter_without_a_phone_is_invited_without_a_text(visit, coordinator):
    supporter = factories.supporter(user=factories.user())

    [invitation] = invite_supporters(visit, [supporter], by=coordinator)

    assert invitation.is_open
    assert not OutboundMessage.objects.filter(purpose=Purpose.INVITATION).exists()


def test_only_coordinators_invite(visit, supporter):
    with pytest.raises(ShiftError) as refused:
        invite_supporters(visit, supporters(1), by=supporter.user)
    assert refused.value.code == "forbidden"
    assert not DispatchInvitation.objects.exists()


def test_only_a_scheduled_visit_still_to_come_takes_invitations(coordinator, monday_morning):
    waiting = factories.dispatch_request()
    with pytest.raises(InvitationError) as refused:
        invite_supporters(waiting, supporters(1), by=coordinator)
    assert refused.value.code == "not_scheduled"

    visit = factories.scheduled_visit(starts_at=THURSDAY_10AM)
    monday_morning.move_to(THURSDAY_10AM + timedelta(minutes=5), tick=False)
    with pytest.raises(InvitationError) as refused:
        invite_supporters(visit, supporters(1), by=coordinator)
    assert refused.value.code == "started"
    assert not DispatchInvitation.objects.exists()


def test_inviting_runs_the_same_queries_for_three_or_fifteen(coordinator):
    def queries_to_invite(count) -> int:
        visit = factories.scheduled_visit(starts_at=THURSDAY_10AM, supporters_needed=2)
        invited = supporters(count)
        with CaptureQueriesContext(connection) as queries:
            invite_supporters(visit, invited, by=coordinator)
        assert DispatchInvitation.objects.filter(session=visit.session).count() == count
        return len(queries)

    queries_to_invite(1)  # warm the caches (content types)
    assert queries_to_invite(3) == queries_to_invite(15)


# Answering --------------------------------------------------------------------------------


def test_the_first_two_to_answer_staff_the_visit_and_the_third_is_told_it_is_filled(
    client, visit, coordinator
):
    first, second, third = supporters(3)
    invite_supporters(visit, [first, second, third], by=coordinator)
    run_outbox()  # the invitations go out

    # The first taps the text's link and takes a place on its page.
    client.force_login(first.user)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, first).pk])
    response = client.post(page, {"answer": "take"}, follow=True)
    assert "The place is yours." in response.content.decode()
    # The second replies 1.
    inbound = replies_1(second)
    assert inbound.action == "took_visit"
    assert "Otemachi Hall" in reply_to(inbound).body

    lead = Shift.objects.get(supporter=first, session=visit.session)
    helper = Shift.objects.get(supporter=second, session=visit.session)
    assert (lead.role, lead.status) == (Shift.Role.LEAD, Shift.Status.SIGNED_UP)
    assert (helper.role, helper.status) == (Shift.Role.HELPER, Shift.Status.SIGNED_UP)
    assert invitation_of(visit, first).outcome == Outcome.TAKEN
    assert invitation_of(visit, first).answered_at is not None
    # The third, who had not answered, is told by text; the places are filled.
    third_invitation = invitation_of(visit, third)
    assert third_invitation.outcome == Outcome.FILLED
    [filled] = texts_to(third.phone, Purpose.INVITATION)[1:]
    assert "fully staffed" in filled.body
    # The representative is told once, with the lead's given name only.
    [told] = staffed_texts(visit)
    assert told.to == visit.representative_phone
    assert first.given_name in told.body
    assert first.family_name not in told.body
    assert "3/12" in told.body
    assert "10:00" in told.body
    assert visit.events.filter(kind=RequestEvent.Kind.STAFFED).count() == 1
    # The third answering 1 now hears that it is filled.
    late = replies_1(third)
    assert "already fully staffed" in reply_to(late).body
    assert not Shift.objects.filter(supporter=third).exists()


def test_taking_the_last_place_when_it_is_gone_is_filled(visit, coordinator):
    first, second = supporters(2)
    invite_supporters(visit, [first, second], by=coordinator)
    sign_up(factories.supporter(), visit.session, by=None)
    sign_up(factories.supporter(), visit.session, by=None)  # staffed from the board meanwhile

    with pytest.raises(InvitationError) as refused:
        take_invitation(invitation_of(visit, first), by=first.user)

    assert refused.value.code == "filled"
    with translation.override("en"):
        assert "every place on this group visit has been taken" in str(refused.value.message)
    # Staffing from the board told both invitations it was filled, as a take would have.
    assert invitation_of(visit, first).outcome == Outcome.FILLED
    assert invitation_of(visit, second).outcome == Outcome.FILLED


def test_a_landline_representative_gets_a_call_back_instead_of_a_text(coordinator):
    visit = factories.scheduled_visit(
        starts_at=THURSDAY_10AM,
        supporters_needed=1,
        representative_phone="+81272241111",
        preferred_language="en",
    )
    [only] = supporters(1)
    invite_supporters(visit, [only], by=coordinator)

    take_invitation(invitation_of(visit, only), by=only.user)

    visit.refresh_from_db()
    assert staffed_texts(visit) == []
    assert only.given_name in visit.call_back
    assert visit.call_back_since is not None


def test_a_place_freed_and_taken_again_tells_the_representative_nothing_new(coordinator):
    visit = factories.scheduled_visit(
        starts_at=THURSDAY_10AM, supporters_needed=1, representative_phone="+81272241111"
    )
    first, second = supporters(2)
    invite_supporters(visit, [first], by=coordinator)
    shift = take_invitation(invitation_of(visit, first), by=first.user)
    visit.refresh_from_db()
    said = visit.call_back

    cancel_shift(shift, by=first.user)
    invite_supporters(visit, [second], by=coordinator)
    take_invitation(invitation_of(visit, second), by=second.user)

    visit.refresh_from_db()
    assert visit.call_back == said
    assert visit.events.filter(kind=RequestEvent.Kind.STAFFED).count() == 1


def test_nobody_answers_for_someone_else(client, visit, coordinator):
    invited, other = supporters(2)
    invite_supporters(visit, [invited], by=coordinator)
    invitation = invitation_of(visit, invited)

    for by in (other.user, coordinator):
        with pytest.raises(InvitationError) as refused:
            take_invitation(invitation, by=by)
        assert refused.value.code == "forbidden"
    client.force_login(other.user)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"answer": "take"}).status_code == 404
    assert invitation_of(visit, invited).is_open
    assert not Shift.objects.filter(session=visit.session).exists()


def test_a_supporter_busy_at_that_time_is_refused_by_the_shift_rules(client, visit, coordinator):
    [busy] = supporters(1)
    elsewhere = factories.session(starts_at=THURSDAY_10AM + timedelta(minutes=30))
    factories.shift(session=elsewhere, supporter=busy)
    invite_supporters(visit, [busy], by=coordinator)

    with pytest.raises(ShiftError) as refused:
        take_invitation(invitation_of(visit, busy), by=busy.user)
    assert refused.value.code == "overlap"
    assert invitation_of(visit, busy).is_open  # they may free themselves and answer again

    inbound = replies_1(busy)
    assert "You already have a shift at that time." in reply_to(inbound).body
    client.force_login(busy.user)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, busy).pk])
    response = client.post(page, {"answer": "take"}, follow=True)
    assert "You already have a shift at that time." in response.content.decode()
    assert not Shift.objects.filter(session=visit.session).exists()


def test_declining_closes_the_invitation_without_a_text(client, visit, coordinator):
    [supporter] = supporters(1)
    invite_supporters(visit, [supporter], by=coordinator)
    client.force_login(supporter.user)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, supporter).pk])

    response = client.post(page, {"answer": "decline"}, follow=True)

    assert "You said you cannot go." in response.content.decode()
    invitation = invitation_of(visit, supporter)
    assert invitation.outcome == Outcome.DECLINED
    assert invitation.answered_at is not None
    assert len(texts_to(supporter.phone)) == 1  # the invitation, nothing after
    with pytest.raises(InvitationError) as refused:
        take_invitation(invitation, by=supporter.user)
    assert refused.value.code == "not_open"


def test_cancelling_the_visit_withdraws_the_invitations_nobody_answered(visit, coordinator):
    taker, silent = supporters(2)
    invite_supporters(visit, [taker, silent], by=coordinator)
    take_invitation(invitation_of(visit, taker), by=taker.user)

    cancel_request(visit, by=coordinator, reason="The hall is closed")

    assert invitation_of(visit, taker).outcome == Outcome.TAKEN
    assert invitation_of(visit, silent).outcome == Outcome.WITHDRAWN
    with pytest.raises(InvitationError) as refused:
        take_invitation(invitation_of(visit, silent), by=silent.user)
    assert refused.value.code == "not_open"
    with translation.override("en"):
        assert "withdrawn" in str(refused.value.message)
    # "1" finds nothing to take any more.
    assert replies_1(silent).action == "none"


def test_an_invitation_held_back_by_the_night_is_called_off_when_the_places_fill(
    visit, coordinator, monday_morning
):
    first, second = supporters(2)
    invite_supporters(visit, [first], by=coordinator)
    monday_morning.move_to(THURSDAY_10AM - timedelta(days=2, hours=-12), tick=False)  # 22:00
    invite_supporters(visit, [second], by=coordinator)
    [held] = texts_to(second.phone, Purpose.INVITATION)
    assert held.status == OutboundMessage.Status.PENDING

    sign_up(factories.supporter(), visit.session, by=None)
    take_invitation(invitation_of(visit, first), by=first.user)

    held.refresh_from_db()
    assert held.status == OutboundMessage.Status.CANCELLED
    assert texts_to(second.phone) == [held]  # no "filled" for an invitation never received
    assert invitation_of(visit, second).outcome == Outcome.FILLED


def test_1_takes_an_offered_place_before_an_invitation(visit, coordinator):
    [supporter] = supporters(1)
    full = factories.session(starts_at=THURSDAY_10AM + timedelta(days=1), supporters_needed=1)
    leaving = factories.shift(session=full)
    from sessions.services import join_waitlist

    join_waitlist(supporter, full)
    cancel_shift(leaving, by=None)  # the place is offered to the supporter
    invite_supporters(visit, [supporter], by=coordinator)

    assert replies_1(supporter).action == "accepted_offer"
    assert invitation_of(visit, supporter).is_open
    assert replies_1(supporter).action == "took_visit"


# The invitation's page --------------------------------------------------------------------


def test_the_page_shows_the_visit_and_the_representative_only_once_on_the_team(
    client, visit, coordinator, django_assert_max_num_queries
):
    visit.topics.add(
        factories.topic("t-line", name="Learning LINE"),
        factories.topic("t-photos", name="Taking photos"),
    )
    visit.devices = [DispatchRequest.Device.IPHONE, DispatchRequest.Device.RAKURAKU]
    visit.message = "Please bring a charger"
    visit.save()
    [supporter] = supporters(1)
    invite_supporters(visit, [supporter], by=coordinator)
    client.force_login(supporter.user)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, supporter).pk])

    with django_assert_max_num_queries(12):
        before = client.get(page).content.decode()

    assert "2 places left" in before
    for shown in ("Otemachi Hall", "7 residents", "Learning LINE", "Taking photos", "iPhone"):
        assert shown in before
    assert "Take a place" in before
    assert "I cannot go" in before
    assert visit.representative_name not in before
    assert "Please bring a charger" not in before
    assert not ContactAccess.objects.exists()

    client.post(page, {"answer": "take"})
    with django_assert_max_num_queries(14):
        after = client.get(page).content.decode()

    assert visit.representative_name in after
    assert "Please bring a charger" in after
    assert "Take a place" not in after
    access = ContactAccess.objects.get()
    assert (access.request, access.user, access.where) == (visit, supporter.user, "invitation")


def test_a_supporter_who_left_the_visit_no_longer_sees_the_contact(client, visit, coordinator):
    [supporter] = supporters(1)
    invite_supporters(visit, [supporter], by=coordinator)
    shift = take_invitation(invitation_of(visit, supporter), by=supporter.user)
    cancel_shift(shift, by=supporter.user)
    client.force_login(supporter.user)

    page = client.get(
        reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, supporter).pk])
    )

    assert visit.representative_name not in page.content.decode()
    assert not ContactAccess.objects.exists()


def test_the_page_is_for_supporters_signed_in(client, visit, coordinator, stranger):
    [supporter] = supporters(1)
    invite_supporters(visit, [supporter], by=coordinator)
    page = reverse("helpdesk_sessions:visit_invitation", args=[invitation_of(visit, supporter).pk])

    assert client.get(page).status_code == 302
    client.force_login(stranger)
    assert client.get(page).status_code == 403


# Texts from the group's representative ------------------------------------------------------


def test_a_text_from_the_representative_is_noted_on_the_request_and_thanked(visit):
    inbound = receive_sms(
        sid="SM9", from_number=visit.representative_phone, to_number="", body="Is there parking?"
    )

    assert inbound.action == "request_reply"
    event = visit.events.get(kind=RequestEvent.Kind.REPLY)
    assert event.note == "Is there parking?"
    reply = reply_to(inbound)
    assert visit.reference in reply.body
    assert reply.language == "en"


@pytest.mark.parametrize("status", ["received", "accepted"])
def test_a_representative_of_an_open_request_is_heard_too(db, status):
    request = factories.dispatch_request(status=status)
    message = factories.inbound_message(from_number=request.representative_phone, body="1")

    answer = claim(message)

    assert answer.action == "request_reply"
    assert request.events.get(kind=RequestEvent.Kind.REPLY).note == "1"


def test_a_closed_or_purged_request_or_a_supporters_number_is_not_the_representatives(
    visit, coordinator, time_machine
):
    done = factories.dispatch_request(status=DispatchRequest.Status.DECLINED)
    purged = factories.dispatch_request()
    DispatchRequest.objects.filter(pk=purged.pk).update(purged_at=THURSDAY_10AM)
    [supporter] = supporters(1)
    also_supporter = factories.dispatch_request(representative_phone=supporter.phone)

    for number in (done.representative_phone, purged.representative_phone, supporter.phone):
        message = factories.inbound_message(from_number=number, body="Hello")
        assert claim(message) is None
    assert not also_supporter.events.filter(kind=RequestEvent.Kind.REPLY).exists()
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.REPLY).exists()


def test_supporters_answers_are_asked_before_representatives(db):
    from notifications import replies
    from sessions.replies import answer_representative, answer_shift_reply

    handlers = replies._handlers
    assert handlers.index(answer_shift_reply) < handlers.index(answer_representative)
    with translation.override("en"):  # the label is translated now; whatever is active
        assert replies.action_label("request_reply") == "Noted on the group visit request"


# The API ----------------------------------------------------------------------------------


def invitations_url(visit, action=""):
    return f"/api/dispatch-requests/{visit.pk}/invitations" + (f"/{action}" if action else "")


def test_coordinators_invite_and_list_through_the_api(client, visit, coordinator):
    first, second = supporters(2)
    client.force_login(coordinator)

    response = client.post(
        invitations_url(visit),
        {"supporters": [first.pk, second.pk]},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert [row["supporter"] for row in body] == [
        {"id": first.pk, "name": first.full_name},
        {"id": second.pk, "name": second.full_name},
    ]
    assert {row["outcome"] for row in body} == {"open"}
    assert body[0]["answered_at"] is None
    assert body[0]["created_at"].endswith("+09:00")
    listed = client.get(invitations_url(visit))
    assert listed.status_code == 200
    assert listed.json() == body


def test_inviting_an_unknown_supporter_is_refused_with_details(client, visit, coordinator):
    [known] = supporters(1)
    client.force_login(coordinator)

    response = client.post(
        invitations_url(visit), {"supporters": [known.pk, 999999]}, content_type="application/json"
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["details"] == [
        {"field": "supporters.1", "message": "No supporter has the id 999999."}
    ]
    assert not DispatchInvitation.objects.exists()


def test_supporters_neither_list_nor_send_invitations(client, visit, supporter):
    client.force_login(supporter.user)
    assert client.get(invitations_url(visit)).status_code == 403
    response = client.post(
        invitations_url(visit), {"supporters": [supporter.pk]}, content_type="application/json"
    )
    assert response.status_code == 403


def test_a_supporter_takes_or_declines_their_invitation_through_the_api(client, coordinator):
    visit = factories.scheduled_visit(starts_at=THURSDAY_10AM, supporters_needed=1)
    first, second, stranger = supporters(3)
    invite_supporters(visit, [first, second], by=coordinator)

    client.force_login(stranger.user)
    assert client.post(invitations_url(visit, "take")).status_code == 404
    client.force_login(first.user)
    taken = client.post(invitations_url(visit, "take"))
    assert taken.status_code == 200
    assert taken.json()["outcome"] == "taken"
    again = client.post(invitations_url(visit, "take"))
    assert (again.status_code, again.json()["code"]) == (409, "not_open")
    client.force_login(second.user)
    filled = client.post(invitations_url(visit, "take"))
    assert (filled.status_code, filled.json()["code"]) == (409, "filled")
    declined = client.post(invitations_url(visit, "decline"))
    assert (declined.status_code, declined.json()["code"]) == (409, "filled")


def test_declining_through_the_api(client, visit, coordinator):
    [supporter] = supporters(1)
    invite_supporters(visit, [supporter], by=coordinator)
    client.force_login(supporter.user)

    response = client.post(invitations_url(visit, "decline"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "declined"
    assert response.json()["answered_at"] is not None


def test_decline_invitation_is_the_supporters_own(visit, coordinator):
    invited, other = supporters(2)
    invite_supporters(visit, [invited], by=coordinator)
    with pytest.raises(InvitationError) as refused:
        decline_invitation(invitation_of(visit, invited), by=other.user)
    assert refused.value.code == "forbidden"


def test_the_last_place_taken_on_the_board_tells_the_group_and_the_invited_too(visit):
    invited, on_board, other = supporters(3)
    invite_supporters(visit, [invited], by=factories.coordinator())
    sign_up(other, visit.session, by=other.user, role=Shift.Role.LEAD)

    sign_up(on_board, visit.session, by=on_board.user)  # the last place, from the board

    assert invitation_of(visit, invited).outcome == Outcome.FILLED
    assert len(texts_to(invited.phone, Purpose.INVITATION)) == 1
    [staffed] = staffed_texts(visit)
    assert "Hana2" in staffed.body  # the lead's given name
