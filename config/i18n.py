"""Languages the app speaks, for users' and residents' language fields."""

from django.conf import settings


def language_choices():
    # A callable keeps migrations stable when the ten languages of a later issue are added.
    return settings.LANGUAGES
