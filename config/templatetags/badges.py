"""`{% status_badge obj %}`: an object's status as a badge, its translated label in its tone.

Each status shown as a badge has its tone here, once: "ok" (done, good), "warning" (needs
someone's attention), "muted" (over, no longer counts); any other status is a plain badge.
`{% status_badge invitation "state" %}` reads another field than `status`.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

TONES = {
    "helpdesk_sessions.session": {
        "held": "ok",
        "cancelled": "muted",
    },
    "helpdesk_sessions.shift": {
        "attended": "ok",
        "waitlisted": "warning",
        "offered": "warning",
        "no_show": "muted",
        "cancelled": "muted",
    },
    "helpdesk_sessions.dispatchrequest": {
        "received": "warning",
        "done": "ok",
        "declined": "muted",
        "cancelled": "muted",
    },
    "helpdesk_sessions.dispatchinvitation": {
        "taken": "ok",
        "open": "warning",
        "filled": "muted",
        "declined": "muted",
        "withdrawn": "muted",
    },
    "notifications.outboundmessage": {
        "delivered": "ok",
        "failed": "warning",
        "undelivered": "warning",
        "unknown": "warning",
        "cancelled": "muted",
    },
    "supporters.invitation": {
        "accepted": "ok",
        "open": "warning",
        "revoked": "muted",
        "expired": "muted",
    },
}


@register.simple_tag
def status_badge(obj, field="status"):
    tone = TONES[obj._meta.label_lower].get(str(getattr(obj, field)))
    label = getattr(obj, f"get_{field}_display")()
    return format_html(
        '<span class="{}">{}</span>', f"badge badge--{tone}" if tone else "badge", label
    )
