import unicodedata
from datetime import timedelta

from allauth.account.forms import (
    ChangePhoneForm,
    ConfirmLoginCodeForm,
    RequestLoginCodeForm,
    VerifyPhoneForm,
)
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.i18n import language_choices
from notifications.services import has_relative_link
from sessions.models import Session
from supporters.broadcasts import BROADCAST_MAX_LENGTH, broadcast_recipients
from supporters.models import Availability, Skill, Supporter, User
from supporters.phones import format_national, normalize_phone
from supporters.services import TOKEN_NAME_MAX_LENGTH, sign_in_code_wait_minutes
from venues.models import District


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. “calendar on my PC”."),
    )


class AvailabilityForm(forms.Form):
    """When a supporter is usually free: a checkbox per weekday and part of the day, each
    checkbox's value `<weekday>-<part>` (`1-afternoon`: Tuesday afternoon)."""

    slots = forms.MultipleChoiceField(
        label=_("When I am usually free"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (f"{weekday}-{part}", label)
            for weekday, _weekday_label in Availability.WEEKDAYS
            for part, label in Availability.Part.choices
        ],
    )

    @classmethod
    def for_supporter(cls, supporter, data=None):
        current = [f"{slot.weekday}-{slot.part}" for slot in supporter.availability.all()]
        return cls(data, initial={"slots": current})

    def cleaned_slots(self) -> list[tuple[int, str]]:
        pairs = (value.split("-", 1) for value in self.cleaned_data["slots"])
        return [(int(weekday), part) for weekday, part in pairs]

    def weekdays(self) -> list[tuple[str, list]]:
        """(weekday's name, its checkboxes: morning, afternoon) for the page's grid."""
        checks = list(self["slots"])
        parts = len(Availability.Part.choices)
        return [
            (label, checks[n * parts : (n + 1) * parts])
            for n, (_weekday, label) in enumerate(Availability.WEEKDAYS)
        ]


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


def code_limit_message(phone: str, action: str = "request_login_code"):
    """Why no code is sent to `phone`, and for how long: the minutes left at its limit, else
    (the limit from one network, which counts no number) the plain message."""
    minutes = sign_in_code_wait_minutes(phone, action) if phone else 0
    if not minutes:
        return RATE_LIMITED_MESSAGE
    return ngettext(
        "Too many codes have been sent to this number. Please wait %(minutes)d more minute, "
        "then ask for a new code.",
        "Too many codes have been sent to this number. Please wait %(minutes)d more minutes, "
        "then ask for a new code.",
        minutes,
    ) % {"minutes": minutes}


def wrong_codes_message(phone: str) -> str:
    """allauth ended a sign-in after the last wrong code: what now, and when."""
    minutes = sign_in_code_wait_minutes(phone) if phone else 0
    tries = settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS
    if not minutes:
        return ngettext(
            "The code was typed wrong %(tries)d time. Ask for a new code.",
            "The code was typed wrong %(tries)d times. Ask for a new code.",
            tries,
        ) % {"tries": tries}
    return ngettext(
        "The code was typed wrong %(tries)d times, and this number has had all the codes it may "
        "get for now. Please wait %(minutes)d more minute, then ask for a new code.",
        "The code was typed wrong %(tries)d times, and this number has had all the codes it may "
        "get for now. Please wait %(minutes)d more minutes, then ask for a new code.",
        minutes,
    ) % {"tries": tries, "minutes": minutes}


