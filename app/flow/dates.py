"""Resolve the dates and times customers write, in English or Spanish ("tomorrow", "next
tuesday", "5pm", "7 de diciembre", "a las 5 de la tarde"). Pure functions of the text and today.

A date is read as written: one already past ("yesterday", "20 November" in December, "24
December" in January) stays in the past for the caller to refuse; only a day and month long
gone (more than `RECENT_DAYS` ago) are taken as the next one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS_ES = ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]
_SHORT_DAYS = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
_DAYS = {d: i for i, d in enumerate(WEEKDAYS)} | {d: i for i, d in enumerate(WEEKDAYS_ES)}
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
_MONTHS = (
    {m: i + 1 for i, m in enumerate(MONTHS)}
    | {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
    | {m: i + 1 for i, m in enumerate(MONTHS_ES)}
    | {"sept": 9, "setiembre": 9, "ene": 1, "abr": 4, "dic": 12}
)
# A day and month this many days back is a past date, not next year's (see the module doc).
RECENT_DAYS = 92
# "in 3 days", "in two weeks", "en una semana", "dentro de 2 semanas".
_COUNTS = {"a": 1, "an": 1, "one": 1, "un": 1, "una": 1, "two": 2, "dos": 2, "three": 3}
_COUNTS |= {"tres": 3, "four": 4, "cuatro": 4, "five": 5, "cinco": 5, "six": 6, "seis": 6}
_IN_DAYS = re.compile(
    r"\b(?:in|en|dentro de)\s+(\d{1,3}|"
    + "|".join(_COUNTS)
    + r")\s+(days?|dias?|weeks?|semanas?)\b"
)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?:\s+of|\s+de)?\s+([a-z]{3,10})\b")
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_WEEKDAY = re.compile(
    r"\b(?:(next|this|on|proximo|este|el)\s+)?("
    + "|".join(sorted(_SHORT_DAYS | _DAYS, key=len, reverse=True))
    + r")\b(\s+que\s+viene)?"
)
_WEEKEND = re.compile(r"\b(?:(next|proximo)\s+)?(?:weekend|fin de semana|finde)\b(\s+que\s+viene)?")
# "next week", "la semana que viene", "la próxima semana" (not "el fin de semana que viene").
_NEXT_WEEK = re.compile(
    r"\bnext\s+week\b|(?<!\bfin de )\bsemana\s+(?:que\s+viene|proxima)\b|\bproxima\s+semana\b"
)
# "this week", "esta semana": the rest of it, from today.
_THIS_WEEK = re.compile(r"\bthis\s+week\b|\besta\s+semana\b")
# "the week after next", "la semana siguiente a la próxima", "la semana después de la que
# viene" (checked before "next week", which some of them hold).
_WEEK_AFTER_NEXT = re.compile(
    r"\bweek\s+after\s+next\b|\bsemana\s+(?:siguiente|despues)\s+(?:a|de)\s+la\s+"
    r"(?:proxima|semana\s+proxima|proxima\s+semana|que\s+viene|semana\s+que\s+viene)\b"
)
# Words that make a number a time, before it ("at 5", "a las 5", "what about 11?", and for a
# move "move it to 12") or after it ("5pm").
_LEAD = (
    r"at|after|before|from|until|by|around|(?<=what )about|(?<=how )about|(?<=at )about|to"
    r"|(?<=we )do|(?<=you )do"
    r"|a\s+las?|las?|sobre\s+las?|hacia\s+las?|desde\s+las?|despues\s+de\s+las?"
    r"|antes\s+de\s+las?|hasta\s+las?"
)
_TIME = re.compile(
    rf"\b(?:({_LEAD})\s+)?(\d{{1,2}})(?:[:.h](\d{{2}}))?\s*"
    r"(am|pm|a\.m\.|p\.m\.|h|de la (?:tarde|noche|manana|madrugada))?(?!\w)"
)
_AFTERNOON_SUFFIX = ("de la tarde", "de la noche")
# A range of two times: "10 to 12", "2 to 4pm", "9:30 until 11".
_SPAN = re.compile(
    r"\b(\d{1,2}(?:[:.]\d{2})?)\s*(am|pm)?\s+(?:to|till|until)\s+(\d{1,2}(?:[:.]\d{2})?)\s*(am|pm)?"
    r"(?!\w|[/.]\d)"
)
# After "to" (in a move) or "what about", a bare number is a time unless a date or a count
# follows it: "to 12 December", "to 12/12", "to 2 weeks", "how about 3 people".
_NOT_A_TIME_AFTER = re.compile(
    r"\s*(?:[/.-]\d|(?:of|de|del|"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r"|mins?|minutes?|minutos?|hrs?|hours?|horas?|days?|dias?|weeks?|semanas?|months?"
    r"|meses|people|persons?|personas?)\b)"
)
# A day of the month alone: "the 15th", "15th", "on the 3rd", "el día 15". "The 2nd" and
# "the 3rd one" pick from a list instead: an ordinal up to 5 is a day only after "on".
_ORDINAL_DAY = re.compile(
    r"\b(?:(on)\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:one|of)\b)"
    r"|\b(?:el\s+)?dia\s+(\d{1,2})\b(?!\s*(?:de\b|[:.h]\d))"
)
# Before a new day: "to Thursday", "al jueves", "para el 12", "mejor el jueves", "a la semana
# que viene".
_NEW_DAY = re.compile(r"\b(?:to|al|a la(?= semana)|para(?: el)?|mejor(?: el)?)\s+")
# "el 8", "del 8", "para el 8": a day of the month in Spanish, unless a time's words follow
# ("el 8 y media" is not one; "a las 8" never is).
_EL_DAY = re.compile(
    r"\b(?:el|del|al|para el)\s+([12]?\d|3[01])\b(?!\s*(?:[:.h]\d|h\b|y\s|menos\b|de la\b"
    r"|de\s+[a-z]|am\b|pm\b))"
)
# A pick from a list, not a day nor a time: "el 2", "la 2", "vale, el 3", "quiero el 2 por
# favor" ("a la 1" and "las 2" stay times).
_PICK = re.compile(
    r"\W*(?:(?:si|vale|ok|okay|pues|quiero|prefiero|me quedo con|mejor)\W+)*(?:el|la)\s+"
    r"(\d{1,2})(?:\W+(?:por favor|porfa|gracias|please))*\W*"
)
# "at 10 may work", "at 10.05": after "at" a number is a time, not the day of May or 10/5
# ("from 10 May", "around 10 May", "by 10.05." stay dates).
_TIME_BEFORE = re.compile(r"\b(?:at|a\s+las?|las?)\s+$")
# Times said in words (`spoken`): each pattern's hour `h`, the minutes it means, and the hours
# to take off ("quarter to 5" is 4:45).
_SPOKEN = (
    (re.compile(r"\bhalf\s+past\s+(?P<h>\d{1,2})\b(?![:.]\d)"), 30, 0),
    (re.compile(r"\b(?:a\s+)?quarter\s+past\s+(?P<h>\d{1,2})\b(?![:.]\d)"), 15, 0),
    (re.compile(r"\b(?:a\s+)?quarter\s+to\s+(?P<h>\d{1,2})\b(?![:.]\d)"), 45, 1),
    (re.compile(r"(?<!\ban )\bhalf\s+(?P<h>\d{1,2})\b(?![:.]\d|\s*(?:h\b|hours?))"), 30, 0),
    (re.compile(r"\b(?P<h>\d{1,2})\s+y\s+media\b"), 30, 0),
    (re.compile(r"\b(?P<h>\d{1,2})\s+y\s+cuarto\b"), 15, 0),
    (re.compile(r"\b(?P<h>\d{1,2})\s+menos\s+cuarto\b"), 45, 1),
)
# An hour said in words, where it can only be a time: after a word that makes a number one
# ("at four", "half past four", "a las cinco", "a la una"), or before one ("four pm", "five
# thirty"), or as the end of a range begun with a number ("from 2 to four").
_HOUR_WORDS = {
    word: hour
    for names in (
        "one two three four five six seven eight nine ten eleven twelve",
        "una dos tres cuatro cinco seis siete ocho nueve diez once doce",
    )
    for hour, word in enumerate(names.split(), start=1)
}
_HOUR_WORD = "(" + "|".join(_HOUR_WORDS) + ")"
# Spanish words before "las" that make what follows a time ("a las cinco", "desde las 4").
_ES_LEAD = "a|sobre|hacia|desde|hasta|antes de|despues de|para|entre|de"
_WORD_HOURS = (
    re.compile(
        r"\b((?:at|around|after|before|from|until|till|between|half past|(?:a )?quarter (?:past|to)"
        r"|half|(?:"
        + _ES_LEAD
        + r") las?)\s+)"
        + _HOUR_WORD
        + r"\b(?!\s+(?:weeks?|days?|months?|hours?|minutes?|mins?|people|persons?|of|semanas?"
        r"|dias?|meses|horas?|minutos?|personas?|de (?!la\b)))"
    ),
    re.compile(
        r"\b" + _HOUR_WORD + r"(?=\s*(?:am|pm|a\.m\.|p\.m\.|o'?clock|thirty|fifteen|twenty|forty"
        r"|fifty|y media|y cuarto|menos cuarto|de la (?:tarde|noche|manana)|en punto)\b)"
    ),
    re.compile(
        r"(\d\s*(?:am|pm)?\s+(?:to|till|until|and|hasta las?|y las?|a las?)\s+)"
        + _HOUR_WORD
        + r"\b"
    ),
)
# "between 3 and 5", "entre las 4 y las 6", "de 4 a 6": a range, as "3 to 5" is.
_BETWEEN = re.compile(
    r"\b(?:(?:between|entre)\s+(?:las?\s+)?(\d{1,2}(?::\d{2})?(?:\s*(?:am|pm))?)\s+(?:and|y)"
    r"|de\s+(?:las?\s+)?(\d{1,2}(?::\d{2})?)\s+a)\s+(?:las?\s+)?(?=\d)"
)
# Minutes in words after an hour ("four twenty", "5 forty-five", "11 o'clock").
_MINUTE_WORDS = {"o'clock": 0, "oclock": 0, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20}
_MINUTE_WORDS |= {"twenty five": 25, "twenty-five": 25, "thirty": 30, "thirty five": 35}
_MINUTE_WORDS |= {"thirty-five": 35, "forty": 40, "forty five": 45, "forty-five": 45}
_MINUTE_WORDS |= {"fifty": 50, "fifty five": 55, "fifty-five": 55}
_MINUTE_WORD = "(" + "|".join(sorted(_MINUTE_WORDS, key=len, reverse=True)) + ")"
_WORD_MINUTES = re.compile(r"\b(\d{1,2})\s+" + _MINUTE_WORD + r"(?![\w'-])")
# Minutes before or after an hour: "ten past four", "twenty after 4", "10 past 5", "at
# five to ten" (without "at" or the like, "five to ten" is a range); "las cuatro y diez", "a
# la una y veinte", "las cinco menos diez", "las 4 y 20".
_PAST_TO = re.compile(
    r"\b(?P<lead>(?:at|around|about|by)\s+)?(?:(?P<w>five|ten|twenty(?:[- ]five)?)|(?P<d>\d{1,2})"
    r"(?:\s+minutes?)?)\s+(?P<dir>past|after|to)\s+(?P<h>\d{1,2}|" + _HOUR_WORD[1:-1] + r")"
    r"(?P<ampm>\s*(?:am|pm)\b)?\b(?![:.]\d)"
)
_Y_MINUTES = {"cinco": 5, "diez": 10, "veinte": 20, "veinticinco": 25}
_PAST_TO_ES = re.compile(
    r"\b(?P<lead>(?P<prep>(?:" + _ES_LEAD + r")\s+)?"
    r"las?\s+)(?P<h>\d{1,2}|" + _HOUR_WORD[1:-1] + r")\s+(?:(?P<dir>y|menos)\s+"
    r"(?P<w>" + "|".join(_Y_MINUTES) + r")|y\s+(?P<d>[1-5]\d))(?:\s+minutos)?\b(?![:.]\d)"
    r"(?!\s+(?:personas?|semanas?|dias?|meses|horas?))"
)
_NOON = re.compile(r"\b(?:noon|midday|mediodia)\b")
# "6 de la tarde" → 6pm, "10 de la mañana" → 10am (hours 1 to 11; 12 keeps its words: midnight
# "de la noche", noon "de la mañana"), so that a range ends or begins with them: "de 5 a 6 de la
# tarde" is 17:00 to 18:00, not 18:00 nor the whole afternoon.
_DAY_PART = re.compile(
    r"\b(0?[1-9]|1[01])((?:[:.][0-5]\d)?)\s+de la (?:(tarde|noche)|manana|madrugada)\b"
)
_SPACED = re.compile(r"\b(at|a\s+las?)\s+([01]?\d|2[0-3])\s+([0-5]\d)\b(?!\s*(?:[/.]\d|\w))")
# Before a time: it is the one being replaced ("5 instead of noon", "not at 3").
_OLD_TIME = re.compile(
    r"\b(?:instead of|rather than|en vez de|en lugar de|not|no)\s+(?:at\s+|a\s+(?:las?\s+)?"
    r"|las?\s+)?$"
)
# Spanish "mañana" is tomorrow, except in "la mañana" / "esta mañana" (the morning).
_MANANA = re.compile(r"(?<!\bla )(?<!\besta )\bmanana\b")


def fold(text: str) -> str:
    """Lower case without accents: "Mañana" → "manana", "miércoles" → "miercoles"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_date(text: str, today: date, moving: bool = False) -> date | None:
    """The calendar date `text` names, relative to `today`; None when it names none.
    `moving`: the text gives a new day for something ("move my Tuesday one to Thursday", "del
    martes al jueves", "el martes no, mejor el jueves"), so of several days the one after
    "to", "al", "para" or "mejor" is the one meant."""
    s = fold(text.strip())
    if not s:
        return None
    if moving:
        for lead in reversed(list(_NEW_DAY.finditer(s))):
            day = parse_date(s[lead.end() :], today)
            if day is not None:
                return day
    return _one_date(s, today)


