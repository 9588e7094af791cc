"""Many supporters signing up for the last places at the same moment fill exactly the places
there are (PostgreSQL, real concurrent transactions).

The first test shows the race the lock prevents: with the session's row lock taken out, two
supporters who both counted one place left both get it. The others show that with the lock,
whatever the interleaving, the session is never overbooked.
"""

import threading
import time

import pytest
from django.db import connections

from sessions.models import Session, Shift
from sessions.services import ShiftError, cancel_shift, join_waitlist, sign_up
from sessions.services import shifts as shift_rules
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(works):
    """Run each of `works` in its own thread, all released at once; returns results or errors."""
    barrier = threading.Barrier(len(works))
    results = [None] * len(works)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # a refusal is a result too
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def signing_up(supporter, session):
    return lambda: sign_up(supporter, session, by=supporter.user)


def supporters(count):
    return [factories.supporter() for _ in range(count)]


def test_without_the_session_lock_two_supporters_take_the_last_place(monkeypatch):
    session = factories.session(supporters_needed=2)
    factories.shift(session=session)
    both_counted = threading.Barrier(2, timeout=10)
    count_places = shift_rules.count_places_left

    def count_then_wait(session):
        left = count_places(session)
        both_counted.wait()  # each has seen one place left before either takes it
        return left

    monkeypatch.setattr(shift_rules, "lock_session", lambda pk: Session.objects.get(pk=pk))
    monkeypatch.setattr(shift_rules, "count_places_left", count_then_wait)

    results = run_together([signing_up(s, session) for s in supporters(2)])

    assert all(isinstance(result, Shift) for result in results)
    assert session.shifts.holding_place().count() == 3  # overbooked: 3 on a session for 2


def test_eight_supporters_at_once_fill_exactly_the_three_places():
    session = factories.session(supporters_needed=3)

    results = run_together([signing_up(s, session) for s in supporters(8)])

    taken = [r for r in results if isinstance(r, Shift)]
    refused = [r for r in results if isinstance(r, ShiftError)]
    assert len(taken) == 3
    assert len(refused) == 5
    assert {error.code for error in refused} == {"full"}
    assert session.shifts.holding_place().count() == 3


def test_the_lock_holds_even_when_counting_is_slow(monkeypatch):
    session = factories.session(supporters_needed=3)
    count_places = shift_rules.count_places_left

    def slow_count(session):
        left = count_places(session)
        time.sleep(0.05)  # widen the window between counting and inserting
        return left

    monkeypatch.setattr(shift_rules, "count_places_left", slow_count)

    results = run_together([signing_up(s, session) for s in supporters(8)])

    assert sum(isinstance(r, Shift) for r in results) == 3
    assert session.shifts.holding_place().count() == 3


def test_a_place_freed_while_others_sign_up_is_taken_once(monkeypatch):
    """A cancellation offering its place to the line, racing new sign-ups: still never more
    than the places there are."""
    session = factories.session(supporters_needed=2)
    leaving = factories.shift(session=session)
    factories.shift(session=session)
    join_waitlist(factories.supporter(), session)

    works = [lambda: cancel_shift(leaving, by=None)]
    works += [signing_up(s, session) for s in supporters(5)]
    results = run_together(works)

    assert isinstance(results[0], Shift)
    assert session.shifts.holding_place().count() == 2
    assert session.shifts.filter(status=Shift.Status.OFFERED).count() == 1


def test_one_supporter_cannot_take_two_overlapping_sessions_at_once():
    supporter = factories.supporter()
    first = factories.session()
    second = factories.session(starts_at=first.starts_at)

    results = run_together([signing_up(supporter, first), signing_up(supporter, second)])

    assert sum(isinstance(r, Shift) for r in results) == 1
    assert [r.code for r in results if isinstance(r, ShiftError)] == ["overlap"]
