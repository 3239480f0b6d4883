"""English (US) date and time formats; see family_portal/formats/__init__.py for the names."""

DATE_FORMAT = "M j, Y"  # Mar 4, 2026
LONG_DATE_FORMAT = "F j, Y"  # March 4, 2026
TIME_FORMAT = "g:i A"  # 6:00 PM
TIME_ZONE_FORMAT = "g:i A T"  # 6:00 PM EST
DATETIME_FORMAT = "M j, Y, g:i A"  # Mar 4, 2026, 6:00 PM
MONTH_DAY_FORMAT = "M j"  # Mar 4
MONTH_DAY_TIME_FORMAT = "M j, g:i A"  # Mar 4, 6:00 PM
YEAR_MONTH_FORMAT = "F Y"  # March 2026
WEEKDAY_DATE_FORMAT = "l, F j"  # Wednesday, March 4
WEEKDAY_TIME_FORMAT = "D g:i A"  # Wed 6:00 PM
WEEKDAY_DATETIME_FORMAT = "l, F j, g:i A"  # Wednesday, March 4, 6:00 PM
WEEKDAY_DATETIME_ZONE_FORMAT = "l, F j, g:i A T"  # Wednesday, March 4, 6:00 PM EST
SHORT_WEEKDAY_DATETIME_FORMAT = "D, M j, g:i A"  # Wed, Mar 4, 6:00 PM
FULL_DATETIME_FORMAT = "l, F j, Y, g:i A"  # Wednesday, March 4, 2026, 6:00 PM