def _one_date(s: str, today: date) -> date | None:
    """`parse_date` of folded text: its first date."""
    if m := _ISO.search(s):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    relative = _relative_day(s)
    if relative is not None:
        return today + timedelta(days=relative)
    if m := _IN_DAYS.search(s):
        count = _COUNTS.get(m[1]) or int(m[1])
        return today + timedelta(days=count * (7 if m[2].startswith(("w", "s")) else 1))
    return _written_date(s, today) or _week(s, today) or _weekday(s, today) or _weekend(s, today)


def _week(s: str, today: date) -> date | None:
    """The first day of the week the text names (weeks start on Monday): today for "this week",
    the Monday of "next week" or of "the week after next"; or the weekday named with it ("next
    week on Tuesday", "el martes de la semana que viene"). None when it names no week."""
    monday = today - timedelta(days=today.weekday())
    if _WEEK_AFTER_NEXT.search(s):
        monday += timedelta(days=14)
    elif _NEXT_WEEK.search(s):
        monday += timedelta(days=7)
    elif not _THIS_WEEK.search(s):
        return None
    named = _WEEKDAY.search(s)
    if named:
        return monday + timedelta(days=_weekday_index(named[2]))
    return max(monday, today)


def week_end(day: date) -> date:
    """The Sunday of the week `day` is in: the last day a week named ("this week", "next
    week") stands for."""
    return day + timedelta(days=6 - day.weekday())


