"""A supporter who withdraws or pauses: their coming shifts are called off.

supporters owns the status (`withdraw_supporter`, `pause_supporter`) and imports nothing above
it; these shifts are sessions', so sessions receives its `supporter_leaving` signal (connected
in `SessionsConfig.ready()`) and cancels them in the same transaction.
"""

import logging

from django.db import transaction
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import Sms, queue_sms_many
from sessions.models import Session, Shift
from sessions.services.rules import ShiftError, coordinators_to_text, lock_supporter
from sessions.services.shifts import cancel_shift
from sessions.texts import render_sms

logger = logging.getLogger(__name__)


def call_off_coming_shifts(supporter, *, by) -> list[Shift]:
    """Cancel the supporter's shifts on sessions not started yet (places, offers and places in
    line) through `cancel_shift`, so each freed place is offered to the waiting list; then one
    text tells the supporter, and one each the other coordinators. Returns the shifts cancelled.
    """
    with transaction.atomic():
        coming = Shift.objects.filter(
            supporter=supporter,
            status__in=Shift.CANCELLABLE_STATUSES,
            session__starts_at__gt=timezone.now(),
        ).exclude(session__status=Session.Status.CANCELLED)
        # The one lock order: the sessions first (in id order, one query), then the supporter.
        # Once the supporter is locked no sign-up of theirs can commit, so the shifts read
        # after it are all there are.
        list(
            Session.objects.select_for_update(of=("self",))
            .filter(pk__in=coming.values("session_id"))
            .order_by("pk")
        )
        lock_supporter(supporter.pk)
        cancelled = []
        for shift in coming.select_related("session__venue").order_by("session__starts_at"):
            try:
                cancelled.append(cancel_shift(shift, by=by, notify=False))
            except ShiftError as refusal:  # started meanwhile: it stays, as any started shift
                logger.info("Shift %s left as it was: %s", shift.pk, refusal.code)
        if cancelled:
            _tell_of_called_off(supporter, cancelled, by)
    return cancelled


def _tell_of_called_off(supporter, cancelled: list[Shift], by) -> None:
    first = cancelled[0].session
    stamp = timezone.now().isoformat(timespec="seconds")
    context = {"count": len(cancelled), "moment": first.starts_at, "place": first.place_label}
    user = supporter.user
    texts = [
        Sms(
            coordinator.phone,
            render_sms("supporter_stopped", coordinator.language, name=str(supporter), **context),
            OutboundMessage.Purpose.CANCELLATION,
            f"supporter-stopped:supporter:{supporter.pk}:to:{coordinator.pk}@{stamp}",
            related=supporter,
            language=coordinator.language,
        )
        for coordinator in coordinators_to_text(excluding=by)
    ]
    if user.phone:
        texts.insert(
            0,
            Sms(
                user.phone,
                render_sms("shifts_called_off", user.language, **context),
                OutboundMessage.Purpose.CANCELLATION,
                f"shifts-called-off:supporter:{supporter.pk}@{stamp}",
                related=supporter,
                language=user.language,
            ),
        )
    queue_sms_many(texts)


def on_supporter_leaving(sender, *, supporter, by, **kwargs) -> list[Shift]:
    """The receiver of supporters' `supporter_leaving` signal."""
    return call_off_coming_shifts(supporter, by=by)
