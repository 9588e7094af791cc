"""The benchmark's own parts (`make bench`, issue 9): the floor, the setup command, its sign-in.

The benchmark itself (gunicorn, wrk, PostgreSQL) is never run by the suite; these pin what it
relies on, seeded once for the module on a frozen day (2026-11-23, a Monday).
"""

import json
import uuid
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.urls import Resolver404, resolve

from config.bench import urls as bench_urls
from config.bench.pages import CLASS, FLOOR, PAGES, TALLY, VENUE
from config.fiscal import TOKYO
from config.management.commands.bench_setup import driven_paths
from consultations.models import Consultation
from sessions.models import Session
from supporters.models import User
from supporters.services import create_api_token
from tests import factories

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(10), tzinfo=TOKYO)


@pytest.fixture(scope="module")
def bench_data(django_db_setup, django_db_blocker):
    """What `bench_setup` makes, once, rolled back after the module's tests.

    With DEBUG on, as the runner seeds it: the demo logins exist only then.
    """
    with factories.made_once(
        django_db_blocker, "bench_setup", now=NOW, debug=True, stdout=StringIO()
    ):
        yield


@pytest.fixture
def benched(bench_data, db):
    with time_machine.travel(NOW, tick=False):
        yield


def bench_setup(*args) -> str:
    out = StringIO()
    call_command("bench_setup", *args, stdout=out)
    return out.getvalue()


def test_the_floor_is_in_the_benchmarks_urls_only():
    assert resolve(FLOOR, urlconf="config.bench.urls").func is bench_urls.floor
    with pytest.raises(Resolver404):
        resolve(FLOOR)  # config.urls, what production serves


@override_settings(ROOT_URLCONF="config.bench.urls")
def test_the_floor_answers_ok_and_the_benchmarks_urls_serve_the_site(client, db):
    floor = client.get(FLOOR)
    home = client.get("/")

    assert (floor.status_code, floor.content) == (200, b"ok")
    assert home.status_code == 200


def test_bench_setup_adds_a_year_of_helpdesk_sessions(benched):
    last = Session.objects.filter(kind=Session.Kind.HELPDESK).latest("starts_at")

    assert last.starts_at.date() > TODAY + timedelta(days=350)


def test_bench_setup_run_again_adds_nothing(benched):
    before = Session.objects.count()

    bench_setup()

    assert Session.objects.count() == before


def test_the_session_key_it_prints_signs_the_demo_supporter_in(benched, client):
    key = bench_setup("--session-for", "supporter").strip()
    client.cookies["sessionid"] = key

    response = client.get("/board/")

    assert response.status_code == 200
    assert response.wsgi_request.user.username == "supporter"


@override_settings(ROOT_URLCONF="config.bench.urls")
def test_server_times_name_every_benchmarked_page_with_its_queries(benched):
    lines = [line.split() for line in bench_setup("--server-times", "--requests", "1").splitlines()]
    times = {path: (float(ms), int(queries)) for _time, path, ms, queries in lines}

    assert list(times) == [path for _label, path, _who in PAGES]
    assert times[FLOOR][1] == 0  # the floor touches no table: the pages' queries are their own


def test_each_page_is_compared_with_the_floor_driven_beside_it():
    """The floor drifts within a run on a shared machine: a page's share is of the mean of the
    floor runs just before and after it, not of the whole run's."""
    from config.bench.run import share_of_floors

    def run(path, rps):
        return {"path": path, "label": path, "rps": rps}

    rows = [run(FLOOR, 1000), run("/", 500), run(FLOOR, 2000), run("/b", 300), run(FLOOR, 1000)]
    shown = share_of_floors(rows)

    assert [(row["path"], row["floor"]) for row in shown] == [
        (FLOOR, 4000 / 3),
        ("/", 1500),
        ("/b", 1500),
    ]
    assert shown[0]["label"] == f"{FLOOR} (3 runs, 1,000 to 2,000)"


def test_the_tally_call_it_prints_records_for_the_demo_supporter_now(benched, client):
    """The one POST driven: the path and body printed are a call the supporter may make now,
    each fresh key one more consultation, the same key again none (the wrk script's keys)."""
    paths = dict(line.split(" ", 1) for line in bench_setup("--paths").splitlines())
    path, body = paths[TALLY].split(" ", 1)
    _token, key = create_api_token(User.objects.get(username="supporter"), "test")
    headers = {"authorization": f"Bearer {key}"}
    entry = {"key": str(uuid.uuid4()), **json.loads(body)}

    first = client.post(path, entry, content_type="application/json", headers=headers)
    again = client.post(path, entry, content_type="application/json", headers=headers)
    other = {**entry, "key": "0badc0de-0001-4000-8000-000000000001"}  # post.lua's shape
    third = client.post(path, other, content_type="application/json", headers=headers)

    assert [first.status_code, again.status_code, third.status_code] == [201, 200, 201]
    assert Consultation.objects.filter(session_id=path.split("/")[3]).count() == 2
    # The test client's timings record into the run's session; the next run has one of its own,
    # empty as each desk's tally starts.
    assert driven_paths()[TALLY][0] == path
    again = dict(line.split(" ", 1) for line in bench_setup("--paths").splitlines())
    next_path = again[TALLY].split(" ", 1)[0]
    assert next_path != path
    assert not Consultation.objects.filter(session_id=next_path.split("/")[3]).exists()
    assert driven_paths()[TALLY][0] == next_path
    assert TALLY in [page for _label, page, _who in PAGES]


def test_the_pages_that_name_a_row_are_driven_as_a_help_desk_and_a_class_to_come(benched, client):
    paths = dict(line.split(" ", 1) for line in bench_setup("--paths").splitlines())

    assert client.get(paths[VENUE]).status_code == 200
    assert client.get(paths[CLASS]).status_code == 200
    assert {VENUE, CLASS, TALLY} <= {page for _label, page, _who in PAGES}