def is_week(text: str, today: date, moving: bool = False) -> bool:
    """Whether the day `parse_date` reads is a week alone ("this week", "next week", "the week
    after next"), with no weekday or date: that day (today, or the week's Monday) stands for the
    rest of its week, whose first free day is the one to offer."""
    s = _day_words(fold(text.strip()), today, moving)
    named = _NEXT_WEEK.search(s) or _THIS_WEEK.search(s) or _WEEK_AFTER_NEXT.search(s)
    if named is None or _WEEKDAY.search(s) or _ISO.search(s):
        return False
    return _relative_day(s) is None and not _IN_DAYS.search(s) and not _written_date(s, today)


def _day_words(s: str, today: date, moving: bool) -> str:
    """The part of the folded text `parse_date` reads the day from: for a move, from the last
    "to", "al", "para" or "mejor" a day follows; else all of it."""
    if moving:
        for lead in reversed(list(_NEW_DAY.finditer(s))):
            if parse_date(s[lead.end() :], today) is not None:
                return s[lead.end() :]
    return s


def _weekend(s: str, today: date) -> date | None:
    """The Saturday of "this weekend", "el fin de semana" (today on a Sunday); a week on with
    "next" only when it is today, as for a weekday."""
    m = _WEEKEND.search(s)
    if m is None:
        return None
    ahead = 0 if today.weekday() == 6 else 5 - today.weekday()
    if (m[1] or m[2]) and ahead <= 0:
        ahead += 7 if today.weekday() == 5 else 6
    return today + timedelta(days=ahead)


