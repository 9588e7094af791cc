"""Checks the translation catalogues, and (for `make messages`) fills and compiles them.

Pure Python (polib), so a fresh machine without GNU gettext still gets working .mo files.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import to_locale

# Source strings are written in English: its catalogue translates each one to itself.
SOURCE_LANGUAGE = "en"


def catalogue_paths() -> list[Path]:
    return sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po"))


def problems_in(catalogue: polib.POFile) -> list[str]:
    problems = [f"untranslated: {entry.msgid!r}" for entry in catalogue.untranslated_entries()]
    problems += [f"fuzzy: {entry.msgid!r}" for entry in catalogue.fuzzy_entries()]
    return problems


def fill_source(catalogue: polib.POFile) -> None:
    """English is the source language: every entry translates to itself.

    Overwriting (not only filling blanks) also undoes msgmerge's fuzzy guesses.
    """
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")


class Command(BaseCommand):
    help = "Fail when a .po catalogue has untranslated or fuzzy entries or a stale .mo file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fill-source",
            action="store_true",
            help="Give the English catalogue each source string as its own translation.",
        )
        parser.add_argument("--compile", action="store_true", help="Write the .mo files.")

    def handle(self, *args, **options):
        locale_dir = Path(settings.LOCALE_PATHS[0])
        failures = [
            f"{locale_dir / code / 'LC_MESSAGES' / 'django.po'}: missing; run `make messages`"
            for code, _name in settings.LANGUAGES
            if not (locale_dir / to_locale(code) / "LC_MESSAGES" / "django.po").exists()
        ]
        for path in catalogue_paths():
            language = path.parent.parent.name
            catalogue = polib.pofile(str(path))
            # pybabel and some readers need the header's Language and a non-fuzzy header.
            catalogue.metadata["Language"] = language
            catalogue.metadata_is_fuzzy = []
            if options["fill_source"] and language == SOURCE_LANGUAGE:
                fill_source(catalogue)
            if options["fill_source"] or options["compile"]:
                catalogue.save()
            if options["compile"]:
                catalogue.save_as_mofile(str(path.with_suffix(".mo")))
            failures += [f"{path}: {problem}" for problem in problems_in(catalogue)]
            failures += self.stale_mo(path, catalogue)
        if failures:
            raise CommandError("\n".join(failures))
        self.stdout.write(f"{len(catalogue_paths())} catalogues complete.")

    @staticmethod
    def stale_mo(path: Path, catalogue: polib.POFile) -> list[str]:
        mo_path = path.with_suffix(".mo")
        if not mo_path.exists():
            return [f"{mo_path}: missing; run `make messages`"]
        compiled = {
            (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))
        }
        source = {
            (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
            for e in catalogue.translated_entries()
        }
        if compiled != source:
            return [f"{mo_path}: out of date with its .po; run `make messages`"]
        return []
