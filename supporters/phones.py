"""Phone numbers as the app stores them: E.164 (+819012345678), parsed with `phonenumbers`;
shown, typed and searched for as people write them (090-1234-5678). An identity piece: every
app may import it."""

import contextlib
import hashlib
import hmac
import re

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Something a person may type for a phone number: digits, +, spaces, dashes and brackets.
PHONE_LIKE = re.compile(r"^\+?[\d\s()\-]{9,}$")


def normalize_phone(raw: str, region: str = "JP") -> str:
    """Return `raw` in E.164, reading national numbers as Japanese; raise ValidationError if bad."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """Model-field validator: the value must already be a valid number in E.164 form."""
    if not value.startswith("+") or normalize_phone(value) != value:
        raise ValidationError(
            _("Enter the phone number in international form, e.g. +819012345678."),
            code="invalid_phone",
        )


def format_national(value: str) -> str:
    """+819012345678 → 090-1234-5678 for display to Japanese readers."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def is_landline(value: str) -> bool:
    """A fixed line (027-224-1111): people may be called there, but it takes no texts."""
    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE


def national_phone(value: str) -> str:
    """A number as coordinators read it, saying when it takes no texts; "-" for none."""
    if not value:
        return "-"
    if is_landline(value):
        return _("%(phone)s · no SMS (landline)") % {"phone": format_national(value)}
    return format_national(value)


class PhoneField(forms.CharField):
    """Takes a number as coordinators write it (090-1234-5678) and cleans it to E.164."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "placeholder": "090-1234-5678"})

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_phone(value) if value else value


class PhoneAdminMixin:
    """Phone fields stored in E.164, entered and searched for the way people write numbers."""

    phone_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.phone_fields:
            kwargs["form_class"] = PhoneField
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in self.phone_fields:
            if name in form.base_fields and obj is not None and is_landline(getattr(obj, name)):
                # The number is kept for calls; texts to it are never queued.
                form.base_fields[name].help_text = _("No SMS (landline): call this number.")
        return form

    def get_search_results(self, request, queryset, search_term):
        # Coordinators search "090-1234-5678"; the database holds "+819012345678".
        term = search_term.strip()
        if PHONE_LIKE.match(term):
            with contextlib.suppress(ValidationError):
                search_term = normalize_phone(term)
        return super().get_search_results(request, queryset, search_term)


def participant_key_of(phone: str) -> str:
    """The keyed hash of a normalised phone number (HMAC-SHA256 with PARTICIPANT_KEY_SECRET):
    the same person across classes, for the distinct-people count (実人員), without the number."""
    secret = settings.PARTICIPANT_KEY_SECRET.encode()
    return hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest()