def last_date(text: str, today: date) -> date | None:
    """The last date the text names ("I can't make it on the 30th, can we do the 31st?": the
    31st); None when it names none."""
    s = fold(text.strip())
    for word in reversed(list(re.finditer(r"\b\w", s))):
        day = _one_date(s[word.start() :], today)
        if day is not None:
            return day
    return None


def weekday_disagrees(text: str, today: date) -> bool:
    """Whether the text names both a date and a weekday that date is not ("Friday 26
    December" when the 26th is a Saturday): `parse_date` reads the date, and nothing should be
    booked on it without the customer seeing which day it is."""
    s = fold(text.strip())
    written, named = _written_date(s, today), _WEEKDAY.search(s)
    if written is None or named is None or _relative_day(s) is not None or _ISO.search(s):
        return False
    return written.weekday() != _weekday_index(named[2])


def weekday_is_today(text: str, today: date, moving: bool = False) -> bool:
    """Whether the text names today by its weekday alone ("Monday", "on Monday", "el lunes" on
    a Monday; not "this Monday", "Monday this week", "today" nor a date): with a time of day
    already gone by, it is next week's that is meant. `moving`: as for `parse_date`, the day
    after "to", "al"... is the one that counts ("move my Friday one to Monday at 10")."""
    s = _day_words(fold(text.strip()), today, moving)
    m = _WEEKDAY.search(s)
    if m is None or m[1] not in (None, "on", "el") or m[3] or _ISO.search(s):
        return False
    if _relative_day(s) is not None or _written_date(s, today) is not None:
        return False
    if _THIS_WEEK.search(s):  # "Wednesday this week": today's, said so
        return False
    return _weekday_index(m[2]) == today.weekday()


