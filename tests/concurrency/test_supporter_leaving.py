"""A supporter withdrawn while they sign up for a shift never ends withdrawn with a coming shift
(PostgreSQL, real concurrent transactions)."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Shift
from sessions.services import ShiftError, membership, sign_up
from supporters.models import Supporter
from supporters.services import withdraw_supporter
from tests import factories
from tests.concurrency.test_last_place import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_sign_up_committed_while_the_withdrawal_locks_the_sessions_is_cancelled_too(
    monkeypatch,
):
    leaving = factories.supporter()
    coordinator = factories.coordinator()
    signed_up_already = sign_up(leaving, factories.session(), by=None)
    other = factories.session(starts_at=timezone.now() + timedelta(days=9))
    signed = threading.Event()
    lock_supporter = membership.lock_supporter

    def lock_after_the_sign_up(pk):
        # The withdrawal has read the coming shifts and locked their sessions; the supporter's
        # own sign-up on another session commits before the withdrawal locks the supporter.
        signed.wait(timeout=10)
        return lock_supporter(pk)

    def signing_up():
        try:
            return sign_up(leaving, other, by=leaving.user)
        finally:
            signed.set()

    monkeypatch.setattr(membership, "lock_supporter", lock_after_the_sign_up)

    results = run_together([lambda: withdraw_supporter(leaving, by=coordinator), signing_up])

    assert isinstance(results[0], Supporter)
    assert isinstance(results[1], Shift | ShiftError)
    assert Supporter.objects.get(pk=leaving.pk).status == Supporter.Status.WITHDRAWN
    assert not Shift.objects.filter(supporter=leaving).active().exists()
    assert Shift.objects.get(pk=signed_up_already.pk).status == Shift.Status.CANCELLED


def test_the_supporters_sign_up_after_the_withdrawal_is_refused():
    leaving = factories.supporter()
    coordinator = factories.coordinator()
    sessions = [factories.session(starts_at=timezone.now() + timedelta(days=n)) for n in (3, 5)]
    sign_up(leaving, sessions[0], by=None)

    results = run_together(
        [
            lambda: withdraw_supporter(leaving, by=coordinator),
            lambda: sign_up(leaving, sessions[1], by=leaving.user),
        ]
    )

    assert isinstance(results[0], Supporter)
    assert not Shift.objects.filter(supporter=leaving).active().exists()
