"""The demo's sessions: help desks from the schedules, group visits, classes, staffing, and the
residents' requests for visits.
"""

from collections import defaultdict
from datetime import date, time, timedelta

from config.demo.base import (
    BaseBuilder,
    Member,
    _adjust_to_total,
    _at,
    _local_day,
    _months,
    _open_days,
)
from config.demo.data import (
    AFTERNOON,
    CLASS_LEVELS,
    CLASSES,
    COORDINATOR_NOTES,
    DECLINE_REASONS,
    DISPATCH_CANCELLATIONS,
    ENGLISH_CLASS,
    FIVE_LEVEL_COURSE,
    FY2024,
    FY2024_DISPATCH_MONTHS,
    FY2024_HELPDESKS_PER_VENUE,
    GROUP_PLACES,
    HALLS,
    HELPDESK_CANCELLATIONS,
    LATER_DISPATCH_MONTHS,
    MONTHLY_LINE_SERIES,
    MORNING,
    ORGANISER_WEIGHTS,
    PARTICIPANT_TOTALS,
    REQUEST_MESSAGES,
)
from consultations.models import Device, Topic
from sessions.models import ClassSeries, DispatchRequest, RequestEvent, Session, Shift
from sessions.services import generate_helpdesk_sessions, mark_all_held, purge_due