def _weekday(s: str, today: date) -> date | None:
    """The day a weekday names: this one coming ("friday"), a week on with "next"."""
    m = _WEEKDAY.search(s)
    if m is None:
        return None
    ahead = (_weekday_index(m[2]) - today.weekday()) % 7
    if (m[1] in ("next", "proximo") or m[3]) and ahead == 0:
        ahead = 7
    return today + timedelta(days=ahead)


def _weekday_index(word: str) -> int:
    """0 for Monday ("monday", "mon", "lunes") to 6 for Sunday."""
    return _DAYS[word] if word in _DAYS else _SHORT_DAYS[word]


def _written_date(s: str, today: date) -> date | None:
    """The date written with a day number: "26 December", "Dec 26", "26/12", "the 26th"."""
    for m in _DAY_MONTH.finditer(s):
        if m[2] in _MONTHS and not (m[2] == "may" and _TIME_BEFORE.search(s, 0, m.start())):
            return _nearest(today, _MONTHS[m[2]], int(m[1]))
    for m in _MONTH_DAY.finditer(s):
        if m[1] in _MONTHS:
            return _nearest(today, _MONTHS[m[1]], int(m[2]))
    for m in _DMY.finditer(s):
        if "." in m[0] and not m[3] and _TIME_BEFORE.search(s, 0, m.start()):
            continue  # "at 10.05" is a time
        day, month = int(m[1]), int(m[2])
        if m[3]:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return _safe_date(year, month, day)
        return _nearest(today, month, day)
    return _day_of_month(s, today)


