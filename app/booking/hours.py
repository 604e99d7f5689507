"""Opening hours in a business's timezone, turned into UTC open periods and slot starts.

DST rule: local wall-clock times are built with zoneinfo and fold=0, then converted to UTC.
- Spring forward: a slot start whose wall time does not exist (it falls in the gap) is skipped.
  A period boundary in the gap is the first wall minute after the gap (`clock_reaches`).
- Fall back: a repeated wall time means its first occurrence (fold=0). The second pass through
  the repeated hour offers no slot starts of its own, so every offered wall-clock label maps to
  exactly one instant and a customer saying "01:30" is never ambiguous.
Durations are real elapsed time: a 60-minute service is 60 minutes in UTC whatever the clock does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60

# An open period as minutes since local midnight, half-open: [open, close).
Period = tuple[int, int]


@dataclass(frozen=True)
class DayPlan:
    """One local day: its open periods (UTC, real time) and its step-grid slot starts (UTC)."""

    day: date
    periods: tuple[tuple[datetime, datetime], ...]
    starts: frozenset[datetime]

    def contains(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) lies inside a single open period."""
        return any(lo <= start and end <= hi for lo, hi in self.periods)

    def closing(self, start: datetime) -> datetime | None:
        """The end of the open period `start` falls in (a break or the day's close), or None
        when `start` is not within opening hours."""
        return next((hi for lo, hi in self.periods if lo <= start < hi), None)


def parse_opening_hours(raw: Mapping | None) -> dict[int, tuple[Period, ...]]:
    """Map weekday (0 = Monday) to its open periods with breaks cut out; ValueError if malformed."""
    raw = raw or {}
    unknown = set(raw) - set(DAYS)
    if unknown:
        raise ValueError(f"unknown day names in opening hours: {sorted(unknown)}")
    hours: dict[int, tuple[Period, ...]] = {}
    for weekday, name in enumerate(DAYS):
        spec = raw.get(name)
        if not spec:
            continue  # A missing or null day is closed.
        if not isinstance(spec, Mapping):
            raise ValueError(f"{name}: expected an object with open/close, got {spec!r}")
        opens, closes = _minutes(spec.get("open")), _minutes(spec.get("close"))
        if closes <= opens:
            raise ValueError(f"{name}: close {spec.get('close')!r} is not after open")
        hours[weekday] = _cut((opens, closes), spec.get("breaks") or [], name)
    return hours


def clock(minute: int) -> str:
    """Minutes since local midnight as "HH:MM"; the end of the day is "24:00"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def closing_clock(closes: datetime, tz: ZoneInfo) -> str:
    """The end of an open period as the business's clock says it: a close at midnight is the
    end of its day, "24:00" (not "00:00", which reads as the start)."""
    local = closes.astimezone(tz)
    return clock(local.hour * 60 + local.minute or DAY_MINUTES)


def _minutes(text: object) -> int:
    """Minutes since midnight of an "HH:MM" string ("24:00" is the end of the day)."""
    try:
        hh, mm = str(text).split(":")
        hours, minutes = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"expected a time like '09:30', got {text!r}") from None
    value = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= value <= DAY_MINUTES):
        raise ValueError(f"time out of range: {text!r}")
    return value


def _cut(period: Period, breaks: Iterable, name: str) -> tuple[Period, ...]:
    """Remove each break from the period, keeping the non-empty pieces in order."""
    pieces = [period]
    for item in breaks:
        try:
            b_start, b_end = (_minutes(t) for t in item)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: a break must be ['HH:MM', 'HH:MM'], got {item!r}") from None
        if b_end <= b_start:
            raise ValueError(f"{name}: break {item!r} ends before it starts")
        pieces = [
            piece
            for lo, hi in pieces
            for piece in ((lo, min(hi, b_start)), (max(lo, b_end), hi))
            if piece[0] < piece[1]
        ]
    return tuple(pieces)


def wall_to_utc(tz: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant of local wall time `day` + `minute` minutes, read with fold=0."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def wall_exists(tz: ZoneInfo, day: date, minute: int) -> bool:
    """Whether the wall time exists (is not skipped by a spring-forward gap)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall_to_utc(tz, day, minute).astimezone(tz).replace(tzinfo=None) == naive


def day_plan(
    tz: ZoneInfo,
    hours: Mapping[int, tuple[Period, ...]],
    closed_dates: frozenset[date],
    step_minutes: int,
    day: date,
) -> DayPlan:
    """Open periods and candidate slot starts of one local day (empty when closed).

    Most days keep one UTC offset through their opening hours, so every wall minute is a fixed
    shift of one instant and the slot grid needs no zoneinfo call per slot; the rest (a DST
    change inside or at the edge of the hours) take the exact per-minute path.
    """
    if day in closed_dates:
        return DayPlan(day, (), frozenset())
    day_periods = hours.get(day.weekday(), ())
    if not day_periods:
        return DayPlan(day, (), frozenset())
    origin = _steady_origin(tz, day, day_periods)
    if origin is None:
        return _day_plan_exact(tz, day_periods, step_minutes, day)
    minute = timedelta(minutes=1)
    periods = tuple(
        (origin + opens * minute, origin + closes * minute) for opens, closes in day_periods
    )
    # The grid restarts at each period start, as on the exact path.
    starts = frozenset(
        origin + m * minute
        for opens, closes in day_periods
        for m in range(opens, closes, step_minutes)
    )
    return DayPlan(day, periods, starts)


def _steady_origin(tz: ZoneInfo, day: date, periods: tuple[Period, ...]) -> datetime | None:
    """The UTC instant wall minute 0 of `day` maps to when the day's hours keep one offset.

    Every opening and closing minute must exist and read the same UTC offset; then wall minute m
    of the day's periods is that instant plus m minutes. None (take the exact path) otherwise.
    zoneinfo lists no transitions, so this assumes no zone changes its offset and changes it
    back inside one open period.
    """
    midnight = datetime.combine(day, time())
    offset = None
    for minute in sorted({m for period in periods for m in period}):
        local = wall_to_utc(tz, day, minute).astimezone(tz)
        if local.replace(tzinfo=None) != midnight + timedelta(minutes=minute):
            return None  # In a spring-forward gap.
        if offset is None:
            offset = local.utcoffset()
        elif local.utcoffset() != offset:
            return None
    return (midnight - offset).replace(tzinfo=UTC)


def clock_reaches(tz: ZoneInfo, day: date, minute: int) -> datetime:
    """The first instant the clock of `day` reads `minute` or later: a boundary (an opening,
    a close, the start of quiet hours) as an instant. One skipped by a spring-forward gap is the
    first wall minute after the gap (fold=0 would read it with the offset from before the
    change, an hour late)."""
    last = minute
    while not wall_exists(tz, day, last) and last < minute + 24 * 60:
        last += 1
    return wall_to_utc(tz, day, last)


def _day_plan_exact(
    tz: ZoneInfo, day_periods: tuple[Period, ...], step_minutes: int, day: date
) -> DayPlan:
    """The plan of an open day converting every wall minute on its own: right across any offset
    change."""
    periods = []
    starts = set()
    for opens, closes in day_periods:
        periods.append((clock_reaches(tz, day, opens), clock_reaches(tz, day, closes)))
        # The grid restarts at each period start, so the first slot after a break is its end.
        starts.update(
            wall_to_utc(tz, day, m)
            for m in range(opens, closes, step_minutes)
            if wall_exists(tz, day, m)
        )
    return DayPlan(day, tuple(periods), frozenset(starts))
