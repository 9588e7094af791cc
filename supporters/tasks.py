"""Background work for supporters: emailing an invitation, after the request that made it.

A mail server that is down or refuses the address must not fail the coordinator's request
once the invitation is saved (issue 8): the mail goes from a task, and its outcome is kept on
the invitation (`emailed_at` or `email_error`) for the invitations page and the API.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from supporters.models import Invitation

logger = logging.getLogger(__name__)


@task()
def email_invitation(invitation_id: int, link: str) -> bool:
    """Email the invitation's link; record when it went, or why it did not."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None or invitation.state != Invitation.State.OPEN:
        return False  # revoked or replaced before the task ran: its link no longer works
    with translation.override(invitation.language):
        context = {"invitation": invitation, "link": link, "days": settings.INVITATION_VALID_DAYS}
        subject = gettext("Your invitation to Maebashi Digital Supporters")
        body = render_to_string("supporters/email/invitation.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except OSError as error:  # unreachable, timed out, refused (SMTPException is an OSError)
        logger.warning("Invitation %s not emailed: %r", invitation_id, error)
        reason = (str(error) or type(error).__name__)[:200]
        Invitation.objects.filter(pk=invitation_id).update(email_error=reason)
        return False
    Invitation.objects.filter(pk=invitation_id).update(emailed_at=timezone.now(), email_error="")
    return True
