"""Soak: simulated customers against gunicorn plus worker processes, with nothing lost.

    python -m benchmarks.soak [--customers 50] [--duration 60] [--workers 2] [--llm-delay 0.3]

N customers write signed webhooks with human pauses (sometimes two or three quick messages in
a row, sometimes a booking), Meta's duplicate deliveries and out-of-order delivery statuses are
mixed in, against gunicorn (`app:create_app()`, -w 2 -k gthread) and `flask --app app worker`
processes. The LLM is tests/fake_llm.py answering after a realistic delay (and calling
book_appointment when asked to book); WhatsApp is tests/fake_graph.py. Every customer message
carries a unique token the fake model echoes, so the end of the run can prove each one was
answered exactly once. Prints throughput, ack and turn latency percentiles, duplicate replies,
lost messages, overbookings (by SQL), status regressions and peak RSS per process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from app.channels.meta import sign
from benchmarks.common import (
    ROOT,
    Gunicorn,
    _Conn,
    children,
    create_database,
    drop_database,
    peak_rss_kb,
    percentile,
    raw_post,
)
from tests import envelopes
from tests.fake_graph import FakeGraph
from tests.fake_llm import FakeLLM, text_reply, tool_call

SECRET = "soak-secret"
PHONE_NUMBER_ID = "123456123"
CAPACITY = 2  # the demo salon's max_concurrent
SLOTS = ["10:00", "10:30", "11:00", "16:00", "16:30"]
TOKEN = re.compile(r"\[([^\]]*)\]")


class TimedGraph(FakeGraph):
    """FakeGraph that also notes when each text send was accepted, and its wamid."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[tuple[float, str, str, str]] = []  # (time, to, body, wamid)

    def _answer(self, path, headers, data):
        status, body, extra_headers = super()._answer(path, headers, data)
        if status == 200 and isinstance(data, dict) and data.get("type") == "text":
            with self._cond:
                self.accepted.append(
                    (time.time(), data["to"], data["text"]["body"], body["messages"][0]["id"])
                )
        return status, body, extra_headers


def booking_day() -> str:
    """A Tuesday one to two weeks ahead."""
    day = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=7)
    return (day + timedelta(days=(1 - day.weekday()) % 7)).isoformat()


def make_model(delay: float, day: str):
    """The fake model: think for ~`delay` s, echo the turn's tokens, book when asked."""

    def respond(body: dict) -> dict:
        time.sleep(random.uniform(0.7 * delay, 1.3 * delay))
        messages = body.get("messages", [])
        texts: list[str] = []
        for m in messages:
            if m.get("role") == "assistant" and m.get("content"):
                texts = []
            elif m.get("role") == "user":
                texts.append(m.get("content") or "")
        tokens = re.findall(r"\bm\d+-\d+\b", "\n".join(texts))
        echo = f"Got [{' '.join(tokens)}]."
        if messages and messages[-1].get("role") == "tool":
            result = json.loads(messages[-1]["content"])
            if result.get("ok"):
                return text_reply(f"{echo} Booked, see you then (#{result['appointment']['id']}).")
            return text_reply(f"{echo} That time is not available, sorry.")
        wanted = re.findall(r"book (\d\d:\d\d)", "\n".join(texts))
        if wanted:
            return tool_call(
                "book_appointment", {"service": "Haircut", "date": day, "time": wanted[-1]}
            )
        return text_reply(echo)

    return respond


