"""Two coordinators confirming the same help-desk plan at the same moment (a double click, two
tabs) write each date once (issue 11; PostgreSQL, real concurrent transactions).

The first test shows the race the schedule's row lock prevents: without it, both read the
dates as free and both write them; the database's one-session-per-slot constraint stops the
second with an error (a server error on the second coordinator's screen). With the lock the
second waits, finds the first one's sessions and adds nothing.
"""

import threading
from datetime import date

import pytest
from django.db import IntegrityError

from sessions.models import Session
from sessions.services import generate_sessions
from sessions.services import schedules as schedule_rules
from tests import factories
from tests.concurrency.test_last_place import run_together
from venues.models import HelpdeskSchedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FIRST, LAST = date(2027, 4, 1), date(2027, 9, 30)


def generating(schedule):
    return lambda: generate_sessions(schedule, FIRST, LAST)


def test_without_the_schedule_lock_the_second_confirmation_fails(monkeypatch):
    schedule = factories.schedule()
    plan = schedule_rules.plan_generation
    expected = len(plan(schedule, FIRST, LAST).to_add)
    both_planned = threading.Barrier(2, timeout=10)

    def plan_then_wait(*args, **kwargs):
        planned = plan(*args, **kwargs)
        both_planned.wait()
        return planned

    def no_lock(schedule):
        return HelpdeskSchedule.objects.select_related("venue").get(pk=schedule.pk)

    monkeypatch.setattr(schedule_rules, "plan_generation", plan_then_wait)
    monkeypatch.setattr(schedule_rules, "_lock_schedule", no_lock)

    results = run_together([generating(schedule), generating(schedule)])

    written, refused = sorted(results, key=lambda result: isinstance(result, Exception))
    assert len(written.created) == expected
    assert isinstance(refused, IntegrityError)
    assert Session.objects.filter(schedule=schedule).count() == expected


def test_with_the_lock_many_confirmations_at_once_write_each_date_once():
    schedule = factories.schedule()
    expected = len(schedule_rules.plan_generation(schedule, FIRST, LAST).to_add)

    results = run_together([generating(schedule) for _ in range(4)])

    assert not any(isinstance(result, Exception) for result in results)
    assert sum(len(result.created) for result in results) == expected
    assert Session.objects.filter(schedule=schedule).count() == expected
