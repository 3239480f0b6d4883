"""Date and time formats per language (``FORMAT_MODULE_PATH``): pages name a format, never a pattern, so every
language shows dates its own way (``{{ value|date:"DATE_FORMAT" }}``, ``formats.date_format(value, "TIME_FORMAT")``).

Beyond Django's names (``DATE_FORMAT``, ``TIME_FORMAT``, ``DATETIME_FORMAT``, ``MONTH_DAY_FORMAT``,
``YEAR_MONTH_FORMAT``), each language module defines the portal's own: ``LONG_DATE_FORMAT``,
``MONTH_DAY_TIME_FORMAT``, ``WEEKDAY_DATE_FORMAT``, ``WEEKDAY_TIME_FORMAT``, ``WEEKDAY_DATETIME_FORMAT``,
``WEEKDAY_DATETIME_ZONE_FORMAT``, ``SHORT_WEEKDAY_DATETIME_FORMAT``, ``FULL_DATETIME_FORMAT`` and
``TIME_ZONE_FORMAT``. A new language copies one module and keeps every name.
"""
