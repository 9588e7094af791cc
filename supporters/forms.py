import unicodedata

from allauth.account.forms import (
    ChangePhoneForm,
    ConfirmLoginCodeForm,
    RequestLoginCodeForm,
    VerifyPhoneForm,
)
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.i18n import language_choices
from supporters.models import Supporter, User
from supporters.phones import format_national, normalize_phone
from supporters.services import TOKEN_NAME_MAX_LENGTH


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. “calendar on my PC”."),
    )


# Sign-in (issue 5): numbers typed as people write them, codes typed on a number pad.


class MobilePhoneField(forms.CharField):
    """A phone number as people write it (090-1234-5678, full-width digits too), kept in E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "tel",
                    "autocomplete": "tel",
                    "placeholder": "090-1234-5678",
                    "class": "input--large",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_phone(value) if value else value


class OneTimeCodeMixin:
    """The code field as a phone should offer it: the number pad, and the code from the SMS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = _("6-digit code")
        minutes = settings.SIGN_IN_CODE_MINUTES
        field.help_text = ngettext(
            "It works for %(minutes)d minute after it was sent.",
            "It works for %(minutes)d minutes after it was sent.",
            minutes,
        ) % {"minutes": minutes}
        field.widget = forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "input--code",
            }
        )

    def clean_code(self):
        # A Japanese keyboard may type full-width digits (１２３４５６).
        self.cleaned_data["code"] = unicodedata.normalize("NFKC", self.cleaned_data["code"])
        parent = getattr(super(), "clean_code", None)
        return parent() if parent else self.cleaned_data["code"]


RATE_LIMITED_MESSAGE = _(
    "Too many codes have been asked for this number or from this network. "
    "Please wait a while (at most an hour) and try again."
)


class RequestSignInCodeForm(RequestLoginCodeForm):
    """allauth's "send me a code" with the phone first, and a plain word when rate-limited."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.order_fields(["phone", "email"])

    def clean_phone(self):
        return self._with_plain_rate_limit_message(super().clean_phone)

    def clean_email(self):
        return self._with_plain_rate_limit_message(super().clean_email)

    @staticmethod
    def _with_plain_rate_limit_message(clean):
        try:
            return clean()
        except ValidationError as error:
            if getattr(error, "code", None) == "too_many_login_attempts":
                raise ValidationError(RATE_LIMITED_MESSAGE, code="rate_limited") from error
            raise

    def clean(self):
        cleaned_data = super().clean()
        # allauth takes an empty form (phone and email both optional) and then fails.
        if not self.errors and not cleaned_data.get("phone") and not cleaned_data.get("email"):
            self.add_error("phone", ValidationError(_("Enter your mobile phone number.")))
        return cleaned_data


class ConfirmSignInCodeForm(OneTimeCodeMixin, ConfirmLoginCodeForm):
    pass


class VerifyPhoneCodeForm(OneTimeCodeMixin, VerifyPhoneForm):
    pass


class ChangeMobilePhoneForm(ChangePhoneForm):
    """allauth's page to change one's number, saying what happens to the old one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = _("New mobile phone number")
        self.fields["phone"].help_text = _(
            "We send a code to the new number; it replaces the old one once you type the code."
        )


# Invitations (issue 5).


class InvitationForm(forms.Form):
    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    phone = MobilePhoneField(
        required=False, help_text=_("The invitation goes to this number by text message.")
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("Without a mobile number, the invitation goes to this address by email."),
    )
    training_level = forms.TypedChoiceField(
        label=_("Training level"),
        choices=Supporter.Level.choices,
        coerce=int,
        initial=Supporter.Level.INTRODUCTION,
    )
    language = forms.ChoiceField(
        label=_("Language of the messages"), choices=language_choices, initial="ja"
    )

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not cleaned_data.get("phone") and not cleaned_data.get("email"):
            raise ValidationError(
                _("Give a mobile phone number or an email address to invite."), code="required"
            )
        return cleaned_data


class JoinForm(forms.Form):
    """The invitee checks their name and gives the mobile number they will sign in with."""

    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    phone = MobilePhoneField()

    def __init__(self, *args, invitation, **kwargs):
        initial = {
            "family_name": invitation.family_name,
            "given_name": invitation.given_name,
            "phone": format_national(invitation.phone),
        }
        super().__init__(*args, initial=initial, **kwargs)
        phone = self.fields["phone"]
        if invitation.email:
            phone.required = False
            phone.help_text = _(
                "Optional. With it you sign in with a code by text message; without it, with a "
                "code sent to %(email)s."
            ) % {"email": invitation.email}
        else:
            phone.help_text = _("We send a code to this number to check it.")

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if phone and User.objects.filter(phone=phone).exists():
            raise ValidationError(
                _("An account with this phone number exists already. Sign in with it."),
                code="phone_taken",
            )
        return phone


class PhoneCodeForm(OneTimeCodeMixin, forms.Form):
    code = forms.CharField(max_length=20)
