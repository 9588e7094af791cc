"""Reminders planned by the day, not by an event: the domain apps register a planner in their
`AppConfig.ready()` (supporters: volunteer insurance running out), as they register reply
handlers, and the outbox runs them all once a day (`tasks.send_due_reminders`).

A planner is called with today's date (Tokyo) and returns the texts due by then as `Sms`, each
with a key of its own: the same reminder on another run, or a run repeated, queues nothing new,
and a day missed is made up by the next run, which finds the same texts due.
"""

from collections.abc import Callable
from datetime import date

from django.utils import timezone

from notifications.services import Sms, queue_sms_many

Planner = Callable[[date], list[Sms]]

_planners: list[Planner] = []


def register_reminder_planner(planner: Planner) -> None:
    """Ask `planner(today)` for its texts on every daily run; registering it again changes
    nothing (a test reloading apps)."""
    if planner not in _planners:
        _planners.append(planner)


def queue_planned_reminders(today: date | None = None) -> int:
    """Queue what every planner wants sent by `today` (Tokyo); returns how many texts were
    planned (those already in the outbox included: their keys add nothing)."""
    today = today or timezone.localdate()
    texts = [sms for planner in _planners for sms in planner(today)]
    queue_sms_many(texts)
    return len(texts)
