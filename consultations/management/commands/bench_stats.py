"""`manage.py bench_stats` (issue 12): the annual report over a city a hundred times Maebashi.

Fills a PostgreSQL database of its own (never the one DATABASE_URL names, never SQLite) with
ten fiscal years of synthetic history (config/bench/stats.py), then prints the time to build
one year's full report beside the floor, a single raw GROUP BY over the same year's
consultations: first as a real city would run it, with the earlier years closed (their
published figures stand in the trend), then with none closed. docs/performance.md has the
figures.

    python manage.py bench_stats                      # fill once, reuse after
    python manage.py bench_stats --refill --runs 11
    BENCH_STATS_DATABASE_URL=postgres://…/other python manage.py bench_stats

The command runs itself again with DATABASE_URL pointing at the benchmark's database (after
`createcachetable` and `migrate` there), so every model, index and setting is the one
production runs.
"""

import os
import platform
import re
import subprocess
import sys
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.bench import stats
from config.fiscal import FiscalYear


class Command(BaseCommand):
    help = (
        "Time the annual report over a synthetic history a hundred times Maebashi's, in a "
        "PostgreSQL database of its own."
    )
    # The first run never opens the default database (it may be SQLite, or not exist yet); the
    # second one's `migrate` has run the checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_STATS_DATABASE_URL") or stats.DEFAULT_DATABASE_URL,
            help="The benchmark's PostgreSQL database (BENCH_STATS_DATABASE_URL; default "
            f"{stats.DEFAULT_DATABASE_URL}). Created when missing.",
        )
        parser.add_argument("--refill", action="store_true", help="Empty and fill it again.")
        parser.add_argument("--runs", type=int, default=7, help="Timed runs after a warm-up.")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="1 = a hundred times Maebashi."
        )
        parser.add_argument(
            "--slowest", type=int, default=6, help="Show the report's slowest queries."
        )
        parser.add_argument(
            "--pg-setting",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A PostgreSQL setting for the timed connection, e.g. random_page_cost=1.1 "
            "(repeatable; the defaults are the server's).",
        )
        # The second run, inside the benchmark's database: its URL, checked against the
        # settings it was started with.
        parser.add_argument("--inside", default="", help="(internal)")

    def handle(self, *args, **options):
        if options["inside"]:
            return self.inside(options)
        url = options["database_url"]
        try:
            _host, _port, name = stats.database_name(url)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if stats.same_database(url, settings.DATABASES["default"]):
            raise CommandError(
                f"{name} is the database DATABASE_URL names: the benchmark fills a database of "
                "its own (--database-url, BENCH_STATS_DATABASE_URL)."
            )
        self.ensure_database(url, name)
        env = {**os.environ, "DATABASE_URL": url}
        for step in (["createcachetable"], ["migrate", "--no-input", "-v", "0"]):
            self.manage(env, *step)
        passed = ["--runs", str(options["runs"]), "--scale", str(options["scale"])]
        passed += ["--slowest", str(options["slowest"])]
        if options["refill"]:
            passed.append("--refill")
        for setting in options["pg_setting"]:
            passed += ["--pg-setting", setting]
        done = subprocess.run(
            [sys.executable, "manage.py", "bench_stats", "--inside", url, *passed],
            cwd=settings.BASE_DIR,
            env=env,
        )
        if done.returncode:
            raise CommandError(f"bench_stats inside {name} failed (exit {done.returncode})")

    def ensure_database(self, url: str, name: str):
        import psycopg

        maintenance = url.rsplit("/", 1)[0] + "/postgres"
        try:
            with psycopg.connect(maintenance, autocommit=True) as conn:
                found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if found.fetchone() is None:
                    self.say(f"creating the database {name}")
                    conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as error:
            raise CommandError(f"PostgreSQL does not answer at {maintenance}: {error}") from None

    def manage(self, env: dict, *args: str):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        self.say(f"manage.py {args[0]}: {time.perf_counter() - started:.1f} s")

    def say(self, message: str):
        self.stderr.write(f"bench_stats: {message}")

    # Inside the benchmark's database.

    def inside(self, options):
        url = options["inside"]
        if connection.vendor != "postgresql" or not stats.same_database(
            url, settings.DATABASES["default"]
        ):
            raise CommandError("--inside runs only in the database it names")
        sizes = stats.Sizes.at(options["scale"])
        with connection.cursor() as cursor:
            found = stats.counts(cursor)
        filled = (
            found["sessions"] == sizes.sessions
            and found["venues"] == sizes.venues
            and found["supporters"] == sizes.supporters
            and found["consultations"] > 0
        )
        if options["refill"] or not filled:
            self.say(f"filling {url} at scale {options['scale']} ({sizes.sessions} sessions)")
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                stats.empty(cursor)
                stats.fill(cursor, sizes, say=self.say)
            self.say(f"filled in {time.perf_counter() - started:.0f} s")
        else:
            self.say("reusing the filled database (row counts match; --refill to rebuild)")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.say(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
        today = timezone.localdate()
        self.close_years(today)
        with connection.cursor() as cursor:
            for setting in options["pg_setting"]:
                name, _equals, value = setting.partition("=")
                if not (re.fullmatch(r"[a-z_]+", name) and re.fullmatch(r"[\w.]+", value)):
                    raise CommandError(f"--pg-setting NAME=VALUE, not {setting!r}")
                cursor.execute(f"SET {name} = {value}")
        self.report(sizes, today, options)

    def close_years(self, today: date):
        """Publish the years a real city would have closed (their snapshot, as closing does)."""
        from consultations.models import PublishedReport
        from consultations.statistics.report import build_annual_report

        kept = set(PublishedReport.objects.values_list("fiscal_year", flat=True))
        for year in stats.CLOSED_YEARS:
            if year not in kept:
                snapshot = build_annual_report(FiscalYear(year), today=today).snapshot()
                PublishedReport.objects.create(
                    fiscal_year=year, figures=snapshot, closed_at=timezone.now()
                )
                self.say(f"closed FY{year}")

    def report(self, sizes, today: date, options):
        from consultations.models import PublishedReport
        from consultations.statistics.report import build_annual_report

        fiscal_year = FiscalYear(stats.REPORT_YEAR)
        runs = options["runs"]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            rows = stats.counts(cursor)

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(stats.FLOOR_SQL, [fiscal_year.starts_at, fiscal_year.ends_before])
                cursor.fetchall()

        def build():
            build_annual_report(fiscal_year, today=today)

        load_before = os.getloadavg()
        floor_best, floor_median = stats.timed(floor, runs)
        closed = [str(y) for y in stats.CLOSED_YEARS]
        results = [(f"FY{closed[0]}–FY{closed[-1]} closed", *stats.timed(build, runs))]
        with CaptureQueriesContext(connection) as queries:
            build()
        slowest = self.slowest(build)
        with transaction.atomic():
            PublishedReport.objects.all().delete()
            results.append(("none closed", *stats.timed(build, runs)))
            transaction.set_rollback(True)
        load_after = os.getloadavg()

        out = self.stdout.write
        first, last = FiscalYear(stats.FIRST_YEAR), FiscalYear(stats.LAST_YEAR)
        out(f"bench_stats: the annual report of {fiscal_year}, records from {first} to {last}")
        out(f"scale {options['scale']}; best and median of {runs} runs after one not counted")
        out(
            f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, PostgreSQL {version}; 1-minute load average "
            f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
        )
        settings_line = ", ".join(options["pg_setting"]) or "the server's defaults"
        out(f"PostgreSQL settings: {settings_line}")
        out("rows: " + ", ".join(f"{label} {n:,}" for label, n in rows.items()))
        out(f"report queries: {len(queries)}")
        out(f"{'':36} {'best':>9} {'median':>9} {'best / floor':>13}")
        lines = [("floor: one GROUP BY (topic)", floor_best, floor_median)]
        lines += [(f"report, {label}", best, median) for label, best, median in results]
        for label, best, median in lines:
            ratio = f"{best / floor_best:12.1f}×" if floor_best else ""
            out(f"{label:36} {best * 1000:7.1f}ms {median * 1000:7.1f}ms {ratio}")
        out("targets: the report under 1000 ms and within 3× the floor")
        out("slowest queries of one report (closed years):")
        for seconds, sql in slowest[: options["slowest"]]:
            out(f"  {seconds * 1000:7.1f}ms  {sql[:110]}")

    def slowest(self, build) -> list[tuple[float, str]]:
        timings = []

        def timer(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started, " ".join(sql.split())))

        with connection.execute_wrapper(timer):
            build()
        return sorted(timings, reverse=True)
