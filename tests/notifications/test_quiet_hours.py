"""Quiet-hours placement across time zones and DST (consent-and-privacy §12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.quiet_hours import (
    area_code_zones,
    earliest_waking_at_or_after,
    is_waking,
    latest_waking_at_or_before,
    place_earlier,
    zones_for,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
PHX = ZoneInfo("America/Phoenix")  # no DST
KOLKATA = ZoneInfo("Asia/Kolkata")


def wall(moment: datetime, tz: ZoneInfo) -> tuple[int, ...]:
    """Local wall-clock (year, month, day, hour, minute) of ``moment`` in ``tz``."""
    return tuple(moment.astimezone(tz).timetuple())[:5]


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def test_inside_window_is_unchanged() -> None:
    moment = local(NY, 2026, 5, 5, 14, 0)
    assert place_earlier(moment, NY) == moment


def test_nine_pm_exactly_is_allowed_and_one_minute_later_is_not() -> None:
    assert is_waking(local(NY, 2026, 5, 5, 21, 0), [NY])
    assert not is_waking(local(NY, 2026, 5, 5, 21, 1), [NY])
    assert is_waking(local(NY, 2026, 5, 5, 8, 0), [NY])
    assert not is_waking(local(NY, 2026, 5, 5, 7, 59), [NY])


def test_late_evening_moves_back_to_nine_pm_same_day() -> None:
    placed = place_earlier(local(NY, 2026, 5, 5, 22, 30), NY)
    assert placed.astimezone(NY) == local(NY, 2026, 5, 5, 21, 0)


def test_early_morning_moves_back_to_nine_pm_previous_day() -> None:
    placed = place_earlier(local(LA, 2026, 5, 5, 6, 0), LA)
    assert placed.astimezone(LA) == local(LA, 2026, 5, 4, 21, 0)


def test_placement_across_spring_forward() -> None:
    # 2026-03-08: New York skips 2:00→3:00. A 7:00 AM (EDT) target moves to 9 PM EST the evening before.
    placed = place_earlier(local(NY, 2026, 3, 8, 7, 0), NY)
    assert wall(placed, NY) == (2026, 3, 7, 21, 0)
    assert placed.astimezone(NY).utcoffset() == timedelta(hours=-5)
    assert placed == datetime(2026, 3, 8, 2, 0, tzinfo=UTC)


def test_placement_across_fall_back() -> None:
    # 2026-11-01: New York repeats 1:00–2:00. A 1:30 AM target (either fold) moves to 9 PM EDT on Oct 31.
    for fold in (0, 1):
        target = datetime(2026, 11, 1, 1, 30, tzinfo=NY, fold=fold)
        placed = place_earlier(target, NY)
        assert placed == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # 9 PM EDT (UTC−4)


def test_twenty_four_hours_before_a_session_across_dst_is_real_elapsed_time() -> None:
    start = local(NY, 2026, 3, 8, 18, 0)  # Sunday 6 PM EDT; clocks sprang forward that morning
    reminder = latest_waking_at_or_before(start.astimezone(UTC) - timedelta(hours=24), [NY])
    assert reminder is not None
    assert wall(reminder, NY) == (2026, 3, 7, 17, 0)  # 24 real hours = 5 PM EST


def test_phoenix_has_no_dst() -> None:
    placed = place_earlier(local(PHX, 2026, 7, 1, 23, 0), PHX)
    assert placed.astimezone(PHX) == local(PHX, 2026, 7, 1, 21, 0)


def test_half_hour_zone() -> None:
    placed = place_earlier(local(KOLKATA, 2026, 1, 2, 5, 0), KOLKATA)
    assert placed.astimezone(KOLKATA) == local(KOLKATA, 2026, 1, 1, 21, 0)


def test_profile_zone_and_area_code_zone_must_both_allow() -> None:
    zones = zones_for(NY, "+14155550100")  # profile New York, number from San Francisco
    assert [z.key for z in zones] == ["America/New_York", "America/Los_Angeles"]
    # 9:30 AM in New York is 6:30 AM in LA: move back to 9 PM New York the evening before (6 PM LA).
    placed = latest_waking_at_or_before(local(NY, 2026, 5, 5, 9, 30), zones)
    assert placed is not None and placed.astimezone(NY) == local(NY, 2026, 5, 4, 21, 0)
    later = earliest_waking_at_or_after(local(NY, 2026, 5, 5, 9, 30), zones)
    assert later is not None and later.astimezone(LA) == local(LA, 2026, 5, 5, 8, 0)


def test_unknown_area_code_adds_no_zone() -> None:
    assert area_code_zones("+441632960001") == []
    assert zones_for(NY, None) == [NY]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; values get UTC below
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from([NY, LA, PHX, KOLKATA, ZoneInfo("Europe/London"), ZoneInfo("Australia/Lord_Howe")]),
)
def test_placement_is_never_later_and_always_waking(moment: datetime, tz: ZoneInfo) -> None:
    placed = latest_waking_at_or_before(moment, [tz])
    assert placed is not None
    assert placed <= moment
    assert is_waking(placed, [tz])
    assert moment - placed < timedelta(hours=12)
