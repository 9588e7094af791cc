"""The demo's supporters: the roster since FY2021's course, with accounts and insurance."""

import random
from datetime import date, time, timedelta

from config.demo.base import BaseBuilder, Member, _at, _day_between
from config.demo.data import (
    DEMO_SUPPORTER_PHONE,
    DEVICE_SKILLS,
    FAMILY_NAMES,
    FOREIGN_SUPPORTERS,
    FY2024,
    HALLS,
    NO_PASSWORD,
    SENIOR_GIVEN_NAMES,
    SUPPORTER_NOTES,
    YOUNGER_GIVEN_NAMES,
)
from config.fiscal import FiscalYear
from supporters.models import Availability, Skill, Supporter, User
from supporters.phones import participant_key_of


class SupporterBuilder(BaseBuilder):
    """The roster: who joined when, their levels, skills, languages and halls."""

    def add_supporters(self):
        rng = self.rng("supporters")
        last_change = self.today - timedelta(days=1)
        since = (FY2024.last_day + timedelta(days=1), last_change)
        # The roster in joining order: FY2021's course graduates, then each year's newcomers.
        # Everyone who joined by 2025-03-31 and is not marked "left" or "resting" is one of
        # FY2024's 132 active supporters.
        plans = [(date(2022, 3, rng.randint(1, 25)), "counted") for _ in range(26)]
        for year, counted, left in ((2022, 40, 3), (2023, 35, 2), (2024, 31, 0)):
            first, last = FiscalYear(year).first_day, FiscalYear(year).last_day
            plans += [(_day_between(rng, first, last), "counted") for _ in range(counted)]
            plans += [(_day_between(rng, first, last), "left") for _ in range(left)]
        plans += [(_day_between(rng, date(2022, 4, 1), date(2023, 3, 31)), "resting") for _ in "ab"]
        for fiscal_year in self.fiscal_years()[1:]:
            first, last = fiscal_year.first_day, min(fiscal_year.last_day, last_change)
            if first <= last:
                count = round(16 * ((last - first).days + 1) / 365)
                plans += [(_day_between(rng, first, last), "new") for _ in range(count)]
        # Member numbers follow joining order; s0001, a course graduate, is the demo supporter.
        plans.sort(key=lambda plan: plan[0])
        # (joined on, status, paused on, withdrawn on)
        rows = []
        for joined, kind in plans:
            if kind == "left":
                left = _day_between(rng, joined + timedelta(days=60), FY2024.last_day)
                rows.append((joined, Supporter.Status.WITHDRAWN, None, left))
            elif kind == "resting":
                paused = _day_between(rng, FY2024.first_day, FY2024.last_day)
                rows.append((joined, Supporter.Status.PAUSED, paused, None))
            else:
                rows.append((joined, Supporter.Status.ACTIVE, None, None))
        # Some of FY2024's 132 have withdrawn or paused since; the first (the demo supporter)
        # stays.
        counted = [n for n, (_joined, kind) in enumerate(plans) if kind == "counted" and n > 0]
        if since[0] <= since[1]:
            changed = rng.sample(counted, 13)
            for n in changed[:8]:
                rows[n] = (rows[n][0], Supporter.Status.WITHDRAWN, None, _day_between(rng, *since))
            for n in changed[8:]:
                rows[n] = (rows[n][0], Supporter.Status.PAUSED, _day_between(rng, *since), None)

        foreign = set(rng.sample(range(1, len(rows)), len(FOREIGN_SUPPORTERS)))
        english = set(rng.sample(range(1, len(rows)), 7)) - foreign
        district_codes = sorted(self.districts, key=lambda code: self.districts[code].sort_order)
        populations = [self.districts[code].population or 1 for code in district_codes]
        names_used = set()
        users, supporters, skills, languages = [], [], [], []
        current_insurance = self.current_year.last_day
        for n, (joined, status, paused_on, withdrawn_on) in enumerate(rows):
            is_demo = n == 0
            if n in foreign:
                family, family_kana, given, given_kana, native = FOREIGN_SUPPORTERS[
                    sorted(foreign).index(n)
                ]
            else:
                native = "ja"
                while True:
                    family, family_kana = rng.choice(FAMILY_NAMES)
                    given_pool = SENIOR_GIVEN_NAMES if rng.random() < 0.75 else YOUNGER_GIVEN_NAMES
                    given, given_kana = rng.choice(given_pool)
                    if (family, given) not in names_used:
                        break
            names_used.add((family, given))
            if is_demo:
                level = 3
            elif joined < date(2022, 4, 1):  # took all five steps of the city's course
                level = rng.choices([3, 4, 5], weights=[40, 35, 25])[0]
            else:
                level = rng.choices([1, 2, 3, 4, 5], weights=[22, 30, 26, 14, 8])[0]
            district_code = "honcho" if is_demo else rng.choices(district_codes, populations)[0]
            ended = withdrawn_on or paused_on
            # Volunteer insurance runs to the end of a fiscal year; a few forgot to renew.
            insurance = FiscalYear.of(ended).last_day if ended else current_insurance
            if not ended and rng.random() < 0.05:
                insurance = FiscalYear(self.current_year.start_year - 1).last_day
            phone = DEMO_SUPPORTER_PHONE if is_demo else self.mobile()
            user = User(
                username=f"s{n + 1:04d}",
                password=NO_PASSWORD,
                last_name=family,
                first_name=given,
                phone=phone,
                phone_verified=True,
                participant_key=participant_key_of(phone),
                is_active=status != Supporter.Status.WITHDRAWN,
                date_joined=_at(joined, time(10)),
            )
            users.append(user)
            supporters.append(
                Supporter(
                    family_name=family,
                    given_name=given,
                    family_name_kana=family_kana,
                    given_name_kana=given_kana,
                    district=self.districts[district_code],
                    training_level=level,
                    sms_opt_in=is_demo or rng.random() < 0.9,
                    status=status,
                    joined_on=joined,
                    paused_on=paused_on,
                    withdrawn_on=withdrawn_on,
                    insurance_valid_until=insurance,
                    notes=rng.choice(SUPPORTER_NOTES) if rng.random() < 0.12 else "",
                )
            )
            skills.append(self.skill_codes(rng, level))
            spoken = ["ja"] if native == "ja" else [native, "ja"]
            if n in english:
                spoken.append("en")
            languages.append(spoken)
            homes = tuple(
                hall.name for hall in HALLS if hall.helpdesk and district_code in hall.catchment
            )
            if rng.random() < 0.2:
                homes += (rng.choice([hall.name for hall in HALLS if hall.helpdesk]),)
            if is_demo:
                homes = ("中央公民館",)
            self.members.append(Member(supporters[-1], joined, ended, homes))

        User.objects.bulk_create(users)
        for user, supporter in zip(users, supporters, strict=True):
            supporter.user = user
        Supporter.objects.bulk_create(supporters)
        Supporter.skills.through.objects.bulk_create(
            Supporter.skills.through(supporter=supporter, skill=self.skills[code])
            for supporter, codes in zip(supporters, skills, strict=True)
            for code in codes
            if code in self.skills
        )
        Supporter.languages.through.objects.bulk_create(
            Supporter.languages.through(supporter=supporter, spokenlanguage=self.spoken[code])
            for supporter, codes in zip(supporters, languages, strict=True)
            for code in codes
            if code in self.spoken
        )
        self.demo_member = self.members[0]

    def add_device_skills_and_availability(self):
        """Raku-Raku and tablet skills for some, and usual free times for most active
        supporters, each from a generator of its own: the roster drawn above stays as it was."""
        rng = self.rng("device skills")
        for order, (code, name) in enumerate(DEVICE_SKILLS, start=len(self.skills) + 1):
            self.skills[code] = Skill.objects.get_or_create(
                code=code, defaults={"name": name, "sort_order": order * 10}
            )[0]
        active = [m.supporter for m in self.members if m.leaves_on is None]
        Supporter.skills.through.objects.bulk_create(
            Supporter.skills.through(supporter=supporter, skill=self.skills[code])
            for supporter in active
            for code, share in (("rakuraku", 0.2), ("tablet", 0.15))
            if rng.random() < share
        )
        rng = self.rng("availability")
        slots = [(weekday, part) for weekday in range(6) for part in Availability.Part.values]
        rows = []
        for supporter in active:
            if supporter is self.demo_member.supporter:
                chosen = [(1, "morning"), (1, "afternoon"), (3, "morning")]
            elif rng.random() < 0.6:
                chosen = rng.sample(slots, rng.randint(2, 6))
            else:
                continue  # optional: many never say
            rows += [Availability(supporter=supporter, weekday=d, part=p) for d, p in chosen]
        Availability.objects.bulk_create(rows)

    @staticmethod
    def skill_codes(rng: random.Random, level: int) -> list[str]:
        phone = rng.random()
        codes = (
            ["iphone"] if phone < 0.45 else ["android"] if phone < 0.85 else ["iphone", "android"]
        )
        if rng.random() < 0.85:
            codes.append("line")
        for code, share, min_level in (
            ("photos", 0.4, 1),
            ("mynumber", 0.6, 3),
            ("cashless", 0.25, 2),
            ("zoom", 0.15, 2),
            ("pc", 0.2, 1),
        ):
            if level >= min_level and rng.random() < share:
                codes.append(code)
        return codes
