import os

import pytest
from django.db import connection

from tests import factories

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


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def coordinator(db):
    return factories.coordinator(username="kanri")


@pytest.fixture
def supporter(db):
    return factories.supporter(user_kwargs={"username": "sapo"})


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
