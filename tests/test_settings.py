"""Settings come from the environment, fail loudly on bad values, and harden for production."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config import settings as settings_module

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3!v9#Lw2@qZ8$yT5^uR1&oP7*sD4(fG6)hJ0_lK-mN+bV=cX<zA>eW?",
    "DJANGO_ALLOWED_HOSTS": "digisapo.example.jp",
    # Production runs PostgreSQL (the check does not connect to it).
    "DATABASE_URL": "postgres://digisapo@db.example.jp:5432/digisapo",
    "DIGISAPO_PUBLIC_URL": "https://digisapo.example.jp",
    "DIGISAPO_PARTICIPANT_KEY_SECRET": "Qm7#pL2@vX9$kR4^wT8&nB1*",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_nothing_reported():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_public_url_for_links_in_texts():
    result = manage("check", **{**PRODUCTION_ENV, "DIGISAPO_PUBLIC_URL": ""})
    assert result.returncode != 0
    assert "DIGISAPO_PUBLIC_URL must be set" in result.stderr


def test_production_refuses_to_start_without_a_participant_key_secret():
    result = manage("check", **{**PRODUCTION_ENV, "DIGISAPO_PARTICIPANT_KEY_SECRET": ""})
    assert result.returncode != 0
    assert "DIGISAPO_PARTICIPANT_KEY_SECRET must be set" in result.stderr


def test_development_links_in_texts_point_at_the_local_server():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PUBLIC_URL)",
        DJANGO_DEBUG="1",
        DIGISAPO_PUBLIC_URL="",
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8000", result.stderr


def test_development_defaults_are_safe_to_run_locally():
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ja"
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.parametrize(
    ("helper", "value"), [(settings_module.env_bool, "perhaps"), (settings_module.env_int, "ten")]
)
def test_bad_environment_values_fail_loudly(monkeypatch, helper, value):
    monkeypatch.setenv("DIGISAPO_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured, match="DIGISAPO_TEST_VALUE"):
        helper("DIGISAPO_TEST_VALUE", 0)


def test_boolean_and_list_helpers_read_common_spellings(monkeypatch):
    monkeypatch.setenv("DIGISAPO_TEST_VALUE", "Yes")
    assert settings_module.env_bool("DIGISAPO_TEST_VALUE", False) is True
    monkeypatch.setenv("DIGISAPO_TEST_VALUE", " a.jp, b.jp ,")
    assert settings_module.env_list("DIGISAPO_TEST_VALUE", "") == ["a.jp", "b.jp"]


def test_every_variable_read_is_listed_in_env_example():
    source = (ROOT / "config" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', source))
    names.add("DATABASE_URL")
    missing = sorted(name for name in names if f"{name}=" not in example)
    assert not missing, f".env.example lacks {missing}"


def test_debug_is_off_when_nothing_turns_it_on_and_then_a_secret_key_is_required():
    """A forgotten DJANGO_DEBUG never runs with debug pages and the published development key."""
    result = manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
    with_key = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        DJANGO_SECRET_KEY=PRODUCTION_ENV["DJANGO_SECRET_KEY"],
        DIGISAPO_PUBLIC_URL=PRODUCTION_ENV["DIGISAPO_PUBLIC_URL"],
        DIGISAPO_PARTICIPANT_KEY_SECRET=PRODUCTION_ENV["DIGISAPO_PARTICIPANT_KEY_SECRET"],
    )
    assert with_key.stdout.strip() == "False", with_key.stderr


def test_an_empty_variable_means_unset_everywhere():
    """`DATABASE_URL=` (as env files write "nothing") once crashed with KeyError 'ENGINE'."""
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'],"
        " settings.DEBUG, settings.SECRET_KEY.startswith('django-insecure'),"
        " settings.SMS_SENDING_LEASE_SECONDS, settings.ALLOWED_HOSTS[0])",
        DJANGO_DEBUG="1",
        DATABASE_URL="",
        DJANGO_SECRET_KEY="",
        DIGISAPO_SMS_LEASE_SECONDS="",
        DJANGO_ALLOWED_HOSTS="",
        DJANGO_SECURE_COOKIES="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "True",
        "120",
        "localhost",
    ]


def test_an_empty_debug_variable_leaves_debug_off():
    result = manage("check", DJANGO_DEBUG="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_test_run_and_the_makefile_turn_debug_on_for_development():
    assert settings.SECRET_KEY == settings_module._DEV_SECRET_KEY
    assert "run test lint messages: export DJANGO_DEBUG ?= true" in (ROOT / "Makefile").read_text()


def test_production_keeps_database_connections_and_checks_them_before_use():
    """Issue 9: a new PostgreSQL connection per request cost as much CPU again as the page."""
    show = (
        "from django.conf import settings; db = settings.DATABASES['default'];"
        " print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])"
    )
    production = manage("shell", "-v", "0", "-c", show, **PRODUCTION_ENV)
    development = manage("shell", "-v", "0", "-c", show, DJANGO_DEBUG="1")
    chosen = manage("shell", "-v", "0", "-c", show, DATABASE_CONN_MAX_AGE="60", **PRODUCTION_ENV)

    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["600", "True"]
    assert development.stdout.split() == ["0", "True"]
    assert chosen.stdout.split() == ["60", "True"]


def test_postgresql_binds_on_the_server_and_prepares_statements_unless_told_not_to():
    """Issue 9: planning the same few queries on every request cost PostgreSQL more CPU than
    running them; a pooler in transaction mode needs it off."""
    show = (
        "from django.conf import settings; options = settings.DATABASES['default']['OPTIONS'];"
        " print(options.get('server_side_binding'), options.get('prepare_threshold'))"
    )
    postgres = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://digisapo@127.0.0.1:5432/digisapo"}
    prepared = manage("shell", "-v", "0", "-c", show, **postgres)
    pooled = manage("shell", "-v", "0", "-c", show, DATABASE_SERVER_SIDE_BINDING="0", **postgres)
    sqlite = manage("shell", "-v", "0", "-c", show, DATABASE_URL="sqlite:///x.db", DJANGO_DEBUG="1")

    assert prepared.returncode == 0, prepared.stderr
    assert prepared.stdout.split() == ["True", "5"]
    assert pooled.stdout.split() == ["None", "None"]
    assert sqlite.stdout.split() == ["None", "None"]
