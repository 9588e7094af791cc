"""Shared by the demo's builders: the roster member, date helpers and the base builder."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from config.demo.data import (
    DEMO_SUPPORTER_PHONE,
    FAMILY_NAMES,
    FOREIGN_RESIDENTS,
    OTHER_LANGUAGES,
    SEED,
    SENIOR_GIVEN_NAMES,
    UPCOMING,
    YOUNGER_GIVEN_NAMES,
)
from config.fiscal import TOKYO, FiscalYear
from consultations.models import Topic
from sessions.models import REFERENCE_ALPHABET, DispatchRequest, Session, Shift
from supporters.models import Skill, SpokenLanguage, Supporter
from venues.closures import is_closed
from venues.models import District, HelpdeskSchedule, Venue


@dataclass
class Member:
    """A roster supporter as the generator sees them."""

    supporter: Supporter
    joined_on: date
    leaves_on: date | None  # paused or withdrawn from this day on
    venues: tuple[str, ...]

    @property
    def level(self) -> int:
        return self.supporter.training_level

    def is_active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.leaves_on is None or day < self.leaves_on)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _open_days(first: date, last: date) -> list[date]:
    """Monday to Saturday in [first, last], without holidays and the New Year closure."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 6 and not is_closed(day)]


def _months(fiscal_year: FiscalYear) -> list[tuple[date, date]]:
    """The twelve months of a fiscal year, April first, as (first day, last day)."""
    months = []
    for n in range(12):
        year, month = fiscal_year.start_year + (n + 3) // 12, (n + 3) % 12 + 1
        following = date(year + month // 12, month % 12 + 1, 1)
        months.append((date(year, month, 1), following - timedelta(days=1)))
    return months


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=TOKYO)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _adjust_to_total(rng: random.Random, counts: list[int], total: int, low: int, high: int):
    """Nudge random entries by one, within [low, high], until the counts add up to `total`."""
    while (gap := total - sum(counts)) != 0:
        index = rng.randrange(len(counts))
        if gap > 0 and counts[index] < high:
            counts[index] += 1
        elif gap < 0 and counts[index] > low:
            counts[index] -= 1


def _local_day(session: Session) -> date:
    return timezone.localtime(session.starts_at).date()


class BaseBuilder:
    """What every section's builder shares: today, the generators, phones, references, and
    the objects the sections before made (venues, members, sessions, teams)."""

    def __init__(self, today: date):
        self.today = today
        self.now = timezone.now()
        self.horizon = today + UPCOMING  # first day past the bookable weeks
        self.current_year = FiscalYear.of(today)
        self.districts = {district.code: district for district in District.objects.all()}
        self.topics = {topic.code: topic for topic in Topic.objects.filter(is_active=True)}
        self.skills = {skill.code: skill for skill in Skill.objects.all()}
        self.spoken = {language.code: language for language in SpokenLanguage.objects.all()}
        # Residents' and sessions' language fields take the app's languages only.
        app_languages = {code for code, _name in settings.LANGUAGES}
        self.other_languages = [code for code in OTHER_LANGUAGES if code in app_languages]
        self.app_languages = app_languages
        self.phones: set[str] = {DEMO_SUPPORTER_PHONE}
        self.references: set[str] = set()
        self.reference_rng = self.rng("references")
        self.phone_rng = self.rng("phones")
        self.venues: dict[str, Venue] = {}
        self.members: list[Member] = []
        self.demo_member: Member | None = None
        self.sessions: list[Session] = []
        self.requests: list[tuple[DispatchRequest, datetime, list[Topic]]] = []
        self.participants: dict[int, int] = {}  # id(session) → residents who came
        self.teams: dict[int, list[Shift]] = {}  # id(session) → shifts
        self.request_for: dict[int, DispatchRequest] = {}  # id(session) → its request
        self.schedules: list[HelpdeskSchedule] = []
        self.upcoming_classes: list[Session] = []

    @staticmethod
    def rng(section: str) -> random.Random:
        # One generator per section: a change in one part leaves the others' data as it was.
        return random.Random(f"{SEED}:{section}")

    # Reference helpers ------------------------------------------------------------------------

    def mobile(self) -> str:
        while True:
            number = f"+81{self.phone_rng.choice('789')}0{self.phone_rng.randint(1000, 9999)}"
            number += f"{self.phone_rng.randint(0, 9999):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self) -> str:
        return f"+81272{self.phone_rng.randint(10, 99)}{self.phone_rng.randint(0, 9999):04d}"

    def reference(self, prefix: str) -> str:
        while True:
            code = prefix + "-" + "".join(self.reference_rng.choices(REFERENCE_ALPHABET, k=6))
            if code not in self.references:
                self.references.add(code)
                return code

    def resident_name(self, rng: random.Random) -> tuple[str, str, str]:
        """A resident's (name, kana, language)."""
        if self.other_languages and rng.random() < 0.06:
            name, kana, language = rng.choice(FOREIGN_RESIDENTS)
            return name, kana, language if language in self.app_languages else "ja"
        family, family_kana = rng.choice(FAMILY_NAMES)
        given, given_kana = rng.choice(SENIOR_GIVEN_NAMES + YOUNGER_GIVEN_NAMES[:4])
        return f"{family} {given}", f"{family_kana} {given_kana}", "ja"

    def language(self, rng: random.Random, share: float) -> str:
        if self.other_languages and rng.random() < share:
            return rng.choice(self.other_languages)
        return "ja"

    def fiscal_years(self) -> list[FiscalYear]:
        return [FiscalYear(year) for year in range(2024, self.current_year.start_year + 1)]
