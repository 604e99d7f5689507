"""The model circuit breaker: its states, what counts as a failure, one trial, shared state."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import httpx
import openai
import pytest

from app.agent.breaker import (
    Breaker,
    UnusableAnswer,
    fallback_settings,
    is_outage,
    provider_key,
)

P = "gpt-4o-mini@http://127.0.0.1:9/v1"
OTHER = "fallback@http://127.0.0.1:8/v1"


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self):
        self.now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Status(Exception):
    """A client error carrying an HTTP status, as openai's do."""

    def __init__(self, status_code: int):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def api_status(cls, status: int):
    return cls("boom", response=httpx.Response(status, request=REQUEST), body=None)


OUTAGE = Status(500)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(pool, clock):
    """Opens after 3 failures in a row, half-open after 60 s; no cache, so every read is fresh."""
    return Breaker(3, 60, [P], clock=clock, cache_seconds=0)


def fail(breaker: Breaker, times: int, provider: str = P) -> None:
    for _ in range(times):
        breaker.record(provider, OUTAGE)


@pytest.mark.parametrize(
    "error, outage",
    [
        (Status(500), True),
        (Status(502), True),
        (Status(503), True),
        (Status(429), True),
        (api_status(openai.InternalServerError, 500), True),
        (api_status(openai.RateLimitError, 429), True),
        (openai.APITimeoutError(request=REQUEST), True),
        (openai.APIConnectionError(request=REQUEST), True),
        (TimeoutError(), True),
        (ConnectionRefusedError(), True),
        (UnusableAnswer("no choices"), True),  # a 200 whose body is no answer
        (openai.APIResponseValidationError(httpx.Response(200, request=REQUEST), None), True),
        (json.JSONDecodeError("Expecting value", "<html>", 0), True),
        (Status(302), True),
        (Status(400), False),
        (Status(401), False),
        (api_status(openai.BadRequestError, 400), False),
        (ValueError("our own bad request"), False),
    ],
)
def test_what_counts_as_a_failure(error, outage):
    assert is_outage(error) is outage


def test_opens_after_n_failures_in_a_row(breaker):
    fail(breaker, 2)
    assert (breaker.state(P), breaker.allow(P)) == ("closed", True)
    fail(breaker, 1)
    assert (breaker.state(P), breaker.allow(P)) == ("open", False)


def test_an_answer_resets_the_count(breaker):
    fail(breaker, 2)
    breaker.record(P, None)
    fail(breaker, 2)
    assert breaker.state(P) == "closed"


def test_refusals_of_our_request_do_not_count(breaker):
    for _ in range(5):
        breaker.record(P, Status(400))
    assert breaker.state(P) == "closed"


@pytest.mark.parametrize("bug", [TypeError("ours"), KeyError("ours"), ValueError("ours")])
def test_our_own_bug_neither_resets_nor_counts_and_is_logged(breaker, bug, caplog):
    fail(breaker, 2)
    with caplog.at_level(logging.ERROR, logger="app.agent.breaker"):
        breaker.record(P, bug)
    [logged] = [r for r in caplog.records if r.name == "app.agent.breaker"]
    # With its traceback (the privacy filter may have moved it into exc_text).
    trace = logged.exc_text or logging.Formatter().formatException(logged.exc_info)
    assert f"{type(bug).__name__}: " in trace
    fail(breaker, 1)
    assert breaker.state(P) == "open"


def test_half_open_after_the_reset_time_lets_one_trial_through(breaker, clock):
    fail(breaker, 3)
    clock.advance(59)
    assert (breaker.state(P), breaker.allow(P)) == ("open", False)
    clock.advance(1)
    assert breaker.state(P) == "half_open"
    assert [breaker.allow(P), breaker.allow(P)] == [True, False]
    breaker.record(P, None)  # the trial answered
    assert (breaker.state(P), breaker.allow(P)) == ("closed", True)


def test_a_failed_trial_opens_it_for_another_full_reset(breaker, clock):
    fail(breaker, 3)
    clock.advance(60)
    assert breaker.allow(P)
    fail(breaker, 1)
    assert breaker.state(P) == "open"
    clock.advance(59)
    assert breaker.allow(P) is False
    clock.advance(1)
    assert breaker.allow(P) is True


