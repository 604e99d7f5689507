"""LLM faults: timeouts, 5xx, 429, malformed bodies, bad tool calls, endless tool loops.

Whatever the model endpoint does, every customer gets exactly one reply (an apology where the
model failed), no turn waits on a hung model past LLM_TIMEOUT, and nothing is sent twice.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest

from app.agent.loop import APOLOGY, EXHAUSTED
from app.storage import db
from tests import envelopes
from tests.fake_llm import FakeLLM, text_reply, tool_call

LLM_TIMEOUT = 1.0
MAX_ITERATIONS = 4
# A hang outlives the client's timeout by far; it ends when the test releases it.
HANG_LIMIT = 120.0


@dataclass(frozen=True)
class Raw:
    """An answer given byte for byte: a status, a body and extra headers."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Hang:
    """Say nothing until `release` is set (the client times out first), then a late answer."""

    release: threading.Event


def completion(message: dict, model: str = "fake") -> dict:
    """A chat.completion body around one assistant message."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def api_error(message: str, kind: str = "server_error", code: str | None = None) -> dict:
    """An OpenAI error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def tool_history_problem(body: dict) -> str | None:
    """What OpenAI would refuse in the request's tool-call history (None when it is well formed).

    Every assistant tool call must be answered by a tool message with its id before the next
    non-tool message, and every tool message must answer such a call.
    """
    open_ids: set[str] = set()
    for message in body.get("messages", []):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_ids:
                return f"tool message {call_id!r} answers no preceding tool call"
            open_ids.discard(call_id)
            continue
        if open_ids:
            return f"tool calls {sorted(open_ids)} have no tool message"
        if role == "assistant":
            for call in message.get("tool_calls") or []:
                arguments = call.get("function", {}).get("arguments")
                if not isinstance(arguments, str):
                    return "tool call arguments must be a string"
                open_ids.add(call["id"])
    return f"tool calls {sorted(open_ids)} have no tool message" if open_ids else None


def turn_texts(body: dict) -> list[str]:
    """The customer's messages of the turn being answered (user messages after the last reply)."""
    texts: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") == "assistant" and message.get("content"):
            texts = []  # an earlier answered turn from the history
        elif message.get("role") == "user":
            texts.append(message.get("content") or "")
    return texts


def echo(body: dict, extra: str = "") -> dict:
    """A reply naming every customer message of the turn: ECHO[a|b] (parsed back by `echoed`)."""
    return text_reply(f"ECHO[{'|'.join(turn_texts(body))}]{extra}")


ECHO = re.compile(r"ECHO\[(.*?)\]", re.S)


def echoed(bodies: list[str]) -> list[str]:
    """Every customer message the replies `bodies` answered, in order."""
    out: list[str] = []
    for body in bodies:
        for match in ECHO.finditer(body):
            # One user message per model turn, several quick messages joined by newlines.
            out.extend(re.split(r"[|\n]", match.group(1)))
    return out


def last_is_tool_result(body: dict) -> bool:
    """Whether the request ends with a tool result (the model is to answer now)."""
    messages = body.get("messages") or [{}]
    return messages[-1].get("role") == "tool"


class FaultyLLM(FakeLLM):
    """FakeLLM that can also answer raw bytes or hang, and refuses malformed tool histories.

    Script steps (or what a callable step returns) may be, besides FakeLLM's message dicts and
    (status, body) tuples, a `Raw` answer or a `Hang`.
    """

    def __init__(self):
        super().__init__()
        self.default = echo

    def answer(self, body: dict) -> Raw:
        """The bytes to answer one request with."""
        problem = tool_history_problem(body)
        if problem:
            return _json(400, api_error(problem, "invalid_request_error"))
        with self._cond:
            step = self.script.pop(0) if self.script else self.default
        if callable(step):
            step = step(body)
        if isinstance(step, Hang):
            step.release.wait(HANG_LIMIT)
            step = text_reply("an answer nobody waits for any more")
        if isinstance(step, Raw):
            return step
        if isinstance(step, tuple):
            return _json(*step)
        return _json(200, completion(step, body.get("model", "fake")))

    def _handler(self):
        fake = self
        base = super()._handler()

        class Handler(base):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._cond:
                    fake.requests.append(body)
                    fake._cond.notify_all()
                fake.entered.set()
                fake.hold.wait(60)
                raw = fake.answer(body)
                try:
                    self.send_response(raw.status)
                    for name, value in raw.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw.body)))
                    self.end_headers()
                    self.wfile.write(raw.body)
                except OSError:
                    pass  # the client gave up (timed out) before the answer came

        return Handler


