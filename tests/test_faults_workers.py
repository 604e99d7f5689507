"""Worker processes killed at random points of turns under load lose and duplicate nothing.

Kill points are events, not timers: the fake LLM or the fake Graph API holds the request a
turn is making, the test SIGKILLs the worker process that made it, then lets the request go.
Which requests are held comes from a seeded RNG, so every run kills at the same points.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest

from app.storage import db
from tests import envelopes
from tests.fake_graph import FakeGraph, Recorded, error_body
from tests.fake_llm import tool_call
from tests.test_faults_llm import (
    FaultyLLM,
    Raw,
    echo,
    echoed,
    jobs_left,
    last_is_tool_result,
    turn_texts,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261122
CUSTOMERS = 8
WORKERS = 3


def start_worker(app_config: dict, **overrides) -> subprocess.Popen:
    """`flask --app app worker` in its own process, on this test's database and fakes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "DATABASE"))}
    settings = {**app_config, **overrides}
    env.update({k: str(v) for k, v in settings.items() if isinstance(v, str | int | float)})
    env["MOCK_MODE"] = "false"
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def db_wait(predicate, timeout: float = 90.0, what: str = "the database to settle") -> None:
    """Poll the database until `predicate()` holds (nothing to wait on across processes)."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        tick.wait(0.05)


@pytest.mark.slow
def test_worker_presumed_dead_while_still_running_does_not_reply_twice(
    app_config, post_webhook, fake_llm, fake_graph
):
    """A worker whose heartbeat stops (a zombie) has its job retried elsewhere while it still
    runs it: the two runs race, and only one of them may store and send a reply."""
    fake_llm.hold.clear()
    post_webhook(envelopes.text("hello", wa_id="34600000201"))
    # The zombie's model call outlasts however long the rescuer takes to start and take over:
    # with the usual 10 s it gave up first on a busy machine, and its own turn ended the job.
    zombie = start_worker(
        app_config, WORKER_HEARTBEAT_INTERVAL=3600, WORKER_STALLED_TIMEOUT=3600, LLM_TIMEOUT=300
    )
    rescuer = None
    try:
        assert fake_llm.wait_for_requests(1, timeout=60), "the first worker never asked the LLM"
        rescuer = start_worker(app_config)
        assert fake_llm.wait_for_requests(2, timeout=60), "the job was not taken over"
        fake_llm.hold.set()
        fake_graph.wait_for_sends(1, timeout=60)
        db_wait(lambda: jobs_left() == 0, what="the queue to empty")
        db_wait(
            lambda: (
                db.fetch_one("SELECT count(*) AS n FROM turns WHERE status = 'running'")["n"] == 0
            ),
            what="both runs to finish",
        )
    finally:
        fake_llm.hold.set()
        stop(zombie)
        if rescuer:
            stop(rescuer)
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["ECHO[hello]"]
    assert db.fetch_one("SELECT count(*) AS n FROM messages WHERE direction = 'out'")["n"] == 1
    # Both runs reached the end of the turn; the later one stored nothing.
    turns = db.fetch_all("SELECT status, error FROM turns ORDER BY finished_at")
    assert [t["status"] for t in turns] == ["answered", "failed"]
    assert turns[1]["error"].startswith("superseded")


def test_reply_stored_after_the_next_message_arrived_is_in_that_turns_history(
    post_webhook, drain, fake_llm
):
    """A message can arrive after the model's last answer but before that answer is stored:
    the next turn must still show the model its earlier reply, or the model answers the
    earlier message a second time."""
    post_webhook(envelopes.text("first", wa_id="34600000202"))
    post_webhook(envelopes.text("second", wa_id="34600000202"))
    # What the turn for "first" leaves behind when "second" came in just before its commit.
    [first, second] = db.fetch_all("SELECT id, customer_id, business_id FROM messages ORDER BY id")
    db.execute("UPDATE messages SET status = 'processed' WHERE id = %s", (first["id"],))
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, in_reply_to)"
        " VALUES (%s, %s, 'out', 'You said: first', 'sent', %s)",
        (first["business_id"], first["customer_id"], first["id"]),
    )
    drain()
    [request] = fake_llm.requests
    conversation = [(m["role"], m["content"]) for m in request["messages"][1:]]
    assert conversation == [
        ("user", "first"),
        ("assistant", "You said: first"),
        ("user", "second"),
    ]


@dataclass
class Trap:
    """A request held by a fake until the test has killed the worker that made it."""

    where: str
    index: int
    port: int
    release: threading.Event = field(default_factory=threading.Event)


class TrappingLLM(FaultyLLM):
    """Holds chosen chat requests (by arrival number, or the first answering a tool result)."""

    def __init__(self, traps: queue.Queue):
        super().__init__()
        self.traps = traps
        self.indices: set[int] = set()
        self.after_tool = 0
        self._local = threading.local()

    def answer(self, body: dict) -> Raw:
        with self._cond:
            index = next(i for i, r in enumerate(self.requests) if r is body) + 1
            hit = index in self.indices
            if not hit and self.after_tool and last_is_tool_result(body):
                self.after_tool -= 1
                hit = True
        if not hit:
            return super().answer(body)
        trap = Trap("llm", index, self._local.port)
        self.traps.put(trap)
        trap.release.wait(120)
        return Raw(500, b"{}")  # its worker is dead; nobody reads this

    def _handler(self):
        fake = self
        base = super()._handler()

        class Handler(base):
            def do_POST(self):
                fake._local.port = self.client_address[1]
                super().do_POST()

        return Handler


class TrappingGraph(FakeGraph):
    """Holds chosen message sends; a held send counts as never accepted by Meta."""

    def __init__(self, traps: queue.Queue):
        super().__init__()
        self.traps = traps
        self.indices: set[int] = set()
        self.sends = 0
        self._local = threading.local()

    def start(self) -> TrappingGraph:
        super().start()
        fake = self
        base = self._server.RequestHandlerClass

        class Handler(base):
            def do_POST(self):
                fake._local.port = self.client_address[1]
                super().do_POST()

        self._server.RequestHandlerClass = Handler
        return self

    def _answer(self, path: str, headers: dict, data):
        if isinstance(data, dict) and "to" in data and "type" in data:
            with self._cond:
                self.sends += 1
                index = self.sends
            if index in self.indices:
                trap = Trap("graph", index, self._local.port)
                self.traps.put(trap)
                trap.release.wait(120)
                with self._cond:
                    self._requests.append(Recorded("POST", path, headers, data, 499))
                    self._cond.notify_all()
                return 503, error_body(131000)
        return super()._answer(path, headers, data)


@pytest.fixture
def traps() -> queue.Queue:
    return queue.Queue()


@pytest.fixture
def fake_llm(traps):
    server = TrappingLLM(traps).start()
    yield server
    server.stop()


@pytest.fixture
def fake_graph(traps):
    with TrappingGraph(traps) as fake:
        yield fake


def booking_day() -> str:
    """A Tuesday one to two weeks ahead (open 09:00-18:00 at the demo salon)."""
    today = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=7)
    return (today + timedelta(days=(1 - today.weekday()) % 7)).isoformat()


def booking_model(day: str):
    """Echo every message; "book HH:MM" first books a haircut then, and says so."""

    def respond(body: dict):
        wanted = [m.group(1) for t in turn_texts(body) if (m := re.search(r"book (\d\d:\d\d)", t))]
        if last_is_tool_result(body):
            result = json.loads(body["messages"][-1]["content"])
            if result.get("ok"):
                return echo(body, f" BOOKED#{result['appointment']['id']}")
            return echo(body, f" UNAVAILABLE:{result.get('error')}")
        if wanted:
            args = {"service": "Haircut", "date": day, "time": wanted[-1]}
            return tool_call("book_appointment", args)
        return echo(body)

    return respond


def owner_of(port: int, workers: list[subprocess.Popen]) -> subprocess.Popen | None:
    """The worker process with a TCP connection from local `port`."""
    for proc in workers:
        if proc.poll() is not None:
            continue
        try:
            conns = psutil.Process(proc.pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        if any(c.laddr and c.laddr.port == port for c in conns):
            return proc
    return None


def conversation_rounds(rng: random.Random) -> list[list[tuple[str, str]]]:
    """Three rounds of (wa_id, text); a few customers book, three of them the same slot."""
    wa_ids = [f"3460400{i:04d}" for i in range(CUSTOMERS)]
    slots = ["10:00", "10:00", "10:00", "11:30", "15:00"]
    bookers = dict(zip(rng.sample(wa_ids, len(slots)), slots, strict=True))
    rounds = []
    for kind in ["hello", "book", "thanks"]:
        batch = []
        for i, wa_id in enumerate(wa_ids):
            if kind == "book":
                text = f"c{i} book {bookers[wa_id]}" if wa_id in bookers else f"c{i} question"
            else:
                text = f"c{i} {kind}"
            batch.append((wa_id, text))
        rng.shuffle(batch)
        rounds.append(batch)
    return rounds


def settled() -> bool:
    row = db.fetch_one(
        "SELECT count(*) FILTER (WHERE direction = 'in' AND status = 'received') AS unanswered,"
        " count(*) FILTER (WHERE direction = 'out' AND status = 'queued') AS unsent FROM messages"
    )
    return row["unanswered"] == 0 and row["unsent"] == 0 and jobs_left() == 0


@pytest.mark.slow
def test_workers_killed_at_random_points_under_load_lose_and_duplicate_nothing(
    app_config, post_webhook, fake_llm, fake_graph, traps
):
    rng = random.Random(SEED)
    day = booking_day()
    fake_llm.default = booking_model(day)
    fake_llm.indices = set(rng.sample(range(1, CUSTOMERS + 1), 2))
    fake_llm.after_tool = 1  # once right after a booking was committed, before the reply
    fake_graph.indices = set(rng.sample(range(1, CUSTOMERS + 1), 2))
    planned = len(fake_llm.indices) + fake_llm.after_tool + len(fake_graph.indices)
    rounds = conversation_rounds(rng)
    # One job at a time per process: a kill interrupts exactly the held turn.
    workers = [start_worker(app_config, WORKER_CONCURRENCY=1) for _ in range(WORKERS)]
    kills = []
    try:
        pending_rounds = list(rounds)

        def post_round() -> None:
            for wa_id, text in pending_rounds.pop(0):
                assert post_webhook(envelopes.text(text, wa_id=wa_id)).status_code == 200

        post_round()
        deadline = time.monotonic() + 240
        while True:
            assert time.monotonic() < deadline, f"not settled; kills so far: {kills}"
            try:
                trap = traps.get(timeout=0.1)
            except queue.Empty:
                trap = None
            if trap is not None:
                victim = owner_of(trap.port, workers)
                if victim is not None:
                    victim.send_signal(signal.SIGKILL)
                    victim.wait(timeout=30)
                    workers.append(start_worker(app_config, WORKER_CONCURRENCY=1))
                kills.append((trap.where, trap.index, victim is not None))
                trap.release.set()
                if pending_rounds:
                    post_round()  # the next messages arrive while the dead turn is recovered
            elif settled():
                if not pending_rounds:
                    break
                post_round()
    finally:
        for trap_left in list(traps.queue):
            trap_left.release.set()
        for proc in workers:
            stop(proc)

    assert len(kills) == planned and all(killed for *_, killed in kills), kills
    sent = fake_graph.messages_sent()
    by_customer: dict[str, list[str]] = {}
    for message in sent:
        by_customer.setdefault(message["to"], []).append(message["text"]["body"])
    # Every message answered exactly once, in the order it was written.
    for wa_id in {wa_id for batch in rounds for wa_id, _ in batch}:
        written = [text for batch in rounds for w, text in batch if w == wa_id]
        assert echoed(by_customer.get(wa_id, [])) == written, wa_id
    duplicates = [b for b, n in Counter(m["text"]["body"] for m in sent).items() if n > 1]
    assert duplicates == []
    assert (
        db.fetch_one(
            "SELECT count(*) AS n FROM messages WHERE direction = 'out' AND status <> 'sent'"
        )["n"]
        == 0
    )
    check_appointments(by_customer, rounds)


def check_appointments(by_customer: dict[str, list[str]], rounds) -> None:
    """Each booking the customer was told about exists once; none exists untold; capacity holds."""
    booked = db.fetch_all(
        "SELECT a.id, c.address, a.starts_at FROM appointments a"
        " JOIN customers c ON c.id = a.customer_id WHERE a.status = 'booked'"
    )
    told = {
        (wa_id, int(m))
        for wa_id, bodies in by_customer.items()
        for body in bodies
        for m in re.findall(r"BOOKED#(\d+)", body)
    }
    assert {(r["address"], r["id"]) for r in booked} == told
    per_customer = Counter(r["address"] for r in booked)
    assert max(per_customer.values()) == 1
    per_slot = Counter(r["starts_at"] for r in booked)
    assert max(per_slot.values()) <= 2  # the demo salon's capacity
    asked = sum(1 for batch in rounds for _, text in batch if " book " in text)
    refused = sum(body.count("UNAVAILABLE") for bodies in by_customer.values() for body in bodies)
    assert len(booked) + refused == asked
    assert len(booked) == 4  # three asked for one slot of capacity two, two for free slots
