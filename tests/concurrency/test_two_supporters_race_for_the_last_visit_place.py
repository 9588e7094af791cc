"""Two invited supporters answering for a group visit's last place at the same moment: one
gets it, the other is told it is filled (PostgreSQL, real concurrent transactions).

The first test shows the race the session's row lock prevents: with it taken out, both
supporters count one place left and both get it. The others show that with the lock, the
visit is never overstaffed, the one too late is told it is filled, and the representative is
told once.
"""

import threading
import time

import pytest

from notifications.models import OutboundMessage
from sessions.models import DispatchInvitation, RequestEvent, Session, Shift
from sessions.services import (
    InvitationError,
    invite_supporters,
    sign_up,
    take_invitation,
    visit_invitations,
)
from sessions.services import shifts as shift_rules
from tests import factories
from tests.concurrency.test_last_place import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def a_visit_with_one_place_left(invited: int):
    """A visit for two with one supporter on it already, and `invited` supporters invited."""
    visit = factories.scheduled_visit(supporters_needed=2)
    sign_up(factories.supporter(), visit.session, by=None)
    supporters = [factories.supporter() for _ in range(invited)]
    invite_supporters(visit, supporters, by=factories.coordinator())
    return visit, list(DispatchInvitation.objects.filter(session=visit.session))


def taking(invitation):
    return lambda: take_invitation(invitation, by=invitation.supporter.user)


def staffed_texts(visit):
    return OutboundMessage.objects.filter(idempotency_key__startswith=f"request:{visit.pk}:staffed")


def test_without_the_session_lock_two_invited_supporters_take_the_last_place(monkeypatch):
    visit, invitations = a_visit_with_one_place_left(2)
    in_step = threading.Barrier(2, timeout=10)
    count_places = shift_rules.count_places_left

    def count_then_wait(session):
        left = count_places(session)
        in_step.wait()  # each has counted before either takes the place
        return left

    def unlocked(pk):
        return Session.objects.select_related("venue").get(pk=pk)

    # The lock out of both the invitation's answer and the sign-up it goes through.
    for module in (visit_invitations, shift_rules):
        monkeypatch.setattr(module, "lock_session", unlocked)
        monkeypatch.setattr(module, "count_places_left", count_then_wait)
    # Each would then fill the other's invitation, which the other holds locked: a deadlock
    # that hides the overstaffing. Telling who is too late is not what this test is about.
    monkeypatch.setattr(visit_invitations, "when_staffed", lambda session: None)

    results = run_together([taking(invitation) for invitation in invitations])

    assert all(isinstance(result, Shift) for result in results)
    assert visit.session.shifts.holding_place().count() == 3  # overstaffed: 3 on a visit for 2


def test_with_the_lock_one_gets_the_last_place_and_the_other_is_told_it_is_filled(monkeypatch):
    visit, invitations = a_visit_with_one_place_left(2)
    count_places = visit_invitations.count_places_left

    def slow_count(session):
        left = count_places(session)
        time.sleep(0.05)  # widen the window between counting and signing up
        return left

    monkeypatch.setattr(visit_invitations, "count_places_left", slow_count)

    results = run_together([taking(invitation) for invitation in invitations])

    taken = [result for result in results if isinstance(result, Shift)]
    refused = [result for result in results if isinstance(result, InvitationError)]
    assert len(taken) == 1
    assert [error.code for error in refused] == ["filled"]
    assert visit.session.shifts.holding_place().count() == 2
    outcomes = sorted(DispatchInvitation.objects.values_list("outcome", flat=True))
    assert outcomes == ["filled", "taken"]
    assert staffed_texts(visit).count() == 1


def test_six_answering_at_once_for_the_last_place_staff_the_visit_once():
    visit, invitations = a_visit_with_one_place_left(6)

    results = run_together([taking(invitation) for invitation in invitations])

    assert sum(isinstance(result, Shift) for result in results) == 1
    codes = {result.code for result in results if isinstance(result, InvitationError)}
    assert codes == {"filled"}
    assert visit.session.shifts.holding_place().count() == 2
    assert DispatchInvitation.objects.filter(outcome="open").count() == 0
    assert staffed_texts(visit).count() == 1
    assert visit.events.filter(kind=RequestEvent.Kind.STAFFED).count() == 1
