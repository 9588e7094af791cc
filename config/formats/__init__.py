"""Date and time formats per language (FORMAT_MODULE_PATH): Django's own, plus the named formats
digisapo's code uses, so no format is written into Python. Each language in settings.LANGUAGES
has a module here defining every name in CUSTOM_FORMATS (tests/test_formats.py checks).

Django falls back to its own locale formats for the standard names (DATE_FORMAT, ...) that a
module here does not set; a custom name a module lacks would be printed as it is, hence the test.
"""

CUSTOM_FORMATS = (
    # A day in a list or a choice: "3/10 (Tue)".
    "SHORT_WEEKDAY_DATE_FORMAT",
    # The day of the week alone, abbreviated: "Tue", "火".
    "WEEKDAY_FORMAT",
    # A clock time, 24-hour: "10:00", "09:30".
    "SHORT_TIME_FORMAT",
    # In text messages, where every character counts (70 per part in Japanese).
    "SMS_DATE_FORMAT",
    "SMS_TIME_FORMAT",
    "SMS_DATETIME_FORMAT",
)
