"""Dates and times are written as the reader's language writes them: the formats are named in code
and defined per language in config/formats/, never written into Python."""

import importlib
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

from config.fiscal import TOKYO
from config.formats import CUSTOM_FORMATS
from sessions.texts import render_sms

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "supporters", "venues", "sessions", "consultations", "notifications")
# Formats a machine reads (idempotency keys, API months, the worker's log), not a person.
MACHINE_STRFTIME = {"%Y-%m-%dT%H:%M", "%Y-%m", "%H:%M:%S"}


def python_sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize("code", [code for code, _name in settings.LANGUAGES])
def test_every_language_defines_every_named_format(code):
    module = importlib.import_module(f"config.formats.{code}.formats")
    missing = [name for name in CUSTOM_FORMATS if not getattr(module, name, None)]
    assert not missing, f"config/formats/{code}/formats.py lacks {missing}"


def test_no_date_format_is_written_into_python():
    # The format argument of date_format()/time_format(), whose first may hold one call.
    literal = re.compile(
        r"""(?:date_format|time_format)\((?:[^()]|\([^()]*\))*?,\s*["']([^"']+)["']"""
    )
    strftime = re.compile(r"""strftime\(\s*["']([^"']+)["']|:(%[^}"']+)}""")
    found = []
    for path in python_sources():
        source = path.read_text()
        found += [
            f"{path.relative_to(ROOT)}: {fmt!r}"
            for fmt in literal.findall(source)
            if not re.fullmatch(r"[A-Z_]+_FORMAT", fmt)
        ]
        found += [
            f"{path.relative_to(ROOT)}: {fmt!r}"
            for pair in strftime.findall(source)
            for fmt in pair
            if fmt and fmt not in MACHINE_STRFTIME
        ]
    assert not found


def test_texts_take_their_date_format_from_the_language(monkeypatch):
    moment = datetime(2026, 3, 10, 10, 0, tzinfo=TOKYO)
    english = importlib.import_module("config.formats.en.formats")
    monkeypatch.setattr(english, "SMS_DATE_FORMAT", "D j M")
    formats.reset_format_cache()
    try:
        text = render_sms("shift_confirmation", "en", moment=moment, place="Higashi")
        assert "Tue 10 Mar" in text
        assert "3/10 (火)" in render_sms("shift_confirmation", "ja", moment=moment, place="東")
    finally:
        monkeypatch.undo()
        formats.reset_format_cache()


def test_pages_and_admin_use_the_same_named_formats():
    moment = datetime(2026, 3, 10, 9, 5, tzinfo=TOKYO)
    with translation.override("ja"):
        assert formats.date_format(moment, "SHORT_WEEKDAY_DATE_FORMAT") == "3/10 (火)"
        assert formats.time_format(moment, "SHORT_TIME_FORMAT") == "09:05"
    with translation.override("en"):
        assert formats.date_format(moment, "SHORT_WEEKDAY_DATE_FORMAT") == "3/10 (Tue)"
        assert formats.date_format(moment, "SMS_DATETIME_FORMAT") == "3/10 (Tue) 9:05"


def test_names_written_with_no_language_active_use_django_formats(db):
    """The admin's history records str(obj) with translations off, where only Django's own
    format names resolve (a custom one would come out as its letters)."""
    from tests import factories

    session = factories.session(starts_at=datetime(2026, 3, 10, 9, 5, tzinfo=TOKYO))
    schedule = factories.schedule()
    with translation.override(None):
        assert "FORMAT" not in str(session)
        assert "03/10/2026" in str(session)
        assert "FORMAT" not in str(schedule)