class Soak:
    """One run: the processes, the simulated customers and what they observed."""

    def __init__(self, args, url: str, graph: TimedGraph, port: int):
        self.args = args
        self.url = url
        self.graph = graph
        self.port = port
        self.rng = random.Random(args.seed)
        self.acks: list[float] = []
        self.ack_status: Counter = Counter()
        self.accepted_tokens: dict[str, str] = {}  # token -> wa_id
        self.duplicates_sent = 0
        self.statuses_sent = 0
        self.highest_status: dict[str, str] = {}  # wamid -> highest status posted
        self.answered: dict[str, asyncio.Event] = {}
        self.seen_sends = 0

    async def post(self, conn: _Conn, envelope: dict) -> int:
        """Deliver like Meta: again (after a pause) until it is taken with a 200."""
        body = json.dumps(envelope).encode()
        request = raw_post(
            "/webhook",
            body,
            {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
        )
        while True:
            started = time.perf_counter()
            status = await conn.send(request)
            self.acks.append(time.perf_counter() - started)
            self.ack_status[status] += 1
            if status == 200:
                return status
            await asyncio.sleep(1.0)

    async def customer(self, index: int, stop_at: float) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        wa_id = f"3462{index:07d}"
        conn = _Conn(self.port)
        seq = 0
        await asyncio.sleep(rng.uniform(0, 3))  # customers do not all start at once
        while time.monotonic() < stop_at:
            burst = 1 if rng.random() < 0.7 else rng.randint(2, 3)
            last = ""
            for k in range(burst):
                seq += 1
                token = f"m{index}-{seq}"
                text = f"{token} hello, do you have time this week?"
                if rng.random() < 0.2:
                    text = f"{token} please book {rng.choice(SLOTS)} for a haircut"
                self.answered[token] = asyncio.Event()
                envelope = envelopes.text(
                    text, wa_id=wa_id, name=f"Soak {index}", wamid=f"wamid.SOAK.{token}"
                )
                await self.post(conn, envelope)
                self.accepted_tokens[token] = wa_id
                if rng.random() < 0.05:  # Meta delivers the same message again
                    await self.post(conn, envelope)
                    self.duplicates_sent += 1
                last = token
                if k < burst - 1:
                    await asyncio.sleep(rng.uniform(0.2, 1.5))
            try:
                await asyncio.wait_for(self.answered[last].wait(), timeout=60)
            except TimeoutError:
                pass  # counted as lost at the end if it never comes
            await asyncio.sleep(rng.uniform(1.0, 4.0))  # reading, thinking, typing

    async def watch_replies(self, stop: asyncio.Event) -> None:
        """Mark tokens answered and send delivery statuses (out of order, some twice)."""
        conn = _Conn(self.port)
        statuses: list[tuple[float, str, str, list[str]]] = []
        while not stop.is_set() or statuses:
            with self.graph._cond:
                new = self.graph.accepted[self.seen_sends :]
            self.seen_sends += len(new)
            for _, to, body, wamid in new:
                for group in TOKEN.findall(body):
                    for token in group.split():
                        if token in self.answered:
                            self.answered[token].set()
                states = ["sent", "delivered", "read"]
                self.rng.shuffle(states)
                if self.rng.random() < 0.1:
                    states.append(self.rng.choice(states))
                self.highest_status[wamid] = "read"
                # Meta reports a message's statuses a little after accepting it, not in order.
                statuses.append((time.monotonic() + self.rng.uniform(0.3, 3.0), wamid, to, states))
            due = [s for s in statuses if s[0] <= time.monotonic()]
            for item in due:
                statuses.remove(item)
                _, wamid, to, states = item
                for state in states:
                    await self.post(conn, envelopes.status(wamid, state, recipient=to))
                    self.statuses_sent += 1
            await asyncio.sleep(0.05)

    async def warm_up(self) -> None:
        """Wait until both gunicorn workers answer (they boot after the port is bound)."""
        conns = [_Conn(self.port) for _ in range(8)]
        for _ in range(10):
            await asyncio.gather(
                *(self.post(c, envelopes.status("wamid.WARMUP", "read")) for c in conns)
            )
        self.acks.clear()
        self.ack_status.clear()

    async def run(self) -> float:
        await self.warm_up()
        stop_at = time.monotonic() + self.args.duration
        stop = asyncio.Event()
        watcher = asyncio.create_task(self.watch_replies(stop))
        started = time.monotonic()
        await asyncio.gather(*(self.customer(i, stop_at) for i in range(self.args.customers)))
        took = time.monotonic() - started
        # Let the last turns finish (bounded), then stop watching.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (self.all_answered() and self.queue_empty()):
            await asyncio.sleep(0.2)
        stop.set()
        await watcher  # sends the statuses still due
        return took

    def all_answered(self) -> bool:
        return all(self.answered[t].is_set() for t in self.accepted_tokens)

    def queue_empty(self) -> bool:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                # Reminders, the next purge and calendar read-back wait for their time: not
                # work left over.
                " AND NOT (task_name IN"
                " ('send_reminder', 'purge_old_messages', 'read_google_changes')"
                " AND scheduled_at > now())"
            ).fetchone()
        return row[0] == 0