def _day_of_month(s: str, today: date) -> date | None:
    """The date a day of the month alone names: "the 26th", "el día 26", "el 26"."""
    for m in _ORDINAL_DAY.finditer(s):
        number = int(m[2] or m[3])
        if m[3] or m[1] or number > 5:
            return _next_day_of_month(today, number)
    if (m := _EL_DAY.search(s)) and picked(s) is None:
        # "el 2 por favor" picks the second option; "corte el 8 a las 10" is the 8th.
        return _next_day_of_month(today, int(m[1]))
    return None


def day_of_month_is_today(text: str, today: date, moving: bool = False) -> bool:
    """Whether the text names today by its day of the month alone ("the 7th", "el día 7", "el
    7" on the 7th; not "7 December" nor "today"): with a time of day already gone by, it is
    next month's that is meant, as a weekday alone is next week's (`weekday_is_today`)."""
    s = _day_words(fold(text.strip()), today, moving)
    if _ISO.search(s) or _relative_day(s) is not None or _written_date(s, today) != today:
        return False
    return _day_of_month(s, today) == today


def next_month_s(day: date) -> date | None:
    """The next date after `day` with its day of the month (the 31st skips short months)."""
    return _next_day_of_month(day + timedelta(days=1), day.day)


def picked(s: str) -> int | None:
    """The option a folded text picks when it says nothing but a pick ("la 2", "vale, el 3"),
    else None."""
    m = _PICK.fullmatch(s)
    return int(m[1]) if m else None


def _relative_day(s: str) -> int | None:
    """Days from today for "today", "tomorrow", "ayer"... (None when the text has none)."""
    if re.search(r"\b(day after tomorrow|pasado manana)\b", s):
        return 2
    if re.search(r"\b(day before yesterday|anteayer|antes de ayer)\b", s):
        return -2
    if re.search(r"\b(yesterday|ayer)\b", s):
        return -1
    if re.search(
        r"\b(today|tonight|this (morning|afternoon|evening)|hoy|esta (manana|tarde|noche))\b", s
    ):
        return 0
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", s) or _MANANA.search(s):
        return 1
    return None


def parse_time(text: str, moving: bool = False) -> time | None:
    """The clock time `text` names ("17:00", "5pm", "noon", "a las 5", "half past 4"); None
    when none. `moving`: the text asks to move an appointment, so a bare number after "to" or
    "do" is a time too ("move it to 12", "can we do 5?"), and of several times the new one is
    the one after "to" ("I can't make it at 5, can we move it to 6?"), else the last that is
    not the old one ("not 3pm, 4pm instead", "5 instead of noon"); otherwise the first."""
    found = _times(spoken(fold(text.strip())), moving)
    if not found:
        return None
    if not moving:
        return found[0][1]
    new = [(lead, t) for lead, t, old in found if not old] or [(lead, t) for lead, t, _ in found]
    return next((t for lead, t in new if lead == "to"), new[-1][1])


def spoken(s: str) -> str:
    """The folded text with the times said in words written as clock times: "noon" → 12:00,
    "half past 4" and "half 4" → 4:30, "quarter to 5" → 4:45, "5 y media" → 5:30, "6 menos
    cuarto" → 5:45, "at 4 30" → at 4:30, "at four" → at 4, "a la una" → a la 1, "ten past
    four" → 4:10, "four twenty" → 4:20, "las cuatro y diez" → las 4:10, "between 3 and 5" and
    "de 3 a 5" → 3 to 5, "6 de la tarde" → 6pm."""
    s = _PAST_TO.sub(_past_to, s)
    s = _PAST_TO_ES.sub(_past_to_es, s)
    s = _WORD_HOURS[0].sub(lambda m: f"{m[1]}{_HOUR_WORDS[m[2]]}", s)
    s = _WORD_HOURS[1].sub(lambda m: str(_HOUR_WORDS[m[1]]), s)
    s = _WORD_HOURS[2].sub(lambda m: f"{m[1]}{_HOUR_WORDS[m[2]]}", s)
    s = _WORD_MINUTES.sub(lambda m: f"{m[1]}:{_MINUTE_WORDS[m[2]]:02d}", s)
    for pattern, minutes, back in _SPOKEN:
        s = pattern.sub(lambda m, mm=minutes, b=back: _hour_minutes(int(m["h"]) - b, mm), s)
    s = _NOON.sub("12:00", s)
    s = _SPACED.sub(r"\1 \2:\3", s)
    s = _BETWEEN.sub(lambda m: f"{m[1] or m[2]} to ", s)
    return _DAY_PART.sub(lambda m: f"{m[1]}{m[2]}{'pm' if m[3] else 'am'}", s)


