"""Two supporters asked to cover the same shift, taking it at the same moment: one gets it,
the other is told it is taken (PostgreSQL, real concurrent transactions; issue 13).

The first test shows the race the session's row lock (and the request's) prevents: with them
taken out, both supporters see the request open and both get a shift, so the session has one
supporter too many. With the locks, the place changes hands once.
"""

import threading
import time

import pytest

from sessions.models import CoverRequest, Session
from sessions.services import CoverError, cover, request_cover, sign_up, take_cover
from tests import factories
from tests.concurrency.test_last_place import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def round_of(settings):
    settings.COVER_ROUND_SIZE = 6


def a_shift_asked_to_cover(asked: int):
    """A session for two, full, whose second supporter asks for cover; `asked` supporters
    asked."""
    session = factories.session(supporters_needed=2)
    sign_up(factories.supporter(), session, by=None)
    shift = sign_up(factories.supporter(), session, by=None)
    candidates = [factories.supporter() for _ in range(asked)]
    request = request_cover(shift, by=None)
    assert request.offers.count() == asked
    return session, request, candidates


def taking(request, supporter):
    return lambda: take_cover(request, supporter, by=supporter.user)


def test_without_the_locks_two_supporters_both_take_the_shift(monkeypatch):
    session, request, candidates = a_shift_asked_to_cover(2)
    in_step = threading.Barrier(2, timeout=10)
    refusal_for = cover.refusal_for

    def check_then_wait(supporter, session, **kwargs):
        refusal = refusal_for(supporter, session, **kwargs)
        in_step.wait()  # each has seen the request open before either takes it
        return refusal

    monkeypatch.setattr(
        cover, "lock_session", lambda pk: Session.objects.select_related("venue").get(pk=pk)
    )
    monkeypatch.setattr(
        cover,
        "lock_cover_request",
        lambda pk: CoverRequest.objects.select_related("shift__supporter__user").get(pk=pk),
    )
    monkeypatch.setattr(cover, "refusal_for", check_then_wait)
    # Each would then mark the other's offer filled, which the other holds locked: a deadlock
    # that hides the overstaffing. Telling the others is not what this test is about.
    monkeypatch.setattr(cover, "_tell_the_others", lambda *args, **kwargs: None)

    results = run_together([taking(request, supporter) for supporter in candidates])

    assert not any(isinstance(result, Exception) for result in results), results
    assert session.shifts.holding_place().count() == 3  # overstaffed: 3 on a session for 2


def test_with_the_locks_one_takes_it_and_the_other_is_told_it_is_taken(monkeypatch):
    session, request, candidates = a_shift_asked_to_cover(2)
    refusal_for = cover.refusal_for

    def slow_check(supporter, session, **kwargs):
        refusal = refusal_for(supporter, session, **kwargs)
        time.sleep(0.05)  # widen the window between checking and taking
        return refusal

    monkeypatch.setattr(cover, "refusal_for", slow_check)

    results = run_together([taking(request, supporter) for supporter in candidates])

    refused = [result for result in results if isinstance(result, CoverError)]
    assert [error.code for error in refused] == ["taken"]
    assert session.shifts.holding_place().count() == 2
    request.refresh_from_db()
    assert request.status == CoverRequest.Status.TAKEN
    assert request.taken_by in candidates


def test_six_taking_at_once_hand_the_shift_on_once():
    session, request, candidates = a_shift_asked_to_cover(6)

    results = run_together([taking(request, supporter) for supporter in candidates])

    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert {result.code for result in results if isinstance(result, CoverError)} == {"taken"}
    assert session.shifts.holding_place().count() == 2
    assert request.offers.filter(outcome="taken").count() == 1
    assert request.offers.filter(outcome="open").count() == 0
