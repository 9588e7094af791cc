"""Japanese formats digisapo names (config/formats/__init__.py); Django's ja formats do the rest."""

SHORT_WEEKDAY_DATE_FORMAT = "n/j (D)"
WEEKDAY_FORMAT = "D"
SHORT_TIME_FORMAT = "H:i"

# 3/10 (火) 10:00: the short form residents and supporters know from paper notices.
SMS_DATE_FORMAT = "n/j (D)"
SMS_TIME_FORMAT = "G:i"
SMS_DATETIME_FORMAT = "n/j (D) G:i"
