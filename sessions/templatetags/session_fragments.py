"""Parts of the supporters' pages that come from the fragments cache (config/fragments.py).

`{% session_card_public session %}`: the part of a board card that is the same for everyone.
The board shows about 30 cards and rendering them was most of its time (issue 9). The key is
made of every value the part shows, so a sign-up (a new `staffed`, a new name on the team)
makes a new key and no card is stale. The viewer's own part (their shift, the buttons with the
CSRF token) is rendered around it.

`{% board_days sessions %}`: the board's whole list of cards, viewer's part included, keyed by
everything each card shows to this viewer (`shown_to_viewer`): supporters in the same state (most
of them: no shift in these two weeks) share one rendering, and one who is on a card gets their
own. The per-request `next` and CSRF token are placeholders swapped in after the fetch.

`{% past_shift_rows shifts %}`: a page of a supporter's past shifts on "My shifts", which
changes only when attendance is marked: keyed by each shift's status and what it shows.
"""

from django import template
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

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
    team = session.team
    you = _you(context.get("supporter"), team)
    return cached_fragment(
        "session-card",
        shown_on_card(session, team, you),
        lambda: render_to_string(
            "sessions/_session_card_public.html", {"session": session, "team": team, "you": you}
        ),
    )


# Stand for the request's own values in the cached list; they survive escaping and urlencode.
NEXT_PLACEHOLDER = "__board-next-url__"
CSRF_PLACEHOLDER = "__board-csrf-token__"


def _you(supporter, team):
    return supporter.pk if supporter and any(m.supporter_id == supporter.pk for m in team) else None


def shown_to_viewer(session, supporter, is_coordinator) -> tuple:
    """Everything `_session_card.html` shows on the board for this viewer: the public part, and
    their own shift's state (with the values that change with the clock, as of now)."""
    team = session.team
    shift = session.viewer_shift
    own = None
    if shift is not None:
        own = (
            shift.pk,
            shift.status,
            session.viewer_waiting_rank,
            shift.is_offer_open,
            shift.offer_expires_at,
            shift.can_be_cancelled,
            shift.is_on_team,
        )
    return (session.day, shown_on_card(session, team, _you(supporter, team)), own)


@register.simple_tag(takes_context=True)
def board_days(context, sessions):
    sessions = list(sessions)
    supporter = context.get("supporter")
    is_coordinator = bool(context.get("is_coordinator"))
    shown = (
        supporter is not None,
        is_coordinator,
        [shown_to_viewer(session, supporter, is_coordinator) for session in sessions],
    )
    html = cached_fragment(
        "board-days",
        shown,
        lambda: render_to_string(
            "sessions/_board_days.html",
            {
                "sessions": sessions,
                "supporter": supporter,
                "is_coordinator": is_coordinator,
                "next": NEXT_PLACEHOLDER,
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )
    next_url = context["request"].get_full_path()
    html = html.replace(f"?next={NEXT_PLACEHOLDER}", f"?next={urlencode(next_url)}")
    html = html.replace(NEXT_PLACEHOLDER, escape(next_url))
    html = html.replace(CSRF_PLACEHOLDER, escape(str(context.get("csrf_token"))))
    # Our own template's output, escaped as it renders; the swapped-in values are escaped above.
    return mark_safe(html)


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