class SessionBuilder(BaseBuilder):
    """Help desks, group visits and classes, their teams, and residents' requests."""

    def add_helpdesk_sessions(self):
        rng = self.rng("helpdesk")
        held, cancelled = [], defaultdict(list)
        later_past = []
        upcoming = []
        for schedule in self.schedules:
            sessions = generate_helpdesk_sessions(
                schedule, FY2024.first_day, self.horizon - timedelta(days=1)
            )
            self.sessions += sessions
            in_fy2024 = [s for s in sessions if _local_day(s) <= FY2024.last_day]
            # The schedule meets a little more often than 25 times: the rest were called off.
            called_off = rng.sample(in_fy2024, len(in_fy2024) - FY2024_HELPDESKS_PER_VENUE)
            for session in in_fy2024:
                if session in called_off:
                    cancelled[rng.choice(HELPDESK_CANCELLATIONS)].append(session)
                else:
                    held.append(session)
            later_past += [s for s in sessions if FY2024.last_day < _local_day(s) < self.today]
            upcoming += [s for s in sessions if _local_day(s) >= self.today]
        later_past.sort(key=lambda s: s.starts_at)
        fy2025 = {s for s in later_past if s.fiscal_year.start_year == 2025}
        called_off = set(rng.sample(sorted(fy2025, key=lambda s: s.starts_at), min(3, len(fy2025))))
        for session in later_past:
            if session in called_off or (session not in fy2025 and rng.random() < 0.02):
                cancelled[rng.choice(HELPDESK_CANCELLATIONS)].append(session)
            else:
                held.append(session)
        upcoming.sort(key=lambda s: s.starts_at)
        if len(upcoming) > 10:
            cancelled["館内の電気設備点検のため休止"].append(rng.choice(upcoming[5:]))

        mark_all_held(Session.objects.filter(pk__in=[s.pk for s in held]), by=None)
        for session in held:
            session.status = Session.Status.HELD
        for reason, sessions in cancelled.items():
            for session in sessions:
                session.status = Session.Status.CANCELLED
                session.cancellation_reason = reason
            Session.objects.filter(pk__in=[s.pk for s in sessions]).update(
                status=Session.Status.CANCELLED, cancellation_reason=reason
            )

    def add_dispatches(self):
        rng = self.rng("dispatches")
        sessions = []
        for fiscal_year in self.fiscal_years():
            per_month = FY2024_DISPATCH_MONTHS if fiscal_year == FY2024 else LATER_DISPATCH_MONTHS
            # A few visits a year were called off: those months had one more date.
            called_off = set(rng.sample(range(12), 4 if fiscal_year == FY2024 else 3))
            year_sessions = []
            for n, (first, last) in enumerate(_months(fiscal_year)):
                extra = 1 if n in called_off else 0
                days = rng.sample(_open_days(first, last), per_month[n] + extra)
                for k, day in enumerate(days):
                    if day < self.today:
                        status = "cancelled" if k == per_month[n] else "held"
                        year_sessions.append(self.dispatch(rng, day, status))
            year_sessions.sort(key=lambda session: session.starts_at)
            held = [session for session in year_sessions if session.status == "held"]
            counts = [min(25, max(3, round(rng.gauss(9.1, 3.2)))) for _ in held]
            if fiscal_year.start_year in PARTICIPANT_TOTALS and fiscal_year.last_day < self.today:
                _adjust_to_total(rng, counts, PARTICIPANT_TOTALS[fiscal_year.start_year], 3, 25)
            for session, count in zip(held, counts, strict=True):
                self.participants[id(session)] = count
                # The group said how many would come; a few more or fewer did.
                self.request_for[id(session)].residents_count = max(
                    3, count + rng.choice([-2, -1, 0, 0, 1, 2])
                )
            sessions += year_sessions
        days = _open_days(self.today + timedelta(days=5), self.horizon - timedelta(days=1))
        for day in sorted(rng.sample(days, min(4, len(days)))):
            sessions.append(self.dispatch(rng, day, Session.Status.SCHEDULED))
        _create_and_hold(sessions)
        self.sessions += sessions

    def dispatch(self, rng, day: date, status: str) -> Session:
        """A group visit on `day`, and the request it answers."""
        place = rng.choice(GROUP_PLACES)
        _group, place_name, address, district_code, language = place
        morning = rng.random() < 0.4
        starts = time(10) if morning else time(13, 30)
        session = Session(
            kind=Session.Kind.DISPATCH,
            status=status,
            place_name=place_name,
            address=address,
            district=self.districts[district_code],
            starts_at=_at(day, starts),
            ends_at=_at(day, starts) + timedelta(minutes=rng.choice([90, 120])),
            supporters_needed=rng.choice([2, 2, 3]),
            min_level=2,
            language=language if language in self.app_languages else "ja",
            cancellation_reason=(
                rng.choice(DISPATCH_CANCELLATIONS) if status == Session.Status.CANCELLED else ""
            ),
        )
        if status == Session.Status.SCHEDULED:
            received_at = self.now - timedelta(days=rng.randint(5, 25), hours=rng.randint(0, 6))
            request_status = DispatchRequest.Status.SCHEDULED
        else:
            received_at = _at(day - timedelta(days=rng.randint(20, 50)), time(rng.randint(9, 16)))
            request_status = (
                DispatchRequest.Status.DONE
                if status == Session.Status.HELD
                else DispatchRequest.Status.CANCELLED
            )
        request = self.request(rng, request_status, place, preferred=day, morning=morning)
        request.session = session
        self.requests.append((request, received_at, self.request_topics(rng)))
        self.request_for[id(session)] = request
        return session

    def request(self, rng, status: str, place: tuple, *, preferred: date, morning: bool | None):
        group, place_name, address, district_code, group_language = place
        name, kana, _language = self.resident_name(rng)
        time_of_day = (
            DispatchRequest.TimeOfDay.EITHER
            if morning is None or rng.random() < 0.3
            else DispatchRequest.TimeOfDay.MORNING
            if morning
            else DispatchRequest.TimeOfDay.AFTERNOON
        )
        devices = rng.sample(
            [Device.ANDROID, Device.IPHONE, Device.RAKURAKU, Device.TABLET],
            k=rng.choice([1, 2, 2, 3]),
        )
        return DispatchRequest(
            reference=self.reference("G"),
            group_name=group,
            representative_name=name,
            representative_kana=kana,
            representative_phone=self.landline() if rng.random() < 0.4 else self.mobile(),
            residents_count=rng.randint(4, 15),
            preferred_date_1=preferred,
            preferred_date_2=preferred + timedelta(days=7) if rng.random() < 0.5 else None,
            preferred_date_3=preferred + timedelta(days=14) if rng.random() < 0.25 else None,
            preferred_time=time_of_day,
            place_name=place_name,
            address=address,
            district=self.districts[district_code],
            devices=[device.value for device in Device if device in devices],
            wifi=rng.choices(["yes", "no", "unknown"], weights=[3, 4, 3])[0],
            preferred_language=group_language if group_language in self.app_languages else "ja",
            message=rng.choice(REQUEST_MESSAGES),
            channel=rng.choices(["phone", "web", "paper"], weights=[45, 35, 20])[0],
            status=status,
            coordinator_notes=rng.choice(COORDINATOR_NOTES),
        )

    def request_topics(self, rng) -> list[Topic]:
        codes = rng.sample(["line", "photos", "mynumber", "settings", "security", "cashless"], 2)
        return [self.topics[code] for code in codes[: rng.choice([1, 2])] if code in self.topics]

    def add_classes(self):
        rng = self.rng("classes")
        sessions = []
        halls = [hall.name for hall in HALLS]
        for fiscal_year in self.fiscal_years():
            for n, (first, last) in enumerate(_months(fiscal_year)):
                # One class a year (in June of FY2025 on) was called off for too few sign-ups.
                extra = 1 if fiscal_year != FY2024 and n == 2 else 0
                for k, day in enumerate(sorted(rng.sample(_open_days(first, last), 2 + extra))):
                    if day >= self.today:
                        continue
                    status = Session.Status.CANCELLED if k == 2 else Session.Status.HELD
                    session = self.smartphone_class(rng, day, rng.choice(CLASSES), status)
                    session.venue = self.venues[rng.choice(halls)]
                    if status == Session.Status.HELD:
                        self.participants[id(session)] = max(
                            3, round(session.capacity * rng.uniform(0.6, 1.0))
                        )
                    sessions.append(session)
        catalogue = [CLASSES[0], CLASSES[1], CLASSES[2], CLASSES[3], CLASSES[4], CLASSES[5]]
        if "en" in self.app_languages:
            catalogue.append(ENGLISH_CLASS)
        days = _open_days(self.today + timedelta(days=3), self.horizon - timedelta(days=1))
        for day, course in zip(sorted(rng.sample(days, len(catalogue))), catalogue, strict=True):
            session = self.smartphone_class(rng, day, course, Session.Status.SCHEDULED)
            session.venue = self.venues[rng.choice(halls)]
            if course is ENGLISH_CLASS:
                session.language = "en"
            sessions.append(session)
            self.upcoming_classes.append(session)
        self.classify(sessions)
        sessions += self.five_level_course()
        for session in sessions:
            session.district_id = session.venue.district_id
        _create_and_hold(sessions)
        self.sessions += sessions

    def classify(self, sessions: list[Session]) -> None:
        """Each class's level and organiser, and the LINE classes' monthly series (issue 11),
        from a generator of their own: the rest of the demo stays as it was."""
        rng = self.rng("class-organisers")
        organisers, weights = zip(*ORGANISER_WEIGHTS.items(), strict=True)
        title, description = MONTHLY_LINE_SERIES
        monthly = ClassSeries.objects.create(title=title, description=description)
        for session in sessions:
            session.class_level = CLASS_LEVELS[session.title]
            session.organiser = rng.choices(organisers, weights)[0]
            if session.loaner_devices:
                session.organiser = Session.Organiser.COMPANY
            if session.title == CLASSES[0][0]:
                session.series, session.organiser = monthly, Session.Organiser.CITY

    def five_level_course(self) -> list[Session]:
        """The five-level course to come: one level a week on Wednesdays at one hall, the
        days the hall is closed passed over, all within the bookable weeks."""
        title, description, hall, levels = FIVE_LEVEL_COURSE
        series = ClassSeries.objects.create(title=title, description=description)
        days = _open_days(self.today + timedelta(days=7), self.horizon - timedelta(days=1))
        wednesdays = [day for day in days if day.weekday() == 2][: len(levels)]
        rng, course = self.rng("five-level-course"), []
        for level, (day, (name, about)) in enumerate(zip(wednesdays, levels, strict=True), 1):
            session = self.smartphone_class(rng, day, (name, about, False), "scheduled")
            session.starts_at, session.ends_at = _at(day, MORNING[0]), _at(day, MORNING[1])
            session.capacity = 15
            session.venue, session.series = self.venues[hall], series
            session.class_level, session.organiser = level, Session.Organiser.CITY
            course.append(session)
        return course

    @staticmethod
    def smartphone_class(rng, day: date, course: tuple, status: str) -> Session:
        title, description, loaner = course
        starts, ends = rng.choice([MORNING, AFTERNOON])
        return Session(
            kind=Session.Kind.CLASS,
            status=status,
            title=title,
            description=description,
            starts_at=_at(day, starts),
            ends_at=_at(day, ends),
            supporters_needed=3,
            min_level=3,
            capacity=rng.choice([10, 12, 15, 16, 20]),
            loaner_devices=loaner,
            cancellation_reason=(
                "申し込みが少なかったため中止" if status == Session.Status.CANCELLED else ""
            ),
        )

    # Staffing ---------------------------------------------------------------------------------

    def add_shifts(self):
        rng = self.rng("shifts")
        self.sessions.sort(key=lambda s: (s.starts_at, s.kind, s.pk))
        demo_past = 0
        demo_upcoming = {"中央公民館": 2, "class": 1}
        shifts = []
        for session in self.sessions:
            day = _local_day(session)
            must = None
            demo = self.demo_member
            if session.status == Session.Status.HELD and session.venue_id:
                if session.venue.name == "中央公民館" and demo.is_active_on(day):
                    demo_past += 1
                    must = demo if demo_past % 3 == 0 else None
            elif session.status == Session.Status.SCHEDULED:
                key = "class" if session.kind == Session.Kind.CLASS else session.place_label
                if demo_upcoming.get(key, 0) > 0:
                    demo_upcoming[key] -= 1
                    must = demo
            team = self.staff(rng, session, day, must)
            self.teams[id(session)] = team
            shifts += team
        Shift.objects.bulk_create(shifts)

    def pool(self, session: Session, day: date) -> list[Member]:
        def fits(member):
            return member.is_active_on(day) and member.level >= session.min_level

        if session.kind == Session.Kind.HELPDESK:
            local = [m for m in self.members if session.venue.name in m.venues and fits(m)]
            if len(local) > session.supporters_needed:
                return local
        return [member for member in self.members if fits(member)]

    def staff(self, rng, session: Session, day: date, must: Member | None) -> list[Shift]:
        candidates = [m for m in self.pool(session, day) if m is not must]
        needed = session.supporters_needed
        if session.status == Session.Status.SCHEDULED:
            days_ahead = (day - self.today).days
            # Places fill up as the day comes closer; most stay open for booking.
            needed = (
                needed - rng.choice([0, 0, 1]) if days_ahead < 14 else rng.randint(0, needed - 1)
            )
            needed = max(needed, 1 if must else 0)
        chosen = ([must] if must else []) + rng.sample(
            candidates, min(len(candidates), needed - (1 if must else 0))
        )
        lead = max(chosen, key=lambda m: m.level, default=None)
        shifts = []
        for member in chosen:
            role = Shift.Role.LEAD if member is lead and member.level >= 3 else Shift.Role.HELPER
            if session.status == Session.Status.HELD:
                role = Shift.Role.LEAD if member is lead else Shift.Role.HELPER
                no_show = member is not lead and member is not must and rng.random() < 0.04
                shifts.append(
                    Shift(
                        session=session,
                        supporter=member.supporter,
                        role=role,
                        status=Shift.Status.NO_SHOW if no_show else Shift.Status.ATTENDED,
                        checked_in_at=None
                        if no_show
                        else session.starts_at - timedelta(minutes=rng.randint(0, 20)),
                    )
                )
            elif session.status == Session.Status.CANCELLED:
                shifts.append(
                    Shift(
                        session=session,
                        supporter=member.supporter,
                        role=role,
                        status=Shift.Status.CANCELLED,
                        cancelled_at=min(
                            self.now, session.starts_at - timedelta(days=rng.randint(1, 4))
                        ),
                    )
                )
            else:
                shifts.append(Shift(session=session, supporter=member.supporter, role=role))
        if session.status == Session.Status.SCHEDULED and rng.random() < 0.15:
            # Someone signed up and then cancelled: the place went back to the pool.
            others = [m for m in candidates if m not in chosen]
            if others:
                shifts.append(
                    Shift(
                        session=session,
                        supporter=rng.choice(others).supporter,
                        status=Shift.Status.CANCELLED,
                        cancelled_at=self.now - timedelta(days=rng.randint(1, 3)),
                    )
                )
        return shifts

    # Requests ---------------------------------------------------------------------------------

    def add_open_requests(self):
        """Requests still to answer, and some turned down or withdrawn, for the triage page."""
        rng = self.rng("requests")
        statuses = [DispatchRequest.Status.RECEIVED] * 4 + [DispatchRequest.Status.ACCEPTED] * 3
        for status in statuses:
            waited = rng.randint(0, 6) if status == DispatchRequest.Status.RECEIVED else 10
            received_at = self.now - timedelta(
                days=waited + rng.randint(0, 8), hours=rng.randint(1, 8)
            )
            preferred = self.today + timedelta(days=rng.randint(21, 50))
            request = self.request(
                rng, status, rng.choice(GROUP_PLACES), preferred=preferred, morning=None
            )
            self.requests.append((request, received_at, self.request_topics(rng)))
        past = [
            (DispatchRequest.Status.DECLINED, date(2024, 7, 10)),
            (DispatchRequest.Status.DECLINED, date(2025, 1, 20)),
            (DispatchRequest.Status.DECLINED, date(2025, 9, 8)),
            (DispatchRequest.Status.CANCELLED, date(2024, 11, 5)),
            (DispatchRequest.Status.CANCELLED, date(2025, 6, 16)),
        ]
        for status, day in past:
            day = min(day, self.today - timedelta(days=30))
            request = self.request(
                rng,
                status,
                rng.choice(GROUP_PLACES),
                preferred=day + timedelta(days=30),
                morning=None,
            )
            if status == DispatchRequest.Status.DECLINED:
                request.decline_reason = rng.choice(DECLINE_REASONS)
            self.requests.append(
                (request, _at(day, time(rng.randint(9, 16))), self.request_topics(rng))
            )

    def save_requests(self):
        requests = [request for request, _received_at, _topics in self.requests]
        DispatchRequest.objects.bulk_create(requests)
        # bulk_create stamps created_at with now; the demo's requests arrived over the years.
        for request, received_at, _topics in self.requests:
            request.created_at = received_at
        DispatchRequest.objects.bulk_update(requests, ["created_at"], batch_size=500)
        DispatchRequest.topics.through.objects.bulk_create(
            DispatchRequest.topics.through(dispatchrequest=request, topic=topic)
            for request, _received_at, topics in self.requests
            for topic in topics
        )
        # Each request's history starts with its arrival, by the channel it came by.
        events = RequestEvent.objects.bulk_create(
            RequestEvent(request=request, kind=RequestEvent.Kind.RECEIVED, note=request.channel)
            for request, _received_at, _topics in self.requests
        )
        for event, (_request, received_at, _topics) in zip(events, self.requests, strict=True):
            event.at = received_at
        RequestEvent.objects.bulk_update(events, ["at"], batch_size=500)
        # Visits long past have had their representatives' details removed, as the worker
        # does DISPATCH_PURGE_DAYS after each visit.
        purge_due(self.now)


def _create_and_hold(sessions: list[Session]) -> None:
    """Create past sessions built as held the way the app makes them: scheduled, then marked
    held by `mark_all_held`, the only way a session becomes held."""
    held = [session for session in sessions if session.status == Session.Status.HELD]
    for session in held:
        session.status = Session.Status.SCHEDULED
    Session.objects.bulk_create(sessions)
    mark_all_held(Session.objects.filter(pk__in=[session.pk for session in held]), by=None)
    for session in held:
        session.status = Session.Status.HELD
