"""Traces, privacy, request ids, metrics and Langfuse."""

import gzip
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app import tracing
from app.storage import db
from tests import envelopes
from tests.conftest import ACCESS_TOKEN, APP_SECRET, SECRET_KEY, VERIFY_TOKEN
from tests.fake_http import RecordingServer
from tests.fake_llm import text_reply, tool_call

CUSTOMER = "34600999888"
NAME = "Mariana Quintero"


def next_weekday_10am(weekday: int = 1) -> tuple[str, datetime]:
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()
    day = today + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day.isoformat(), datetime.combine(day, datetime.min.time()).replace(hour=10)


def booking_turn(post_webhook, drain, fake_llm, headers=None):
    day, _ = next_weekday_10am()
    fake_llm.script += [
        tool_call("book_appointment", {"service": "Haircut", "date": day, "time": "10:00"}),
        text_reply("Booked your haircut."),
    ]
    response = post_webhook(
        envelopes.text("book a haircut please", wa_id=CUSTOMER, name=NAME), headers=headers
    )
    drain()
    return response


def trace_lines(text: str) -> list[dict]:
    events = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "trace":
            events.append(json.loads(entry["message"]))
    return events


def test_console_trace_has_turn_llm_and_tools_without_pii(post_webhook, drain, fake_llm, capsys):
    booking_turn(post_webhook, drain, fake_llm)
    err = capsys.readouterr().err
    events = trace_lines(err)
    kinds = [e["trace"] for e in events]
    assert kinds[0] == "turn.start" and "turn.end" in kinds
    llm_calls = [e for e in events if e["trace"] == "llm.call"]
    assert len(llm_calls) == 2 and all(e["latency_ms"] >= 0 for e in llm_calls)
    assert llm_calls[0]["tokens"] == {"prompt_tokens": 10, "completion_tokens": 5}
    tools = [e for e in events if e["trace"] == "tool.call"]
    assert [t["tool"] for t in tools] == ["book_appointment"]
    assert tools[0]["result"]["ok"] is True and tools[0]["latency_ms"] >= 0
    # Free-text arguments may quote the customer: only dates, times and numbers are kept.
    assert tools[0]["args"]["service"] == "[text]" and tools[0]["args"]["time"] == "10:00"
    assert set(tools[0]["result"]) == {"ok", "status", "appointment_id"}
    assert len({e["run_id"] for e in events}) == 1
    for secret in (
        CUSTOMER,
        NAME,
        "Mariana",
        APP_SECRET,
        SECRET_KEY,
        ACCESS_TOKEN,
        "book a haircut",
    ):
        assert secret not in err


def test_tool_errors_quoting_the_customer_stay_out_of_traces(post_webhook, drain, fake_llm, capsys):
    fake_llm.script += [
        tool_call("book_appointment", {"service": "my aunt Rosa's wig", "date": "x", "time": "y"}),
        text_reply("Sorry."),
    ]
    post_webhook(envelopes.text("book", wa_id=CUSTOMER))
    drain()
    err = capsys.readouterr().err
    tools = [e for e in trace_lines(err) if e["trace"] == "tool.call"]
    assert tools and tools[0]["result"] == {"ok": False, "error": "unknown_service"}
    assert "Rosa" not in err


def test_model_errors_quoting_the_customer_stay_out_of_traces_and_turns(
    post_webhook, drain, fake_llm, capsys
):
    refusal = {"error": {"message": "Invalid content: 'Rosa Quintero, Calle Mayor 5'"}}
    fake_llm.script.append((400, refusal))
    post_webhook(envelopes.text("help", wa_id=CUSTOMER))
    drain()
    err = capsys.readouterr().err
    [end] = [e for e in trace_lines(err) if e["trace"] == "turn.end"]
    assert end["error"] == "llm: OpenAIInvalidRequestError (HTTP 400)"
    assert db.fetch_one("SELECT error FROM turns")["error"] == end["error"]
    assert "Rosa" not in err


def test_an_invented_tool_name_is_no_metric_label(client, post_webhook, drain, fake_llm):
    invented = "ann_smith_at_calle_mayor_5"
    before = client.get("/metrics").get_data(as_text=True)
    fake_llm.script += [tool_call(invented, "{not json"), text_reply("Sorry.")]
    post_webhook(envelopes.text("hello", wa_id=CUSTOMER))
    drain()
    after = client.get("/metrics").get_data(as_text=True)
    assert invented not in after
    counted = [
        metric(page, "tool_calls_total", tool="unknown", ok="false") for page in (before, after)
    ]
    assert counted[1] == counted[0] + 1


