"""`make messages`: refresh the catalogues of every language in settings.LANGUAGES, then fill and
compile them. Adding a language is one line in the settings, not a second list in the Makefile."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale


def locales() -> list[str]:
    return [to_locale(code) for code, _name in settings.LANGUAGES]


class Command(BaseCommand):
    help = "Run makemessages for every language in settings.LANGUAGES, then fill and compile."

    def handle(self, *args, **options):
        call_command(
            "makemessages",
            locale=locales(),
            no_location=True,
            no_obsolete=True,
            ignore_patterns=[".venv", "var"],
            verbosity=options["verbosity"],
        )
        # Our scripts' strings (the tally's, issue 11), served by Django's JavaScriptCatalog at
        # /jsi18n/; vendored minified code has none.
        call_command(
            "makemessages",
            locale=locales(),
            domain="djangojs",
            no_location=True,
            no_obsolete=True,
            ignore_patterns=[".venv", "var", "*.min.js", "staticfiles"],
            verbosity=options["verbosity"],
        )
        call_command("check_catalogs", fill_source=True, compile=True)
