"""`make bench` (issue 9): digisapo's busiest pages under load, beside a bare Django floor.

Sets up a PostgreSQL database of its own (the demo data and a year of upcoming sessions),
starts gunicorn as production runs it (debug off, behind a TLS proxy: every request says
`X-Forwarded-Proto: https`), signs in the demo supporter (a session cookie and an API token),
checks that every page answers 200, drives each one with wrk and prints one table. Exits
non-zero when a page answered anything but 200. Only 127.0.0.1 is contacted.

The floor is driven before every page and once more at the end: each page's share is of the
mean of the two floor runs beside it (the "floor beside it" column), since on a shared machine
the floor alone drifts by half within a run; the floor's own row gives the mean of all its runs
and their range. Each row gives the machine's 1-minute load average after the page's run.
"gunicorn CPU per request" (the workers' user and system time during the page's run, over the
requests served) hardly depends on that load: it is the figure to compare between runs.
"PostgreSQL CPU per request" is the same for every process named `postgres` on this machine (the
workers' backends live as long as their connections, `CONN_MAX_AGE`, and the server's own
processes add a little); it reads 0 when the database runs elsewhere or /proc does not show it.

Settings (environment):
    BENCH_DATABASE_URL   postgres://postgres@127.0.0.1:5432/digisapo_bench
    BENCH_WORKERS        gunicorn workers (4)
    BENCH_CONNECTIONS    wrk connections (20)
    BENCH_SECONDS        wrk duration per page (10), after BENCH_WARMUP seconds (2) not counted
    BENCH_THREADS        wrk threads (2)
    BENCH_PORT           gunicorn's port on 127.0.0.1 (8799)
    BENCH_SERVER_TIMES   test-client requests per page for the server-time column (20; 0: skip)
    BENCH_ONLY           drive only the pages whose label contains this text (and the floor)

Run it as `python -m config.bench.run` from the project's root (`make bench` does).
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from config.bench.pages import FLOOR, PAGES, USERNAME

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).with_name("report.lua")
POST_LUA = Path(__file__).with_name("post.lua")
LOG = ROOT / "var" / "bench" / "gunicorn.log"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/digisapo_bench"
PROXY_HEADER = ("X-Forwarded-Proto", "https")
STOP_SECONDS = 10


def setting(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def say(message: str):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def fail(message: str):
    say(message)
    sys.exit(1)


def ensure_wrk():
    """Debian's wrk, installed when missing (the machines run as root)."""
    if shutil.which("wrk"):
        return
    say("installing Debian's wrk")
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    subprocess.run([*apt, "update", "-qq"], check=True)
    subprocess.run([*apt, "install", "-y", "-qq", "wrk"], check=True)


def ensure_database(url: str):
    """Create the benchmark's database when PostgreSQL does not have it yet."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        fail(f"BENCH_DATABASE_URL must be a PostgreSQL address, not {url!r}")
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        fail(f"The benchmark database's name must be a plain identifier, not {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    found = subprocess.run(
        ["psql", maintenance, "-tAc", f"select 1 from pg_database where datname = '{name}'"],
        capture_output=True,
        text=True,
    )
    if found.returncode:
        fail(f"PostgreSQL does not answer at {maintenance}: {found.stderr.strip()}")
    if found.stdout.strip() != "1":
        say(f"creating the database {name}")
        subprocess.run(["psql", maintenance, "-qc", f"create database {name}"], check=True)


def manage(env: dict, *args: str, debug: bool = False) -> str:
    command_env = {**env, "DJANGO_DEBUG": "1"} if debug else env
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=command_env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def status_of(url: str, headers: dict) -> int:
    """The status a URL answers, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_until_up(url: str, process: subprocess.Popen):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"gunicorn stopped (exit {process.returncode}); see {LOG}")
        if status_of(url, dict([PROXY_HEADER])) == 200:
            return
        time.sleep(0.5)
    fail(f"gunicorn did not answer {url} within 60 s; see {LOG}")


