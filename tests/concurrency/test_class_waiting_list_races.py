"""Residents registering and cancelling class seats at the same moment (PostgreSQL, real
concurrent transactions): each freed seat is offered to the next in line, in order, never one
seat to two people and never anybody skipped (issue 11).

The first test shows the race the session's row lock prevents: without it, two residents who
both counted one free seat both get it. The others show that with the lock, whatever the
interleaving of cancellations, registrations and offers taken, the class is never overfilled
and the line moves up in its order.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from sessions.models import ClassRegistration, Session
from sessions.services import (
    RegistrationError,
    accept_class_offer,
    cancel_registration,
    expire_class_offers,
    register_for_class,
)
from sessions.services import registrations as registration_rules
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = ClassRegistration.Status


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


def register(session, n):
    made, _created = register_for_class(
        {"name": f"住民 {n}", "phone": f"090-5000-{n:04}", "own_phone": True, "consent": True},
        session,
    )
    return made[0]


def full_class(capacity, waiting):
    """A class with every seat taken and `waiting` residents in line, in order."""
    session = factories.session(kind=Session.Kind.CLASS, capacity=capacity)
    seated = [register(session, n) for n in range(capacity)]
    line = [register(session, 100 + n) for n in range(waiting)]
    assert all(r.status == Status.WAITLISTED for r in line)
    return session, seated, line


def statuses(registrations):
    return [ClassRegistration.objects.get(pk=r.pk).status for r in registrations]


def seats_held(session):
    return ClassRegistration.objects.filter(
        session=session, status__in=ClassRegistration.SEAT_HOLDING_STATUSES
    ).count()


def cancelling(registration):
    return lambda: cancel_registration(registration, by=None)


def test_without_the_session_lock_two_residents_take_the_one_free_seat(monkeypatch):
    session = factories.session(kind=Session.Kind.CLASS, capacity=2)
    register(session, 1)
    both_counted = threading.Barrier(2, timeout=10)
    seats_free = registration_rules._seats_free

    def count_then_wait(session):
        free = seats_free(session)
        both_counted.wait()  # each has seen one seat free before either takes it
        return free

    def no_lock(pk):
        return Session.objects.select_related("venue").get(pk=pk)

    monkeypatch.setattr(registration_rules, "lock_session", no_lock)
    monkeypatch.setattr(registration_rules, "_seats_free", count_then_wait)

    results = run_together([lambda n=n: register(session, 10 + n) for n in range(2)])

    assert statuses(results) == [Status.REGISTERED, Status.REGISTERED]
    assert seats_held(session) == 3  # overbooked: 3 in a class of 2


def test_with_the_lock_two_residents_at_once_get_the_seat_and_the_first_place_in_line():
    session = factories.session(kind=Session.Kind.CLASS, capacity=2)
    register(session, 1)

    results = run_together([lambda n=n: register(session, 10 + n) for n in range(2)])

    assert sorted(statuses(results)) == [Status.REGISTERED, Status.WAITLISTED]
    waiting = next(r for r in results if r.status == Status.WAITLISTED)
    assert waiting.waitlist_position == 1
    assert seats_held(session) == 2


def test_cancellations_at_once_offer_each_seat_to_the_next_in_line_in_order():
    session, seated, line = full_class(capacity=4, waiting=6)

    results = run_together([cancelling(r) for r in seated[:3]])

    assert all(isinstance(result, ClassRegistration) for result in results)
    assert statuses(line) == [Status.OFFERED] * 3 + [Status.WAITLISTED] * 3
    assert seats_held(session) == 4


def test_a_seat_freed_while_others_register_goes_to_the_line_not_the_newcomers():
    session, seated, line = full_class(capacity=2, waiting=2)

    works = [cancelling(seated[0])] + [lambda n=n: register(session, 200 + n) for n in range(4)]
    results = run_together(works)

    assert not [r for r in results if isinstance(r, Exception)]
    newcomers = results[1:]
    assert statuses(line) == [Status.OFFERED, Status.WAITLISTED]
    assert statuses(newcomers) == [Status.WAITLISTED] * 4
    assert seats_held(session) == 2
    positions = ClassRegistration.objects.filter(session=session, status=Status.WAITLISTED)
    assert sorted(positions.values_list("waitlist_position", flat=True)) == list(range(2, 7))


def test_taking_an_offered_seat_while_the_others_cancel_never_overfills_the_class():
    session, seated, line = full_class(capacity=3, waiting=4)
    cancel_registration(seated[0], by=None)
    offered = ClassRegistration.objects.get(pk=line[0].pk)

    works = [lambda: accept_class_offer(offered, by=None)]
    works += [cancelling(r) for r in seated[1:]]
    results = run_together(works)

    assert not [r for r in results if isinstance(r, Exception)]
    assert statuses(line) == [Status.REGISTERED, Status.OFFERED, Status.OFFERED, Status.WAITLISTED]
    assert seats_held(session) == 3


def test_the_same_resident_posting_twice_at_once_gets_one_place():
    session = factories.session(kind=Session.Kind.CLASS, capacity=5)
    data = {"name": "赤城 花子", "phone": "090-1234-5678", "own_phone": True, "consent": True}

    results = run_together([lambda: register_for_class(data, session) for _ in range(4)])

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(created for _made, created in results) == 1
    assert len({made[0].pk for made, _created in results}) == 1
    assert ClassRegistration.objects.filter(session=session).count() == 1


def test_an_offer_taken_as_it_lapses_passes_on_once():
    """The resident taps the link just as the worker finds the offer lapsed: one of them
    passes it to the next in line, once; nobody is offered the seat twice."""
    session, seated, line = full_class(capacity=1, waiting=3)
    cancel_registration(seated[0], by=None)
    ClassRegistration.objects.filter(pk=line[0].pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    offered = ClassRegistration.objects.get(pk=line[0].pk)

    results = run_together(
        [lambda: accept_class_offer(offered, by=None), lambda: expire_class_offers()]
    )

    assert isinstance(results[0], RegistrationError)
    assert results[0].code == "offer_expired"
    assert statuses(line) == [Status.CANCELLED, Status.OFFERED, Status.WAITLISTED]
    assert seats_held(session) == 1