def _json(status: int, payload: dict) -> Raw:
    return Raw(status, json.dumps(payload).encode())


@pytest.fixture
def fake_llm():
    """A FaultyLLM instead of the plain fake, for every test of this module."""
    server = FaultyLLM().start()
    yield server
    server.stop()


@pytest.fixture
def app_config(request, app_config):
    """A short LLM timeout, no client retries, a small iteration budget (or the test's own)."""
    return {
        **app_config,
        "LLM_TIMEOUT": LLM_TIMEOUT,
        "LLM_MAX_RETRIES": 0,
        "AGENT_MAX_ITERATIONS": MAX_ITERATIONS,
        **getattr(request, "param", {}),
    }


def run_within(func, seconds: float = 120.0) -> None:
    """Run `func` on a thread; fail (instead of hanging the suite) if it outlives `seconds`."""
    errors: list[BaseException] = []

    def target():
        try:
            func()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{func} still running after {seconds}s: a turn hangs"
    if errors:
        raise errors[0]


def sent_to(fake_graph, wa_id: str) -> list[str]:
    """Bodies of the text messages WhatsApp accepted for one customer, in order."""
    return [m["text"]["body"] for m in fake_graph.messages_sent() if m["to"] == wa_id]


def inbound_statuses() -> list[str]:
    return [r["status"] for r in db.fetch_all("SELECT status FROM messages WHERE direction = 'in'")]


def jobs_left() -> int:
    return db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        # Reminders, the next purge and the next calendar read-back wait for their time: they
        # are not work left over.
        " AND NOT (task_name IN ('send_reminder', 'purge_old_messages', 'read_google_changes')"
        " AND scheduled_at > now())"
    )["n"]


def rate_limited(headers: tuple = ()) -> Raw:
    body = api_error("Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded")
    return Raw(429, json.dumps(body).encode(), (("Content-Type", "application/json"), *headers))


FAILURES = {
    "http 500": ((500, api_error("The server had an error")),),
    "http 502 html": (Raw(502, b"<html>Bad Gateway</html>", (("Content-Type", "text/html"),)),),
    "http 429": (rate_limited(),),
    "http 401": ((401, api_error("Incorrect API key", "invalid_request_error")),),
    "truncated json": (Raw(200, b'{"id": "x", "choices": [{"index": 0, "mess'),),
    "not json": (Raw(200, b"upstream request timeout", (("Content-Type", "text/plain"),)),),
    "missing choices": ((200, {"id": "x", "object": "chat.completion", "model": "fake"}),),
    "choices not a list": ((200, {"id": "x", "object": "chat.completion", "choices": "no"}),),
    "json array": (Raw(200, b"[1, 2, 3]"),),
}


