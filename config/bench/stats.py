"""`manage.py bench_stats` (issue 12): a synthetic history a hundred times Maebashi's, filled by
the database itself, and the annual report timed over it beside a single GROUP BY.

At `scale` 1: 700 venues, 13,000 supporters, ten fiscal years (FY2016 to FY2025, all over) of
21,000 help-desk sittings, 2,000 group visits and 2,000 classes a year (250,000 sessions),
2,116,973 consultations, 520,000 shifts, 292,031 class registrations under 60,000 participant
keys, 359,511 answers to "how did it go?" and a report for every visit held. Every
row comes from one `INSERT … SELECT` over `generate_series` with `setseed`, so two fills of the
same scale hold the same history. Nothing here imports the models: the fill runs on a cursor,
the tests' database or the benchmark's.
"""

import re
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/digisapo_bench_stats"
FIRST_YEAR, LAST_YEAR = 2016, 2025  # ten fiscal years, all of them over
REPORT_YEAR = LAST_YEAR
# The years a real city would have closed by the time it reports on REPORT_YEAR: all but the
# year itself (counted live, report.py; the year before is compared as published).
CLOSED_YEARS = range(FIRST_YEAR, REPORT_YEAR)

VENUES = 700
SUPPORTERS = 13_000
SITTINGS_PER_VENUE_YEAR = 30
DISPATCHES_PER_YEAR = 2_000
CLASSES_PER_YEAR = 2_000
PARTICIPANTS = 60_000  # the distinct people the classes draw from

# The tables the fill writes, children first (emptied in this order by `--refill`).
FILLED_TABLES = (
    "consultations_consultation",
    "consultations_feedback",
    "consultations_sessionreport",
    "consultations_publishedreport",
    "helpdesk_sessions_classregistration",
    "helpdesk_sessions_shift",
    "helpdesk_sessions_session",
    "supporters_supporter",
    "venues_venue",
)


@dataclass(frozen=True)
class Sizes:
    venues: int
    supporters: int
    sittings: int  # per venue and year
    dispatches: int  # per year
    classes: int  # per year
    participants: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        def n(full, least):
            return max(least, round(full * scale))

        return cls(
            venues=n(VENUES, 2),
            supporters=n(SUPPORTERS, 5),
            sittings=SITTINGS_PER_VENUE_YEAR,
            dispatches=n(DISPATCHES_PER_YEAR, 3),
            classes=n(CLASSES_PER_YEAR, 3),
            participants=n(PARTICIPANTS, 40),
        )

    @property
    def sessions(self) -> int:
        years = LAST_YEAR - FIRST_YEAR + 1
        return years * (self.venues * self.sittings + self.dispatches + self.classes)


def database_name(url: str) -> tuple[str, str, str]:
    """(host, port, name) of a PostgreSQL URL; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"bench_stats needs a PostgreSQL database, not {url!r}")
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"The benchmark database's name must be a plain identifier: {name!r}")
    return parts.hostname or "localhost", str(parts.port or 5432), name


def same_database(url: str, settings_db: dict) -> bool:
    """Whether `url` names the database Django's `settings_db` (a DATABASES entry) uses."""
    if settings_db["ENGINE"] != "django.db.backends.postgresql":
        return False
    host, port, name = database_name(url)
    theirs = (settings_db.get("HOST") or "localhost", str(settings_db.get("PORT") or 5432))
    local = {"localhost", "127.0.0.1", "::1", ""}
    same_host = (host in local and theirs[0] in local) or host == theirs[0]
    return same_host and port == theirs[1] and name == settings_db["NAME"]


