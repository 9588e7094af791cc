"""Ranked supporters for a scheduled group visit, each with its reasons in words (issue 10).

The coordinator's request page and `GET /api/dispatch-requests/{id}/suggestions` show these;
inviting the chosen ones is another service's.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language_info, gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from config.fiscal import FiscalYear
from sessions.models import DispatchRequest, Session, Shift
from sessions.services.requests import RequestError
from sessions.services.rules import refusal_for
from supporters.models import Availability, Skill, SpokenLanguage, Supporter

# The score's points, criterion by criterion (see `suggest_supporters`).
POINTS_PER_LEVEL = 5
POINTS_PER_SKILL = 20
SKILLS_COUNTED = 3
POINTS_FOR_LANGUAGE = 40
POINTS_FOR_SAME_DISTRICT = 20
POINTS_FOR_NEIGHBOURING_DISTRICT = 10
POINTS_FOR_USUALLY_FREE = 15
POINTS_OFF_PER_SHIFT = 2
POINTS_OFF_FOR_LOAD_AT_MOST = 20

NOT_SCHEDULED = _("Suggestions are for a visit with a date: schedule the request first.")


@dataclass
class Suggestion:
    """One supporter for a visit: their score, why (short translated phrases, in the order
    shown), and the flags a page or the API needs."""

    supporter: Supporter
    score: int
    reasons: list[str] = field(default_factory=list)
    is_free: bool = True  # no other shift at that time
    on_roster: bool = False  # already has a place (or is offered one, or waits) on this visit
    shifts_this_year: int = 0

    @property
    def can_be_invited(self) -> bool:
        return self.is_free and not self.on_roster


def suggest_supporters(request: DispatchRequest, *, limit: int | None = None) -> list[Suggestion]:
    """Active supporters who could take a place on `request`'s visit, best first.

    Who is listed: active supporters whom the shift rules (`rules.refusal_for`) would let take
    a place. Those refused for their level or their insurance are left out, as an invitation
    could not be taken. Two kinds are kept, last and flagged, because a coordinator asks after
    them: those with another shift at that time (`is_free` False, "has another shift"; it may
    be moved), and, at the very end, those already on this visit's roster (`on_roster`).

    The score adds, each criterion shown as a reason:
    - training level: 5 points a level (the session's minimum is a rule, above);
    - skills that help with the group's topics (`Topic.skills`) or with the devices they
      bring (a device matches the skill whose `Skill.code` is the device's code: `iphone`,
      `android`, `rakuraku`, `tablet`): 20 points a skill, at most three counted;
    - speaking the language the group asked for, when it is not Japanese: 40 points;
    - living in the visit's district: 20 points; in a neighbouring one (`District.neighbours`):
      10 points;
    - usually free on that weekday and part of the day (`Availability`): 15 points;
    - fair load: 2 points off a place held this fiscal year (April–March, now), at most 20.
    Ties go to fewer shifts this year, then by name (kana first).

    A fixed number of queries, whatever the number of supporters and shifts: the session, its
    district's neighbours, then the supporters with their shift counts and whether they are
    busy or on the roster annotated, and their matching skills, languages and usual times
    prefetched.
    """
    if request.session_id is None or request.status != DispatchRequest.Status.SCHEDULED:
        raise RequestError("not_scheduled", NOT_SCHEDULED)
    session = Session.objects.select_related("district").get(pk=request.session_id)
    wanted_skills = Skill.objects.filter(
        Q(topics__dispatch_requests=request) | Q(code__in=request.devices or [])
    )
    suggestions = rank_supporters(
        session, wanted_skills=wanted_skills, language=wanted_language(request)
    )
    return suggestions if limit is None else suggestions[:limit]


def rank_supporters(session, *, wanted_skills=None, language: str = "") -> list[Suggestion]:
    """Active supporters who could take a place on `session`, best first, as
    `suggest_supporters` ranks them for a group visit: the skills wanted (`wanted_skills`, a
    queryset of `Skill`; none by default) and the language (`language`, empty for Japanese)
    are the request's, when there is one. Cover requests (issue 13) rank with neither.

    A fixed number of queries, whatever the number of supporters.
    """
    neighbours = (
        set(session.district.neighbours.values_list("pk", flat=True))
        if session.district_id
        else set()
    )
    weekday = timezone.localtime(session.starts_at).weekday()
    part = Availability.part_of(session.starts_at)
    if wanted_skills is None:
        wanted_skills = Skill.objects.none()
    suggestions = []
    for supporter in candidates(session, weekday, part, language, wanted_skills):
        refusal = refusal_for(supporter, session, started_ok=True, busy=supporter.is_busy)
        if refusal is not None and refusal.code != "overlap":
            continue
        suggestions.append(suggestion_for(supporter, session, neighbours, weekday, part, language))
    suggestions.sort(key=rank)
    return suggestions


def wanted_language(request: DispatchRequest) -> str:
    """The group's language when it is not Japanese (every supporter speaks Japanese)."""
    code = (request.preferred_language or "").lower()
    return "" if code in ("", "ja") else code


def candidates(session, weekday: int, part: str, language: str, wanted_skills):
    """Active supporters with what the ranking reads, in a fixed number of queries."""
    year = FiscalYear.current()
    shifts_this_year = (
        Shift.objects.holding_place()
        .filter(
            supporter=OuterRef("pk"),
            session__starts_at__gte=year.starts_at,
            session__starts_at__lt=year.ends_before,
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .order_by()
        .values("supporter")
        .annotate(count=Count("pk"))
        .values("count")
    )
    languages = (
        SpokenLanguage.objects.filter(code__iexact=language)
        if language
        else SpokenLanguage.objects.none()
    )
    return (
        Supporter.objects.active()
        .select_related("district")
        .annotate(
            # `overlapping` is the shift rules' own definition of busy (`busy_supporters`).
            is_busy=Exists(Shift.objects.filter(supporter=OuterRef("pk")).overlapping(session)),
            on_roster=Exists(
                Shift.objects.active().filter(session=session, supporter=OuterRef("pk"))
            ),
            shifts_this_year=Coalesce(Subquery(shifts_this_year), 0),
        )
        .prefetch_related(
            Prefetch(
                "skills",
                queryset=Skill.objects.filter(pk__in=wanted_skills.values("pk")),
                to_attr="matching_skills",
            ),
            Prefetch("languages", queryset=languages, to_attr="matching_languages"),
            Prefetch(
                "availability",
                queryset=Availability.objects.filter(weekday=weekday, part=part),
                to_attr="usual_times",
            ),
        )
    )


def suggestion_for(supporter, session, neighbours, weekday, part, language) -> Suggestion:
    skills = supporter.matching_skills[:SKILLS_COUNTED]
    speaks = bool(language) and bool(supporter.matching_languages)
    same_district = session.district_id is not None and supporter.district_id == session.district_id
    neighbouring = supporter.district_id in neighbours
    usually_free = bool(supporter.usual_times)
    shifts = supporter.shifts_this_year
    score = (
        POINTS_PER_LEVEL * supporter.training_level
        + POINTS_PER_SKILL * len(skills)
        + POINTS_FOR_LANGUAGE * speaks
        + POINTS_FOR_SAME_DISTRICT * same_district
        + POINTS_FOR_NEIGHBOURING_DISTRICT * neighbouring
        + POINTS_FOR_USUALLY_FREE * usually_free
        - min(POINTS_OFF_PER_SHIFT * shifts, POINTS_OFF_FOR_LOAD_AT_MOST)
    )
    reasons = [
        gettext("Already on this visit")
        if supporter.on_roster
        else gettext("Has another shift at that time")
        if supporter.is_busy
        else gettext("Free at that time"),
        gettext("Training level %(level)s") % {"level": supporter.training_level},
    ]
    if skills:
        separator = pgettext("between the items of a short list", ", ")
        reasons.append(
            gettext("Good with %(skills)s")
            % {"skills": separator.join(skill.name for skill in skills)}
        )
    if speaks:
        reasons.append(
            gettext("Speaks %(language)s")
            % {"language": language_name(supporter.matching_languages[0])}
        )
    if same_district:
        reasons.append(
            gettext("Same district (%(district)s)") % {"district": supporter.district.name}
        )
    elif neighbouring:
        reasons.append(
            gettext("Neighbouring district (%(district)s)") % {"district": supporter.district.name}
        )
    if usually_free:
        reasons.append(
            gettext("Usually free on %(weekday)s (%(part)s)")
            % {
                "weekday": dict(Availability.WEEKDAYS)[weekday],
                "part": Availability.Part(part).label,
            }
        )
    reasons.append(
        ngettext("%(count)s shift this fiscal year", "%(count)s shifts this fiscal year", shifts)
        % {"count": shifts}
    )
    return Suggestion(
        supporter=supporter,
        score=score,
        reasons=reasons,
        is_free=not supporter.is_busy,
        on_roster=supporter.on_roster,
        shifts_this_year=shifts,
    )


def language_name(spoken: SpokenLanguage) -> str:
    """The language's name in the reader's language when Django knows it ("ベトナム語"), else
    its own name as recorded ("Filipino")."""
    try:
        return str(get_language_info(spoken.code.lower())["name_translated"])
    except KeyError:
        return spoken.name


def rank(suggestion: Suggestion) -> tuple:
    supporter = suggestion.supporter
    return (
        suggestion.on_roster,
        not suggestion.is_free,
        -suggestion.score,
        suggestion.shifts_this_year,
        supporter.family_name_kana,
        supporter.given_name_kana,
        supporter.family_name,
        supporter.given_name,
        supporter.pk,
    )
