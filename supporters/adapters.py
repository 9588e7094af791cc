"""allauth and our accounts: phone numbers live on `User`, codes go out through the SMS outbox."""

import contextlib

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from supporters.models import User
from supporters.phones import normalize_phone

# The request attribute where the last wrong sign-in code leaves its account for the message.
GAVE_UP_ON = "digisapo_sign_in_code_gave_up_on"


def note_last_wrong_code(sender, request, user, last_attempt, **kwargs):
    """allauth's login_code_rejected: on the last try, whose sign-in ends (see add_message)."""
    if last_attempt:
        setattr(request, GAVE_UP_ON, user)


class AccountAdapter(DefaultAccountAdapter):
    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ):
        # allauth says "Too many failed login attempts. Try again later." when the last wrong
        # code ends a sign-in: say instead what to do, and after how many minutes (issue 8).
        user = getattr(request, GAVE_UP_ON, None)
        if user is not None and message == self.error_messages["too_many_login_attempts"]:
            from supporters.forms import wrong_codes_message

            message = wrong_codes_message(user.phone)
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )

    def is_open_for_signup(self, request):
        # Supporters join by a coordinator's invitation (issue 5), never by open sign-up: the
        # invitation's page (supporters.views.join) makes the account itself.
        return False

    def phone_form_field(self, **kwargs):
        from supporters.forms import MobilePhoneField  # forms import allauth's, which import us

        return MobilePhoneField(**kwargs)

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        """A sign-in or phone-verification code, in the person's language, sent at any hour."""
        from supporters.services import send_code_by_sms

        send_code_by_sms(phone, code, language=user.language, related=user)

    def send_unknown_account_sms(self, phone, **kwargs):
        # No text to a number without an account: it would cost us a message for every number
        # anyone types in. The page says the same whether or not the number is known.
        return None

    def send_account_already_exists_sms(self, phone, **kwargs):
        return None

    def set_phone(self, user, phone, verified):
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone):
        # Called with the number a code just reached: the account's own after a code sign-in,
        # or the new one when a signed-in person changes it (allauth's phone page).
        if (user.phone, user.phone_verified) != (phone, True):
            self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone):
        # allauth passes the number as typed when it came with a password ("090-1234-5678").
        with contextlib.suppress(ValidationError):
            phone = normalize_phone(phone)
        return User.objects.filter(phone=phone, is_active=True).first()


def display_name(user) -> str:
    """How allauth names a person ("Signed in as …"): the supporter's name, not a username."""
    supporter = user.supporter_or_none
    return str(supporter) if supporter else str(user)
