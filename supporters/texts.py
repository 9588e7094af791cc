"""The texts supporters get from the office: invitations and coordinators' broadcasts.
Rendered by the outbox's `notifications.texts.render_sms` (sign-in codes are the outbox's own).
"""

from django.utils.translation import gettext_lazy as _

from notifications import texts

TEMPLATES = {
    # Translators: SMS with a coordinator's invitation to join as a supporter; %(link)s is the
    # sign-up page (about 60 characters), %(deadline)s when the link stops working.
    "invitation": _(
        "%(name)s, you are invited to join Maebashi Digital Supporters. "
        "Sign up by %(deadline)s: %(link)s"
    ),
    # Translators: a coordinator's message to chosen supporters, signed by the office.
    "broadcast": _("%(message)s (Digital support office)"),
}


def render_sms(template: str, language: str, **context) -> str:
    """The text `template` of TEMPLATES, or of the outbox's own (a sign-in code), in `language`."""
    return texts.render_sms(TEMPLATES.get(template, template), language, **context)
