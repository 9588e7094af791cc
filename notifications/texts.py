"""The texts the app sends, as translatable templates rendered in the recipient's language.

Japanese is UCS-2: 70 characters make one message, 67 per part beyond, each part billed. Reminder
templates must stay within one message with the longest place we print (PLACE_CHARACTERS), which
tests/test_sms_reminders.py checks for each of them in Japanese.
"""

from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# Places and class titles are cut to this many characters so a reminder fits one message.
PLACE_CHARACTERS = 14
TITLE_CHARACTERS = 12

TEMPLATES = {
    # Translators: SMS to a supporter at 18:00 the day before a shift. One message: at most 70
    # characters in Japanese with a 14-character place, e.g.
    # "明日%(time)s %(place)s 参加は1、取消は2を返信".
    "shift_evening_before": _("Tomorrow %(time)s %(place)s: reply 1 to confirm, 2 to cancel."),
    # Translators: SMS to a supporter the morning of a shift. At most 70 characters in Japanese.
    "shift_morning_of": _("Today %(time)s %(place)s. Reply 2 if you cannot come."),
    # Translators: SMS to a resident registered for a class, the day before. At most 70
    # characters in Japanese, e.g. "明日%(time)s %(place)sで%(title)s 受付番号%(reference)s".
    "registration_day_before": _("%(title)s tomorrow %(time)s at %(place)s. Ref %(reference)s"),
    # Translators: SMS to a group's representative the day before supporters visit. At most 70
    # characters in Japanese.
    "dispatch_day_before": _("Supporters visit %(place)s tomorrow %(time)s. Ref %(reference)s"),
    # Translators: SMS to a supporter who signed up for a shift.
    "shift_confirmation": _("Signed up: %(date)s %(time)s %(place)s. Thank you!"),
    # Translators: SMS to a supporter whose shift was cancelled.
    "shift_cancelled": _("Your shift %(date)s %(time)s %(place)s is cancelled."),
    # Translators: SMS to people taking part when a coordinator cancels a session.
    "session_cancelled": _("%(date)s %(time)s %(place)s is cancelled. We are sorry."),
    # Translators: SMS to a supporter on the waiting list when a place opens.
    "waitlist_offer": _(
        "A place opened: %(date)s %(time)s %(place)s. Reply 1 by %(deadline)s to take it."
    ),
    # Translators: SMS to coordinators when a supporter cancels a shift shortly before it starts.
    "late_cancellation": _("Late cancellation: %(name)s, %(date)s %(time)s %(place)s."),
    # Translators: SMS with a sign-in code the person asked for.
    "sign_in_code": ngettext_lazy(
        "Your sign-in code is %(code)s. It expires in %(minutes)s minute.",
        "Your sign-in code is %(code)s. It expires in %(minutes)s minutes.",
        "minutes",
    ),
    # Translators: SMS with a coordinator's invitation to join as a supporter; %(link)s is the
    # sign-up page (about 60 characters), %(deadline)s when the link stops working.
    "invitation": _(
        "%(name)s, you are invited to join Maebashi Digital Supporters. "
        "Sign up by %(deadline)s: %(link)s"
    ),
    # Translators: a coordinator's message to chosen supporters, signed by the office.
    "broadcast": _("%(message)s (Digital support office)"),
    # Translators: reply to STOP.
    "reply_opted_out": _("You will get no more texts from us. Reply START to get them again."),
    # Translators: reply to START.
    "reply_opted_in": _("You will get our texts again. Reply STOP to stop them."),
    # Translators: reply when a supporter answers 1 to a reminder.
    "reply_confirmed": _("Thank you! See you %(date)s %(time)s at %(place)s."),
    # Translators: reply when a supporter answers 2 to a reminder.
    "reply_cancelled": _("Cancelled: %(date)s %(time)s %(place)s. Thank you for telling us."),
    # Translators: reply to 1 or 2 from a supporter with no upcoming reminded shift.
    "reply_no_shift": _("We found no coming shift to answer. Please call the office."),
    # Translators: reply to 1 or 2 when the shift can no longer be changed by text.
    "reply_cannot_change": _(
        "This shift can no longer be changed by text. Please call the office."
    ),
}

REMINDER_TEMPLATES = (
    "shift_evening_before",
    "shift_morning_of",
    "registration_day_before",
    "dispatch_day_before",
)


def render_sms(template: str, language: str, *, moment: datetime | None = None, **context):
    """The text of `template` in `language`, Tokyo time.

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
        return str(TEMPLATES[template] % values)