class RequestSignInCodeForm(RequestLoginCodeForm):
    """allauth's "send me a code" with the phone first, and a plain word when rate-limited."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.order_fields(["phone", "email"])

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return self._with_plain_rate_limit_message(super().clean_phone, phone)

    def clean_email(self):
        return self._with_plain_rate_limit_message(super().clean_email, "")

    @staticmethod
    def _with_plain_rate_limit_message(clean, phone):
        try:
            return clean()
        except ValidationError as error:
            if getattr(error, "code", None) == "too_many_login_attempts":
                message = code_limit_message(phone)
                raise ValidationError(message, code="rate_limited") from error
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


# Coordinators' broadcasts (supporters.broadcasts) ------------------------------------------

# How far ahead the broadcast form lists sessions whose roster can be texted.
BROADCAST_SESSIONS_AHEAD = timedelta(days=90)


def supporters_matching(supporters, search: str):
    """Those of `supporters` whose name (or its kana) holds each word of `search`."""
    for word in unicodedata.normalize("NFKC", search).split():
        supporters = supporters.filter(
            Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name_kana__icontains=word)
            | Q(given_name_kana__icontains=word)
        )
    return supporters


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, session):
        local = timezone.localtime(session.starts_at)
        label = _("%(date)s %(time)s %(place)s · %(kind)s") % {
            "date": date_format(local, "SHORT_WEEKDAY_DATE_FORMAT"),
            "time": time_format(local, "SHORT_TIME_FORMAT"),
            "place": session.place_label,
            "kind": session.title or session.get_kind_display(),
        }
        if session.is_cancelled:
            return _("%(session)s (cancelled)") % {"session": label}
        return label


class SupporterChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, supporter):
        if supporter.district:
            return _("%(name)s (%(district)s)") % {
                "name": supporter,
                "district": supporter.district,
            }
        return str(supporter)


class BroadcastForm(forms.Form):
    """Who gets a coordinator's message, and the message. Each way of choosing adds people."""

    everyone = forms.BooleanField(label=_("Every active supporter"), required=False)
    districts = forms.ModelMultipleChoiceField(
        District.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Active supporters in these districts"),
    )
    skills = forms.ModelMultipleChoiceField(
        Skill.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Active supporters who help with"),
        help_text=_("With districts too: those in the districts who help with any of these."),
    )
    session = SessionChoiceField(
        Session.objects.none(),
        required=False,
        empty_label=_("No session"),
        label=_("Everyone on a session's roster"),
        help_text=_("Supporters with a place, an offered place or a place in line."),
    )
    supporters = SupporterChoiceField(
        Supporter.objects.exclude(status=Supporter.Status.WITHDRAWN).select_related("district"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("These supporters"),
        help_text=_("Tick each supporter who should get it; find them by name with the search."),
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=BROADCAST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Sent as you write it, signed by the office. In Japanese 70 characters make one "
            "message; a longer one goes in parts of 67, each billed."
        ),
    )
    # Set on the preview page: sending the same preview twice queues each text once.
    key = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$")],
    )

    def __init__(self, *args, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if search and not self.is_bound:
            # The page's search (?q=, no JavaScript needed) lists the supporters it matches.
            self.fields["supporters"].queryset = supporters_matching(
                self.fields["supporters"].queryset, search
            )
        now = timezone.now()
        self.fields["session"].queryset = (
            Session.objects.not_ended()
            .filter(starts_at__lt=now + BROADCAST_SESSIONS_AHEAD)
            .select_related("venue")
            .order_by("starts_at", "pk")
        )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if has_relative_link(text):
            raise forms.ValidationError(
                _("Write links in full, starting with https://, so phones can open them."),
                code="relative_link",
            )
        return text

    def clean(self):
        cleaned = super().clean()
        chosen = ("everyone", "districts", "skills", "session", "supporters")
        if not self.errors and not any(cleaned.get(name) for name in chosen):
            raise forms.ValidationError(
                _(
                    "Choose who gets the message: everyone, districts or skills, a session's "
                    "roster, or supporters by name."
                ),
                code="no_one",
            )
        return cleaned

    def recipients(self):
        """The chosen supporters (a queryset), each once."""
        values = self.cleaned_data
        return broadcast_recipients(
            everyone=values["everyone"],
            districts=values["districts"],
            skills=values["skills"],
            session=values["session"],
            supporters=values["supporters"],
        )
