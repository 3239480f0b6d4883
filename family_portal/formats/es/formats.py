"""Spanish (neutral Latin American) date and time formats: day before month, lower-case names, a 12-hour clock
as families in the US read it; see family_portal/formats/__init__.py for the names."""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 4 de marzo de 2026 (Django's abbreviations are capitalised: whole names)
LONG_DATE_FORMAT = r"j \d\e F \d\e Y"  # 4 de marzo de 2026
TIME_FORMAT = "g:i a"  # 6:00 p.m.
TIME_ZONE_FORMAT = r"g:i a T"  # 6:00 p.m. EST
DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a"  # 4 de marzo de 2026, 6:00 p.m.
MONTH_DAY_FORMAT = r"j \d\e F"  # 4 de marzo
MONTH_DAY_TIME_FORMAT = r"j \d\e F, g:i a"  # 4 de marzo, 6:00 p.m.
YEAR_MONTH_FORMAT = r"F \d\e Y"  # marzo de 2026
WEEKDAY_DATE_FORMAT = r"l j \d\e F"  # miércoles 4 de marzo
WEEKDAY_TIME_FORMAT = "D g:i a"  # mié 6:00 p.m.
WEEKDAY_DATETIME_FORMAT = r"l j \d\e F, g:i a"  # miércoles 4 de marzo, 6:00 p.m.
WEEKDAY_DATETIME_ZONE_FORMAT = r"l j \d\e F, g:i a T"  # miércoles 4 de marzo, 6:00 p.m. EST
SHORT_WEEKDAY_DATETIME_FORMAT = r"D j \d\e F, g:i a"  # mié 4 de marzo, 6:00 p.m.
FULL_DATETIME_FORMAT = r"l j \d\e F \d\e Y, g:i a"  # miércoles 4 de marzo de 2026, 6:00 p.m.

# <input type="date"> needs ISO values, so ISO comes first (what a widget without its own format renders); a typed
# Spanish day/month/year is still read.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
