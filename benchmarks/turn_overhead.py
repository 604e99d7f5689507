"""Per-turn overhead of the bot, and booking throughput under contention.

    python -m benchmarks.turn_overhead [--turns 300] [--taps 200] [--threads 8] [--seconds 5]

Turn overhead is everything but LLM and Graph latency: the real ChatOpenAI client talks to the
fake OpenAI-compatible server of the tests and replies go to the fake Graph API, both answering at
once, in this process. Each turn is a two-step tool turn (the model calls one tool, then answers
with its result) for a new customer whose message was stored through the signed webhook;
`app.bot.run_turn` and the send task it queues (`app.outbox.send_pending`) are timed in-process
(the job pickup between them is not). The `book` scenario books a distinct free slot per turn,
the `slots` scenario lists free times.

Tap turns need no model: a customer (new each time) is sent a WhatsApp list of a day's free
times, taps one (the flow holds it and sends Confirm / Change time / Cancel buttons) and taps
Confirm (the hold becomes the booking). Each tap is stored through the signed webhook as Meta
sends it; its `run_turn` and send are timed as above.

Contention: N threads call `app.booking.service.book` for different customers on overlapping
slots of one business (30-minute haircuts on a 15-minute step, capacity 2) for a few seconds;
every call is either booked or refused, and the business's capacity is checked afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from app.channels.meta import sign
from benchmarks.common import create_database, drop_database, percentile
from tests import envelopes
from tests.fake_graph import FakeGraph
from tests.fake_llm import FakeLLM, last_user_text, text_reply, tool_call

SECRET = "bench-secret"
PHONE_NUMBER_ID = "123456123"
MADRID = ZoneInfo("Europe/Madrid")
_REQUEST = re.compile(r"(\d{4}-\d\d-\d\d) at (\d\d:\d\d)")


def fake_model(body: dict) -> dict:
    """Step 1: call the tool the customer's words ask for; step 2: answer from its result."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        result = json.loads(last["content"])
        if "appointment" in result:
            return text_reply(f"Booked: {result['appointment']['starts']}.")
        return text_reply("Free: " + ", ".join(result.get("slots") or ["none"]))
    day, hhmm = _REQUEST.search(last_user_text(body)).groups()
    if last_user_text(body).startswith("book"):
        return tool_call("book_appointment", {"service": "Beard trim", "date": day, "time": hhmm})
    return tool_call("find_available_slots", {"service": "Haircut", "date": day, "after": hhmm})


def free_slots(count: int) -> list[tuple[date, str]]:
    """`count` bookable (day, "HH:MM") pairs for 15-minute services, two per slot (capacity 2)."""
    today = datetime.now(MADRID).date()
    times = [f"{h:02d}:{m:02d}" for h in (*range(9, 13), *range(14, 18)) for m in (0, 15, 30, 45)]
    out = []
    for offset in range(2, 58):
        day = today + timedelta(days=offset)
        if day.weekday() < 5:
            out += [(day, t) for t in times for _ in range(2)]
    assert len(out) >= count, "more turns than free slots in the booking horizon"
    return out[:count]


def measure_turns(app, client, graph: FakeGraph, scenario: str, turns: int, warmup: int):
    """Time `run_turn` for `turns` customers (after `warmup` untimed ones).

    Returns wall-clock ms and the turn thread's own CPU ms (the latter leaves out the database
    server, the fake servers' threads and any wait for a busy CPU, so it varies less with load).
    """
    from app.bot import run_turn
    from app.outbox import send_pending
    from app.storage import db

    business_id = db.fetch_one(
        "SELECT id FROM businesses WHERE whatsapp_number_id = %s", (PHONE_NUMBER_ID,)
    )["id"]
    ids = itertools.count(db.fetch_one("SELECT count(*) AS n FROM customers")["n"])
    samples, cpu_samples = [], []
    sent_before = len(graph.messages_sent())
    for i, (day, hhmm) in enumerate(free_slots(warmup + turns)):
        wa_id = f"3461{next(ids):07d}"
        verb = "book a beard trim" if scenario == "book" else "free haircut times"
        body = json.dumps(envelopes.text(f"{verb} on {day.isoformat()} at {hhmm}", wa_id)).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)}
        assert client.post("/webhook", data=body, headers=headers).status_code == 200
        customer = db.fetch_one("SELECT id FROM customers WHERE address = %s", (wa_id,))["id"]
        with app.app_context():
            started, cpu = time.perf_counter(), time.thread_time()
            run_turn(business_id, customer)
            send_pending(business_id, customer)  # the send task the turn queued
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.thread_time() - cpu) * 1000
        if i >= warmup:
            samples.append(elapsed)
            cpu_samples.append(cpu)
    replies = len(graph.messages_sent()) - sent_before
    assert replies == warmup + turns, f"{replies} replies for {warmup + turns} turns"
    return samples, cpu_samples


