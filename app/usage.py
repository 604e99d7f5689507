"""Model usage: tokens as the model reports them, estimated cost, and monthly budgets.

Months are the business's own calendar months, in its timezone. A budget counts prompt plus
completion tokens; it is checked before a turn calls the model, so the turn that crosses it
still finishes on the model and the next one does not.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.storage import usage as store

log = logging.getLogger(__name__)

WARNING_AT = Decimal("0.8")  # the console warns from 80% of the budget
MILLION = Decimal(1_000_000)
CHARS_PER_TOKEN = 4  # a rough English average, for answers that report no usage
Call = tuple[str, int, int]  # (model, prompt tokens, completion tokens)


def from_message(message, fallback_model: str) -> Call | None:
    """What one model answer reports it used, or None when it reports nothing (offline model)."""
    meta = getattr(message, "usage_metadata", None)
    if not meta:
        return None
    model = (getattr(message, "response_metadata", None) or {}).get("model_name")
    return (
        str(model or fallback_model or "unknown")[:200],
        int(meta.get("input_tokens") or 0),
        int(meta.get("output_tokens") or 0),
    )


def estimate(message, fallback_model: str, prompt_chars: int) -> Call:
    """What an answer that reports no usage (the field is optional; some OpenAI-compatible
    servers leave it out) is taken to have used: about four characters a token, so a monthly
    budget still counts its calls."""
    model = (getattr(message, "response_metadata", None) or {}).get("model_name")
    answer = len(str(message.content)) + len(json.dumps(message.tool_calls, default=str))
    return (
        str(model or fallback_model or "unknown")[:200],
        -(-prompt_chars // CHARS_PER_TOKEN),
        -(-answer // CHARS_PER_TOKEN),
    )


def by_model(calls: list[Call]) -> list[Call]:
    """The calls summed per model."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for model, prompt, completion in calls:
        sums[model][0] += prompt
        sums[model][1] += completion
    return [(model, p, c) for model, (p, c) in sorted(sums.items())]


def record(business_id: int, turn_id: int | None, calls: list[Call], purpose: str = "turn"):
    """Store what a turn (or a website import) used, one row per model."""
    store.record(business_id, turn_id, purpose, by_model(calls))


def month_start(now: datetime, timezone: str, back: int = 0) -> datetime:
    """The first instant (in UTC) of `now`'s month in `timezone`, or of `back` months before."""
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    index = local.year * 12 + local.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=tz).astimezone(UTC)


def over_budget(business: dict, now: datetime) -> bool:
    """Whether the business has used its monthly token budget (never, without a budget)."""
    budget = business.get("monthly_token_budget")
    if budget is None:
        return False
    used = store.tokens_since(business["id"], month_start(now, business["timezone"]))
    return used >= budget


def price_of(model: str, prices: dict[str, tuple[Decimal, Decimal]]):
    """(prompt, completion) USD per million tokens: the longest configured name that `model`
    starts with ("gpt-4o-mini" prices "gpt-4o-mini-2024-07-18"), or None."""
    names = [name for name in prices if model == name or model.startswith(name + "-")]
    return prices[max(names, key=len)] if names else None


def cost(model: str, prompt: int, completion: int, prices) -> Decimal | None:
    """Estimated USD for these tokens, or None when the model has no configured price."""
    price = price_of(model, prices)
    if price is None:
        return None
    return (prompt * price[0] + completion * price[1]) / MILLION


def summary(business: dict, now: datetime, prices, months: int = 12) -> dict:
    """Tokens and estimated cost per month (newest first), and the current month's budget state."""
    tz = business["timezone"]
    rows = store.monthly(business["id"], tz, month_start(now, tz, back=months - 1))
    by_month: dict[str, dict] = {}
    for row in rows:
        by_month.setdefault(row["month"], []).append(row)
    listed = [_month(key, by_month[key], prices) for key in sorted(by_month, reverse=True)]
    current_key = now.astimezone(ZoneInfo(tz)).strftime("%Y-%m")
    current = _month(current_key, by_month.get(current_key, []), prices)
    budget = business.get("monthly_token_budget")
    used = current["total_tokens"]
    return {
        "timezone": tz,
        "monthly_token_budget": budget,
        "current_month": {
            **current,
            "budget_used": round(used / budget, 4) if budget else None,
            "warning": budget is not None and used >= WARNING_AT * budget,
            "over_budget": budget is not None and used >= budget,
        },
        "months": listed,
    }


def _month(key: str, rows: list[dict], prices) -> dict:
    """One month's totals and its rows per model."""
    models, total_cost, unpriced = [], Decimal(0), 0
    for row in rows:
        price = cost(row["model"], row["prompt_tokens"], row["completion_tokens"], prices)
        tokens = row["prompt_tokens"] + row["completion_tokens"]
        if price is None:
            unpriced += tokens
        else:
            total_cost += price
        models.append(
            {
                "model": row["model"],
                "prompt_tokens": row["prompt_tokens"],
                "completion_tokens": row["completion_tokens"],
                "estimated_cost_usd": _money(price),
            }
        )
    prompt = sum(r["prompt_tokens"] for r in rows)
    completion = sum(r["completion_tokens"] for r in rows)
    return {
        "month": key,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "estimated_cost_usd": _money(total_cost),
        "unpriced_tokens": unpriced,
        "models": models,
    }


def _money(value: Decimal | None) -> str | None:
    """USD with six decimals (a turn costs fractions of a cent), or None when unpriced."""
    return None if value is None else f"{value:.6f}"
