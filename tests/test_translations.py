"""Every user-visible string is translated: Japanese (the default) and English are complete."""

import json

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from config.management.commands.check_catalogs import catalogue_paths, fill_source, problems_in


def test_every_catalogue_is_complete_and_compiled():
    # Raises CommandError listing each untranslated or fuzzy entry and each stale .mo file.
    call_command("check_catalogs")


def test_japanese_and_english_catalogues_exist():
    languages = {path.parent.parent.name for path in catalogue_paths()}
    assert {"ja", "en"} <= languages


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (polib.POEntry(msgid="Shift board", msgstr=""), "untranslated: 'Shift board'"),
        (
            polib.POEntry(msgid="Shift board", msgstr="シフト", flags=["fuzzy"]),
            "fuzzy: 'Shift board'",
        ),
    ],
)
def test_the_check_catches_untranslated_and_fuzzy_entries(entry, problem):
    catalogue = polib.POFile()
    catalogue.append(entry)
    assert problems_in(catalogue) == [problem]


def test_the_english_catalogue_is_filled_from_the_source_strings():
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="Sign in", msgstr="Log on", flags=["fuzzy"]))
    catalogue.append(
        polib.POEntry(msgid="%(n)s place", msgid_plural="%(n)s places", msgstr_plural={0: ""})
    )
    fill_source(catalogue)
    assert problems_in(catalogue) == []
    assert catalogue[0].msgstr == "Sign in"
    assert catalogue[1].msgstr_plural == {0: "%(n)s place", 1: "%(n)s places"}


def test_japanese_is_the_default_and_translates_the_app_name(client, db):
    response = client.get("/")
    assert response["Content-Language"] == "ja"
    with translation.override("ja"):
        name = translation.gettext("Maebashi Digital Supporters")
    assert name == "まえばしデジタルサポーター"
    assert name in response.content.decode()


def test_make_messages_refreshes_every_language_in_the_settings(settings, monkeypatch):
    from config.management.commands import refresh_catalogs

    settings.LANGUAGES = [("ja", "日本語"), ("en", "English"), ("pt-br", "Português")]
    calls = []
    monkeypatch.setattr(refresh_catalogs, "call_command", lambda *a, **kw: calls.append((a, kw)))
    call_command("refresh_catalogs")
    (makemessages, makemessages_options), (scripts, scripts_options), (check, check_options) = calls
    assert makemessages == scripts == ("makemessages",)
    assert makemessages_options["locale"] == scripts_options["locale"] == ["ja", "en", "pt_BR"]
    assert scripts_options["domain"] == "djangojs"  # our scripts' strings (the tally's)
    assert check == ("check_catalogs",)
    assert check_options == {"fill_source": True, "compile": True}


def test_the_makefile_names_no_language_of_its_own():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "-l ja" not in makefile
    assert "manage.py refresh_catalogs" in makefile


def test_the_tallys_script_speaks_japanese_through_the_javascript_catalogue(client):
    catalogue = client.get("/jsi18n/", headers={"accept-language": "ja"})

    assert catalogue.status_code == 200
    assert (
        json.dumps("未送信 %(count)s件") in catalogue.content.decode()
    )  # as the catalogue writes it
