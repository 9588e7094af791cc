"""Coordinators' broadcasts: a message to supporters chosen by district, skill, a session's
roster or by name, previewed with its count and cost, then sent through the outbox at once."""

import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.segments import count_segments, estimate_cost
from notifications.services import Sms, opted_out_among, queue_sms_many
from sessions.models import Shift
from supporters.models import Supporter
from supporters.phones import is_landline
from supporters.texts import render_sms

logger = logging.getLogger(__name__)

# What a coordinator may type: with the office's signature, at most 7 parts in Japanese.
BROADCAST_MAX_LENGTH = 400


class BroadcastError(ServiceError):
    """A broadcast the rules refuse. `code`: no_recipients."""

    MESSAGES = {
        "no_recipients": _("None of the chosen supporters can get texts: nothing was sent."),
    }

    def __init__(self, code: str, message=None):
        super().__init__(code, message or self.MESSAGES.get(code))


def broadcast_recipients(
    *, everyone: bool = False, districts=(), skills=(), session=None, supporters=()
):
    """The supporters a broadcast is for, each once, whoever picked them several ways.

    Every active supporter (`everyone`), or the active ones in any of `districts` with any of
    `skills`; plus everyone on `session`'s roster, waiting list included; plus `supporters`.
    """
    chosen = Q(pk__in=[getattr(supporter, "pk", supporter) for supporter in supporters])
    active = Supporter.objects.active()
    if everyone:
        chosen |= Q(pk__in=active.values("pk"))
    elif districts or skills:
        matching = active
        if districts:
            matching = matching.filter(district__in=districts)
        if skills:
            matching = matching.filter(skills__in=skills)
        chosen |= Q(pk__in=matching.values("pk"))
    if session is not None:
        roster = Shift.objects.filter(session=session).active()
        chosen |= Q(pk__in=roster.values("supporter_id"))
    return Supporter.objects.filter(chosen).select_related("user")


def _reachable(supporters) -> tuple[list[Supporter], int]:
    """The supporters who take texts, and how many others were left out, in a fixed number of
    queries: the outbox's own rule (`opted_out_among`), landlines left out."""
    if isinstance(supporters, QuerySet):
        supporters = supporters.select_related("user")
    chosen = list(supporters)
    phones = [supporter.user.phone for supporter in chosen if supporter.user.phone]
    opted_out = opted_out_among(phones)
    reachable = [
        supporter
        for supporter in chosen
        if supporter.user.phone
        and supporter.sms_opt_in
        and supporter.user.phone not in opted_out
        and not is_landline(supporter.user.phone)
    ]
    return reachable, len(chosen) - len(reachable)


def queue_broadcast(supporters, message: str, *, key: str) -> list[OutboundMessage]:
    """Queue a coordinator's message to each chosen supporter who takes texts.

    A fixed number of queries however many are chosen: one insert for all, one nudge. The same
    key again (a form sent twice) adds nothing.
    """
    return queue_sms_many(
        Sms(
            supporter.user.phone,
            render_sms("broadcast", supporter.user.language, message=message),
            OutboundMessage.Purpose.BROADCAST,
            f"broadcast:{key}:supporter:{supporter.pk}",
            related=supporter,
            language=supporter.user.language,
        )
        for supporter in supporters
        if supporter.user.phone
    )


def preview_broadcast(supporters, message: str) -> dict:
    """What a broadcast would send, before it is sent, in a fixed number of queries.

    `recipients` and `skipped` (no phone, or texts turned off), `segments` in all and the
    estimated `cost`; `texts`: each recipients' language with its text, its parts per message
    and how many get it, the most common first.
    """
    reachable, skipped = _reachable(supporters)
    texts = {}
    for supporter in reachable:
        language = supporter.user.language
        if language not in texts:
            body = render_sms("broadcast", language, message=message)
            texts[language] = {
                "language": language,
                "text": body,
                "segments": count_segments(body),
                "recipients": 0,
            }
        texts[language]["recipients"] += 1
    segments = sum(text["segments"] * text["recipients"] for text in texts.values())
    return {
        "recipients": len(reachable),
        "skipped": skipped,
        "segments": segments,
        "cost": estimate_cost(segments),
        "texts": sorted(texts.values(), key=lambda text: (-text["recipients"], text["language"])),
    }


def send_broadcast(supporters, message: str, *, key: str, by=None) -> dict:
    """Queue a coordinator's broadcast to the chosen supporters who take texts.

    The same `key` queues it once, however often it is submitted. Returns `recipients`,
    `skipped`, `segments` and `cost` of what was queued.
    """
    reachable, skipped = _reachable(supporters)
    if not reachable:
        raise BroadcastError("no_recipients")
    with transaction.atomic():
        queued = queue_broadcast(reachable, message, key=key)
    segments = sum(sms.segments for sms in queued)
    logger.info(
        "Broadcast %s: %s texts queued by user %s", key, len(queued), getattr(by, "pk", None)
    )
    return {
        "recipients": len(queued),
        "skipped": skipped + len(reachable) - len(queued),
        "segments": segments,
        "cost": estimate_cost(segments),
    }
