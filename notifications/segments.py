"""How many billed parts an SMS takes: GSM-7 160 / 153 per part, UCS-2 70 / 67 per part."""

from decimal import Decimal

from django.conf import settings

# The GSM 03.38 basic character set, and the extension table whose characters take two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def count_segments(text: str) -> int:
    """The number of parts `text` is split into, each billed (an empty text still costs one)."""
    if is_gsm7(text):
        length = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, part = UCS2_SINGLE, UCS2_PART
    if length <= single:
        return 1
    return -(-length // part)


def estimate_cost(segments: int) -> Decimal:
    """What `segments` parts cost at the configured price (an estimate, in yen)."""
    return settings.SMS_PRICE_PER_SEGMENT * segments