# Every statement takes %(...)s parameters from `Sizes` and the years. Timestamps are built in
# Tokyo time, as the city keeps its days.
FILL = [
    "SELECT setseed(0.12)",
    # Venues: a help desk each, in the seeded districts.
    """
    INSERT INTO venues_venue (name, name_kana, address, phone, access_notes,
        accessibility_notes, has_wifi, wifi_notes, is_helpdesk, is_active, district_id)
    SELECT 'bench venue ' || v, '', 'bench address ' || v, '', '', '', v %% 3 = 0, '', true,
        true, d.ids[1 + v %% cardinality(d.ids)]
    FROM generate_series(1, %(venues)s) v
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM venues_district) d
    """,
    # Users and supporters: one user each; a quarter took a class first (their participant
    # key is one of the classes' people), a fifth have withdrawn, one in twenty paused.
    """
    INSERT INTO supporters_user (password, is_superuser, username, first_name, last_name,
        is_staff, is_active, date_joined, email, phone, phone_verified, language,
        participant_key)
    SELECT '!', false, 'bench-supporter-' || u, '', '', false, true, now(), '', '', false,
        'ja', CASE WHEN u %% 4 = 0 THEN md5('bench-person-' || (u %% %(participants)s + 1))
                   ELSE '' END
    FROM generate_series(1, %(supporters)s) u
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO supporters_supporter (user_id, family_name, given_name, family_name_kana,
        given_name_kana, training_level, sms_opt_in, status, joined_on, paused_on,
        withdrawn_on, notes, calendar_token, created_at, updated_at, district_id)
    SELECT u.id, 'ベンチ', u.n::text, '', '', 1 + u.n %% 5, true,
        CASE WHEN u.n %% 5 = 0 THEN 'withdrawn' WHEN u.n %% 20 = 1 THEN 'paused'
             ELSE 'active' END,
        u.joined,
        CASE WHEN u.n %% 20 = 1 THEN u.joined + 200 END,
        CASE WHEN u.n %% 5 = 0 THEN least(u.joined + 100 + u.n %% 900, DATE '2026-03-31') END,
        '', '', now(), now(), NULL
    FROM (SELECT id, (row_number() OVER (ORDER BY id))::int AS n,
                 DATE '2015-04-01' + (row_number() OVER (ORDER BY id) * 7919 %% 4000)::int
                     AS joined
          FROM supporters_user WHERE username LIKE 'bench-supporter-%%') u
    """,
    # Help-desk sittings: every venue about every twelve days, 10:00 to 13:00 Tokyo; one in
    # twenty-five cancelled, one in sixteen left scheduled after it ended (it took place).
    """
    INSERT INTO helpdesk_sessions_session (kind, title, description, place_name, address,
        starts_at, ends_at, supporters_needed, capacity, loaner_devices, min_level, language,
        status, cancellation_reason, created_at, updated_at, district_id, schedule_id,
        venue_id, class_level, organiser, series_id)
    SELECT 'helpdesk', '', '', '', '', t.at, t.at + interval '3 hours', 2, NULL, false, 1,
        'ja', t.status, '', t.at - interval '60 days', t.at, NULL, NULL, t.venue_id, NULL, '',
        NULL
    FROM (
        SELECT v.id AS venue_id,
            ((make_date(y, 4, 1) + (k * 12 + v.id %% 12)::int) + time '10:00')
                AT TIME ZONE 'Asia/Tokyo' AS at,
            CASE WHEN random() < 0.04 THEN 'cancelled' WHEN random() < 0.065 THEN 'scheduled'
                 ELSE 'held' END AS status
        FROM generate_series(%(first_year)s, %(last_year)s) y
        CROSS JOIN venues_venue v
        CROSS JOIN generate_series(0, %(sittings)s - 1) k
        WHERE v.name LIKE 'bench venue %%'
    ) t
    """,
    # Group visits: at an address in a district, one in five at a venue, 13:30 to 15:30.
    """
    INSERT INTO helpdesk_sessions_session (kind, title, description, place_name, address,
        starts_at, ends_at, supporters_needed, capacity, loaner_devices, min_level, language,
        status, cancellation_reason, created_at, updated_at, district_id, schedule_id,
        venue_id, class_level, organiser, series_id)
    SELECT 'dispatch', '', '', '', 'bench visit ' || t.n, t.at, t.at + interval '2 hours', 2,
        NULL, false, 1, 'ja', t.status, '', t.at - interval '30 days', t.at,
        CASE WHEN t.n %% 5 <> 0 THEN d.ids[1 + t.n %% cardinality(d.ids)] END,
        NULL,
        CASE WHEN t.n %% 5 = 0 THEN v.ids[1 + t.n %% cardinality(v.ids)] END,
        NULL, '', NULL
    FROM (SELECT array_agg(id ORDER BY id) AS ids FROM venues_district) d,
        (SELECT array_agg(id ORDER BY id) AS ids FROM venues_venue
         WHERE name LIKE 'bench venue %%') v,
    (
        SELECT n,
            ((make_date(y, 4, 1) + (n * 7 %% 365)) + time '13:30') AT TIME ZONE 'Asia/Tokyo'
                AS at,
            CASE WHEN random() < 0.05 THEN 'cancelled' WHEN random() < 0.05 THEN 'scheduled'
                 ELSE 'held' END AS status
        FROM generate_series(%(first_year)s, %(last_year)s) y
        CROSS JOIN generate_series(1, %(dispatches)s) n
    ) t
    """,
    # Classes at the venues, 10 to 30 seats, by level, organiser and phones lent.
    """
    INSERT INTO helpdesk_sessions_session (kind, title, description, place_name, address,
        starts_at, ends_at, supporters_needed, capacity, loaner_devices, min_level, language,
        status, cancellation_reason, created_at, updated_at, district_id, schedule_id,
        venue_id, class_level, organiser, series_id)
    SELECT 'class', 'bench class', '', '', '', t.at, t.at + interval '2 hours', 3,
        10 + t.n %% 21, t.n %% 5 = 0, 1, 'ja', t.status, '', t.at - interval '45 days', t.at,
        NULL, NULL, v.ids[1 + t.n %% cardinality(v.ids)],
        CASE WHEN t.n %% 6 = 0 THEN NULL ELSE 1 + t.n %% 5 END,
        (ARRAY['city', 'kominkan', 'company', 'national', ''])[1 + t.n %% 5], NULL
    FROM (
        SELECT n,
            ((make_date(y, 4, 1) + (n * 11 %% 365)) + time '14:00') AT TIME ZONE 'Asia/Tokyo'
                AS at,
            CASE WHEN random() < 0.05 THEN 'cancelled' WHEN random() < 0.04 THEN 'scheduled'
                 ELSE 'held' END AS status
        FROM generate_series(%(first_year)s, %(last_year)s) y
        CROSS JOIN generate_series(1, %(classes)s) n
    ) t
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM venues_venue
                WHERE name LIKE 'bench venue %%') v
    """,
    # Consultations: 5 to 16 at every help-desk sitting not called off; one in a hundred undone.
    """
    INSERT INTO consultations_consultation (session_id, topic_id, device, age_band, language,
        is_resolved, minutes, recorded_by_id, recorded_at, entry_key, undone_at, undone_by_id)
    SELECT s.id, tp.ids[1 + (s.id * 31 + g * 7) %% cardinality(tp.ids)],
        (ARRAY['iphone', 'android', 'rakuraku', 'tablet', 'pc', 'other'])
            [1 + floor(random() * 6)::int],
        (ARRAY['under_60', '60s', '70s', '80_plus', 'unknown'])[1 + floor(random() * 5)::int],
        CASE WHEN random() < 0.95 THEN 'ja' ELSE 'en' END,
        random() < 0.85, 5 + floor(random() * 36)::int, NULL,
        s.starts_at + g * interval '10 minutes', NULL,
        CASE WHEN random() < 0.01 THEN s.ends_at END, NULL
    FROM helpdesk_sessions_session s
    CROSS JOIN LATERAL generate_series(1, 5 + (s.id * 2654435761 %% 12)::int) g
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM consultations_topic) tp
    WHERE s.kind = 'helpdesk' AND s.status <> 'cancelled' AND s.starts_at >= %(first)s
    """,
    # Shifts: two supporters on every sitting and visit, three at a class.
    """
    INSERT INTO helpdesk_sessions_shift (session_id, supporter_id, role, status,
        waitlist_position, offer_expires_at, checked_in_at, cancelled_at, created_at,
        updated_at, sequence)
    SELECT s.id, sp.ids[1 + (s.id * 31 + g) %% cardinality(sp.ids)],
        CASE WHEN g = 1 THEN 'lead' ELSE 'helper' END, t.status, NULL, NULL,
        NULL, CASE WHEN t.status = 'cancelled' THEN s.starts_at - interval '2 days' END,
        s.starts_at - interval '20 days', s.starts_at, 0
    FROM helpdesk_sessions_session s
    CROSS JOIN LATERAL generate_series(1, s.supporters_needed) g
    CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.6 THEN 'attended' WHEN r < 0.85 THEN 'signed_up'
                                    WHEN r < 0.9 THEN 'no_show' ELSE 'cancelled' END AS status
                        FROM (SELECT random() + 0 * s.id AS r) x) t
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM supporters_supporter) sp
    WHERE s.starts_at >= %(first)s
    """,
    # Reports of the visits that took place, 3 to 40 residents each.
    """
    INSERT INTO consultations_sessionreport (session_id, participants, notes, devices,
        recorded_by_id, created_at, updated_at)
    SELECT s.id, 3 + floor(random() * 38)::int, '', '[]', NULL, s.ends_at, s.ends_at
    FROM helpdesk_sessions_session s
    WHERE s.kind = 'dispatch' AND s.status <> 'cancelled' AND s.starts_at >= %(first)s
    """,
    # Class registrations: half to all of the seats, people drawn from the participants (the
    # same key again and again: 実人員 below 延べ); classes before FY2023 purged of the
    # personal data, their keys kept.
    """
    INSERT INTO helpdesk_sessions_classregistration (reference, status_token, session_id,
        name, name_kana, phone, participant_key, language, needs_device, status,
        waitlist_position, offer_expires_at, call_back_since, called_back_at, consent_at,
        entered_by_id, purged_at, created_at, updated_at)
    SELECT 'Z' || (s.id * 64 + g), NULL, s.id,
        CASE WHEN s.starts_at < %(purged_before)s THEN '' ELSE 'bench resident ' || p END, '',
        CASE WHEN s.starts_at < %(purged_before)s THEN ''
             ELSE '+8190' || lpad(p::text, 8, '0') END,
        md5('bench-person-' || p), 'ja', s.loaner_devices,
        CASE WHEN s.status = 'cancelled' OR r < 0.1 THEN 'cancelled'
             WHEN r < 0.18 THEN 'registered' ELSE 'attended' END,
        NULL, NULL, NULL, NULL, s.starts_at - interval '20 days', NULL,
        CASE WHEN s.starts_at < %(purged_before)s THEN s.ends_at + interval '90 days' END,
        s.starts_at - interval '20 days', s.starts_at
    FROM helpdesk_sessions_session s
    CROSS JOIN LATERAL generate_series(1, s.capacity / 2 + (s.id %% (s.capacity / 2 + 1))) g
    CROSS JOIN LATERAL (SELECT 1 + (s.id * 7919 + g) %% %(participants)s AS p,
                               random() + 0 * g AS r) x
    WHERE s.kind = 'class' AND s.starts_at >= %(first)s
    """,
    # Residents' answers: none to three a session that took place, one per device.
    """
    INSERT INTO consultations_feedback (session_id, answer, device, language, created_at)
    SELECT s.id, (ARRAY['good', 'good', 'good', 'ok', 'lost'])[1 + floor(random() * 5)::int],
        md5('bench-device-' || s.id || '-' || g), 'ja', s.ends_at
    FROM helpdesk_sessions_session s
    CROSS JOIN LATERAL generate_series(1, (s.id * 40503 %% 4)::int) g
    WHERE s.status <> 'cancelled' AND s.starts_at >= %(first)s
    """,
]