def _past_to(m: re.Match) -> str:
    """ "ten past four" → 4:10, "at five to ten" → at 9:55 (see `_PAST_TO`)."""
    if m["dir"] == "to" and not m["lead"]:
        return m[0]  # "from five to ten", "2 minutes to 4": not a time said this way
    minutes = int(m["d"]) if m["d"] else _MINUTE_WORDS[m["w"]]
    hour = int(m["h"]) if m["h"].isdigit() else _HOUR_WORDS[m["h"]]
    if not 0 < minutes < 60 or not 0 < hour <= 23:
        return m[0]
    if m["dir"] == "to":
        hour, minutes = hour - 1, 60 - minutes
    return f"{m['lead'] or ''}{_hour_minutes(hour, minutes)}{m['ampm'] or ''}"


def _past_to_es(m: re.Match) -> str:
    """ "las cuatro y diez" → las 4:10, "las cinco menos diez" → las 4:50 (see `_PAST_TO_ES`)."""
    if not m["h"].isdigit() and not m["prep"]:
        return m[0]  # "cancela las dos y ...": "las dos" is also "both of them"
    hour = int(m["h"]) if m["h"].isdigit() else _HOUR_WORDS[m["h"]]
    minutes = int(m["d"]) if m["d"] else _Y_MINUTES[m["w"]]
    if not 0 < hour <= 23:
        return m[0]
    if m["dir"] == "menos":
        hour, minutes = hour - 1, 60 - minutes
    return f"{m['lead']}{_hour_minutes(hour, minutes)}"


def _hour_minutes(hour: int, minutes: int) -> str:
    return f"{hour if hour > 0 else 12}:{minutes:02d}"


def _times(s: str, moving: bool = False) -> list[tuple[str, time, bool]]:
    """Every clock time the folded text (times in words already written as clock times: see
    `spoken`) names, in order, each with the first word before it that makes it one ("" for
    none), and whether it is named as the time being replaced ("instead of 12:00", "not 3pm")."""
    found = ((m, _clock(m, s, moving)) for m in _TIME.finditer(s))
    return [
        ((m[1] or "").split(" ")[0], t, bool(_OLD_TIME.search(s, 0, m.start())))
        for m, t in found
        if t is not None
    ]


def _clock(m: re.Match, s: str, moving: bool) -> time | None:
    """The time one match of _TIME in `s` names, or None when it names none."""
    hour, minute = int(m[2]), int(m[3] or 0)
    suffix = (m[4] or "").replace(".", "")
    if not (m[3] or suffix or m[1]) or minute > 59:
        return None
    if m[1] in ("to", "do", "about") and not (m[3] or suffix):
        # "to 2 inches", "down to 3 mm", "do 2 things": only a move makes "to N" a time.
        if (m[1] in ("to", "do") and not moving) or _NOT_A_TIME_AFTER.match(s, m.end()):
            return None
    pm = suffix == "pm" or suffix in _AFTERNOON_SUFFIX
    am = suffix == "am" or suffix.startswith("de la ma")
    if pm and hour < 12:
        hour += 12
    elif (suffix == "am" or suffix == "de la noche") and hour == 12:
        hour = 0  # "12am", "las 12 de la noche": midnight ("las 12 de la mañana" is noon)
    elif not (am or suffix == "h") and 1 <= hour <= 7 and not m[2].startswith("0"):
        # Nobody books a salon at 5 a.m.: a bare "5" means 17:00 ("05:00" stays 05:00).
        hour += 12
    return time(hour, minute) if hour <= 23 else None


