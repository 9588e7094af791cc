"""`manage.py bench_stats` (issue 12): its fill is plain SQL that PostgreSQL runs at any scale,
the report over it agrees with the raw GROUP BY it is timed against, and it never fills the
database the site runs on."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from config.bench import stats
from config.fiscal import FiscalYear
from consultations.statistics.report import build_annual_report
from tests import factories


def test_bench_stats_refuses_sqlite():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_stats", "--database-url", "sqlite:///var/bench.sqlite3")


@pytest.mark.postgres
@pytest.mark.django_db
def test_bench_stats_refuses_the_database_the_site_runs_on():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    with pytest.raises(CommandError, match="DATABASE_URL"):
        call_command("bench_stats", "--database-url", url)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_benchmark_fill_writes_ten_years_that_the_report_and_the_floor_agree_on():
    factories.district()  # seeded by a migration, unless a transactional test flushed it
    factories.topic()
    sizes = stats.Sizes.at(0.001)
    with connection.cursor() as cursor:
        stats.fill(cursor, sizes)
        found = stats.counts(cursor)
        fiscal_year = FiscalYear(stats.REPORT_YEAR)
        cursor.execute(stats.FLOOR_SQL, [fiscal_year.starts_at, fiscal_year.ends_before])
        floor = sum(n for _topic, n in cursor.fetchall())
    assert found["sessions"] == sizes.sessions == 10 * (sizes.venues * 30 + 3 + 3)
    assert found["venues"] == sizes.venues
    assert found["supporters"] == sizes.supporters
    assert found["consultations"] > 5 * sizes.venues * 30 * 10 * 0.9
    for table in ("shifts", "session reports", "class registrations", "feedback"):
        assert found[table] > 0, table
    report = build_annual_report(fiscal_year, today=date(2026, 12, 2))
    assert report.headline["consultations"] == floor > 0
    assert report.headline["class_distinct_participants"] > 0
    assert report.table("consultations_by_topic").total.values["consultations"] == floor
