"""The texts supporters get from the office: invitations and coordinators' broadcasts.
Rendered by the outbox's `notifications.texts.render_sms` (sign-in codes are the outbox's own).
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from notifications import texts

TEMPLATES = {
    # Translators: SMS with a coordinator's invitation to join as a supporter; %(link)s is the
    # sign-up page (about 60 characters), %(deadline)s when the link stops working.
    "invitation": _(
        "%(name)s, you are invited to join Maebashi Digital Supporters. "
        "Sign up by %(deadline)s: %(link)s"
    ),
    # Volunteer insurance (issue 13). One message each in Japanese: at most 70 characters with
    # the date ("3/31 (火)") and the office's number ("027-224-1111").
    # Translators: SMS to a supporter 30 days before their volunteer insurance ends.
    "insurance_ends": _(
        "Your volunteer insurance runs until %(date)s. To renew it, call the office: %(phone)s"
    ),
    # Translators: SMS to a supporter 7 days before their volunteer insurance ends.
    "insurance_ends_soon": _(
        "Your volunteer insurance ends %(date)s; after that you cannot take shifts. Renew it: "
        "%(phone)s"
    ),
    # Translators: SMS to each coordinator on the last day of supporters' volunteer insurance;
    # %(name)s is the first of them, %(link)s the admin's list of insurance ending.
    "insurance_ended_coordinators": ngettext_lazy(
        "Volunteer insurance ends %(date)s: %(name)s (%(count)s supporter). %(link)s",
        "Volunteer insurance ends %(date)s: %(name)s and others (%(count)s supporters). %(link)s",
        "count",
    ),
    # Translators: a coordinator's message to chosen supporters, signed by the office.
    "broadcast": _("%(message)s (Digital support office)"),
}


def render_sms(template: str, language: str, **context) -> str:
    """The text `template` of TEMPLATES, or of the outbox's own (a sign-in code), in `language`."""
    return texts.render_sms(TEMPLATES.get(template, template), language, **context)