def measure_taps(app, client, graph: FakeGraph, turns: int, warmup: int) -> list[tuple]:
    """Time the two taps of a booking (a listed time → held, Confirm → booked), each a whole
    turn and its send, for `turns` customers after `warmup` untimed ones."""
    from app.bot import run_turn
    from app.outbox import send_pending
    from app.storage import db

    business_id = _business_id()
    numbers = itertools.count(db.fetch_one("SELECT count(*) AS n FROM customers")["n"])
    today = datetime.now(MADRID).date()
    days = [today + timedelta(days=n) for n in range(2, 58)]
    busy = db.fetch_all(  # days the two-step turns above booked: some of them are full
        "SELECT DISTINCT (starts_at AT TIME ZONE 'Europe/Madrid')::date AS day FROM appointments"
    )
    busy = {r["day"] for r in busy}
    # A few customers a day on days nobody else booked: never full.
    days = [d for d in days if d.weekday() < 5 and d not in busy]
    timed = {"tap a listed time -> held": ([], [], []), "tap Confirm -> booked": ([], [], [])}

    def turn(envelope: dict, key: str | None) -> dict:
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)}
        before = len(graph.messages_sent())
        assert client.post("/webhook", data=body, headers=headers).status_code == 200
        sender = envelope["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
        customer = db.fetch_one("SELECT id FROM customers WHERE address = %s", (sender,))["id"]
        with app.app_context():
            started, cpu = time.perf_counter(), time.thread_time()
            run_turn(business_id, customer)
            answered = time.perf_counter()
            send_pending(business_id, customer)
            if key is not None:
                timed[key][0].append((time.perf_counter() - started) * 1000)
                timed[key][1].append((time.thread_time() - cpu) * 1000)
                timed[key][2].append((answered - started) * 1000)
        [sent] = graph.messages_sent()[before:]
        return sent

    for i in range(warmup + turns):
        wa_id = f"3462{next(numbers):07d}"
        day = days[i % len(days)]
        listed = turn(envelopes.text(f"free haircut times on {day.isoformat()}", wa_id), None)
        row = listed["interactive"]["action"]["sections"][0]["rows"][0]
        counted = i >= warmup
        held = turn(envelopes.tap(row["id"], row["title"], wa_id=wa_id), _key(timed, 0, counted))
        confirm = held["interactive"]["action"]["buttons"][0]["reply"]
        tapped = envelopes.tap(confirm["id"], confirm["title"], "button_reply", wa_id)
        assert turn(tapped, _key(timed, 1, counted))["text"]["body"].startswith("Booked")
    booked = db.fetch_one(
        "SELECT count(*) AS n FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.status = 'booked' AND c.address LIKE '3462%%'"
    )["n"]
    assert booked == warmup + turns, f"{booked} bookings for {warmup + turns} confirmed taps"
    return [(name, *samples) for name, samples in timed.items()]


def _key(timed: dict, index: int, counted: bool) -> str | None:
    return list(timed)[index] if counted else None


def _business_id() -> int:
    from app.storage import db

    return db.fetch_one(
        "SELECT id FROM businesses WHERE whatsapp_number_id = %s", (PHONE_NUMBER_ID,)
    )["id"]


def contention(business_id: int, threads: int, seconds: float) -> dict:
    """Book for fresh customers on random overlapping slots from `threads` threads."""
    from app.booking import service as booking
    from app.storage import db

    db.execute(
        "INSERT INTO customers (business_id, address) SELECT %s, 'c' || g"
        " FROM generate_series(1, 100000) AS g",
        (business_id,),
    )
    rows = db.fetch_all("SELECT id FROM customers WHERE business_id = %s", (business_id,))
    customers = iter([r["id"] for r in rows])
    starts = haircut_starts()
    lock = threading.Lock()
    counts = {"booked": 0, "refused": 0}
    gate = threading.Barrier(threads + 1)

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        gate.wait()
        while time.perf_counter() < stop_at:
            with lock:
                customer = next(customers)
            result = booking.book(business_id, customer, "Haircut", rnd.choice(starts))
            with lock:
                counts["booked" if result.ok else "refused"] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    gate.wait()
    for t in pool:
        t.join()
    took = time.perf_counter() - started
    return {**counts, "seconds": took, "slots": len(starts), "max_overlap": max_overlap()}


def haircut_starts() -> list[datetime]:
    """Every 15-minute start of a 30-minute haircut on the next 10 weekdays (they overlap)."""
    today = datetime.now(MADRID).date()
    days = [today + timedelta(days=d) for d in range(2, 16)]
    hours = [(h, m) for h in (*range(9, 13), *range(14, 18)) for m in (0, 15, 30, 45)]
    return [
        datetime.combine(d, dtime(h, m), MADRID).astimezone(UTC)
        for d in days
        if d.weekday() < 5
        for h, m in hours
        if (h, m) not in {(12, 45), (17, 45)}
    ]


def max_overlap() -> int:
    """The most booked appointments of one business running at one instant."""
    from app.storage import db

    return db.fetch_one(
        "SELECT coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM appointments a"
        " JOIN appointments b ON b.business_id = a.business_id AND b.status = 'booked'"
        " AND b.starts_at <= a.starts_at AND b.ends_at > a.starts_at"
        " WHERE a.status = 'booked' GROUP BY a.id) AS o"
    )["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--taps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    from app import create_app
    from app.storage import businesses, db

    name, url = create_database()
    llm, graph = FakeLLM().start(), FakeGraph().start()
    llm.default = fake_model
    try:
        config = {
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
        app = create_app(config)
        business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
        client = app.test_client()
        rows = []
        for scenario in ("book", "slots"):
            ms, cpu = measure_turns(app, client, graph, scenario, args.turns, args.warmup)
            rows.append((scenario, ms, cpu))
        booked = db.fetch_one("SELECT count(*) AS n FROM appointments WHERE status = 'booked'")
        assert booked["n"] == args.turns + args.warmup, booked
        requests_before = len(llm.requests)
        no_model = create_app({**config, "OPENAI_API_KEY": ""})
        taps = measure_taps(no_model, no_model.test_client(), graph, args.taps, args.warmup)
        assert len(llm.requests) == requests_before, "a tap turn called the model"
        contended, _ = businesses.seed_demo("999000999")  # a second salon, empty calendar
        result = contention(contended, args.threads, args.seconds)
        _print(rows, result, args)
        _print_taps(taps, args)
    finally:
        db.close_pool()
        llm.stop()
        graph.stop()
        drop_database(name)


def _print(rows, result, args) -> None:
    turns = f"{args.turns} turns after {args.warmup}"
    print(f"\ntwo-step tool turn, run_turn + its send, in-process ({turns})")
    head = ["p50 ms", "p90 ms", "p99 ms", "max ms", "cpu p50"]
    print(f"{'scenario':34}" + "".join(f" {h:>8}" for h in head))
    for scenario, ms, cpu in rows:
        tool = "book_appointment" if scenario == "book" else "find_available_slots"
        stats = [percentile(ms, p) for p in (50, 90, 99)] + [max(ms), percentile(cpu, 50)]
        print(f"{tool + ' -> reply':34}" + "".join(f" {v:8.2f}" for v in stats))
    total = result["booked"] + result["refused"]
    secs = result["seconds"]
    print(
        f"\nbooking under contention: {args.threads} threads, {secs:.1f} s, "
        f"{result['slots']} overlapping haircut starts, capacity 2, a fresh customer per call"
    )
    print(
        f"  {total / secs:.0f} book() calls/s = {result['booked'] / secs:.0f} booked/s"
        f" + {result['refused'] / secs:.0f} refused/s"
        f"  ({result['booked']} booked, {result['refused']} refused)"
    )
    print(f"  max overlapping booked appointments: {result['max_overlap']} (capacity 2)")


def _print_taps(rows, args) -> None:
    print(f"\ntap turns, no model, run_turn + its send ({args.taps} bookings after {args.warmup})")
    head = ["p50 ms", "p90 ms", "p99 ms", "max ms", "cpu p50", "turn p50"]
    print(f"{'turn':34}" + "".join(f" {h:>8}" for h in head))
    for name, ms, cpu, turn in rows:
        stats = [percentile(ms, p) for p in (50, 90, 99)] + [max(ms), percentile(cpu, 50)]
        print(f"{name:34}" + "".join(f" {v:8.2f}" for v in [*stats, percentile(turn, 50)]))
    print("  (turn p50: run_turn alone, up to the reply stored and its send queued)")


if __name__ == "__main__":
    main()
