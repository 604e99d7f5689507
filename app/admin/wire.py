"""Request and response plumbing of the admin API: errors, JSON bodies, query params, dumping."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Response, current_app, jsonify, request
from psycopg import errors as pg_errors

MAX_ID = 2**63 - 1
MAX_PER_PAGE = 100
# Dates and instants outside these years are refused (400): year 1 or 9999 shifted by a UTC
# offset or a time zone leaves what Python and PostgreSQL can hold.
MIN_YEAR, MAX_YEAR = 1900, 9000
# `app.extensions[CLOCK]`, when set, is the admin API's clock (a function returning an aware
# datetime): tests fix "now" with it instead of waiting for the real one.
CLOCK = "admin_clock"


class ApiError(Exception):
    """An error answered in the one error shape (see app.errors.error_response)."""

    def __init__(self, status: int, message: str = "", **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def now() -> datetime:
    """The current instant (UTC) by the admin API's clock."""
    clock = current_app.extensions.get(CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


def invalid(fields: dict[str, str], message: str = "", **extra) -> ApiError:
    """A 400 naming every bad field (`extra`: more of the body, e.g. the `reason` code of a
    refusal the console words on its own)."""
    names = ", ".join(sorted(fields))
    return ApiError(400, message or f"invalid fields: {names}", fields=fields, **extra)


def dump(value):
    """`value` made JSON-ready: ISO dates and times, decimals as strings."""
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def ok(value, status: int = 200) -> tuple[Response, int]:
    """A JSON response of `value`."""
    return jsonify(dump(value)), status


def no_content() -> tuple[str, int]:
    """An empty 204."""
    return "", 204


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_body(optional: bool = False) -> dict:
    """The request body as a JSON object; ApiError(400) when it is anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "a JSON object body is required")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "body must be a JSON object")
    problem = _bad_strings(data, depth=0)
    if problem:
        raise ApiError(400, problem)
    return data


def _bad_strings(value, depth: int) -> str | None:
    """Why a decoded body cannot be stored as text (NUL, lone surrogates), or None."""
    if depth > 20:
        return "body is nested too deeply"
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = _bad_strings(item, depth + 1)
        if problem:
            return problem
    return None


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "text must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode"
    return None


def reject_unknown(data: dict, allowed: set[str] | frozenset[str]) -> None:
    """ApiError(400) naming every key of `data` not in `allowed`."""
    unknown = {key: "unknown field" for key in data if key not in allowed}
    if unknown:
        raise invalid(unknown)


def check_id(value: int) -> int:
    """A path id, or ApiError(404) when it cannot be a row id."""
    if not 0 < value <= MAX_ID:
        raise ApiError(404, "not found")
    return value


def query_text(name: str, max_len: int = 200) -> str:
    """A query-string value (empty when absent); ApiError(400) when unusable."""
    value = request.args.get(name, "")
    problem = _bad_text(value) or (
        f"at most {max_len} characters" if len(value) > max_len else None
    )
    if problem:
        raise invalid({name: problem})
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; ApiError(400) otherwise."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not low <= int(raw) <= high:
        raise invalid({name: f"must be an integer from {low} to {high}"})
    return int(raw)


def page_params(default_per_page: int = 20) -> tuple[int, int]:
    """(page, per_page) from the query string."""
    page = query_int("page", 1, 1, 1_000_000)
    per_page = query_int("per_page", default_per_page, 1, MAX_PER_PAGE)
    return page, per_page


def like_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@contextmanager
def taken_after_check(answers: Mapping[str, Callable[[], Exception]]) -> Iterator[None]:
    """The answer a check gives when another request took the value after it: the unique
    constraint (a key of `answers`) that refuses the write is turned into that answer, instead
    of a generic 409 without its reason."""
    try:
        yield
    except pg_errors.UniqueViolation as exc:
        answer = answers.get(exc.diag.constraint_name)
        if answer is None:
            raise
        raise answer() from None
