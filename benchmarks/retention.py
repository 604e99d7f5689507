"""Retention purge of 100,000 old messages, and the latency of turns running during it.

    python -m benchmarks.retention [--messages 100000] [--batch 1000] [--turns 100]

A demo salon holds `--messages` messages older than its retention period, spread over 100
customers. Turns (a customer's text stored through the signed webhook, then `run_turn` and the
send it queued, in-process, against the tests' fake OpenAI-compatible server and fake Graph
API answering at once) are timed first alone, then while the purge runs in another thread;
the customers writing are the ones whose old messages are being deleted. Reported: the purge's
total time, its batches and the slowest one, and the turns' p50/p90/max in both phases.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from app.channels.meta import sign
from benchmarks.common import create_database, drop_database, percentile
from tests import envelopes
from tests.fake_graph import FakeGraph
from tests.fake_llm import FakeLLM

SECRET = "bench-secret"
PHONE_NUMBER_ID = "123456123"
CUSTOMERS = 100


def seed_old_messages(business_id: int, count: int) -> None:
    """`count` messages 400 days old, spread over CUSTOMERS customers (3460000000..)."""
    from app.storage import db

    db.execute(
        "INSERT INTO customers (business_id, address, last_inbound_at)"
        " SELECT %s, '346' || lpad(g::text, 8, '0'), now() FROM generate_series(1, %s) AS g",
        (business_id, CUSTOMERS),
    )
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, external_id,"
        " created_at)"
        " SELECT %(b)s, c.id, CASE WHEN g %% 2 = 0 THEN 'in' ELSE 'out' END,"
        " 'an old message, number ' || g, 'processed', 'wamid.OLD' || g,"
        " now() - interval '400 days' - make_interval(secs => g)"
        " FROM generate_series(1, %(n)s) AS g"
        " JOIN customers c ON c.business_id = %(b)s AND c.address = '346' ||"
        " lpad((1 + g %% %(k)s)::text, 8, '0')",
        {"b": business_id, "n": count, "k": CUSTOMERS},
    )
    db.execute("ANALYZE messages")


def timed_turn(app, client, business_id: int, wa_id: str, text: str) -> float:
    """Store one text through the webhook and time its turn and send (ms)."""
    from app.bot import run_turn
    from app.outbox import send_pending
    from app.storage import db

    body = json.dumps(envelopes.text(text, wa_id)).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)}
    assert client.post("/webhook", data=body, headers=headers).status_code == 200
    customer = db.fetch_one("SELECT id FROM customers WHERE address = %s", (wa_id,))["id"]
    with app.app_context():
        started = time.perf_counter()
        run_turn(business_id, customer)
        send_pending(business_id, customer)
        return (time.perf_counter() - started) * 1000


def purge(business_id: int, batch: int, report: dict) -> None:
    """The retention purge of one business, each batch timed (what `app.retention` runs)."""
    from app.storage import privacy as store

    before = datetime.now(UTC) - timedelta(days=365)
    started = time.perf_counter()
    while True:
        t = time.perf_counter()
        deleted = store.purge_messages_batch(business_id, before, batch)
        report["batches"].append((deleted, (time.perf_counter() - t) * 1000))
        if deleted < batch:
            break
    report["seconds"] = time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=100)
    args = parser.parse_args()

    from app import create_app
    from app.storage import businesses, db

    name, url = create_database()
    llm, graph = FakeLLM().start(), FakeGraph().start()
    try:
        app = create_app(
            {
                "DATABASE_URL": url,
                "MOCK_MODE": False,
                "APP_SECRET": SECRET,
                "VERIFY_TOKEN": "v",
                "SECRET_KEY": "k",
                "ACCESS_TOKEN": "bench-token",
                "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
                "WHATSAPP_API_BASE_URL": graph.base_url,
                "OPENAI_API_KEY": "bench-key",
                "OPENAI_BASE_URL": llm.base_url,
                "LLM_MAX_RETRIES": 0,
            }
        )
        business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
        client = app.test_client()
        seed_old_messages(business_id, args.messages)
        writers = itertools.cycle(f"346{n:08d}" for n in range(1, CUSTOMERS + 1))
        for _ in range(10):  # warm up
            timed_turn(app, client, business_id, next(writers), "hello")
        alone = [
            timed_turn(app, client, business_id, next(writers), f"hello {i}")
            for i in range(args.turns)
        ]
        report: dict = {"batches": []}
        purger = threading.Thread(target=purge, args=(business_id, args.batch, report))
        during = []
        purger.start()
        while purger.is_alive():
            during.append(timed_turn(app, client, business_id, next(writers), "during"))
        purger.join()
        left = db.fetch_one(
            "SELECT count(*) FILTER (WHERE created_at < now() - interval '365 days') AS old,"
            " count(*) AS total FROM messages"
        )
        assert left["old"] == 0, left
        _print(args, alone, during, report, left["total"])
    finally:
        db.close_pool()
        llm.stop()
        graph.stop()
        drop_database(name)


def _print(args, alone: list[float], during: list[float], report: dict, kept: int) -> None:
    sizes = [n for n, _ in report["batches"]]
    slowest = max(ms for _, ms in report["batches"])
    print(
        f"\npurge: {sum(sizes)} messages in {len(sizes)} statements of at most {max(sizes)}"
        f" rows, {report['seconds']:.2f} s ({sum(sizes) / report['seconds']:.0f} rows/s),"
        f" slowest statement {slowest:.1f} ms; {kept} newer messages kept"
    )
    print("\nturn (webhook-stored text, run_turn + its send, one model call to a fake)")
    print(f"{'phase':28} {'turns':>6} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for label, samples in (("alone", alone), ("during the purge", during)):
        stats = [percentile(samples, p) for p in (50, 90)] + [max(samples)]
        print(f"{label:28} {len(samples):6d}" + "".join(f" {v:8.2f}" for v in stats))


if __name__ == "__main__":
    main()
