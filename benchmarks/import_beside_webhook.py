"""The webhook's acknowledgements while an owner imports a heavy website from the console.

    python -m benchmarks.import_beside_webhook [--pages 6] [--page-bytes 1500000] [--rate 300]
                                               [--seconds 40] [--workers 2] [--threads 16]

Serves a site of `--pages` large pages (a treatment menu of `--page-bytes` each, linked one to
the next) from a local HTTP server, starts the bot as deployed (gunicorn, `--workers` processes
of `--threads` threads), then sends signed deliveries at `--rate` a second for `--seconds`
twice: once alone, once from the start of the console's import (`POST
…/reference-document/import`), which reads the site and writes its document in one of those web
processes (by default the window outlasts the import's 30 s limit and the writing after it).
Prints the acks' p50, p99 and max each time, and what the import read and how long it took.

The pages are read, and the document written, by a reader process (app/knowledge/reader.py);
run the same script from a checkout before it to see the import do both inside the web process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.common import (
    Gunicorn,
    create_database,
    drop_database,
    free_port,
    open_loop,
    percentile,
)
from benchmarks.webhook_ack import PHONE_NUMBER_ID, bot_env, deliveries

EMAIL, PASSWORD = "owner@bench.example", "a long bench password 7431"


def write_site(root: Path, pages: int, page_bytes: int) -> None:
    """`pages` HTML files of about `page_bytes` each, page i linking to page i + 1."""
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for i in range(pages):
        parts = [f"<html><head><title>Treatments {i}</title></head><body><main>"]
        size, k = 0, 0
        while size < page_bytes:
            card = (
                f"<div class='card'><h2>Treatment {i}.{k}</h2><p>Treatment {k} takes"
                f" {30 + k % 60} minutes and costs {20 + k % 80} euros; book it any weekday"
                " between 9am and 7pm.</p><ul><li>Relaxing</li><li>Gentle</li></ul></div>"
            )
            parts.append(card)
            size, k = size + len(card), k + 1
        if i + 1 < pages:
            parts.append(f"<a href='/p{i + 1}.html'>More treatments</a>")
        parts.append("</main><footer>Calle Mayor 1, Madrid.</footer></body></html>")
        (root / ("index.html" if i == 0 else f"p{i}.html")).write_text("".join(parts))


def seed(url: str) -> int:
    """The demo business and an owner (superadmin) to import for it; the business id."""
    from app.admin.auth import hash_password
    from app.storage import businesses, db, users

    db.open_pool(url)
    try:
        business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
        users.upsert_superadmin(EMAIL, hash_password(PASSWORD))
    finally:
        db.close_pool()
    return business_id


def api(port: int, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/admin{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def acks(port: int, rate: float, seconds: float) -> tuple[float, float, float]:
    lat, _, _ = asyncio.run(open_loop(port, deliveries(int(rate * seconds), 2000), rate))
    ms = [x * 1000 for x in lat]
    return percentile(ms, 50), percentile(ms, 99), max(ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--page-bytes", type=int, default=1_500_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    a = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-site-"))
    name, url = create_database()
    site_port = free_port()
    site = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(site_port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        write_site(root, a.pages, a.page_bytes)
        business_id = seed(url)
        env = bot_env(url) | {
            "WEBSITE_IMPORT_ALLOWED_HOSTS": f"127.0.0.1:{site_port}",
            "OPENAI_API_KEY": "",  # the document written extractively
            "ADMIN_LOGIN_MAX_FAILURES_PER_IP": "1000",
        }
        with Gunicorn("app:create_app()", env, workers=a.workers, threads=a.threads) as bot:
            asyncio.run(open_loop(bot.port, deliveries(200, 2000), rate=200))  # warm
            status, body = api(bot.port, "/auth/login", {"email": EMAIL, "password": PASSWORD})
            if status != 200:
                raise SystemExit(f"login failed: {status} {body}")
            token = body["token"]
            alone = acks(bot.port, a.rate, a.seconds)
            result: dict = {}

            def run_import() -> None:
                started = time.monotonic()
                result["status"], result["body"] = api(
                    bot.port,
                    f"/businesses/{business_id}/reference-document/import",
                    {"url": f"http://127.0.0.1:{site_port}/"},
                    token,
                )
                result["seconds"] = time.monotonic() - started

            importer = threading.Thread(target=run_import)
            importer.start()
            beside = acks(bot.port, a.rate, a.seconds)
            importer.join()
        report = result["body"].get("report") or {}
        print(f"web: {a.workers} processes × {a.threads} threads; deliveries at {a.rate:.0f}/s")
        print(f"{'acks':32} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
        for label, (p50, p99, top) in (("alone", alone), ("while the import runs", beside)):
            print(f"{label:32} {p50:7.1f} {p99:7.1f} {top:7.1f}")
        pages = report.get("pages", [])
        print(
            f"import: HTTP {result['status']} in {result['seconds']:.1f} s, {len(pages)} pages"
            f" of {a.pages} read ({a.pages} × {a.page_bytes:,} bytes offered),"
            f" stopped: {report.get('stopped_code')}"
            + ("" if result["seconds"] <= a.seconds else f"; it outlasted the {a.seconds:.0f} s")
        )
    finally:
        site.terminate()
        site.wait(timeout=30)
        drop_database(name)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
