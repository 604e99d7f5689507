"""GraphClient against a real local fake of the Graph API."""

from __future__ import annotations

import logging
import socket

import pytest

from app.channel.sender import GraphClient
from tests.fake_graph import FakeGraph

PHONE_ID, TOKEN, TO = "106540352242922", "EAAG-secret-token", "16505551234"


class Sleeps(list):
    """Records requested waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(base_url: str, sleep: Sleeps | None = None, **kw) -> GraphClient:
    return GraphClient(
        base_url, "v21.0", timeout=5, sleep=sleep if sleep is not None else Sleeps(), **kw
    )


def test_send_text_success(fake_graph: FakeGraph):
    result = client(fake_graph.base_url).send_text(PHONE_ID, TOKEN, TO, "Hi *there*")
    assert result.ok and result.wamid.startswith("wamid.FAKE")
    assert (result.attempts, result.error_code, result.retryable) == (1, None, False)
    (req,) = fake_graph.requests
    assert req.path == f"/v21.0/{PHONE_ID}/messages"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["content-type"] == "application/json"
    assert req.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"preview_url": False, "body": "Hi *there*"},
    }


def test_each_send_gets_a_fresh_wamid(fake_graph: FakeGraph):
    graph = client(fake_graph.base_url)
    ids = {graph.send_text(PHONE_ID, TOKEN, TO, str(i)).wamid for i in range(3)}
    assert len(ids) == 3
    assert len(fake_graph.wait_for_sends(3, timeout=5)) == 3


@pytest.mark.parametrize("typing", [True, False])
def test_mark_read(fake_graph: FakeGraph, typing: bool):
    result = client(fake_graph.base_url).mark_read(PHONE_ID, TOKEN, "wamid.IN", typing=typing)
    assert result.ok and result.wamid is None
    expected = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}
    if typing:
        expected["typing_indicator"] = {"type": "text"}
    assert fake_graph.read_receipts() == [expected]
    assert fake_graph.messages_sent() == []


@pytest.mark.parametrize(("code", "http_status"), [(130429, 400), (131056, 400), (131000, 500)])
def test_retryable_code_then_success(fake_graph: FakeGraph, code: int, http_status: int):
    sleeps = Sleeps()
    fake_graph.fail_next(code, http_status=http_status)
    result = client(fake_graph.base_url, sleeps).send_text(PHONE_ID, TOKEN, TO, "hi")
    assert result.ok and result.attempts == 2
    assert len(fake_graph.messages_sent()) == 1 and len(fake_graph.requests) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("http_status", [500, 502, 503])
def test_5xx_without_meta_body_is_retried(fake_graph: FakeGraph, http_status: int):
    fake_graph.respond_next(http_status, {}, times=2)
    result = client(fake_graph.base_url).send_text(PHONE_ID, TOKEN, TO, "hi")
    assert result.ok and result.attempts == 3


@pytest.mark.parametrize(
    ("code", "http_status"), [(131047, 400), (131026, 400), (100, 400), (190, 401), (368, 403)]
)
def test_permanent_errors_are_not_retried(fake_graph: FakeGraph, code: int, http_status: int):
    sleeps = Sleeps()
    fake_graph.fail_next(code, http_status=http_status)
    result = client(fake_graph.base_url, sleeps).send_text(PHONE_ID, TOKEN, TO, "hi")
    assert not result.ok and not result.retryable
    assert (result.error_code, result.attempts, result.wamid) == (code, 1, None)
    assert result.error_title
    assert len(fake_graph.requests) == 1 and sleeps == []


def test_never_retry_code_wins_over_5xx(fake_graph: FakeGraph):
    fake_graph.fail_next(131047, http_status=500)
    result = client(fake_graph.base_url).send_text(PHONE_ID, TOKEN, TO, "hi")
    assert (result.ok, result.attempts, result.retryable) == (False, 1, False)


def test_exhausted_retries_are_retryable_and_back_off(fake_graph: FakeGraph):
    sleeps = Sleeps()
    fake_graph.fail_next(130429, times=4)
    graph = client(fake_graph.base_url, sleeps, max_attempts=4, backoff_base=1.0)
    result = graph.send_text(PHONE_ID, TOKEN, TO, "hi")
    assert (result.ok, result.retryable, result.error_code, result.attempts) == (
        False,
        True,
        130429,
        4,
    )
    assert "130429" in result.error_title
    assert len(fake_graph.requests) == 4 and fake_graph.messages_sent() == []
    assert len(sleeps) == 3
    for n, wait in enumerate(sleeps):
        assert 4**n <= wait <= 4**n * 1.25


def test_real_sleep_with_tiny_backoff(fake_graph: FakeGraph):
    fake_graph.fail_next(131056, times=2)
    graph = GraphClient(fake_graph.base_url, "v21.0", backoff_base=0.001)
    assert graph.send_text(PHONE_ID, TOKEN, TO, "hi").attempts == 3


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retryable():
    sleeps = Sleeps()
    graph = client(f"http://127.0.0.1:{closed_port()}", sleeps, max_attempts=3)
    result = graph.send_text(PHONE_ID, TOKEN, TO, "hi")
    assert (result.ok, result.retryable, result.attempts, result.error_code) == (
        False,
        True,
        3,
        None,
    )
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


def test_timeout_is_retried(fake_graph: FakeGraph):
    fake_graph.delay_next(2)
    graph = GraphClient(fake_graph.base_url, "v21.0", timeout=0.2, sleep=Sleeps())
    result = graph.send_text(PHONE_ID, TOKEN, TO, "hi")
    assert result.ok and result.attempts == 2


def test_token_never_logged(fake_graph: FakeGraph, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    fake_graph.fail_next(130429, times=2)
    client(fake_graph.base_url, max_attempts=2).send_text(PHONE_ID, TOKEN, TO, "hi")
    assert caplog.records and TOKEN not in caplog.text
    assert PHONE_ID in caplog.text


def test_fake_rejects_missing_token(fake_graph: FakeGraph):
    result = client(fake_graph.base_url).send_text(PHONE_ID, "", TO, "hi")
    assert (result.ok, result.error_code, result.attempts) == (False, 190, 1)


def test_fake_reset_and_wait_timeout(fake_graph: FakeGraph):
    fake_graph.fail_next(100)
    fake_graph.reset()
    assert client(fake_graph.base_url).send_text(PHONE_ID, TOKEN, TO, "hi").ok
    fake_graph.reset()
    assert fake_graph.requests == []
    with pytest.raises(AssertionError):
        fake_graph.wait_for_sends(1, timeout=0.05)
