import os
from datetime import timedelta

import pytest
from django.db import connection

from notifications import backends as sms_backends
from tests import clock, factories
from tests.fake_twilio import FakeTwilio

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server with sync Playwright


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks; on SQLite they are deselected, not skipped."""
    if connection.vendor == "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone: 390×844, Japanese, Tokyo time."""
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
    }


@pytest.fixture(autouse=True)
def _fast_hashing_and_immediate_tasks(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def monday_10am():
    """Where `monday_morning` stops the clock; a module living in another week overrides it."""
    return clock.MONDAY_10AM


@pytest.fixture
def monday_morning(time_machine, monday_10am):
    """The clock stopped on a Monday at 10:00 in Tokyo; move it on with `.shift()`/`.move_to()`."""
    time_machine.move_to(monday_10am, tick=False)
    return time_machine


@pytest.fixture
def session(db, monday_10am):
    """A help desk for two supporters on the Thursday of the clock's week, at 10:00."""
    return factories.session(starts_at=monday_10am + timedelta(days=3), supporters_needed=2)


@pytest.fixture
def in_english(client):
    """Pages asked for in English (the default language is Japanese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def coordinator(db):
    return factories.coordinator(username="kanri")


@pytest.fixture
def supporter(db):
    return factories.supporter(user_kwargs={"username": "sapo"})


@pytest.fixture
def resident():
    """Residents have no account: a name and a phone, given when registering or requesting."""
    return factories.resident(name="内緒 花子", phone="+819033334444")


@pytest.fixture
def stranger(db):
    """Signed in, but neither a supporter nor a coordinator."""
    return factories.user(username="stranger")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def supporter_client(client, supporter):
    client.force_login(supporter.user)
    return client


# The admin's two kinds of staff: the city's administrator and a coordinator.
@pytest.fixture
def superuser(db):
    return factories.user(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_coordinator(db):
    return factories.coordinator(username="kanri", is_staff=True)


@pytest.fixture(params=["superuser", "staff_coordinator"])
def staff_client(request, client):
    """Each test runs twice: as the city's administrator and as a coordinator."""
    client.force_login(request.getfixturevalue(request.param))
    return client


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    """Texts land in notifications.backends.outbox, as mail lands in mail.outbox."""
    settings.SMS_BACKEND = "notifications.backends.InMemoryBackend"
    sms_backends.outbox.clear()
    # The site's address in links (texts, calendars): the test client's own host.
    settings.PUBLIC_URL = "http://testserver"


@pytest.fixture
def fake_twilio(settings):
    """A local fake of Twilio's REST API, with the real twilio client of the app pointed at it."""
    with FakeTwilio() as fake:
        settings.SMS_BACKEND = "notifications.backends.TwilioBackend"
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_FROM = "+815012345678"
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        settings.TWILIO_BASE_URL = fake.url
        yield fake
