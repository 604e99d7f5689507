"""The dates and times customers write, resolved by app/flow/dates.py (pure functions)."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.flow.dates import (
    day_words,
    is_week,
    parse_date,
    parse_time,
    time_window,
    weekday_disagrees,
)

# A Wednesday; every relative date below counts from it.
TODAY = date(2026, 6, 10)

DATES = [
    ("today", date(2026, 6, 10)),
    ("this afternoon", date(2026, 6, 10)),
    ("tomorrow", date(2026, 6, 11)),
    ("tmrw at 5", date(2026, 6, 11)),
    ("day after tomorrow", date(2026, 6, 12)),
    ("in 3 days", date(2026, 6, 13)),
    ("wednesday", date(2026, 6, 10)),
    ("next wednesday", date(2026, 6, 17)),
    ("friday", date(2026, 6, 12)),
    ("next friday", date(2026, 6, 12)),
    ("on Monday", date(2026, 6, 15)),
    ("tue", date(2026, 6, 16)),
    ("thurs", date(2026, 6, 11)),
    ("Sunday", date(2026, 6, 14)),
    ("2026-11-24", date(2026, 11, 24)),
    ("2027-1-5", date(2027, 1, 5)),
    ("3/12", date(2026, 12, 3)),
    ("3.12.", date(2026, 12, 3)),
    ("03/12/2027", date(2027, 12, 3)),
    ("1/6/27", date(2027, 6, 1)),
    ("1/6", date(2026, 6, 1)),  # already past: stays past, for the caller to refuse
    ("3rd of december", date(2026, 12, 3)),
    ("December 3rd", date(2026, 12, 3)),
    ("24 June", date(2026, 6, 24)),
    ("5 jan", date(2027, 1, 5)),
    ("sept 1", date(2026, 9, 1)),
    ("book a haircut on 24 june at 17:00", date(2026, 6, 24)),
    # A day of the month alone: this month's, or next month's once it went by.
    ("the 15th", date(2026, 6, 15)),
    ("can I book a haircut on the 15th at 5pm?", date(2026, 6, 15)),
    ("15th", date(2026, 6, 15)),
    ("the 8th", date(2026, 7, 8)),
    ("on the 3rd", date(2026, 7, 3)),
    ("the 31st", date(2026, 7, 31)),  # June has no 31st
    ("el día 20", date(2026, 6, 20)),
    # A weekday with a date: the date ("Saturday 27 June", not the next Saturday).
    ("haircut saturday 27 june at 10", date(2026, 6, 27)),
    ("el sábado 27 de junio a las 10", date(2026, 6, 27)),
    ("friday 27 june", date(2026, 6, 27)),  # not a Friday: see test_weekday_disagrees
    ("next tuesday at 10 may be fine", date(2026, 6, 16)),  # "10 may" is a time here
    ("book a haircut from 10 may", date(2026, 5, 10)),  # past: refused by the caller
    ("any haircut free around 10 may?", date(2026, 5, 10)),
    ("tuesday at 10.05", date(2026, 6, 16)),
    ("", None),
    ("whenever suits you", None),
    ("the 3rd", None),  # "the 3rd" (up to the 5th) picks from a list; "on the 3rd" is a day
    ("the 2nd one", None),
    ("december", None),
    ("31/02", None),
    ("2026-02-30", None),
    ("13/13", None),
]

TIMES = [
    ("17:00", time(17, 0)),
    ("9:15", time(9, 15)),
    ("10.30", time(10, 30)),
    ("5pm", time(17, 0)),
    ("5 PM", time(17, 0)),
    ("5.30 pm", time(17, 30)),
    ("5 p.m.", time(17, 0)),
    ("9am", time(9, 0)),
    ("12pm", time(12, 0)),
    ("12am", time(0, 0)),
    ("17h", time(17, 0)),
    ("17h30", time(17, 30)),
    ("at 5", time(17, 0)),  # nobody books a salon at 5 a.m.
    ("at 5:30", time(17, 30)),
    ("at 9", time(9, 0)),
    ("at 13", time(13, 0)),
    ("02:00", time(2, 0)),  # a leading zero is the 24-hour clock, not 14:00
    ("2 a.m.", time(2, 0)),
    ("at 2 a.m.", time(2, 0)),
    ("noon", time(12, 0)),
    ("midday", time(12, 0)),
    ("tomorrow at 10:00", time(10, 0)),
    ("book a haircut friday at 11", time(11, 0)),
    ("what about 11?", time(11, 0)),
    ("how about 3 people", None),
    ("my son is about 8", None),
    ("move it to 12", None),  # a bare "to N" is a time only in a move (below)
    ("haircut at 5, cut it down to 2 inches", time(17, 0)),
    ("half past 4", time(16, 30)),
    ("quarter past 11", time(11, 15)),
    ("a quarter to 5", time(16, 45)),
    ("half 4", time(16, 30)),
    ("at 4 30", time(16, 30)),
    ("in half an hour", None),
    ("", None),
    ("teatime", None),
    ("5", None),  # a bare number is not a time
    ("in 3 days", None),
    ("25:00", None),
    ("10:75", None),
    ("170", None),
]

SPANISH_AND_PAST = [
    ("yesterday", date(2026, 6, 9)),
    ("book a haircut yesterday at 10am", date(2026, 6, 9)),
    ("hoy", date(2026, 6, 10)),
    ("mañana", date(2026, 6, 11)),
    ("mañana por la tarde", date(2026, 6, 11)),
    ("pasado mañana", date(2026, 6, 12)),
    ("ayer", date(2026, 6, 9)),
    ("esta mañana", date(2026, 6, 10)),
    ("el viernes", date(2026, 6, 12)),
    ("el próximo miércoles", date(2026, 6, 17)),
    ("el miércoles que viene", date(2026, 6, 17)),
    ("sábado", date(2026, 6, 13)),
    ("7 de julio", date(2026, 7, 7)),
    ("el 1 de junio", date(2026, 6, 1)),  # past: refused by the caller, not next year's
    ("en 3 días", date(2026, 6, 13)),
    ("dentro de 2 dias", date(2026, 6, 12)),
]
SPANISH_TIMES = [
    ("a las 5", time(17, 0)),
    ("a las 10 de la mañana", time(10, 0)),
    ("a las 5 de la tarde", time(17, 0)),
    ("sobre las 12:30", time(12, 30)),
    ("a mediodía", time(12, 0)),
    ("las 9", time(9, 0)),
    ("a las 5 y media", time(17, 30)),
    ("a las 10 y cuarto", time(10, 15)),
    ("a las 6 menos cuarto", time(17, 45)),
    ("a las 5 y media de la tarde", time(17, 30)),
    ("a las 11 de la noche", time(23, 0)),
    ("a las 12 de la noche", time(0, 0)),  # midnight, not noon
    ("a las 12 de la mañana", time(12, 0)),  # noon, as it is said in Spain
]

WINDOWS = [
    ("after 5", (time(17, 0), None)),
    ("anything after 5pm?", (time(17, 0), None)),
    ("after 7am", (time(7, 0), None)),
    ("from 10:00", (time(10, 0), None)),
    ("at 10:00", (time(10, 0), None)),
    ("before noon", (None, time(12, 0))),
    ("until 11am", (None, time(11, 0))),
    ("by 4", (None, time(16, 0))),
    ("in the morning", (time(0, 0), time(12, 0))),
    ("tomorrow afternoon", (time(12, 0), time(18, 0))),
    ("this evening", (time(17, 0), None)),
    ("whenever", (None, None)),
    ("mañana por la mañana", (time(0, 0), time(14, 0))),
    ("¿tenéis hueco mañana por la tarde?", (time(14, 0), time(21, 0))),
    ("esta noche", (time(20, 0), None)),
    ("después de las 5", (time(17, 0), None)),
    ("antes de las 12", (None, time(12, 0))),
    ("mañana", (None, None)),  # tomorrow, not the morning
    ("from 10 to 12", (time(10, 0), time(12, 0))),
    ("after 10 until 1pm", (time(10, 0), time(13, 0))),
    ("desde las 10 hasta las 12", (time(10, 0), time(12, 0))),
    ("from 3 to 2", (time(15, 0), None)),  # an end before the start ends nothing
    ("10 to 12", (time(10, 0), time(12, 0))),
    ("2 to 4pm", (time(14, 0), time(16, 0))),
    ("10 to 12 december", (None, None)),  # a date
    ("2 to 3 friends, tomorrow at 5", (time(17, 0), None)),  # two bare numbers beside a time
]


@pytest.mark.parametrize(("text", "expected"), SPANISH_AND_PAST)
def test_spanish_dates_and_past_days(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), SPANISH_TIMES)
def test_spanish_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at four", time(16, 0)),
        ("half past four", time(16, 30)),
        ("quarter to five", time(16, 45)),
        ("ten thirty", time(10, 30)),
        ("at eleven o'clock", time(11, 0)),
        ("six pm", time(18, 0)),
        ("a las cinco", time(17, 0)),
        ("a la una", time(13, 0)),
        ("a las diez de la mañana", time(10, 0)),
        ("a las cinco y media", time(17, 30)),
        ("sobre las doce", time(12, 0)),
        # Minutes in words: never the hour before them read alone ("at ten" of "at ten past four").
        ("can I come at ten past four tomorrow", time(16, 10)),
        ("twenty after 4", time(16, 20)),
        ("25 minutes past 4", time(16, 25)),
        ("friday 10 past 5", time(17, 10)),
        ("at five to ten", time(9, 55)),
        ("at five to 4pm", time(15, 55)),
        ("at ten to one", time(12, 50)),
        ("at four twenty", time(16, 20)),
        ("five twenty pm", time(17, 20)),
        ("4 forty-five", time(16, 45)),
        ("a las cuatro y diez", time(16, 10)),
        ("a la una y veinte", time(13, 20)),
        ("a las cinco menos diez", time(16, 50)),
        ("las 4 y 20", time(16, 20)),
        # A number in words elsewhere is no time ("las dos" is also "both of them").
        ("cancela las dos", None),
        ("at one of your salons", None),
        ("after two weeks", None),
        ("the second one", None),
        ("cancela las dos y diez", None),
        ("las dos y diez personas", None),
    ],
)
def test_hours_in_words(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between 3 and 5", (time(15, 0), time(17, 0))),
        ("between three and five", (time(15, 0), time(17, 0))),
        ("between 10am and 12", (time(10, 0), time(12, 0))),
        ("entre las 4 y las 6", (time(16, 0), time(18, 0))),
        ("entre las cuatro y las seis", (time(16, 0), time(18, 0))),
        ("de 10 a 12", (time(10, 0), time(12, 0))),
        ("de las cuatro a las seis", (time(16, 0), time(18, 0))),
        # A range that ends with the part of the day: from 17:00, not 18:00 nor the afternoon.
        ("de 5 a 6 de la tarde", (time(17, 0), time(18, 0))),
        ("entre las 5 y las 6 de la tarde", (time(17, 0), time(18, 0))),
        ("desde las 5 hasta las 6 de la tarde", (time(17, 0), time(18, 0))),
        ("de 9 a 11 de la mañana", (time(9, 0), time(11, 0))),
        ("between 2 and 3 people, at 5", (time(17, 0), None)),
        ("between 10 and 12 december", (None, None)),  # dates
        ("de 2 a 3 semanas", (None, None)),
    ],
)
def test_between_two_times_is_a_range(text, expected):
    assert time_window(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in two weeks", date(2026, 6, 24)),
        ("a haircut in 2 weeks at 10", date(2026, 6, 24)),
        ("in a week", date(2026, 6, 17)),
        ("in two days", date(2026, 6, 12)),
        ("en dos semanas", date(2026, 6, 24)),
        ("dentro de una semana", date(2026, 6, 17)),
        ("en tres días", date(2026, 6, 13)),
    ],
)
def test_in_so_many_days_or_weeks(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("this weekend", TODAY, date(2026, 6, 13)),  # a Wednesday: that Saturday
        ("any time at the weekend?", TODAY, date(2026, 6, 13)),
        ("el fin de semana", TODAY, date(2026, 6, 13)),
        ("el finde", date(2026, 6, 13), date(2026, 6, 13)),  # a Saturday: today
        ("this weekend", date(2026, 6, 14), date(2026, 6, 14)),  # a Sunday: today
        ("next weekend", date(2026, 6, 13), date(2026, 6, 20)),
        ("el fin de semana que viene", date(2026, 6, 14), date(2026, 6, 20)),
        ("do you work weekends?", TODAY, None),
    ],
)
def test_the_weekend_is_its_saturday(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("next week", TODAY, date(2026, 6, 15)),  # a Wednesday: the Monday after it
        ("sometime next week?", TODAY, date(2026, 6, 15)),
        ("next week on any day", TODAY, date(2026, 6, 15)),
        ("la semana que viene", TODAY, date(2026, 6, 15)),
        ("la próxima semana", TODAY, date(2026, 6, 15)),
        ("la semana próxima", TODAY, date(2026, 6, 15)),
        ("next week", date(2026, 6, 14), date(2026, 6, 15)),  # a Sunday: tomorrow's week
        ("next week", date(2026, 6, 15), date(2026, 6, 22)),  # a Monday: a week on
        ("next week tuesday", TODAY, date(2026, 6, 16)),  # its Tuesday
        ("tuesday next week", date(2026, 6, 15), date(2026, 6, 23)),  # not tomorrow
        ("el martes de la semana que viene", date(2026, 6, 15), date(2026, 6, 23)),
        ("next week on the 20th", TODAY, date(2026, 6, 20)),  # a date says which day
        ("next weekend", date(2026, 6, 13), date(2026, 6, 20)),  # the weekend, as before
        ("el fin de semana que viene", TODAY, date(2026, 6, 13)),
        ("el próximo fin de semana", TODAY, date(2026, 6, 13)),
    ],
)
def test_next_week_is_the_week_after_this_one(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("this week", TODAY, TODAY),  # a Wednesday: the rest of its week, from today
        ("anything this week?", TODAY, TODAY),
        ("esta semana", TODAY, TODAY),
        ("this week", date(2026, 6, 14), date(2026, 6, 14)),  # a Sunday: today alone
        ("tuesday this week", TODAY, date(2026, 6, 9)),  # its Tuesday, gone by: refused as past
        ("el viernes de esta semana", TODAY, date(2026, 6, 12)),
        ("this weekend", TODAY, date(2026, 6, 13)),  # the weekend, as before
        ("este fin de semana", TODAY, date(2026, 6, 13)),
    ],
)
def test_this_week_is_the_rest_of_this_week(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("the week after next", TODAY, date(2026, 6, 22)),  # a Wednesday: two Mondays on
        ("week after next week", TODAY, date(2026, 6, 22)),
        ("the week after next", date(2026, 6, 15), date(2026, 6, 29)),  # a Monday
        ("la semana siguiente a la próxima", TODAY, date(2026, 6, 22)),
        ("la semana después de la que viene", TODAY, date(2026, 6, 22)),
        ("la semana después de la semana que viene", TODAY, date(2026, 6, 22)),
        ("tuesday the week after next", TODAY, date(2026, 6, 23)),
        ("in two weeks", TODAY, date(2026, 6, 24)),  # a day, as before
        ("dentro de dos semanas", TODAY, date(2026, 6, 24)),
    ],
)
def test_the_week_after_next_is_the_week_after_next_week(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "moving", "expected"),
    [
        ("next week", False, True),
        ("una barba la semana que viene a las 10", False, True),
        ("next week tuesday", False, False),  # a day of it
        ("tuesday next week", False, False),
        ("next week on the 20th", False, False),
        ("next weekend", False, False),
        ("move it from tuesday to next week", True, True),
        ("muévela del martes a la semana que viene", True, True),
        ("move my next week one to tuesday", True, False),
    ],
)
def test_next_week_alone_is_a_week(text, moving, expected):
    assert is_week(text, TODAY, moving) is expected


@pytest.mark.parametrize(
    ("text", "moving", "expected"),
    [
        ("this week", False, True),
        ("esta semana", False, True),
        ("the week after next", False, True),
        ("la semana siguiente a la próxima", False, True),
        ("move it to the week after next", True, True),
        ("tuesday this week", False, False),
        ("in two weeks", False, False),  # a day
    ],
)
def test_this_week_or_the_week_after_next_alone_is_a_week(text, moving, expected):
    assert is_week(text, TODAY, moving) is expected


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_date(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("move it to 12", time(12, 0)),
        ("change it to 3", time(15, 0)),
        ("I can't make it at 5, can we move it to 6?", time(18, 0)),  # after "to": the new one
        ("move it to 12 december", None),
        ("move it to 12/12", None),
        ("push it to 2 weeks later", None),
        ("move it to 14:30", time(14, 30)),
        # The time being replaced is not the new one, wherever it is said.
        ("can we do 5 instead of noon?", time(17, 0)),
        ("mejor a las 5 en vez de a mediodía", time(17, 0)),
        ("not at 3, 4pm", time(16, 0)),
    ],
)
def test_a_move_s_time_is_the_one_after_to(text, expected):
    assert parse_time(text, moving=True) == expected


@pytest.mark.parametrize(("text", "expected"), WINDOWS)
def test_time_window(text, expected):
    assert time_window(text) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("in 3 days", date(2026, 12, 30), date(2027, 1, 2)),
        ("monday", date(2026, 12, 31), date(2027, 1, 4)),
        ("tomorrow", date(2028, 2, 28), date(2028, 2, 29)),
        ("29 feb", date(2027, 3, 1), date(2028, 2, 29)),
        ("2/1", date(2026, 12, 30), date(2027, 1, 2)),
        ("24 december", date(2027, 1, 5), date(2026, 12, 24)),  # last month: past
        ("20 november", date(2026, 12, 2), date(2026, 11, 20)),
        ("5 january", date(2026, 12, 2), date(2027, 1, 5)),
    ],
)
def test_dates_across_month_and_year_ends(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 6, 10), "today"),
        (date(2026, 6, 11), "tomorrow"),
        (date(2026, 6, 12), "Friday"),
        (date(2026, 6, 16), "Tuesday"),
        (date(2026, 6, 17), "17 June"),  # "Wednesday" would be today
        (date(2026, 6, 19), "19 June"),  # "Friday" would be the 12th
        (date(2027, 1, 5), "5 January"),
        (date(2027, 6, 10), "2027-06-10"),  # "10 June" would be today
    ],
)
def test_day_words_read_back_as_the_same_day(day, expected):
    assert day_words(day, TODAY) == expected
    assert parse_date(f"{expected} after 16:00", TODAY) == day


@pytest.mark.parametrize(
    "text, expected",
    [
        ("friday 27 june at 10", True),  # the 27th is a Saturday
        ("saturday 27 june at 10", False),
        ("el viernes 27 de junio", True),
        ("27 june", False),
        ("friday", False),
        ("tomorrow, friday", False),
    ],
)
def test_weekday_disagrees(text, expected):
    assert weekday_disagrees(text, TODAY) is expected
