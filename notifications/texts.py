"""Rendering the texts the app sends: translatable templates in the recipient's language.

Each app keeps its own templates (sessions/texts.py, supporters/texts.py) and renders them
with `render_sms`; notifications keeps only its own (sign-in codes, replies to STOP and START).

Japanese is UCS-2: 70 characters make one message, 67 per part beyond, each part billed. Reminder
templates must stay within one message with the longest place we print (PLACE_CHARACTERS), which
tests/test_sms_reminders.py checks for each of them in Japanese.
"""

from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# Places and class titles are cut to this many characters so a reminder fits one message.
PLACE_CHARACTERS = 14
TITLE_CHARACTERS = 12

TEMPLATES = {
    # Translators: SMS with a sign-in code the person asked for.
    "sign_in_code": ngettext_lazy(
        "Your sign-in code is %(code)s. It expires in %(minutes)s minute.",
        "Your sign-in code is %(code)s. It expires in %(minutes)s minutes.",
        "minutes",
    ),
    # Translators: reply to STOP.
    "reply_opted_out": _("You will get no more texts from us. Reply START to get them again."),
    # Translators: reply to START.
    "reply_opted_in": _("You will get our texts again. Reply STOP to stop them."),
}


def render_sms(
    template: str | Promise, language: str, *, moment: datetime | None = None, **context
):
    """The text of `template` (a name in TEMPLATES, or an app's own lazy template) in
    `language`, Tokyo time.

    `moment` fills %(date)s and %(time)s; other datetimes become "3/10 (Tue) 10:00".
    """
    with translation.override(language):
        values = {
            name: formats.date_format(timezone.localtime(value), "SMS_DATETIME_FORMAT")
            if isinstance(value, datetime)
            else value
            for name, value in context.items()
        }
        if moment is not None:
            local = timezone.localtime(moment)
            values["date"] = formats.date_format(local, "SMS_DATE_FORMAT")
            values["time"] = formats.time_format(local, "SMS_TIME_FORMAT")
        if "place" in values:
            values["place"] = Truncator(values["place"]).chars(PLACE_CHARACTERS)
        if "title" in values:
            values["title"] = Truncator(values["title"]).chars(TITLE_CHARACTERS)
        text = TEMPLATES[template] if isinstance(template, str) else template
        return str(text % values)