def test_an_invented_tool_name_stays_out_of_traces(post_webhook, drain, fake_llm, capsys):
    """A tool name the model made up may quote the customer: the trace says "unknown"."""
    invented = "ann_smith_at_calle_mayor_5"
    fake_llm.script += [tool_call(invented, {}), text_reply("Sorry.")]
    post_webhook(envelopes.text("hello", wa_id=CUSTOMER))
    drain()
    err = capsys.readouterr().err
    calls = [e for e in trace_lines(err) if e["trace"] == "llm.call"]
    assert calls[0]["tool_calls"] == ["unknown"]
    assert invented not in err


def test_a_number_the_model_passes_as_a_tool_argument_is_hashed(
    post_webhook, drain, fake_llm, capsys
):
    """The customer's number, given to a tool as a JSON number rather than a string, is hashed
    in the trace as it is in text."""
    fake_llm.script += [
        tool_call("cancel_appointment", {"appointment_id": int(CUSTOMER)}),
        text_reply("Sorry."),
    ]
    post_webhook(envelopes.text("cancel please", wa_id=CUSTOMER))
    drain()
    err = capsys.readouterr().err
    [call] = [e for e in trace_lines(err) if e["trace"] == "tool.call"]
    assert call["args"]["appointment_id"].startswith("h:")
    assert CUSTOMER not in err


def test_message_text_is_traced_only_when_enabled(app, post_webhook, drain, fake_llm, capsys):
    app.config["TRACE_LOG_PII"] = True
    booking_turn(post_webhook, drain, fake_llm)
    err = capsys.readouterr().err
    assert "book a haircut please" in err


def test_secrets_never_reach_logs_even_when_services_echo_them(
    post_webhook, drain, fake_llm, fake_graph, capsys
):
    fake_llm.script.append(
        (401, {"error": {"message": "Incorrect API key provided: test-openai-key", "code": "x"}})
    )
    fake_graph.respond_next(
        401, {"error": {"message": f"Bad token {ACCESS_TOKEN}", "code": 190, "type": "OAuth"}}
    )
    post_webhook(envelopes.text("hello", wa_id=CUSTOMER))
    drain()
    err = capsys.readouterr().err
    assert "LLM call failed" in err  # the failure is logged …
    for secret in ("test-openai-key", ACCESS_TOKEN, APP_SECRET, SECRET_KEY, VERIFY_TOKEN):
        assert secret not in err  # … without the secrets


def test_request_id_travels_from_webhook_to_worker_logs(post_webhook, drain, fake_llm, capsys):
    response = booking_turn(post_webhook, drain, fake_llm, headers={"X-Request-ID": "req-7f3a9"})
    assert response.headers["X-Request-ID"] == "req-7f3a9"
    assert db.fetch_one("SELECT request_id FROM messages WHERE direction = 'in'")["request_id"] == (
        "req-7f3a9"
    )
    events = trace_lines(capsys.readouterr().err)
    assert events and {e["request_id"] for e in events} == {"req-7f3a9"}


