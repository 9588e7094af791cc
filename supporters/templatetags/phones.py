"""`{{ user.phone|national }}`: +819012345678 shown as 090-1234-5678."""

from django import template

from supporters.phones import format_national

register = template.Library()


@register.filter
def national(value: str) -> str:
    return format_national(value or "")