def stop(process: subprocess.Popen):
    """SIGTERM to gunicorn's process group, SIGKILL if it is not gone within STOP_SECONDS."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def cpu_seconds(master: int) -> tuple[float, float]:
    """User and system CPU used so far by the gunicorn workers (the master's children) and by
    the processes named `postgres`."""
    workers = database = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # a process that ended meanwhile
        # The command name is in parentheses and may hold spaces: split around it.
        head, tail = text.rsplit(")", 1)
        fields = tail.split()
        used = int(fields[11]) + int(fields[12])
        if int(fields[1]) == master:
            workers += used
        elif head.split("(", 1)[1] == "postgres":
            database += used
    tick = os.sysconf("SC_CLK_TCK")
    return workers / tick, database / tick


def drive(
    url: str, headers: dict, seconds: int, connections: int, threads: int, body: str | None = None
) -> dict:
    """wrk on `url` for `seconds`; with `body`, a POST of it with a fresh key per request."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(POST_LUA if body else LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if body:
        command += ["--", body, secrets.token_hex(4)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        env={**os.environ, "BENCH_REPORT_LUA": str(LUA)},
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH "))
    figures = {key: int(value) for key, value in (item.split("=") for item in line.split()[1:])}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1_000_000)
    return figures


def share_of_floors(rows: list[dict]) -> list[dict]:
    """The table's rows: the floor once (its requests/s the mean of all its runs, with their
    range), then each page with the mean of the floors driven just before and just after it."""
    floors = [row for row in rows if row["path"] == FLOOR]
    if not floors:
        return rows
    mean = sum(row["rps"] for row in floors) / len(floors)
    low, high = min(row["rps"] for row in floors), max(row["rps"] for row in floors)
    first = {**floors[0], "rps": mean, "floor": mean}
    first["label"] += f" ({len(floors)} runs, {low:,.0f} to {high:,.0f})"
    shown = [first]
    for index, row in enumerate(rows):
        if row["path"] == FLOOR:
            continue
        beside = [
            rows[i]["rps"]
            for i in (index - 1, index + 1)
            if 0 <= i < len(rows) and rows[i]["path"] == FLOOR
        ]
        shown.append({**row, "floor": sum(beside) / len(beside) if beside else mean})
    return shown


def table(rows: list[dict], server_times: dict) -> str:
    lines = [
        "| page | requests/s | floor beside it | share of the floor | p50 | p95 | p99 | non-2xx "
        "| server time per request (test client) | gunicorn CPU per request "
        "| PostgreSQL CPU per request | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        share = row["rps"] / row["floor"] * 100 if row["floor"] else 0
        server = server_times.get(row["path"], "")
        lines.append(
            f"| {row['label']} | {row['rps']:,.0f} | {row['floor']:,.0f} | {share:.1f}% "
            f"| {row['p50_us'] / 1000:.0f} ms "
            f"| {row['p95_us'] / 1000:.0f} ms | {row['p99_us'] / 1000:.0f} ms "
            f"| {row['non2xx'] + row['bad_checks']} | {server} | {row['cpu_ms']:.1f} ms "
            f"| {row['db_cpu_ms']:.1f} ms | {row['load']:.1f} |"
        )
    return "\n".join(lines)


def main():
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    workers = setting("BENCH_WORKERS", 4)
    connections = setting("BENCH_CONNECTIONS", 20)
    seconds = setting("BENCH_SECONDS", 10)
    warmup = setting("BENCH_WARMUP", 2)
    threads = setting("BENCH_THREADS", 2)
    port = setting("BENCH_PORT", 8799)
    server_requests = setting("BENCH_SERVER_TIMES", 20)
    only = os.environ.get("BENCH_ONLY", "")
    pages = [PAGES[0], *(page for page in PAGES[1:] if only in page[0])]
    base = f"http://127.0.0.1:{port}"

    ensure_wrk()
    ensure_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DIGISAPO_PARTICIPANT_KEY_SECRET": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DIGISAPO_PUBLIC_URL": f"https://127.0.0.1:{port}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    say("migrating, seeding the demo data and a year of sessions")
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--no-input", "-v0")
    # The demo logins are created only with DEBUG on; the server itself runs with it off.
    say(manage(env, "bench_setup", debug=True).strip().splitlines()[-1])
    cookie = manage(env, "bench_setup", "--session-for", USERNAME).strip()
    token = manage(env, "issue_token", USERNAME, "--name", "make bench").strip()
    # What the pages that name a row are driven as: their real URL, and the body of a POST.
    driven = {}
    for line in manage(env, "bench_setup", "--paths").strip().splitlines():
        key, path, *body = line.split(" ", 2)
        driven[key] = (path, body[0] if body else None)
    auth_headers = {
        None: {},
        "cookie": {"Cookie": f"sessionid={cookie}"},
        "token": {"Authorization": f"Bearer {token}"},
    }

    server_times = {}
    if server_requests:
        say(f"timing each page through the test client ({server_requests} requests)")
        output = manage(env, "bench_setup", "--server-times", "--requests", str(server_requests))
        for line in output.splitlines():
            _, path, ms, queries = line.split()
            figure = f"{float(ms):.1f}" if float(ms) < 10 else f"{float(ms):.0f}"
            noun = "query" if queries == "1" else "queries"
            server_times[path] = f"{figure} ms, {queries} {noun}"

    LOG.parent.mkdir(parents=True, exist_ok=True)
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers)]
    with LOG.open("w") as log:
        server = subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    rows = []
    try:
        wait_until_up(base + FLOOR, server)
        say(f"gunicorn with {workers} workers; wrk -t{threads} -c{connections} -d{seconds}s")
        # The machine may be shared: its load before the run says how much the figures can trust.
        say("load average before driving: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        # On a shared machine the load drifts within a run: the floor is driven before every
        # page and once more at the end, and each page's share is taken of the mean of the two
        # floors beside it, measured within a few seconds of it.
        # One pass over every page first, not counted: each worker fills its caches, and
        # whatever the setup left running (the database writing out the seeded rows) is done
        # before the first measured page, not during it.
        for _label, page, who in pages if warmup else []:
            path, body = driven.get(page, (page, None))
            headers = dict([PROXY_HEADER]) | auth_headers[who]
            drive(base + path, headers, warmup, connections, threads, body)
        floor = pages[0]
        order = [floor]
        for page in pages[1:]:
            order += [page, floor]
        for label, page, who in order:
            path, body = driven.get(page, (page, None))
            headers = dict([PROXY_HEADER]) | auth_headers[who]
            # A POST's check is the GET of the same URL (the tally's listing): it must answer.
            status = status_of(base + path, headers)
            if status != 200:
                say(f"{path} answered {status}, not 200")
                rows.append({"label": label, "path": path, "status": status})
                continue
            if warmup:
                drive(base + path, headers, warmup, connections, threads, body)
            workers_before, database_before = cpu_seconds(server.pid)
            figures = drive(base + path, headers, seconds, connections, threads, body)
            workers_after, database_after = cpu_seconds(server.pid)
            served = figures["requests"] or 1
            figures["cpu_ms"] = (workers_after - workers_before) * 1000 / served
            figures["db_cpu_ms"] = (database_after - database_before) * 1000 / served
            after = status_of(base + path, headers)
            if after != 200:
                say(f"{path} answered {after} after the run, not 200")
            load = os.getloadavg()[0]
            rows.append({"label": label, "path": page, "status": after, "load": load, **figures})
            say(f"{path}: {figures['rps']:.0f} requests/s")
    finally:
        stop(server)

    measured = [row for row in rows if "rps" in row]
    for row in measured:
        row["bad_checks"] = int(row["status"] != 200)
    shown = share_of_floors(measured)
    print(table(shown, server_times))
    say("load average after driving: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    refused = [row["path"] for row in rows if row["status"] != 200 or row.get("non2xx")]
    if refused:
        fail(f"not every page answered 200: {', '.join(refused)}")


if __name__ == "__main__":
    main()