COUNTS = {
    "sessions": "SELECT count(*) FROM helpdesk_sessions_session",
    "consultations": "SELECT count(*) FROM consultations_consultation",
    "venues": "SELECT count(*) FROM venues_venue",
    "supporters": "SELECT count(*) FROM supporters_supporter",
    "shifts": "SELECT count(*) FROM helpdesk_sessions_shift",
    "session reports": "SELECT count(*) FROM consultations_sessionreport",
    "class registrations": "SELECT count(*) FROM helpdesk_sessions_classregistration",
    "feedback": "SELECT count(*) FROM consultations_feedback",
}

# The floor: the one GROUP BY a hand-written report of the year's consultations would run.
FLOOR_SQL = """
    SELECT c.topic_id, count(*)
    FROM consultations_consultation c
    JOIN helpdesk_sessions_session s ON s.id = c.session_id
    WHERE s.kind = 'helpdesk' AND s.starts_at >= %s AND s.starts_at < %s
        AND (s.status = 'held' OR (s.status = 'scheduled' AND s.ends_at < now()))
        AND c.undone_at IS NULL
    GROUP BY c.topic_id
"""


INTEGER = re.compile(
    r"%\((venues|supporters|sittings|dispatches|classes|participants|first_year|last_year)\)s"
)


def parameters(sizes: Sizes) -> dict:
    from config.fiscal import FiscalYear

    return {
        "venues": sizes.venues,
        "supporters": sizes.supporters,
        "sittings": sizes.sittings,
        "dispatches": sizes.dispatches,
        "classes": sizes.classes,
        "participants": sizes.participants,
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "first": FiscalYear(FIRST_YEAR).starts_at,
        "purged_before": FiscalYear(2023).starts_at,
    }


def counts(cursor) -> dict:
    result = {}
    for label, sql in COUNTS.items():
        cursor.execute(sql)
        result[label] = cursor.fetchone()[0]
    return result


def empty(cursor):
    """Remove what a fill wrote (and anything else in those tables): the benchmark's own
    database only."""
    cursor.execute("TRUNCATE " + ", ".join(FILLED_TABLES) + " RESTART IDENTITY CASCADE")
    cursor.execute("DELETE FROM supporters_user WHERE username LIKE 'bench-supporter-%%'")


def fill(cursor, sizes: Sizes, say=lambda message: None):
    """Write the synthetic history with the database's own INSERT … SELECT."""
    values = parameters(sizes)
    for statement in FILL:
        # Typed where the server binds them: a small Python int goes as smallint.
        statement = INTEGER.sub(r"(\g<0>::int)", statement)
        started = time.perf_counter()
        cursor.execute(statement, values)
        first_line = " ".join(statement.split())[:60]
        say(f"{time.perf_counter() - started:6.1f} s  {cursor.rowcount:>9} rows  {first_line}")


def timed(run, runs: int) -> tuple[float, float]:
    """(best, median) seconds of `runs` calls of `run`, after one not counted."""
    run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds)
