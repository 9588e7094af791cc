"""The moments the tests stop the clock at, in Tokyo time (`monday_morning` in conftest.py).

Most journeys live in the week of Monday 9 March 2026, the last month of fiscal year 2025; the
shift journeys live in the week of Monday 1 June 2026 (and override `monday_10am` to say so).
"""

from datetime import datetime

from config.fiscal import TOKYO

MONDAY_10AM = datetime(2026, 3, 9, 10, 0, tzinfo=TOKYO)
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=TOKYO)
WEDNESDAY_10AM = datetime(2026, 3, 11, 10, 0, tzinfo=TOKYO)
THURSDAY_10AM = datetime(2026, 3, 12, 10, 0, tzinfo=TOKYO)
FRIDAY_2PM = datetime(2026, 3, 13, 14, 0, tzinfo=TOKYO)

JUNE_MONDAY_10AM = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
JUNE_WEDNESDAY_10AM = datetime(2026, 6, 3, 10, 0, tzinfo=TOKYO)
JUNE_THURSDAY_10AM = datetime(2026, 6, 4, 10, 0, tzinfo=TOKYO)