def is_span(text: str) -> bool:
    """Whether the text names a range of two times ("10 to 12", not "10 to 12 December")."""
    return _span(spoken(fold(text))) is not None


def _span(s: str) -> tuple[time, time] | None:
    """The range of two times the folded text names: "10 to 12", "2 to 4pm". Not two bare
    numbers beside a time said otherwise ("2 to 3 friends, tomorrow at 5"), nor a date or a
    count ("10 to 12 December", "2 to 3 weeks")."""
    span = _SPAN.search(s)
    if span is None or _NOT_A_TIME_AFTER.match(s, span.end()):
        return None
    bare = not any(c in span[0] for c in ":.") and not (span[2] or span[4])
    if bare and any(m.end() <= span.start() or m.start() >= span.end() for m in _explicit(s)):
        return None
    start, end = span[1] + (span[2] or span[4] or ""), span[3] + (span[4] or "")
    first, last = parse_time(f"at {start}"), parse_time(f"at {end}")
    if not span[2] and first is not None and last is not None and first >= last:
        first = parse_time(f"at {span[1]}")  # "10 to 4pm": 10:00, not 22:00
    return (first, last) if first is not None and last is not None and last > first else None


def _explicit(s: str) -> list[re.Match]:
    """The matches of _TIME that name a time by themselves: a lead word, minutes or am/pm."""
    return [m for m in _TIME.finditer(s) if _clock(m, s, False) is not None]


def time_window(text: str) -> tuple[time | None, time | None]:
    """A (from, to) window: "after 5" → (17:00, None), "morning" → (00:00, 12:00).

    Spanish day parts follow the Spanish day: "por la mañana" until 14:00, "por la tarde"
    from 14:00 to 21:00, "por la noche" from 20:00.
    """
    s = spoken(fold(text))
    if re.search(r"\b(la|esta) manana\b", s):
        return time(0, 0), time(14, 0)
    if re.search(r"\b(la|esta) tarde\b", s):
        return time(14, 0), time(21, 0)
    if re.search(r"\b(la|esta) noche\b", s):
        return time(20, 0), None
    if "morning" in s:
        return time(0, 0), time(12, 0)
    if "afternoon" in s:
        return time(12, 0), time(18, 0)
    if "evening" in s or "tonight" in s:
        return time(17, 0), None
    if span := _span(s):  # "10 to 12", "2 to 4pm"
        return span
    found = _times(s)
    if not found:
        return None, None
    t = found[0][1]
    if re.search(r"\b(after|from|later than|despues del?|desde|a partir del?)\b", s):
        # "from 10 to 12", "desde las 10 hasta las 12": the time after "to" or "until" ends it
        # (_TIME already reads "after 5" as 17:00 and "after 7am" as 07:00).
        end = next((e for lead, e, _ in found[1:] if lead in ("to", "until", "hasta")), None)
        return t, end if end is not None and end > t else None
    if re.search(r"\b(before|until|by|antes del?|hasta)\b", s):
        return None, t
    return t, None


def day_words(day: date, today: date) -> str:
    """The shortest words that `parse_date` reads back as `day`: "tomorrow", "Friday", "24 June"."""
    weekday, month = WEEKDAYS[day.weekday()], MONTHS[day.month - 1]
    for words in ("today", "tomorrow", weekday.capitalize(), f"{day.day} {month.capitalize()}"):
        if parse_date(words, today) == day:
            return words
    return day.isoformat()


def _nearest(today: date, month: int, day: int) -> date | None:
    """The `day`/`month` in the year that starts RECENT_DAYS ago: a recent one stays past."""
    since = today - timedelta(days=RECENT_DAYS)
    for year in range(since.year, since.year + 9):  # 29 February may be years away
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= since:
            return candidate
    return None


def _next_day_of_month(today: date, day: int) -> date | None:
    """The next date (today included) that is day `day` of its month."""
    for ahead in range(13):
        year, month = divmod(today.month - 1 + ahead, 12)
        candidate = _safe_date(today.year + year, month + 1, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
