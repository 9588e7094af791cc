"""The demo's consultations and session reports. Class registrations are drawn in the same
loop as the reports, from one generator, so that the data stays as it was.
"""

from collections import defaultdict

from django.db.models import OuterRef, Subquery

from config.demo.base import BaseBuilder, _adjust_to_total, _local_day, _pick
from config.demo.data import (
    AGE_WEIGHTS,
    CONSULTATION_TOTALS,
    DEVICE_WEIGHTS,
    FOREIGN_RESIDENTS,
    HALLS,
    MINUTES_WEIGHTS,
    REPORT_NOTES,
    SEASON,
    TOPIC_SKILLS,
    TOPIC_WEIGHTS,
)
from config.fiscal import FiscalYear
from consultations.models import Consultation, Feedback, SessionReport, Topic
from sessions.models import ClassRegistration, Session, Shift
from supporters.phones import participant_key_of


class ConsultationBuilder(BaseBuilder):
    """What happened at the sessions: consultations, reports, class registrations."""

    def add_topic_skills(self):
        """The skills that help with each topic, for suggesting supporters to group visits."""
        Topic.skills.through.objects.bulk_create(
            Topic.skills.through(topic=self.topics[topic], skill=self.skills[skill])
            for topic, skills in TOPIC_SKILLS.items()
            if topic in self.topics
            for skill in skills
            if skill in self.skills
        )

    def add_consultations(self):
        rng = self.rng("consultations")
        visitors = {hall.name: hall.visitors for hall in HALLS}
        # Residents per sitting against FY2024 (more sittings were held since, too).
        growth = {2024: 1.0, 2025: 1.03}
        by_year = defaultdict(list)
        for session in self.sessions:
            if session.kind == Session.Kind.HELPDESK and session.status == Session.Status.HELD:
                by_year[session.fiscal_year.start_year].append(session)
        consultations = []
        for year, sessions in sorted(by_year.items()):
            counts = [
                min(
                    20,
                    max(
                        2,
                        round(
                            rng.gauss(
                                visitors[s.venue.name]
                                * growth.get(year, 1.04)
                                * SEASON[_local_day(s).month],
                                2.2,
                            )
                        ),
                    ),
                )
                for s in sessions
            ]
            if year in CONSULTATION_TOTALS and FiscalYear(year).last_day < self.today:
                _adjust_to_total(rng, counts, CONSULTATION_TOTALS[year], 2, 20)
            for session, count in zip(sessions, counts, strict=True):
                recorders = [
                    shift.supporter.user_id
                    for shift in self.teams[id(session)]
                    if shift.status == Shift.Status.ATTENDED
                ]
                topic_weights = dict(TOPIC_WEIGHTS)
                if _local_day(session).month in (10, 11, 12):
                    topic_weights["mynumber"] = 20
                topic_weights = {
                    code: w for code, w in topic_weights.items() if code in self.topics
                }
                consultations += [
                    Consultation(
                        session=session,
                        topic=self.topics[_pick(rng, topic_weights)],
                        device=_pick(rng, DEVICE_WEIGHTS),
                        age_band=_pick(rng, AGE_WEIGHTS),
                        language=self.language(rng, 0.04),
                        is_resolved=rng.random() < 0.88,
                        minutes=_pick(rng, MINUTES_WEIGHTS),
                        recorded_by_id=rng.choice(recorders) if recorders else None,
                    )
                    for _ in range(count)
                ]
        Consultation.objects.bulk_create(consultations)
        # Recorded when the sitting ended, not when the demo was made.
        Consultation.objects.filter(session__venue__in=self.venues.values()).update(
            recorded_at=Subquery(
                Session.objects.filter(pk=OuterRef("session_id")).values("ends_at")[:1]
            )
        )

    def add_reports_and_registrations(self):
        rng = self.rng("reports")
        reports, registrations = [], []
        for session in self.sessions:
            if session.kind == Session.Kind.HELPDESK:
                continue
            team = self.teams[id(session)]
            if session.status == Session.Status.HELD:
                lead = next((s for s in team if s.role == Shift.Role.LEAD), None)
                reports.append(
                    SessionReport(
                        session=session,
                        participants=self.participants[id(session)],
                        notes=rng.choice(REPORT_NOTES),
                        recorded_by_id=lead.supporter.user_id if lead else None,
                    )
                )
            if session.kind != Session.Kind.CLASS:
                continue
            if session.status == Session.Status.HELD:
                taken = self.participants[id(session)]
                statuses = [ClassRegistration.Status.ATTENDED] * taken
                statuses += [ClassRegistration.Status.CANCELLED] * rng.randint(0, 2)
            elif session.status == Session.Status.CANCELLED:
                statuses = [ClassRegistration.Status.CANCELLED] * rng.randint(1, 4)
            elif session is self.upcoming_classes[0]:  # the popular one: full, with a queue
                statuses = [ClassRegistration.Status.REGISTERED] * session.capacity
                statuses += [ClassRegistration.Status.WAITLISTED] * 3
            else:
                statuses = [ClassRegistration.Status.REGISTERED] * round(
                    session.capacity * rng.uniform(0.3, 0.8)
                )
                statuses += [ClassRegistration.Status.CANCELLED] * rng.randint(0, 1)
            position = 0
            for status in statuses:
                name, kana, language = self.resident_name(rng)
                if session.language == "en":
                    name, kana, language = rng.choice(FOREIGN_RESIDENTS)
                    language = language if language in self.app_languages else "en"
                waiting = status == ClassRegistration.Status.WAITLISTED
                position += waiting
                registrations.append(
                    ClassRegistration(
                        reference=self.reference("C"),
                        session=session,
                        name=name,
                        name_kana=kana,
                        phone=self.mobile(),
                        language=language,
                        needs_device=session.loaner_devices and rng.random() < 0.6,
                        status=status,
                        waitlist_position=position if waiting else None,
                    )
                )
        SessionReport.objects.bulk_create(reports)
        self.bring_participants_back(registrations)
        ClassRegistration.objects.bulk_create(registrations)

    def bring_participants_back(self, registrations):
        """Residents come back: many take several classes of a course or a series (so the
        report's 実人員 is below its 延べ), and some of a year's participants later join as
        supporters (the city's course → supporter figure). Drawn from a generator of its own
        after the registrations, so everything else stays as it was."""
        rng = self.rng("class-people")
        ordered = sorted(registrations, key=lambda r: r.session.starts_at)
        seen, at_class = [], defaultdict(set)
        for registration in ordered:
            taken = at_class[id(registration.session)]
            if seen and registration.session.language == "ja" and rng.random() < 0.5:
                person = rng.choice(seen)
                if person[2] not in taken:
                    registration.name, registration.name_kana, registration.phone = person[:3]
                    registration.language = person[3]
            else:
                seen.append(
                    (
                        registration.name,
                        registration.name_kana,
                        registration.phone,
                        registration.language,
                    )
                )
            taken.add(registration.phone)
        attended = [r for r in ordered if r.status == ClassRegistration.Status.ATTENDED]
        newcomers = [m for m in self.members if m.joined_on >= FiscalYear(2024).first_day]
        for member in rng.sample(newcomers, len(newcomers) // 3):
            before = [
                r
                for r in attended
                if _local_day(r.session) < member.joined_on
                and member.supporter.user.phone not in at_class[id(r.session)]
            ]
            if before:
                registration = rng.choice(before[-20:])
                user = member.supporter.user
                at_class[id(registration.session)].add(user.phone)
                registration.name = f"{user.last_name} {user.first_name}"
                registration.name_kana = (
                    f"{member.supporter.family_name_kana} {member.supporter.given_name_kana}"
                )
                registration.phone, registration.language = user.phone, "ja"
        for registration in registrations:
            registration.participant_key = participant_key_of(registration.phone)

    def add_feedback(self):
        """Residents' answers on how it went (the three faces), from the QR card on the desk:
        about one resident in three answers."""
        rng = self.rng("feedback")
        answers = []
        for session in self.sessions:
            if session.status != Session.Status.HELD:
                continue
            for n in range(rng.randint(0, 4 if session.kind == Session.Kind.HELPDESK else 6)):
                answer = rng.choices(list(Feedback.Answer), weights=[68, 24, 8])[0]
                answers.append(
                    Feedback(
                        session=session,
                        answer=answer,
                        device=f"demo-{session.pk}-{n}",
                        language=self.language(rng, 0.04),
                    )
                )
        Feedback.objects.bulk_create(answers)
