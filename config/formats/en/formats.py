"""English formats digisapo names (config/formats/__init__.py); Django's en formats do the rest.

Times stay on the 24-hour clock, as in Japan, rather than Django's English "10 a.m.".
"""

SHORT_WEEKDAY_DATE_FORMAT = "n/j (D)"
WEEKDAY_FORMAT = "D"
SHORT_TIME_FORMAT = "H:i"

SMS_DATE_FORMAT = "n/j (D)"
SMS_TIME_FORMAT = "G:i"
SMS_DATETIME_FORMAT = "n/j (D) G:i"
