"""Benchmark helpers: a throwaway database, gunicorn processes, an HTTP load generator."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def create_database() -> tuple[str, str]:
    """Create and migrate a fresh database; return (name, url)."""
    from app.storage.migrate import migrate

    admin = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
    )
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
    migrate(url)
    return name, url


def drop_database(name: str) -> None:
    """Drop a benchmark database."""
    admin = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A gunicorn server for `app_spec`, started and stopped by the benchmark."""

    THREADS = 16  # per worker, as the README's deployment command runs it
    # gthread; or gevent, as the README's webhook processes run (then `threads` is unused)
    WORKER_CLASSES = ("gthread", "gevent")

    def __init__(
        self,
        app_spec: str,
        env: dict,
        workers: int = 2,
        threads: int = THREADS,
        root: Path = ROOT,
        worker_class: str = "gthread",
    ):
        if worker_class not in self.WORKER_CLASSES:
            raise ValueError(f"worker class {worker_class!r}: one of {self.WORKER_CLASSES}")
        concurrency = (
            ["--threads", str(threads)]
            if worker_class == "gthread"
            else ["--worker-connections", "1000"]
        )
        self.port = free_port()
        self.root = root  # the checkout gunicorn starts in and imports the app from
        self.cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            worker_class,
            *concurrency,
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            # On SIGTERM a worker still busy after 10 s is killed (gunicorn's default: 30 s)
            "--graceful-timeout",
            "10",
            # gunicorn's control socket is at one path per user: one of the benchmark's would
            # take a running gunicorn's
            "--no-control-socket",
            app_spec,
        ]
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.proc = subprocess.Popen(self.cmd, cwd=self.root, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited during startup") from None
                time.sleep(0.1)  # waiting for another process to bind its port
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            # The graceful timeout, and then some on a busy machine: a worker restarted just
            # before (tests/test_cpus.py) may still be starting.
            self.proc.wait(timeout=60)


def raw_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 keep-alive POST, ready to write to a socket."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


class _Conn:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def send(self, request: bytes) -> int:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(request)
                await self.writer.drain()
                return await _read_response(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None  # the server closed an idle keep-alive connection
                if attempt:
                    raise
        raise RuntimeError("unreachable")


async def open_loop(port: int, requests: list[bytes], rate: float, connections: int = 64):
    """Send `requests` at `rate`/s on schedule; latency counts from each scheduled time."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = loop.time() + 0.2

    async def producer():
        for i, request in enumerate(requests):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((scheduled, request))
        for _ in range(connections):
            queue.put_nowait(None)

    async def consumer():
        conn = _Conn(port)
        while (item := await queue.get()) is not None:
            scheduled, request = item
            status = await conn.send(request)
            latencies.append(loop.time() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(producer(), *(consumer() for _ in range(connections)))
    return latencies, statuses, loop.time() - start


async def closed_loop(port: int, next_request, concurrency: int, duration: float):
    """Run `concurrency` back-to-back senders for `duration` s; return (count, statuses, secs)."""
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + duration
    statuses: dict[int, int] = {}
    count = 0

    async def sender():
        nonlocal count
        conn = _Conn(port)
        while loop.time() < stop_at:
            status = await conn.send(next_request())
            statuses[status] = statuses.get(status, 0) + 1
            count += 1

    started = loop.time()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return count, statuses, loop.time() - started


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def _serve_fakes(llm_delay: float) -> None:
    """Run the fakes until stdin closes; print their base URLs first."""
    from tests.fake_graph import FakeGraph
    from tests.fake_llm import FakeLLM, last_user_text, text_reply

    def answer(body: dict) -> dict:
        if llm_delay:
            time.sleep(llm_delay)  # the model thinking; each call has its own server thread
        return text_reply("You said: " + last_user_text(body)[:40])

    llm = FakeLLM()
    llm.default = answer
    llm.start()
    graph = FakeGraph().start()
    print(llm.base_url, graph.base_url, flush=True)
    sys.stdin.read()  # until the benchmark closes it
    llm.stop()
    graph.stop()


class Fakes:
    """The fake model and Graph API in a process of their own (not competing with the load
    generator's event loop for the GIL); the model answers after `llm_delay` s."""

    def __init__(self, llm_delay: float = 0.0):
        self.cmd = [sys.executable, "-m", "benchmarks.common", "fakes", str(llm_delay)]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Fakes:
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.llm_url, self.graph_url = self.proc.stdout.readline().split()
        return self

    def __exit__(self, *exc) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def env(self) -> dict[str, str]:
        """Settings pointing the app at these fakes."""
        return {
            "OPENAI_API_KEY": "bench",
            "OPENAI_BASE_URL": self.llm_url,
            "WHATSAPP_API_BASE_URL": self.graph_url,
            "ACCESS_TOKEN": "bench-token",
            "LLM_TIMEOUT": "30",
            "LLM_MAX_RETRIES": "0",
            "LANGFUSE_TRACING_ENABLED": "false",
        }


class Worker:
    """`flask --app app worker` processes, with their CPU time and peak RSS."""

    def __init__(self, env: dict, count: int = 1, log_dir: Path | None = None):
        self.env = {**os.environ, **env}
        self.count = count
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Worker:
        for i in range(self.count):
            out = subprocess.DEVNULL
            if self.log_dir:
                out = open(self.log_dir / f"worker-{i + 1}.log", "wb")  # noqa: SIM115
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "app", "worker"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU the worker processes have used so far."""
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def peak_rss_mb(self) -> float:
        """The largest peak RSS of the worker processes."""
        return max((peak_rss_kb(p.pid) for p in self.procs), default=0) / 1024


def _cpu_ticks(pid: int) -> tuple[int, int]:
    """User and system CPU of a process (its threads included) in clock ticks, from /proc;
    (0, 0) once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0
    return int(fields[11]), int(fields[12])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its threads included), from /proc."""
    return sum(_cpu_ticks(pid)) / os.sysconf("SC_CLK_TCK")


def cpu_split(pids: list[int]) -> tuple[float, float, int]:
    """User CPU s, system CPU s and voluntary context switches (sleeps: waiting for a lock, the
    GIL, a socket) of processes, their threads included, from /proc."""
    user = system = switches = 0
    for pid in pids:
        ticks = _cpu_ticks(pid)
        user, system = user + ticks[0], system + ticks[1]
        for status in Path(f"/proc/{pid}/task").glob("*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue  # the thread has gone
            for line in text.splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    switches += int(line.split()[1])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick, switches


def children(pid: int) -> list[int]:
    """The pids of a process's children (gunicorn's workers), from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return sorted(int(p) for p in text.split())


def machine_ticks() -> tuple[int, int]:
    """(idle, all) CPU time of the whole machine so far, in clock ticks (/proc/stat; idle
    counts time waiting for I/O too)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return fields[3] + fields[4], sum(fields)  # (guest time, after these, is counted in user)


def idle_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the machine's cores left idle between two `machine_ticks()`."""
    total = after[1] - before[1]
    return 100.0 * (after[0] - before[0]) / total if total else 0.0


def postgres_cpu_seconds() -> float:
    """User + system CPU of every PostgreSQL process on this machine so far (its backends, the
    WAL writer and the rest); a backend that exits takes its time with it."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                total += cpu_seconds(int(comm.parent.name))
        except OSError:
            continue  # the process has gone
    return total


def peak_rss_kb(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process, in KB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["fakes"]:
    _serve_fakes(float(sys.argv[2]))