@pytest.mark.parametrize("steps", FAILURES.values(), ids=FAILURES.keys())
def test_model_failure_gets_one_apology(steps, post_webhook, drain, fake_llm, fake_graph):
    fake_llm.script.extend(steps)
    post_webhook(envelopes.text("hello", wa_id="34600000001"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000001") == [APOLOGY]
    assert len(fake_llm.requests) == 1  # no retry storm against a failing model
    turn = db.fetch_one("SELECT status, error FROM turns")
    assert turn["status"] == "failed" and turn["error"].startswith("llm:")
    assert inbound_statuses() == ["failed"]
    assert jobs_left() == 0


def test_hung_model_times_out_and_the_customer_gets_an_apology(
    post_webhook, drain, fake_llm, fake_graph
):
    release = threading.Event()
    fake_llm.script.append(Hang(release))
    post_webhook(envelopes.text("hello", wa_id="34600000002"))
    try:
        run_within(drain)
        # The model is still hanging (it answers only after `release`): the turn did not wait.
        assert not release.is_set()
        assert sent_to(fake_graph, "34600000002") == [APOLOGY]
    finally:
        release.set()
    assert "TimeoutError" in db.fetch_one("SELECT error FROM turns")["error"]
    assert inbound_statuses() == ["failed"]


def test_model_that_never_stops_calling_tools_is_cut_off(post_webhook, drain, fake_llm, fake_graph):
    fake_llm.default = lambda body: tool_call("list_services", {})
    post_webhook(envelopes.text("hello", wa_id="34600000003"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000003") == [EXHAUSTED]
    assert len(fake_llm.requests) == MAX_ITERATIONS
    turn = db.fetch_one("SELECT status, error, tool_calls FROM turns")
    assert (turn["status"], turn["error"]) == ("failed", "max iterations reached")
    assert len(turn["tool_calls"]) == MAX_ITERATIONS


BAD_CALLS = {
    "arguments not json": tool_call("book_appointment", '{"service": "Haircut", "date": '),
    "unknown tool": tool_call("drop_all_tables", {}),
    "wrong argument types": tool_call("book_appointment", {"service": ["x"], "date": {"y": 1}}),
    "missing arguments": tool_call("cancel_appointment", {}),
    "huge id": tool_call("cancel_appointment", {"appointment_id": 10**40}),
    # Valid JSON, but not the object of named arguments a tool takes.
    "arguments a list": tool_call("book_appointment", "[1, 2]"),
    "arguments a string": tool_call("handoff_to_human", '"call me"'),
    "arguments a number": tool_call("cancel_appointment", "7"),
    # A name the database cannot store (jsonb refuses NUL and lone surrogates).
    "NUL in the name": tool_call("list_services\u0000", {}),
    "surrogate in the name": tool_call("list_services\ud800", {}),
}


@pytest.mark.parametrize("bad_call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_invalid_tool_call_is_answered_to_the_model_not_the_customer(
    bad_call, post_webhook, drain, fake_llm, fake_graph
):
    fake_llm.script.append(bad_call)
    post_webhook(envelopes.text("book me in", wa_id="34600000004"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000004") == ["ECHO[book me in]"]
    assert len(fake_llm.requests) == 2
    tool_result = json.loads(fake_llm.requests[1]["messages"][-1]["content"])
    assert tool_result["ok"] is False
    assert db.fetch_one("SELECT count(*) AS n FROM appointments")["n"] == 0
    assert inbound_statuses() == ["processed"]
    assert db.fetch_one("SELECT status FROM turns")["status"] == "answered"
    assert jobs_left() == 0


def calls_with_ids(*ids: str | None) -> dict:
    """One message calling a reading tool once per id (None: the call has no `id` at all)."""
    names = ["list_services", "list_my_appointments"]
    calls = [
        {"type": "function", "function": {"name": names[i % 2], "arguments": "{}"}}
        | ({} if call_id is None else {"id": call_id})
        for i, call_id in enumerate(ids)
    ]
    return {"role": "assistant", "content": None, "tool_calls": calls}


ODD_IDS = {
    "no ids": calls_with_ids(None, None),
    "empty ids": calls_with_ids("", ""),
    "one id for two calls": calls_with_ids("call_1", "call_1"),
}


@pytest.mark.parametrize("message", ODD_IDS.values(), ids=ODD_IDS.keys())
def test_tool_calls_without_their_own_ids_are_each_answered(
    message, post_webhook, drain, fake_llm, fake_graph
):
    fake_llm.script.append(message)
    post_webhook(envelopes.text("what do you offer?", wa_id="34600000010"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000010") == ["ECHO[what do you offer?]"]
    answered = [m for m in fake_llm.requests[1]["messages"] if m["role"] == "tool"]
    assert len({m["tool_call_id"] for m in answered}) == 2
    turn = db.fetch_one("SELECT status, tool_calls FROM turns")
    assert turn["status"] == "answered" and len(turn["tool_calls"]) == 2


@pytest.mark.parametrize("finish_reason", ["length", "content_filter"])
def test_an_answer_cut_off_is_not_sent_as_the_reply(
    finish_reason, post_webhook, drain, fake_llm, fake_graph
):
    body = completion(text_reply("Your haircut is on Tuesday at"))
    body["choices"][0]["finish_reason"] = finish_reason
    fake_llm.script.append((200, body))
    post_webhook(envelopes.text("when is my haircut?", wa_id="34600000011"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000011") == [EXHAUSTED]
    turn = db.fetch_one("SELECT status, error FROM turns")
    assert (turn["status"], turn["error"]) == ("failed", "incomplete reply")


def test_arguments_not_an_object_keep_the_calls_usage(post_webhook, drain, fake_llm, fake_graph):
    fake_llm.script.append(tool_call("book_appointment", "[1, 2]"))
    post_webhook(envelopes.text("book me in", wa_id="34600000004"))
    run_within(drain)
    used = db.fetch_one(
        "SELECT sum(prompt_tokens) AS p, sum(completion_tokens) AS c FROM model_usage"
    )
    assert (used["p"], used["c"]) == (20, 10)  # both calls, the refused one too
    [call] = db.fetch_one("SELECT tool_calls FROM turns")["tool_calls"]
    assert call["result"]["error"] == "invalid_arguments"


def test_empty_answer_gets_the_fallback_reply(post_webhook, drain, fake_llm, fake_graph):
    fake_llm.script.extend([text_reply(""), text_reply("   ")])
    post_webhook(envelopes.text("hello", wa_id="34600000005"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000005") == [EXHAUSTED]
    assert inbound_statuses() == ["failed"]


@pytest.mark.parametrize("app_config", [{"LLM_MAX_RETRIES": 2}], indirect=True)
def test_rate_limit_then_recovery_within_client_retries(
    app_config, post_webhook, drain, fake_llm, fake_graph
):
    """With client retries on, a 429 and a 500 are retried and the customer gets the answer."""
    fake_llm.script.extend(
        [rate_limited((("retry-after-ms", "10"),)), (500, api_error("overloaded"))]
    )
    post_webhook(envelopes.text("hello", wa_id="34600000006"))
    run_within(drain)
    assert sent_to(fake_graph, "34600000006") == ["ECHO[hello]"]
    assert len(fake_llm.requests) == 3
    assert db.fetch_one("SELECT status FROM turns")["status"] == "answered"


@pytest.mark.parametrize("app_config", [{"LLM_MAX_RETRIES": 2}], indirect=True)
def test_a_retry_after_longer_than_the_timeout_is_not_waited_for(
    app_config, post_webhook, drain, fake_llm, fake_graph
):
    """The client would sleep each Retry-After (up to two minutes) before retrying: the turn
    would outlast LLM_TIMEOUT by far before the fallback, the breaker or the apology could act."""
    fake_llm.script.extend([rate_limited((("retry-after", "30"),))] * 3)
    post_webhook(envelopes.text("hello", wa_id="34600000012"))
    started = time.monotonic()
    run_within(drain, seconds=60)
    assert time.monotonic() - started < 10 * LLM_TIMEOUT
    assert sent_to(fake_graph, "34600000012") == [APOLOGY]
    assert len(fake_llm.requests) == 1
    assert "RateLimitError (HTTP 429)" in db.fetch_one("SELECT error FROM turns")["error"]


def mixed_behaviour(release: threading.Event):
    """A model whose failure depends on the customer's message (the message names it)."""

    def respond(body: dict):
        texts = turn_texts(body)
        kind = texts[0].split(":", 1)[0] if texts else ""
        if kind == "loop":
            return tool_call("list_my_appointments", {})
        if last_is_tool_result(body) or kind == "ok":
            return echo(body)
        return {
            "hang": Hang(release),
            "500": (500, api_error("boom")),
            "429": rate_limited(),
            "garbage": Raw(200, b"\x00\xff not json"),
            "nochoices": (200, {"id": "x"}),
            "badtool": tool_call("book_appointment", "{oops"),
            "notobject": tool_call("book_appointment", "[1, 2]"),
        }[kind]

    return respond


KINDS = ["ok", "hang", "500", "429", "garbage", "nochoices", "badtool", "notobject", "loop"]
EXPECTED = {"hang": APOLOGY, "500": APOLOGY, "429": APOLOGY, "garbage": APOLOGY}
EXPECTED |= {"nochoices": APOLOGY, "loop": EXHAUSTED}


def test_many_customers_with_every_fault_at_once_each_get_one_reply(
    post_webhook, worker, fake_llm, fake_graph
):
    release = threading.Event()
    fake_llm.default = mixed_behaviour(release)
    customers = {kind: f"3460100{i:04d}" for i, kind in enumerate(KINDS)}
    try:
        for kind, wa_id in customers.items():
            assert post_webhook(envelopes.text(f"{kind}: hi", wa_id=wa_id)).status_code == 200
        fake_graph.wait_for_sends(len(KINDS), timeout=120)
        assert not release.is_set()  # the hanging call was abandoned, not waited for
    finally:
        release.set()
    db_wait(lambda: jobs_left() == 0 and "received" not in inbound_statuses())
    for kind, wa_id in customers.items():
        expected = EXPECTED.get(kind, f"ECHO[{kind}: hi]")
        assert sent_to(fake_graph, wa_id) == [expected], kind
    assert Counter(m["to"] for m in fake_graph.messages_sent()) == Counter(customers.values())


def db_wait(predicate, timeout: float = 60.0) -> None:
    """Poll the database until `predicate()` holds (nothing to wait on across threads)."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the database to settle"
        tick.wait(0.05)
