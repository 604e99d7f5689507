"""Slot listing and the single-slot check: hours, breaks, buffers, notice, capacity, DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.booking.availability import check_slot, list_slots, rules_for, runs_past
from app.booking.hours import _day_plan_exact, closing_clock, day_plan, parse_opening_hours

MON = date(2026, 6, 1)
NOW = datetime(2026, 5, 31, 0, 0, tzinfo=UTC)  # the Sunday before, midnight UTC


def business(**overrides) -> dict:
    """A UTC business open on Mondays 09:00-12:00, one seat, 30-minute step, no notice."""
    base = {
        "timezone": "UTC",
        "opening_hours": {"mon": {"open": "09:00", "close": "12:00", "breaks": []}},
        "closed_dates": [],
        "slot_step_minutes": 30,
        "buffer_minutes": 0,
        "min_notice_minutes": 0,
        "horizon_days": 60,
        "max_concurrent": 1,
    }
    return base | overrides


def at(hhmm: str, day: date = MON) -> datetime:
    """A UTC instant on `day` from "HH:MM"."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=UTC)


def utc(text: str) -> datetime:
    """A UTC instant from "YYYY-MM-DD HH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(open_: str, close: str, *breaks: tuple[str, str]) -> dict:
    return {"mon": {"open": open_, "close": close, "breaks": [list(b) for b in breaks]}}


NINE_TO_ELEVEN = hours("09:00", "11:00")


@pytest.mark.parametrize(
    "overrides, duration, busy, expected",
    [
        pytest.param({"slot_step_minutes": 60}, 60, [], ["09:00", "10:00", "11:00"], id="hours"),
        pytest.param(
            {"opening_hours": hours("09:00", "13:00", ("11:00", "12:00"))},
            60,
            [],
            ["09:00", "09:30", "10:00", "12:00"],
            id="break",
        ),
        pytest.param(
            {"opening_hours": hours("09:00", "12:00", ("10:00", "10:20")), "slot_step_minutes": 45},
            15,
            [],
            ["09:00", "09:45", "10:20", "11:05"],
            id="step-restarts-after-break",
        ),
        pytest.param(
            {"slot_step_minutes": 15, "buffer_minutes": 15},
            30,
            [(at("10:30"), at("11:30"), 1)],
            ["09:00", "09:15", "09:30", "09:45", "11:30"],
            id="buffer-before-busy-and-past-closing",
        ),
        pytest.param(
            {"slot_step_minutes": 15, "max_concurrent": 2, "opening_hours": NINE_TO_ELEVEN},
            30,
            [(at("09:00"), at("10:00"), 1), (at("09:30"), at("09:45"), 1)]
            + [(at("09:50"), at("11:00"), 1)],
            ["09:00", "10:00", "10:15", "10:30"],
            id="capacity-peaks-after-start",
        ),
        pytest.param(
            {"max_concurrent": 2},
            30,
            [(at("09:00"), at("12:00"), 2)],
            [],
            id="weighted-block-fills-all-seats",
        ),
        pytest.param(
            {"max_concurrent": 2},
            60,
            [(at("09:00"), at("10:00"), 1), (at("10:00"), at("11:00"), 1)],
            ["09:00", "09:30", "10:00", "10:30", "11:00"],
            id="back-to-back-busy-is-one-seat",
        ),
    ],
)
def test_list_slots(overrides, duration, busy, expected):
    slots = list_slots(business(**overrides), duration, MON, MON, NOW, busy)
    assert slots == [at(t) for t in expected]


def test_min_notice():
    now = at("09:10")
    slots = list_slots(business(min_notice_minutes=60), 30, MON, MON, now)
    assert slots == [at("10:30"), at("11:00"), at("11:30")]


def test_horizon_counts_local_days_from_today():
    tue = {"open": "09:00", "close": "10:00"}
    biz = business(horizon_days=1, opening_hours={"mon": tue, "tue": tue})
    slots = list_slots(biz, 60, MON, MON + timedelta(days=2), NOW)
    assert slots == [at("09:00")]


def test_closed_dates_and_closed_weekdays():
    day = {"open": "09:00", "close": "10:00"}
    biz = business(opening_hours={"mon": day, "tue": day, "wed": None}, closed_dates=[MON])
    slots = list_slots(biz, 60, MON, MON + timedelta(days=2), NOW)
    assert slots == [at("09:00", MON + timedelta(days=1))]


def sunday(open_: str, close: str, tz: str, step: int) -> dict:
    return business(
        timezone=tz,
        slot_step_minutes=step,
        opening_hours={"sun": {"open": open_, "close": close}},
    )


@pytest.mark.parametrize(
    "tz, day, open_, close, step, expected",
    [
        pytest.param(
            "Europe/Madrid",
            date(2026, 3, 29),
            "01:00",
            "04:00",
            30,
            ["2026-03-29 00:00", "2026-03-29 00:30", "2026-03-29 01:00"],
            id="madrid-spring-forward",
        ),
        pytest.param(
            "Europe/Madrid",
            date(2026, 10, 25),
            "01:00",
            "04:00",
            30,
            ["2026-10-24 23:00", "2026-10-24 23:30", "2026-10-25 00:00", "2026-10-25 00:30"]
            + ["2026-10-25 02:00"],
            id="madrid-fall-back",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 3, 8),
            "01:00",
            "04:00",
            30,
            ["2026-03-08 06:00", "2026-03-08 06:30", "2026-03-08 07:00"],
            id="new-york-spring-forward",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 3, 8),
            "00:00",
            "05:00",
            45,
            ["2026-03-08 05:00", "2026-03-08 05:45", "2026-03-08 06:30"]
            + ["2026-03-08 07:00", "2026-03-08 07:45"],
            id="new-york-spring-forward-skips-02:15",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 11, 1),
            "00:00",
            "03:00",
            60,
            ["2026-11-01 04:00", "2026-11-01 05:00", "2026-11-01 07:00"],
            id="new-york-fall-back",
        ),
        pytest.param(
            "Europe/Madrid",
            date(2026, 3, 29),
            "09:00",
            "11:00",
            60,
            ["2026-03-29 07:00", "2026-03-29 08:00"],
            id="madrid-summer-time-day",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 3, 1),
            "09:00",
            "11:00",
            60,
            ["2026-03-01 14:00", "2026-03-01 15:00"],
            id="new-york-winter-day",
        ),
    ],
)
def test_dst_days(tz, day, open_, close, step, expected):
    now = datetime(2026, 2, 1, tzinfo=UTC)
    biz = sunday(open_, close, tz, step) | {"horizon_days": 365}
    assert list_slots(biz, 60, day, day, now) == [utc(t) for t in expected]


def test_fall_back_second_pass_is_not_a_slot():
    biz = sunday("00:00", "03:00", "America/New_York", 60) | {"horizon_days": 365}
    now = datetime(2026, 2, 1, tzinfo=UTC)
    # 06:00Z is the second 01:00 of the night; the offered 01:00 is 05:00Z.
    assert check_slot(biz, 60, utc("2026-11-01 06:00"), now) == "not_on_step"
    assert check_slot(biz, 60, utc("2026-11-01 05:00"), now) is None


REASONS_BIZ = business(
    opening_hours={
        "mon": {"open": "09:00", "close": "12:00", "breaks": [["10:30", "11:00"]]},
        "tue": {"open": "09:00", "close": "12:00"},
    },
    closed_dates=[MON + timedelta(days=1)],
    min_notice_minutes=60,
    horizon_days=7,
)
REASONS_NOW = at("08:30")
REASONS_BUSY = [(at("09:45"), at("10:00"), 1)]


@pytest.mark.parametrize(
    "start, expected",
    [
        (at("07:00"), "past"),
        (at("09:00"), "too_soon"),
        (at("09:00", MON + timedelta(days=14)), "beyond_horizon"),
        (at("09:00", MON + timedelta(days=1)), "closed_day"),
        (at("09:00", MON - timedelta(days=1) + timedelta(days=7)), "closed_day"),
        (at("10:30"), "outside_hours"),
        (at("10:15"), "outside_hours"),
        (at("11:45"), "outside_hours"),
        (at("12:00"), "outside_hours"),
        (at("10:00") - timedelta(minutes=5), "not_on_step"),
        (at("11:00") + timedelta(seconds=30), "not_on_step"),
        (at("09:30"), "full"),
        (at("10:00"), None),
        (at("11:00"), None),
        (at("11:30"), None),
    ],
)
def test_check_slot_reasons(start, expected):
    assert check_slot(REASONS_BIZ, 30, start, REASONS_NOW, REASONS_BUSY) == expected


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        (at("10:15"), 30, at("10:30")),  # past the break's start
        (at("11:45"), 30, at("12:00")),  # past the day's close
        (at("09:00"), 120, at("10:30")),
        (at("10:00"), 30, None),  # it fits
        (at("10:30"), 30, None),  # in the break: not within opening hours
        (at("12:00"), 30, None),  # at the close: not within them either
        (at("07:00"), 30, None),
        (at("09:00", MON + timedelta(days=1)), 30, None),  # a closed date
    ],
)
def test_runs_past_names_the_close_a_service_would_run_past(start, minutes, expected):
    assert runs_past(REASONS_BIZ, minutes, start) == expected


def test_a_close_at_midnight_reads_24_00():
    """A service that would run past a 24:00 close names it so, not as "00:00"."""
    madrid = ZoneInfo("Europe/Madrid")
    late = business(
        timezone="Europe/Madrid", opening_hours={"mon": {"open": "18:00", "close": "24:00"}}
    )
    start = datetime(2026, 6, 1, 23, 30, tzinfo=madrid)
    closes = runs_past(late, 60, start)
    assert closes == datetime(2026, 6, 2, 0, 0, tzinfo=madrid)
    assert closing_clock(closes, madrid) == "24:00"
    assert closing_clock(datetime(2026, 6, 1, 13, 0, tzinfo=madrid), madrid) == "13:00"


LATE_WINTER = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "biz, day, now",
    [
        (REASONS_BIZ, MON, REASONS_NOW),
        (sunday("00:00", "04:00", "America/New_York", 15), date(2026, 11, 1), LATE_WINTER),
        (sunday("00:00", "04:00", "Europe/Madrid", 20), date(2026, 3, 29), LATE_WINTER),
    ],
)
def test_listing_and_check_agree(biz, day, now):
    biz = biz | {"horizon_days": 365}
    listed = set(list_slots(biz, 45, day, day, now, REASONS_BUSY))
    tz = rules_for(biz).tz
    midnight = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    moments = [midnight + timedelta(minutes=m) for m in range(0, 25 * 60, 5)]
    accepted = {
        m
        for m in moments
        if m.astimezone(tz).date() == day and check_slot(biz, 45, m, now, REASONS_BUSY) is None
    }
    assert listed and accepted == listed


def every_day(*periods: tuple[int, int]) -> dict[int, tuple[tuple[int, int], ...]]:
    """The same open periods (minutes since local midnight) on all seven weekdays."""
    return {weekday: periods for weekday in range(7)}


# (opening hours, step): a split day, a whole day, and a night window across the usual DST instants.
PLAN_TABLES = [
    (every_day((9 * 60, 13 * 60), (14 * 60, 20 * 60)), 15),
    (every_day((0, 24 * 60)), 30),
    (every_day((60, 3 * 60 + 30)), 10),
]
# One year holds every zone's changes of both hemispheres.
PLAN_DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Madrid",
        "America/Santiago",  # changes at midnight
        "America/Havana",  # changes at midnight
        "Australia/Lord_Howe",  # 30-minute DST
        "Asia/Kathmandu",  # +05:45
        "America/New_York",
        "UTC",
    ],
)
def test_day_plan_matches_exact_path(zone):
    tz = ZoneInfo(zone)
    for table, step in PLAN_TABLES:
        for day in PLAN_DAYS:
            expected = _day_plan_exact(tz, table.get(day.weekday(), ()), step, day)
            assert day_plan(tz, table, frozenset(), step, day) == expected, (day, step)


@pytest.mark.parametrize(
    "raw",
    [
        {"monday": {"open": "09:00", "close": "10:00"}},
        {"mon": {"open": "10:00", "close": "09:00"}},
        {"mon": {"open": "9", "close": "10:00"}},
        {"mon": {"open": "09:00", "close": "25:00"}},
        {"mon": {"open": "09:00", "close": "10:00", "breaks": [["09:30"]]}},
        {"mon": "09:00-10:00"},
    ],
)
def test_malformed_opening_hours_are_rejected(raw):
    with pytest.raises(ValueError):
        parse_opening_hours(raw)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        check_slot(business(), 30, datetime(2026, 6, 1, 9, 0), NOW)


def test_an_opening_inside_the_spring_forward_gap_opens_right_after_it():
    """Madrid jumps from 02:00 to 03:00 on 28 March 2027: a business opening at 02:30 opens at
    03:00, the first wall minute that exists (fold=0 read it as 03:30)."""
    business = {
        "timezone": "Europe/Madrid",
        "opening_hours": {"sun": {"open": "02:30", "close": "08:00"}},
        "slot_step_minutes": 15,
        "min_notice_minutes": 0,
        "max_concurrent": 1,
    }
    day, now = date(2027, 3, 28), datetime(2027, 3, 20, tzinfo=UTC)
    madrid = ZoneInfo("Europe/Madrid")
    three = datetime(2027, 3, 28, 3, 0, tzinfo=madrid).astimezone(UTC)
    slots = list_slots(business, 30, day, day, now)
    assert slots[0] == three
    assert check_slot(business, 30, three, now) is None
