"""The public content version in tests (config/public_pages.py).

A test's writes are never committed, so the first read of the version after them stores a new
one (three queries more) and the signed-in user is loaded again (supporters/backends.py). A
test comparing the queries of two requests settles the version before each, so that each one
costs what it costs in production after a committed change (whether or not the test wrote
between them): the version read and the user loaded, as of the new version.
"""

from config import public_pages


def settle_public_version():
    public_pages.public_version()  # stores the version a test's writes call for, if any
    public_pages._new_version()  # and a new one, as a commit makes
