"""`{{ user.phone|national }}`: +819012345678 shown as 090-1234-5678; `phone_with_kind` adds
"no SMS (landline)" to a fixed line."""

from django import template

from supporters.phones import format_national, national_phone

register = template.Library()


@register.filter
def national(value: str) -> str:
    return format_national(value or "")


@register.filter
def phone_with_kind(value: str) -> str:
    """The number as coordinators read it, saying when it is a landline that takes no texts."""
    return national_phone(value or "")
