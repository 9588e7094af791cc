"""Parts of the supporters' pages that come from the fragments cache (config/fragments.py).

`{% session_card_public session %}`: the part of a board card that is the same for everyone.
The board shows about 30 cards and rendering them was most of its time (issue 9). The key is
made of every value the part shows, so a sign-up (a new `staffed`, a new name on the team)
makes a new key and no card is stale. The viewer's own part (their shift, the buttons with the
CSRF token) is rendered around it.

`{% past_shift_rows shifts %}`: a page of a supporter's past shifts on "My shifts", which
changes only when attendance is marked: keyed by each shift's status and what it shows.
"""

from django import template
from django.template.loader import render_to_string

from config.fragments import cached_fragment

register = template.Library()


def shown_on_card(session, team, you) -> tuple:
    """Everything `_session_card_public.html` shows."""
    district = session.district_shown
    return (
        session.pk,
        session.kind,
        session.title,
        session.place_label,
        district.name if district else None,
        session.starts_at,
        session.ends_at,
        session.supporters_needed,
        session.staffed,
        session.min_level,
        len(session.waiting_list),
        tuple((member.supporter_id, member.supporter.short_name) for member in team),
        you,
    )


@register.simple_tag(takes_context=True)
def session_card_public(context, session):
    supporter = context.get("supporter")
    team = session.team
    you = supporter.pk if supporter and any(m.supporter_id == supporter.pk for m in team) else None
    return cached_fragment(
        "session-card",
        shown_on_card(session, team, you),
        lambda: render_to_string(
            "sessions/_session_card_public.html", {"session": session, "team": team, "you": you}
        ),
    )


@register.simple_tag
def past_shift_rows(shifts):
    shown = [
        (
            shift.pk,
            shift.status,
            shift.session.kind,
            shift.session.place_label,
            shift.session.starts_at,
            shift.session.ends_at,
        )
        for shift in shifts
    ]
    return cached_fragment(
        "past-shifts",
        shown,
        lambda: render_to_string("sessions/_past_shift_rows.html", {"shifts": shifts}),
    )
