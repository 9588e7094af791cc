"""Phone numbers as the app stores them: E.164 (+819012345678), parsed with `phonenumbers`."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


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