class RssSampler:
    """Peak RSS (VmHWM from /proc) of some processes (and of the children of `parents`)."""

    def __init__(self, roots: dict[str, int], parents: frozenset[str] = frozenset()):
        self.roots = roots
        self.parents = parents
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> dict[str, int]:
        self._sample()
        self._stop.set()
        self._thread.join()
        return self.peaks

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def _sample(self) -> None:
        for name, pid in self.roots.items():
            self._record(name, pid)
            if name in self.parents:
                for i, child in enumerate(children(pid)):
                    self._record(f"{name}: worker {i + 1}", child)

    def _record(self, name: str, pid: int) -> None:
        kb = peak_rss_kb(pid)
        if kb:
            self.peaks[name] = max(self.peaks.get(name, 0), kb)


def start_workers(n: int, env: dict, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = open(logs / f"worker-{i + 1}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def results(soak: Soak, url: str, took: float, peaks: dict[str, int]) -> list[tuple[str, str]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        inbound = {
            r["external_id"]: r["created_at"].timestamp()
            for r in conn.execute(
                "SELECT external_id, created_at FROM messages WHERE direction = 'in'"
            ).fetchall()
        }
        overbooked = conn.execute(
            "SELECT count(*) AS n FROM ("
            " SELECT a.id, count(*) AS n FROM appointments a JOIN appointments b"
            "   ON b.business_id = a.business_id AND b.status = 'booked'"
            "  AND b.starts_at <= a.starts_at AND b.ends_at > a.starts_at"
            " WHERE a.status = 'booked' GROUP BY a.id) per_start WHERE n > %s",
            (CAPACITY,),
        ).fetchone()["n"]
        booked = conn.execute(
            "SELECT count(*) AS n FROM appointments WHERE status = 'booked'"
        ).fetchone()["n"]
        final = {
            r["external_id"]: r["status"]
            for r in conn.execute(
                "SELECT external_id, status FROM messages WHERE direction = 'out'"
                " AND external_id IS NOT NULL"
            ).fetchall()
        }
        turns = conn.execute("SELECT count(*) AS n FROM turns").fetchone()["n"]
    sends = soak.graph.accepted
    first_answer: dict[str, float] = {}
    answered = Counter()
    for at, _, body, _ in sends:
        for group in TOKEN.findall(body):
            for token in group.split():
                answered[token] += 1
                first_answer.setdefault(token, at)
    accepted = soak.accepted_tokens
    lost = [t for t in accepted if t not in answered]
    duplicate_replies = sum(n - 1 for n in answered.values() if n > 1)
    duplicate_replies += sum(n - 1 for n in Counter(b for _, _, b, _ in sends).values() if n > 1)
    turn_latency = [
        first_answer[t] - inbound[f"wamid.SOAK.{t}"]
        for t in accepted
        if t in first_answer and f"wamid.SOAK.{t}" in inbound
    ]
    behind = Counter(final.get(w) for w, s in soak.highest_status.items() if final.get(w) != s)
    acks_ms = [a * 1000 for a in soak.acks]
    rows = [
        ("customers / duration", f"{soak.args.customers} / {took:.0f} s"),
        ("customer messages accepted (unique)", f"{len(accepted)}"),
        ("duplicate deliveries sent", f"{soak.duplicates_sent}"),
        ("status updates sent (shuffled, some twice)", f"{soak.statuses_sent}"),
        ("webhook requests", f"{len(soak.acks)} ({len(soak.acks) / took:.1f}/s)"),
        ("webhook answers", f"{dict(sorted(soak.ack_status.items()))}"),
        ("inbound throughput", f"{len(accepted) / took:.1f} msg/s"),
        ("turns / replies sent", f"{turns} / {len(sends)} ({len(sends) / took:.1f}/s)"),
        (
            "ack latency p50 / p95 / p99 / max",
            " / ".join(f"{percentile(acks_ms, p):.1f}" for p in (50, 95, 99)) + f" / "
            f"{max(acks_ms):.1f} ms",
        ),
        (
            "turn latency p50 / p95 / p99 / max",
            " / ".join(f"{percentile(turn_latency, p):.2f}" for p in (50, 95, 99))
            + f" / {max(turn_latency, default=float('nan')):.2f} s",
        ),
        ("bookings made", f"{booked}"),
        ("duplicate replies (must be 0)", f"{duplicate_replies}"),
        ("lost messages (must be 0)", f"{len(lost)}" + (f" e.g. {lost[:5]}" if lost else "")),
        ("overbookings (must be 0)", f"{overbooked}"),
        (
            "messages not at their latest status (must be 0)",
            f"{sum(behind.values())}" + (f" {dict(behind)}" if behind else ""),
        ),
    ]
    for name, kb in sorted(peaks.items()):
        rows.append((f"peak RSS {name}", f"{kb / 1024:.0f} MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--llm-delay", type=float, default=0.3, help="seconds per model call")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    name, url = create_database()
    logs = Path(tempfile.mkdtemp(prefix="soak_logs_"))
    llm = FakeLLM()
    llm.default = make_model(args.llm_delay, booking_day())
    llm.start()
    graph = TimedGraph().start()
    env = {
        "DATABASE_URL": url,
        "APP_SECRET": SECRET,
        "VERIFY_TOKEN": "v",
        "SECRET_KEY": "k",
        "MOCK_MODE": "false",
        "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "ACCESS_TOKEN": "soak-token",
        "WHATSAPP_API_BASE_URL": graph.base_url,
        "OPENAI_API_KEY": "soak",
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_TIMEOUT": "30",
        "LLM_MAX_RETRIES": "0",
        "DB_POOL_MAX": "16",
        "WORKER_CONCURRENCY": str(args.worker_concurrency),
        "LANGFUSE_TRACING_ENABLED": "false",
    }
    try:
        _seed(url)
        workers = start_workers(args.workers, env, logs)
        with Gunicorn("app:create_app()", env) as web:
            roots = {"gunicorn": web.proc.pid}
            roots |= {f"job worker {i + 1}": p.pid for i, p in enumerate(workers)}
            roots["benchmark (fakes + customers)"] = os.getpid()
            sampler = RssSampler(roots, frozenset({"gunicorn"})).start()
            soak = Soak(args, url, graph, web.port)
            took = asyncio.run(soak.run())
            peaks = sampler.stop()
        stop_processes(workers)
        rows = results(soak, url, took, peaks)
        print(
            f"soak: gunicorn -w 2 -k gthread --threads 8, {args.workers} worker processes x "
            f"concurrency {args.worker_concurrency}, model delay {args.llm_delay * 1000:.0f} ms"
        )
        width = max(len(r[0]) for r in rows)
        for label, value in rows:
            print(f"{label:{width}}  {value}")
        print(f"logs: {logs}")
    finally:
        llm.stop()
        graph.stop()
        drop_database(name)


def _seed(url: str) -> None:
    from app.storage import businesses, db

    db.open_pool(url)
    businesses.seed_demo(PHONE_NUMBER_ID)
    db.close_pool()


if __name__ == "__main__":
    main()
