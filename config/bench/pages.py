"""What the benchmark drives, in the order of its table. Later issues add their pages here.

Each page: (label, path, who): who is None (anonymous), "cookie" (the demo supporter's session)
or "token" (the demo supporter's API token). Plain data: the runner reads it without Django.
"""

FLOOR = "/bench/floor"
# The key of the group-visit request whose status page is driven (`bench_setup` gives it to one
# scheduled request of the demo data).
STATUS_TOKEN = "bench-status-page"

PAGES = [
    ('bare "ok" view (floor)', FLOOR, None),
    ("`/` home, anonymous", "/", None),
    ("`/classes/`", "/classes/", None),
    ("`/venues/` (the help desks, issue 11)", "/venues/", None),
    ("`/venues/…/` (a help desk's page)", "VENUE", None),
    ("`/classes/…/` (a class's page)", "CLASS", None),
    ("`/visits/`", "/visits/", None),
    ("`/visits/request/` (the request form)", "/visits/request/", None),
    ("`/visits/status/…/` (a request's status)", f"/visits/status/{STATUS_TOKEN}/", None),
    ("`/board/` as a supporter", "/board/", "cookie"),
    ("`/me/shifts/` as a supporter", "/me/shifts/", "cookie"),
    ("`GET /api/board` (token)", "/api/board", "token"),
    ("`GET /api/sessions`", "/api/sessions", None),
    ("`POST /api/sessions/…/consultations` (the tally, token)", "TALLY", "token"),
]

# Pages that name a row of the data: `bench_setup --paths` prints the path each is driven as.
# The first help desk's page and the first class to come's (issue 11); the tally's record call,
# the one page driven by POST, with its JSON body: a help desk whose tally is open, the demo
# supporter on its team; each request adds a fresh idempotency key, as each tap does.
VENUE = "VENUE"
CLASS = "CLASS"
TALLY = "TALLY"

# The demo login the signed-in pages are measured as.
USERNAME = "supporter"
