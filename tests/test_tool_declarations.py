"""Tools are declared once (name, schema, claim); grounding, metrics and offline replies read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from app import metrics
from app.agent import tools
from app.agent.tools import BOOKED, CANCELLED, MOVED, ToolContext
from app.agent.tools.base import dump, tool
from app.agent.tools.grounding import check_grounded

S, INT = {"type": "string"}, {"type": "integer"}
# What the model sees; the fake model scripts and the offline model rely on these.
PARAMETERS = {
    "list_services": ({}, []),
    "get_business_info": ({}, []),
    "find_available_slots": (
        {
            "service": S,
            "date": S,
            "after": {**S, "default": ""},
            "before": {**S, "default": ""},
            "appointment_id": {**INT, "default": 0},
        },
        ["service", "date"],
    ),
    "book_appointment": ({"service": S, "date": S, "time": S}, ["service", "date", "time"]),
    "list_my_appointments": ({}, []),
    "reschedule_appointment": (
        {"appointment_id": INT, "date": S, "time": S},
        ["appointment_id", "date", "time"],
    ),
    "cancel_appointment": ({"appointment_id": INT}, ["appointment_id"]),
    "handoff_to_human": ({"reason": S, "summary": S}, ["reason", "summary"]),
}
CTX = ToolContext(
    business={"id": 1, "timezone": "UTC", "services": [], "name": "x", "opening_hours": {}},
    customer={"id": 1},
    turn_id=None,
    now=datetime(2026, 6, 1, tzinfo=UTC),
)


def test_names_and_argument_schemas_are_what_the_model_has_always_seen():
    seen = {}
    for spec in map(convert_to_openai_tool, tools.make_tools(CTX)):
        params = spec["function"]["parameters"]
        seen[spec["function"]["name"]] = (params["properties"], params.get("required", []))
    assert seen == PARAMETERS


def test_claims_are_declared_by_the_tools_that_act():
    claims = {t.name: t.claim for t in tools.TOOLS if t.claim}
    assert claims == {
        "book_appointment": BOOKED,
        "reschedule_appointment": MOVED,
        "cancel_appointment": CANCELLED,
    }


@tool(claim=BOOKED)
def confirm_time(ctx: ToolContext, hold_id: int) -> str:
    """Book the time held for this customer."""
    return dump({"ok": True})


def test_a_new_tool_is_grounded_by_its_declaration_alone():
    declared = [*tools.TOOLS, confirm_time]
    reply = "Your haircut is booked!"
    before = check_grounded(reply, [], declared)
    assert before is not None
    assert "no book_appointment or confirm_time call succeeded" in before
    done = [{"name": "confirm_time", "ok": True, "result": {"ok": True}}]
    assert check_grounded(reply, done, declared) is None
    assert confirm_time.bind(CTX).invoke({"hold_id": 3}) == '{"ok": true}'


def test_the_model_free_flow_declares_the_claims_of_its_own_actions():
    assert tools.claim_of("confirm_hold") == BOOKED  # a confirmed hold is a booking
    assert tools.claim_of("hold_time") is None  # a hold is not
    assert tools.claim_of("release_hold") is None


def test_metrics_count_outcomes_of_the_tools_that_claim():
    def count(result: str) -> float:
        return metrics.BOOKINGS.labels(result)._value.get()

    before = count("booked"), count("already_cancelled")
    records = [
        {"name": "book_appointment", "ok": True, "latency_ms": 1, "result": {"status": "booked"}},
        {"name": "list_services", "ok": True, "latency_ms": 1, "result": {"status": "booked"}},
        {
            "name": "cancel_appointment",
            "ok": False,
            "latency_ms": 1,
            "result": {"error": "already_cancelled"},
        },
    ]
    metrics.record_tool_calls(records)
    assert (count("booked"), count("already_cancelled")) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    "record",
    [
        {"name": "ann_smith_at_calle_mayor_5", "result": {"error": "invalid_arguments"}},
        {"name": "drop_all_tables", "result": {"error": "unknown_tool"}},
        {"name": "list_services\ufffd", "result": {"error": "invalid_arguments"}},
    ],
)
def test_metrics_label_a_name_no_tool_has_as_unknown(record):
    metrics.record_tool_calls([{**record, "ok": False, "latency_ms": 1}])
    labels = {s.labels["tool"] for m in metrics.TOOL_CALLS.collect() for s in m.samples}
    assert record["name"] not in labels and "unknown" in labels


@pytest.mark.parametrize("name", ["book_appointment", "hold_time", "confirm_attendance"])
def test_metrics_label_our_tools_and_flow_actions_by_name(name):
    metrics.record_tool_calls([{"name": name, "ok": True, "latency_ms": 1, "result": {}}])
    labels = {s.labels["tool"] for m in metrics.TOOL_CALLS.collect() for s in m.samples}
    assert name in labels
