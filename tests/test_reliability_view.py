"""Issue 13: who a coordinator might check in on, computed in one query."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from sessions.models.sessions import Shift
from sessions.services.reliability import reliability
from supporters.services import pause_supporter
from tests import factories

pytestmark = pytest.mark.django_db


def _shift(supporter, days_ago, status, **kwargs):
    starts_at = timezone.now() - timedelta(days=days_ago)
    session = factories.session(starts_at=starts_at)
    return factories.shift(session=session, supporter=supporter, status=status, **kwargs)


def test_two_misses_in_90_days_are_listed_but_one_91_days_ago_is_not():
    listed, not_listed = factories.supporter(), factories.supporter()
    _shift(listed, 10, Shift.Status.NO_SHOW)
    _shift(listed, 89, Shift.Status.NO_SHOW)
    _shift(not_listed, 10, Shift.Status.NO_SHOW)
    _shift(not_listed, 91, Shift.Status.NO_SHOW)
    assert reliability().missed == [listed]


def test_active_supporters_without_a_served_shift_for_six_months_are_listed():
    quiet, recent, paused = factories.supporter(), factories.supporter(), factories.supporter()
    _shift(quiet, 183, Shift.Status.ATTENDED)
    _shift(recent, 180, Shift.Status.ATTENDED)
    _shift(recent, 20, Shift.Status.NO_SHOW)
    pause_supporter(paused, by=factories.coordinator())
    assert reliability().quiet == [quiet]


def test_mostly_late_cancellations_are_listed():
    late, early, once = factories.supporter(), factories.supporter(), factories.supporter()
    hours = settings.SHIFT_LATE_CANCEL_HOURS
    for supporter, hours_before in (
        (late, [hours - 1, hours - 1, hours + 1]),
        (early, [hours - 1, hours + 1]),
        (once, [0]),
    ):
        for before in hours_before:
            shift = _shift(supporter, 5, Shift.Status.CANCELLED)
            cancelled_at = shift.session.starts_at - timedelta(hours=before)
            Shift.objects.filter(pk=shift.pk).update(cancelled_at=cancelled_at)
    assert reliability().late_cancelling == [late]


@pytest.mark.parametrize("count", [3, 30])
def test_one_query_whatever_the_number_of_supporters(count, django_assert_max_num_queries):
    for _ in range(count):
        _shift(factories.supporter(), 10, Shift.Status.NO_SHOW)
    with django_assert_max_num_queries(1):
        reliability()
