"""Budget periods in UTC: when the current one started and when it resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PERIODS = ("day", "week", "month", "total")


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime | None]:
    """(start, resets_at) of the period containing `now`; a total budget never resets (None)."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":  # ISO weeks: Monday 00:00 UTC
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        nxt = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return start, nxt
    if period == "total":
        return EPOCH, None
    raise ValueError(f"unknown budget period {period!r}; expected one of {', '.join(PERIODS)}")


_current: dict[str, tuple[float, float, int, datetime | None]] = {}


def current_period(period: str, now_ts: float) -> tuple[int, datetime | None]:
    """(start as epoch seconds, resets_at) of the period containing `now_ts`, cached until the period
    ends: the hot path does one float comparison instead of calendar arithmetic."""
    hit = _current.get(period)
    if hit is not None and hit[0] <= now_ts < hit[1]:
        return hit[2], hit[3]
    start, resets = period_bounds(period, datetime.fromtimestamp(now_ts, UTC))
    _current[period] = (start.timestamp(), resets.timestamp() if resets else float("inf"), int(start.timestamp()),
                        resets)
    return int(start.timestamp()), resets
