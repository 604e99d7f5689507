"""A reply goes out as soon as it is written, before the turns still queued (app/jobs/queue.py,
SEND_PRIORITY).

With one job slot and three customers' turns queued, each customer's reply must reach the
channel before the next customer's turn asks the model. Taken in queue order alone, the worker
ran every queued turn first and sent the replies after all of them: under a backlog the first
customer waited for the whole backlog.
"""

from __future__ import annotations

import pytest

from app.storage import db
from tests import envelopes
from tests.fake_llm import last_user_text, text_reply
from tests.test_crash import wait_until
from tests.test_faults_llm import sent_to

CUSTOMERS = ["34605100001", "34605100002", "34605100003"]
DEADLINE = 30.0


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WORKER_CONCURRENCY": 1}


def test_each_reply_is_sent_before_the_next_queued_turn_runs(
    post_webhook, worker, fake_llm, fake_graph
):
    # What the channel had accepted when each model call was answered, by the asking customer.
    replies_sent_before: dict[str, list[str]] = {}

    def answer(body: dict) -> dict:
        text = last_user_text(body)
        replies_sent_before[text] = [wa_id for wa_id in CUSTOMERS if sent_to(fake_graph, wa_id)]
        return text_reply(f"Hello {text}")

    fake_llm.default = answer
    fake_llm.hold.clear()  # the first turn waits in its model call while the others queue
    try:
        assert post_webhook(envelopes.text("first", wa_id=CUSTOMERS[0])).status_code == 200
        assert fake_llm.wait_for_requests(1, timeout=DEADLINE)
        for text, wa_id in (("second", CUSTOMERS[1]), ("third", CUSTOMERS[2])):
            assert post_webhook(envelopes.text(text, wa_id=wa_id)).status_code == 200
        queued = db.fetch_one(
            "SELECT count(*) AS n FROM procrastinate_jobs"
            " WHERE task_name = 'handle_turn' AND status = 'todo'"
        )
        assert queued["n"] == 2  # both later turns wait behind the one in the model call
    finally:
        fake_llm.hold.set()
    wait_until(
        lambda: all(sent_to(fake_graph, wa_id) for wa_id in CUSTOMERS), DEADLINE, "every reply"
    )
    # One slot, so the order is the worker's: each turn found the replies before it sent.
    assert replies_sent_before == {
        "first": [],
        "second": [CUSTOMERS[0]],
        "third": CUSTOMERS[:2],
    }
    assert [sent_to(fake_graph, wa_id) for wa_id in CUSTOMERS] == [
        ["Hello first"],
        ["Hello second"],
        ["Hello third"],
    ]
