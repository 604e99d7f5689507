"""Slot availability: pure functions over a business dict, busy intervals and `now`.

`list_slots` and `check_slot` share one verdict function, so the slots offered to a customer and
the slots accepted by `book` can never disagree.

Buffer rule: the service itself, [start, start + duration), must fit inside one open period. The
buffer (clean-up time after it) may run past a break or closing time, since it only protects the
next appointment and none starts there. Capacity is counted over [start, start + duration +
buffer), and existing appointments are passed in as [starts_at, ends_at + buffer).
DST rule: see `app.booking.hours`.
Staff rule: a booking or move made by staff (the front desk) skips the business's minimum notice,
so a customer standing at the desk can be booked into the next free time; it may still not start
in the past, and every other rule (horizon, opening hours, step, capacity, blocked and calendar
busy time) holds. The bot always applies the minimum notice. `for_staff` is that rule.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.booking.hours import DayPlan, Period, day_plan, parse_opening_hours, wall_to_utc

PAST = "past"
TOO_SOON = "too_soon"
BEYOND_HORIZON = "beyond_horizon"
CLOSED_DAY = "closed_day"
OUTSIDE_HOURS = "outside_hours"
NOT_ON_STEP = "not_on_step"
FULL = "full"

# (start, end, weight): an appointment weighs 1; a block that must close the business weighs
# its capacity.
Busy = tuple[datetime, datetime, int]


@dataclass(frozen=True)
class Rules:
    """The booking rules of one business, parsed and checked once."""

    tz: ZoneInfo
    hours: Mapping[int, tuple[Period, ...]]
    closed_dates: frozenset[date]
    step_minutes: int
    buffer: timedelta
    min_notice: timedelta
    horizon_days: int
    capacity: int

    def today(self, now: datetime) -> date:
        """The business's local date at `now`."""
        return now.astimezone(self.tz).date()

    def last_day(self, now: datetime) -> date:
        """The last local date a slot may start on."""
        return self.today(now) + timedelta(days=self.horizon_days)


def rules_for(business: Mapping) -> Rules:
    """Parse a business dict into `Rules`; ValueError when its configuration is unusable."""
    try:
        tz = ZoneInfo(business.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {business.get('timezone')!r}") from None
    ints = {
        key: int(business.get(key, default))
        for key, default in (
            ("slot_step_minutes", 15),
            ("buffer_minutes", 0),
            ("min_notice_minutes", 60),
            ("horizon_days", 60),
            ("max_concurrent", 1),
        )
    }
    if ints["slot_step_minutes"] < 1 or ints["max_concurrent"] < 1 or ints["horizon_days"] < 0:
        raise ValueError("slot step, capacity and horizon must be positive")
    return Rules(
        tz=tz,
        hours=parse_opening_hours(business.get("opening_hours")),
        closed_dates=frozenset(_as_date(d) for d in business.get("closed_dates") or ()),
        step_minutes=ints["slot_step_minutes"],
        buffer=timedelta(minutes=max(0, ints["buffer_minutes"])),
        min_notice=timedelta(minutes=max(0, ints["min_notice_minutes"])),
        horizon_days=ints["horizon_days"],
        capacity=ints["max_concurrent"],
    )


def for_staff(business: Mapping) -> dict:
    """The business's rules as they apply to staff: no minimum notice (the past stays closed)."""
    return {**business, "min_notice_minutes": 0}


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class Load:
    """How many busy intervals overlap each instant: a sweep over their start and end events."""

    def __init__(self, busy: Iterable[Busy]):
        deltas: dict[datetime, int] = {}
        for start, end, weight in busy:
            if end > start and weight > 0:
                deltas[start] = deltas.get(start, 0) + weight
                deltas[end] = deltas.get(end, 0) - weight
        self._times = sorted(deltas)
        # _levels[i] is the load on [_times[i], _times[i + 1]); ends and starts at the same
        # instant are summed first, which is what half-open intervals mean.
        self._levels = list(accumulate(deltas[t] for t in self._times))

    def peak(self, start: datetime, end: datetime) -> int:
        """The highest load at any instant of [start, end)."""
        after = bisect_right(self._times, start)  # first change strictly after start
        before_end = bisect_left(self._times, end)  # first change at or after end
        at_start = self._levels[after - 1] if after > 0 else 0
        return max([at_start, *self._levels[after:before_end]])


def verdict(
    rules: Rules,
    plan: DayPlan,
    start: datetime,
    duration: timedelta,
    now: datetime,
    load: Load,
) -> str | None:
    """The first rule `start` breaks (a reason code), or None when it can be booked."""
    if start < now:
        return PAST
    if start < now + rules.min_notice:
        return TOO_SOON
    if plan.day > rules.last_day(now):
        return BEYOND_HORIZON
    if not plan.periods:
        return CLOSED_DAY
    if not plan.contains(start, start + duration):
        return OUTSIDE_HOURS
    if start not in plan.starts:
        return NOT_ON_STEP
    if load.peak(start, start + duration + rules.buffer) >= rules.capacity:
        return FULL
    return None


def plan_for(rules: Rules, day: date) -> DayPlan:
    """The `DayPlan` of a local date under `rules`."""
    return day_plan(rules.tz, rules.hours, rules.closed_dates, rules.step_minutes, day)


def check_slot(
    business: Mapping,
    duration_minutes: int,
    start: datetime,
    now: datetime,
    busy: Iterable[Busy] = (),
) -> str | None:
    """Why `start` cannot be booked for a service of `duration_minutes` (None when it can)."""
    _require_aware(start, now)
    rules = rules_for(business)
    start = start.astimezone(UTC)
    plan = plan_for(rules, start.astimezone(rules.tz).date())
    return verdict(rules, plan, start, _duration(duration_minutes), now, Load(busy))


def runs_past(business: Mapping, duration_minutes: int, start: datetime) -> datetime | None:
    """When `start` is within opening hours but a service of `duration_minutes` would run past
    the end of that period (a break or the day's close): that end. Otherwise None."""
    _require_aware(start)
    rules = rules_for(business)
    start = start.astimezone(UTC)
    closing = plan_for(rules, start.astimezone(rules.tz).date()).closing(start)
    if closing is not None and start + _duration(duration_minutes) > closing:
        return closing
    return None


def list_slots(
    business: Mapping,
    duration_minutes: int,
    day_from: date,
    day_to: date,
    now: datetime,
    busy: Iterable[Busy] = (),
) -> list[datetime]:
    """Bookable slot starts (UTC, ascending) on local dates day_from..day_to inclusive."""
    _require_aware(now)
    rules = rules_for(business)
    duration, load = _duration(duration_minutes), Load(busy)
    day = max(day_from, rules.today(now))
    last = min(day_to, rules.last_day(now))
    slots: list[datetime] = []
    while day <= last:
        plan = plan_for(rules, day)
        slots.extend(
            start
            for start in sorted(plan.starts)
            if verdict(rules, plan, start, duration, now, load) is None
        )
        day += timedelta(days=1)
    return slots


def utc_window(business: Mapping, day_from: date, day_to: date) -> tuple[datetime, datetime]:
    """UTC instants from local midnight of day_from to local midnight after day_to."""
    tz = rules_for(business).tz
    return wall_to_utc(tz, day_from, 0), wall_to_utc(tz, day_to + timedelta(days=1), 0)


def _duration(minutes: int) -> timedelta:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ValueError(f"duration must be a positive number of minutes, got {minutes!r}")
    return timedelta(minutes=minutes)


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
