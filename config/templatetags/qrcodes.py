"""`{% qr_svg data label %}`: a QR code as inline SVG (qrcode's path image, no Pillow needed)."""

import re

import qrcode
import qrcode.image.svg
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# qrcode sizes the image in millimetres; the page's CSS sizes it instead.
SVG_SIZE = re.compile(r' (width|height)="[^"]*"')


def qr_code_svg(data: str, label: str) -> str:
    """`data` as an SVG QR code, labelled for screen readers; scales to its container."""
    svg = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).to_string(
        encoding="unicode"
    )
    opening, rest = svg.split(">", 1)
    opening = SVG_SIZE.sub("", opening)
    # The path data is qrcode's own; only the label comes from us, and it is escaped.
    return format_html('{} role="img" aria-label="{}">', mark_safe(opening), label) + mark_safe(
        rest
    )


@register.simple_tag
def qr_svg(data, label):
    return qr_code_svg(str(data), str(label))