def test_invalid_request_id_is_replaced(client):
    response = client.get("/health", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 32


def metric(text: str, name: str, **labels) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    key = f"{name}{{{want}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_show_the_scripted_run(client, post_webhook, drain, fake_llm):
    before = client.get("/metrics").get_data(as_text=True)
    booking_turn(post_webhook, drain, fake_llm)
    post_webhook(envelopes.text("dup", wamid="wamid.M1"))
    post_webhook(envelopes.text("dup", wamid="wamid.M1"))
    post_webhook(b"{}", secret="wrong")
    after = client.get("/metrics").get_data(as_text=True)

    def delta(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert delta("webhook_requests_total", outcome="ok") == 3
    assert delta("webhook_requests_total", outcome="bad_signature") == 1
    assert delta("webhook_messages_total", result="duplicate") == 1
    assert delta("turns_total", outcome="answered") == 1
    assert delta("tool_calls_total", tool="book_appointment", ok="true") == 1
    assert delta("bookings_total", result="booked") == 1
    assert delta("llm_call_seconds_count") == 2
    assert delta("webhook_ack_seconds_count") == 4
    # The duplicate test's unanswered turn, and the booking's reminders waiting for their time.
    reminders = db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs"
        " WHERE task_name = 'send_reminder' AND status = 'todo'"
    )["n"]
    assert reminders == 2  # 24 h and 2 h before
    assert metric(after, "queue_jobs", status="todo") == 1 + reminders


@pytest.fixture
def langfuse_server():
    server = RecordingServer()
    yield server
    server.stop()


@pytest.fixture
def reset_langfuse(app):
    yield
    app.extensions[tracing.EXTENSION].shutdown()


def test_langfuse_receives_the_turn_without_names_or_text(
    app, langfuse_server, reset_langfuse, post_webhook, drain, fake_llm
):
    """Without TRACE_LOG_PII, Langfuse gets what the console trace gets: the turn, each model
    call's tokens and tool names, and no name or message text. (One Langfuse test per process:
    its OpenTelemetry exporter is global.)"""
    app.config.update(
        TRACER_TYPE="langfuse",
        TRACE_LOG_PII=False,
        LANGFUSE_PUBLIC_KEY="pk-lf-test",
        LANGFUSE_SECRET_KEY="sk-lf-test-secret",
        LANGFUSE_BASE_URL=langfuse_server.base_url,
    )
    booking_turn(post_webhook, drain, fake_llm)
    tracing.flush(app)

    def has_turn(reqs):
        bodies = [_body(b) for _, path, b in reqs if "otel" in path or "ingestion" in path]
        return any(b"turn" in b and b"book_appointment" in b for b in bodies)

    assert langfuse_server.wait_for(has_turn), [p for _, p, _ in langfuse_server.requests]
    assert db.fetch_one("SELECT status FROM turns")["status"] == "answered"
    sent = b"".join(_body(b) for _, _, b in langfuse_server.requests)
    assert [w for w in ("book a haircut please", NAME) if w.encode() in sent] == []


def _body(raw: bytes) -> bytes:
    try:
        return gzip.decompress(raw)
    except OSError:
        return raw


SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from tests.test_observability import run_one_turn_unreachable_langfuse
run_one_turn_unreachable_langfuse({url!r}, {llm!r}, {graph!r})
print("turn done", flush=True)
"""


def run_one_turn_unreachable_langfuse(db_url: str, llm_url: str, graph_url: str) -> None:
    """Used by the subprocess below: one turn with Langfuse pointing at a closed port."""
    import asyncio

    from app import create_app, jobs
    from app.storage import businesses

    app = create_app(
        {
            "DATABASE_URL": db_url,
            "MOCK_MODE": False,
            "APP_SECRET": APP_SECRET,
            "VERIFY_TOKEN": VERIFY_TOKEN,
            "SECRET_KEY": SECRET_KEY,
            "ACCESS_TOKEN": ACCESS_TOKEN,
            "WHATSAPP_API_BASE_URL": graph_url,
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": llm_url,
            "LLM_MAX_RETRIES": 0,
            "TRACER_TYPE": "langfuse",
            "LANGFUSE_PUBLIC_KEY": "pk",
            "LANGFUSE_SECRET_KEY": "sk-unreachable",
            "LANGFUSE_BASE_URL": "http://127.0.0.1:9",
            "LANGFUSE_TIMEOUT": 1,
        }
    )
    businesses.seed_demo("123456123")
    from app.channels.meta import sign

    body = json.dumps(envelopes.text("hi there")).encode()
    app.test_client().post(
        "/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)},
    )
    # Two passes: the turn, then the send it queued.
    for _ in range(2):
        asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))


def test_unreachable_langfuse_never_breaks_a_turn(db_url, fake_llm, fake_graph):
    root = str(Path(__file__).resolve().parents[1])
    code = SCRIPT.format(root=root, url=db_url, llm=fake_llm.base_url, graph=fake_graph.base_url)
    # A hang would fail here; the exit time itself is measured, not asserted.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "turn done" in done.stdout
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["You said: hi there"]


METRICS_TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def guarded_app(app_config):
    """The app with METRICS_TOKEN set from the start (so log redaction knows it too)."""
    from app import create_app

    flask_app = create_app({**app_config, "METRICS_TOKEN": METRICS_TOKEN})
    yield flask_app
    db.close_pool()


def test_metrics_are_open_without_a_token(app, client):
    assert app.config["METRICS_TOKEN"] == ""
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert "webhook_requests_total" in resp.get_data(as_text=True)


@pytest.mark.parametrize("setting", ["PAGE_ACCESS_TOKEN", "FALLBACK_OPENAI_API_KEY"])
def test_every_token_setting_is_redacted_from_logs(app_config, capsys, setting):
    import logging

    from app import create_app

    value = f"{setting.lower()}-0123456789"
    create_app({**app_config, setting: value})
    try:
        logging.getLogger("test").warning("the call used %s", value)
        err = capsys.readouterr().err
        assert "the call used [redacted]" in err and value not in err
    finally:
        db.close_pool()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:db-Secret-123 x@127.0.0.1:5432/bookings",
        "postgresql://bot:db-Secret-123@[::1:5432/bookings",
    ],
)
def test_the_database_password_is_redacted_from_logs(app_config, capsys, url):
    """A DATABASE_URL that does not parse is quoted, password and all, by the error psycopg's
    pool logs for each attempt to connect."""
    import logging

    import psycopg

    from app import logs

    logs.configure({**app_config, "DATABASE_URL": url})
    try:
        with pytest.raises(psycopg.Error) as refused:
            psycopg.connect(url)
        logging.getLogger("psycopg.pool").warning("error connecting in 'app': %s", refused.value)
        err = capsys.readouterr().err
        assert "error connecting in 'app'" in err and "[redacted]" in err
        assert "db-Secret-123" not in err
    finally:
        logs.configure(app_config)


def test_a_logged_database_error_keeps_what_failed_but_not_the_rows_values(app_config, capsys):
    """A refused row's detail quotes its values (a customer's number, their words): logged
    with the error, they reached the logs in the clear."""
    import logging

    import psycopg

    from app import create_app

    create_app(app_config)
    try:
        # Each refused in a transaction rolled back: the database stays as it was.
        user = "INSERT INTO users (email, password_hash) VALUES (%s, 'x')"
        customer = (
            "INSERT INTO customers (business_id, channel, address)"
            " SELECT id, 'whatsapp', %s FROM businesses ORDER BY id LIMIT 1"
        )
        message = "INSERT INTO messages (direction, body) VALUES ('in', %s)"
        cases = (
            [(user, "ANA@example.com"), (user, "ana@example.com")],  # Key (lower(email))=(…)
            [("INSERT INTO businesses (name) VALUES (%s)", "Salon")]
            + [(customer, "34600111222")] * 2,
            [(message, "Hi\nI live at 12 Elm St")],  # a text keeps its newlines in the detail
        )
        with psycopg.connect(db.pool().conninfo) as conn:
            for steps in cases:
                try:
                    for statement, value in steps:
                        conn.execute(statement, (value,))
                except psycopg.Error as exc:
                    logging.getLogger("test").exception("store failed")
                    logging.getLogger("test").warning("store failed: %s", exc)
                conn.rollback()
        err = capsys.readouterr().err
        assert err.count("[row values withheld]") == 6
        assert "34600111222" not in err and "example.com" not in err.lower()
        assert "Elm St" not in err
    finally:
        db.close_pool()


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Bearer {METRICS_TOKEN}x", 401),
        (f"Bearer {METRICS_TOKEN[:-1]}", 401),
        (f"Basic {METRICS_TOKEN}", 401),
        (METRICS_TOKEN, 401),
        (f"Bearer {METRICS_TOKEN}", 200),
        (f"bearer {METRICS_TOKEN}", 200),
    ],
)
def test_metrics_token_is_required_when_set(guarded_app, authorization, status):
    headers = {"Authorization": authorization} if authorization else {}
    resp = guarded_app.test_client().get("/metrics", headers=headers)
    assert resp.status_code == status
    text = resp.get_data(as_text=True)
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.get_json()["error"] == "Unauthorized"
        assert "webhook_requests_total" not in text
    else:
        assert "webhook_requests_total" in text


def test_metrics_token_is_redacted_from_logs(guarded_app, capsys):
    import logging

    logging.getLogger("test").warning("scraper sent Bearer %s", METRICS_TOKEN)
    err = capsys.readouterr().err
    assert "scraper sent Bearer [redacted]" in err
    assert METRICS_TOKEN not in err


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ""), (METRICS_TOKEN, METRICS_TOKEN)],
)
def test_metrics_token_setting(monkeypatch, raw, expected):
    from app.config import load_config

    monkeypatch.setenv("METRICS_TOKEN", raw)
    assert load_config()["METRICS_TOKEN"] == expected


def test_short_metrics_token_stops_startup(monkeypatch):
    from app.config import ConfigError, load_config

    monkeypatch.setenv("METRICS_TOKEN", "short")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == "METRICS_TOKEN must be at least 16 characters when set"


def broken_openapi():
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/metrics", 200),
        ("GET", "/webhook", 403),
        ("POST", "/webhook", 403),
        ("GET", "/api/admin/openapi.json", 200),
        ("GET", "/api/admin/me", 401),
        ("GET", "/no-such-page", 404),
        ("DELETE", "/health", 405),
        ("GET", "/api/admin/openapi.json?broken=1", 500),
    ],
)
def test_every_response_says_nosniff(app, client, monkeypatch, method, path, status):
    if "broken" in path:
        monkeypatch.setattr("app.admin.openapi.spec", broken_openapi)
    resp = client.open(path, method=method, data=b"{}" if method == "POST" else None)
    assert resp.status_code == status
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_metrics_refusal_says_nosniff(guarded_app):
    resp = guarded_app.test_client().get("/metrics")
    assert (resp.status_code, resp.headers["X-Content-Type-Options"]) == (401, "nosniff")