def test_a_trial_that_never_reports_back_is_given_to_another_caller(breaker, clock):
    fail(breaker, 3)
    clock.advance(60)
    assert breaker.allow(P)  # its process dies before recording anything
    clock.advance(59)
    assert breaker.allow(P) is False
    clock.advance(1)
    assert breaker.allow(P) is True


def test_late_failures_do_not_push_the_half_open_time_back(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    fail(breaker, 2)  # calls already under way when it opened
    clock.advance(30)
    assert breaker.allow(P) is True


def test_every_process_sees_one_state(pool, clock):
    web, worker = (Breaker(3, 60, [P], clock=clock) for _ in range(2))
    fail(web, 3)
    assert worker.allow(P) is False
    clock.advance(60)
    assert [worker.allow(P), web.allow(P)] == [True, False]


@pytest.mark.parametrize("attempt", range(3))
def test_one_trial_among_many_processes_asking_at_once(pool, clock, attempt):
    processes = [Breaker(3, 60, [P], clock=clock, cache_seconds=0) for _ in range(20)]
    fail(processes[0], 3)
    clock.advance(60)
    barrier = threading.Barrier(len(processes))
    allowed: list[bool] = []

    def ask(breaker: Breaker) -> None:
        barrier.wait()
        allowed.append(breaker.allow(P))

    threads = [threading.Thread(target=ask, args=(b,)) for b in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(allowed) == [False] * 19 + [True]


def test_states_are_gauge_values_for_every_provider(breaker, clock):
    assert breaker.states() == {P: 0}
    fail(breaker, 3, OTHER)
    assert breaker.states() == {P: 0, OTHER: 2}
    clock.advance(60)
    assert breaker.states() == {P: 0, OTHER: 1}


@pytest.mark.parametrize(
    "base_url, key",
    [
        (None, "m@https://api.openai.com/v1"),
        ("", "m@https://api.openai.com/v1"),
        ("http://127.0.0.1:8080/v1/", "m@http://127.0.0.1:8080/v1"),
        (
            "https://user:secret@llm.example.com:8443/v1?key=abc#x",
            "m@https://llm.example.com:8443/v1",
        ),
    ],
)
def test_provider_key_is_base_url_and_model_without_credentials(base_url, key):
    assert provider_key(base_url, "m") == key


def test_fallback_settings_default_to_the_primarys():
    primary = {"OPENAI_BASE_URL": "http://a/v1", "OPENAI_MODEL": "m", "OPENAI_API_KEY": "k"}
    assert fallback_settings(primary) is None
    assert fallback_settings({**primary, "FALLBACK_OPENAI_MODEL": "m"}) is None  # same provider
    assert fallback_settings({**primary, "FALLBACK_OPENAI_BASE_URL": "http://b/v1"}) == {
        "base_url": "http://b/v1",
        "model": "m",
        "api_key": "k",
    }
    both = {**primary, "FALLBACK_OPENAI_MODEL": "small", "FALLBACK_OPENAI_API_KEY": "k2"}
    assert fallback_settings(both) == {"base_url": "http://a/v1", "model": "small", "api_key": "k2"}


@pytest.mark.parametrize(
    "key", ["SLOT_HOLD_SECONDS", "LLM_BREAKER_FAILURES", "LLM_BREAKER_RESET_SECONDS"]
)
@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_settings_must_be_positive_whole_numbers(monkeypatch, key, value):
    from app.config import ConfigError, load_config

    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=key):
        load_config()


def test_settings_defaults(monkeypatch):
    from app.config import load_config

    for key in ("SLOT_HOLD_SECONDS", "LLM_BREAKER_FAILURES", "LLM_BREAKER_RESET_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    cfg = load_config()
    assert (cfg["SLOT_HOLD_SECONDS"], cfg["LLM_BREAKER_FAILURES"]) == (300, 5)
    assert cfg["LLM_BREAKER_RESET_SECONDS"] == 60
