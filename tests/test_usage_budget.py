"""Model usage per turn as the model reports it, monthly budgets per business, usage per month."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app import usage
from app.storage import db
from tests import envelopes
from tests.fake_llm import text_reply, tool_call

OTHER_PHONE = "999000999"  # the `world` fixture's second tenant
GREETING = (
    "Hi Alex! Welcome to Demo Salon. I can tell you about our services, prices and opening "
    "hours, show free times, and book, move or cancel appointments."
)


def reported(message: dict, prompt: int, completion: int, model: str = "gpt-4o-mini-2024-07-18"):
    """A fake-LLM step answering `message` and reporting this usage."""
    return (
        200,
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        },
    )


@pytest.fixture
def say(post_webhook, drain, fake_graph):
    """A customer writes to a business's number; returns the bot's reply."""

    def run(text: str, phone: str = envelopes.PHONE_NUMBER_ID, wa_id: str = "34600111222"):
        before = len(fake_graph.messages_sent())
        envelope = envelopes.text(text, wa_id=wa_id, phone_number_id=phone)
        assert post_webhook(envelope).status_code == 200
        drain()
        replies = [m["text"]["body"] for m in fake_graph.messages_sent()[before:]]
        assert len(replies) == 1, replies
        return replies[0]

    return run


def usage_rows() -> list[dict]:
    return db.fetch_all(
        "SELECT u.business_id, u.turn_id, u.purpose, u.model, u.prompt_tokens,"
        " u.completion_tokens FROM model_usage u ORDER BY u.id"
    )


def last_turn_id() -> int:
    return db.fetch_one("SELECT max(id) AS id FROM turns")["id"]


def spend(business_id: int, tokens: int, when: datetime | None = None, model="gpt-4o-mini"):
    """Usage recorded earlier (by a turn of another day)."""
    db.execute(
        "INSERT INTO model_usage (business_id, purpose, model, prompt_tokens, completion_tokens,"
        " created_at) VALUES (%s, 'turn', %s, %s, 0, %s)",
        (business_id, model, tokens, when or datetime.now(UTC)),
    )


def set_budget(business_id: int, budget: int | None) -> None:
    db.execute(
        "UPDATE businesses SET monthly_token_budget = %s, updated_at = clock_timestamp()"
        " WHERE id = %s",
        (budget, business_id),
    )


def test_stored_usage_is_what_the_model_reported(world, say, fake_llm):
    fake_llm.script.extend(
        [
            reported(tool_call("list_services", {}), 812, 17),
            reported(text_reply("We offer haircuts, beard trims and colouring."), 930, 41),
        ]
    )
    assert say("what do you offer?") == "We offer haircuts, beard trims and colouring."
    assert usage_rows() == [
        {
            "business_id": world.business_id,
            "turn_id": last_turn_id(),
            "purpose": "turn",
            "model": "gpt-4o-mini-2024-07-18",
            "prompt_tokens": 812 + 930,
            "completion_tokens": 17 + 41,
        }
    ]


def test_a_turn_on_two_models_stores_one_row_per_model(world, say, fake_llm):
    fake_llm.script.extend(
        [
            reported(tool_call("list_services", {}), 100, 10, model="gpt-4o-mini"),
            reported(text_reply("Here you are."), 200, 20, model="gpt-4o"),
        ]
    )
    say("prices?")
    rows = [(r["model"], r["prompt_tokens"], r["completion_tokens"]) for r in usage_rows()]
    assert rows == [("gpt-4o", 200, 20), ("gpt-4o-mini", 100, 10)]


def test_over_budget_the_turn_runs_without_the_model(world, say, fake_llm):
    set_budget(world.business_id, 1000)
    spend(world.business_id, 1000)
    assert say("Hello!") == GREETING  # the offline flow's own words
    assert fake_llm.requests == []
    turn = db.fetch_one("SELECT status FROM turns ORDER BY id DESC LIMIT 1")
    assert turn["status"] == "answered"
    assert len(usage_rows()) == 1  # only the earlier spend


def test_the_budget_is_checked_before_each_turn(world, say, fake_llm):
    set_budget(world.business_id, 30)  # each fake answer reports 10 + 5 tokens
    say("hello")
    say("hello again")
    assert len(fake_llm.requests) == 2
    assert say("Hello!") == GREETING
    assert len(fake_llm.requests) == 2


def test_an_answer_that_reports_no_usage_still_counts_against_the_budget(world, say, fake_llm):
    set_budget(world.business_id, 200)
    status, body = reported(text_reply("Hi there!"), 0, 0)
    del body["usage"]  # optional in the API: some OpenAI-compatible servers leave it out
    fake_llm.script.append((status, body))
    assert say("hello") == "Hi there!"
    [row] = usage_rows()
    assert row["prompt_tokens"] > 200  # estimated from the request: its prompt alone is longer
    assert row["completion_tokens"] > 0
    assert say("Hello!") == GREETING
    assert len(fake_llm.requests) == 1


def test_one_tenant_over_budget_never_affects_another(world, say, fake_llm):
    set_budget(world.business_id, 10)
    spend(world.business_id, 50)
    set_budget(world.other_business_id, 10_000)
    spend(world.other_business_id, 9_000)
    assert say("Hello!") == GREETING
    assert fake_llm.requests == []
    assert say("hello", phone=OTHER_PHONE, wa_id="34600999888") == "You said: hello"
    assert len(fake_llm.requests) == 1
    assert "Other Studio" in fake_llm.requests[0]["messages"][0]["content"]


def test_last_months_usage_does_not_count(world, say, fake_llm):
    set_budget(world.business_id, 100)
    month_start = usage.month_start(datetime.now(UTC), "Europe/Madrid")
    spend(world.business_id, 5000, when=month_start - timedelta(seconds=1))
    assert say("hello") == "You said: hello"
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "now, timezone, start",
    [
        # 00:30 on 1 April in Madrid (summer time) is still 31 March in UTC.
        ("2026-03-31T22:30:00+00:00", "Europe/Madrid", "2026-03-31T22:00:00+00:00"),
        ("2026-03-31T21:30:00+00:00", "Europe/Madrid", "2026-02-28T23:00:00+00:00"),
        ("2026-01-15T12:00:00+00:00", "UTC", "2026-01-01T00:00:00+00:00"),
        ("2026-01-01T03:00:00+00:00", "America/New_York", "2025-12-01T05:00:00+00:00"),
    ],
)
def test_months_are_the_business_timezones(now, timezone, start):
    assert usage.month_start(datetime.fromisoformat(now), timezone) == datetime.fromisoformat(start)


PRICES = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal(10)),
}


@pytest.mark.parametrize(
    "model, cost",
    [
        ("gpt-4o-mini", Decimal("0.00075")),  # 1000 * 0.15/1e6 + 1000 * 0.60/1e6
        ("gpt-4o-mini-2024-07-18", Decimal("0.00075")),
        ("gpt-4o", Decimal("0.0125")),
        ("gpt-4o-2024-08-06", Decimal("0.0125")),
        ("gpt-4.1", None),
        ("gpt-4omni", None),
    ],
)
def test_cost_uses_the_longest_configured_model_name(model, cost):
    assert usage.cost(model, 1000, 1000, PRICES) == cost


def test_usage_endpoint_reports_months_cost_and_the_warning(api, world):
    set_budget(world.business_id, 10_000)
    last_month = usage.month_start(datetime.now(UTC), "Europe/Madrid") - timedelta(days=3)
    db.execute(
        "INSERT INTO model_usage (business_id, purpose, model, prompt_tokens, completion_tokens,"
        " created_at) VALUES (%(b)s, 'turn', 'gpt-4o-mini', 6000, 1000, now()),"
        " (%(b)s, 'import', 'other-model', 1200, 300, now()),"
        " (%(b)s, 'turn', 'gpt-4o-mini', 100, 0, %(last)s),"
        " (%(other)s, 'turn', 'gpt-4o-mini', 999999, 0, now())",
        {"b": world.business_id, "other": world.other_business_id, "last": last_month},
    )
    resp = api("GET", f"/businesses/{world.business_id}/usage", "owner")
    assert resp.status_code == 200
    body = resp.get_json()
    this_month = datetime.now(UTC).astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m")
    assert body["monthly_token_budget"] == 10_000
    assert body["current_month"] == {
        "month": this_month,
        "prompt_tokens": 7200,
        "completion_tokens": 1300,
        "total_tokens": 8500,
        "estimated_cost_usd": "0.001500",  # 6000 * 0.15/1e6 + 1000 * 0.60/1e6; other-model unpriced
        "unpriced_tokens": 1500,
        "models": [
            {
                "model": "gpt-4o-mini",
                "prompt_tokens": 6000,
                "completion_tokens": 1000,
                "estimated_cost_usd": "0.001500",
            },
            {
                "model": "other-model",
                "prompt_tokens": 1200,
                "completion_tokens": 300,
                "estimated_cost_usd": None,
            },
        ],
        "budget_used": 0.85,
        "warning": True,
        "over_budget": False,
    }
    assert [(m["month"], m["total_tokens"]) for m in body["months"]] == [
        (this_month, 8500),
        (last_month.astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m"), 100),
    ]


@pytest.mark.parametrize(
    "budget, used, warning, over",
    [(None, 5000, False, False), (1000, 799, False, False), (1000, 800, True, False),
     (1000, 1000, True, True), (0, 0, True, True)],
)  # fmt: skip
def test_the_warning_starts_at_80_percent(api, world, budget, used, warning, over):
    set_budget(world.business_id, budget)
    if used:
        spend(world.business_id, used)
    current = api("GET", f"/businesses/{world.business_id}/usage").get_json()["current_month"]
    assert (current["warning"], current["over_budget"]) == (warning, over)


def test_only_a_superadmin_sets_the_budget(api, world):
    path = f"/businesses/{world.business_id}"
    refused = api("PATCH", path, "owner", json={"monthly_token_budget": 50_000})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "only a superadmin may change monthly_token_budget"
    resp = api("PATCH", path, "superadmin", json={"monthly_token_budget": 50_000})
    assert resp.status_code == 200
    assert resp.get_json()["monthly_token_budget"] == 50_000
    assert api("GET", path, "owner").get_json()["monthly_token_budget"] == 50_000
    cleared = api("PATCH", path, "superadmin", json={"monthly_token_budget": None})
    assert cleared.get_json()["monthly_token_budget"] is None


@pytest.mark.parametrize("value", [-1, 1.5, "1000", True, 10**12 + 1])
def test_a_bad_budget_names_the_field(api, world, value):
    resp = api(
        "PATCH", f"/businesses/{world.business_id}", "superadmin",
        json={"monthly_token_budget": value},
    )  # fmt: skip
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {
        "monthly_token_budget": "must be an integer from 0 to 1000000000000"
    }
