"""Post webhook fixtures to a running bot and print its replies; `--chat` to talk to it.

python replay_fixture.py fixtures/text_book_haircut.json
python replay_fixture.py fixtures/text_greeting.json fixtures/status_delivered.json
python replay_fixture.py --chat
python replay_fixture.py --messenger            # every Messenger fixture, in order
python replay_fixture.py --messenger --chat     # talk to the bot's Facebook Page

Each fixture scenario writes as its own customer, so replays never touch the `--chat` customer's
history or bookings. A status fixture whose message id is `wamid.REPLY` is applied to the bot's
latest reply to that recipient (the one just printed), since the real id is only known then; a
Messenger delivery or read fixture's watermark is moved to now, so it covers every reply so far.
Messenger fixtures go to the demo business's Page (MESSENGER_PAGE_ID). The server follows
SERVER_URL, else PORT (as `run.py` does).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import requests

from app.channels.meta import sign
from app.config import load_config

DEFAULT_CUSTOMER = "34600111222"
DEFAULT_PSID = "6254381284619999"  # the --messenger --chat customer's id on the Page
LATEST_REPLY = "wamid.REPLY"  # placeholder in status fixtures: the bot's latest reply
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# --messenger without files: a customer writes, taps, sends a photo; the Page's own message
# (echo) and a reaction get no answer; then the replies are delivered and read.
MESSENGER_TOUR = [
    FIXTURES / f"messenger_{name}.json"
    for name in (
        "text",
        "quick_reply",
        "postback",
        "image_attachment",
        "echo",
        "reaction",
        "delivery",
        "read",
    )
]


def _fixture_from(address: str) -> str | None:
    """The name of a fixture in which `address` (a status fixture's recipient) writes a text
    message, text_* and *_text ones first."""
    for path in sorted(FIXTURES.glob("*.json"), key=lambda p: ("text" not in p.stem, p.stem)):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        for entry in data.get("entry") or []:
            for change in entry.get("changes") or []:  # WhatsApp
                for message in (change.get("value") or {}).get("messages") or []:
                    if message.get("from") == address and message.get("type") == "text":
                        return path.stem
            for event in entry.get("messaging") or []:  # Messenger
                message = event.get("message") or {}
                sender = (event.get("sender") or {}).get("id")
                if sender == address and "text" in message and not message.get("is_echo"):
                    return path.stem
    return None


def main(argv: list[str] | None = None) -> int:
    cfg = load_config()
    args = parse_args(argv, cfg)
    try:
        args.envelopes = [] if args.chat else load_fixtures(args.files or MESSENGER_TOUR)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    session = requests.Session()
    try:
        return run(session, args, cfg)
    except requests.ConnectionError:
        print(
            f"Error: no bot answers at {args.server}: start it with ./scripts/run.sh"
            " (or point PORT or SERVER_URL at it)",
            file=sys.stderr,
        )
        return 1


def load_fixtures(paths) -> list[tuple[str, dict]]:
    """Every fixture read and decoded before anything is sent; ValueError names a bad one."""
    loaded = []
    for path in paths:
        try:
            envelope = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ValueError(f"{path} is not a JSON webhook envelope: {exc}") from None
        if not isinstance(envelope, dict):
            raise ValueError(f"{path} is not a JSON webhook envelope (an object)")
        loaded.append((str(path), envelope))
    return loaded


def run(session, args, cfg) -> int:
    if args.chat:
        return chat(session, args, cfg)
    for path, envelope in args.envelopes:
        envelope = to_demo_page(envelope, cfg["MESSENGER_PAGE_ID"])
        if not args.keep_ids:
            envelope = with_fresh_ids(envelope)
        print(f"→ {path}")
        show_replies(session, args, cfg, envelope)
    return 0


def parse_args(argv, cfg):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="webhook envelopes (JSON) to post")
    parser.add_argument("--server", default=cfg["SERVER_URL"])
    parser.add_argument("--chat", action="store_true", help="talk to the bot as a customer")
    parser.add_argument(
        "--messenger",
        action="store_true",
        help="as a Messenger customer of the demo Page (--chat), or every Messenger fixture",
    )
    parser.add_argument("--wa-id", default=DEFAULT_CUSTOMER, help="customer number for --chat")
    parser.add_argument("--psid", default=DEFAULT_PSID, help="customer id for --messenger --chat")
    parser.add_argument("--name", default="Alex", help="customer profile name for --chat")
    parser.add_argument(
        "--keep-ids", action="store_true", help="post wamids unchanged (dedup demo)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for replies")
    args = parser.parse_args(argv)
    if not args.chat and not args.files and not args.messenger:
        parser.error("give fixture files, --chat or --messenger")
    return args


def post(session, server: str, envelope: dict, app_secret: str) -> requests.Response:
    """POST one envelope to /webhook, signed when APP_SECRET is set."""
    body = json.dumps(envelope).encode()
    headers = {"Content-Type": "application/json"}
    if app_secret:
        headers["X-Hub-Signature-256"] = sign(body, app_secret)
    return session.post(f"{server}/webhook", data=body, headers=headers, timeout=10)


def show_replies(session, args, cfg, envelope: dict) -> None:
    """Post an envelope and print what the bot answers to each customer in it."""
    targets = customers_in(envelope)
    marks = {t: last_id(session, args.server, t) for t in targets}
    statuses = point_statuses_at_replies(session, args.server, envelope)
    response = post(session, args.server, sent_now(envelope), cfg["APP_SECRET"])
    print(f"  webhook answered {response.status_code} {response.text.strip()[:80]}")
    if not targets and not statuses:
        print("  (nothing to answer: no customer wrote)")
    names = profile_names(envelope)
    for target in targets:
        replies = wait_for_replies(session, args.server, target, marks[target], args.timeout)
        label = f"{names.get(target.address, 'customer')} ({show(target)}) "
        for reply in replies:
            print(f"  ← {label if len(targets) > 1 else ''}{reply}".replace("\n", "\n    "))
    for (target, message_id), wanted in statuses.items():
        print(f"  {show_status(session, args, target, message_id, wanted)}")


class Target(NamedTuple):
    """A customer of the bot: their channel, the business's account there, their address."""

    channel: str
    account_id: str
    address: str


def show(target: Target) -> str:
    """How replies name a customer: +number on WhatsApp, the PSID on Messenger."""
    return f"+{target.address}" if target.channel == "whatsapp" else f"PSID {target.address}"


def point_statuses_at_replies(session, server: str, envelope: dict) -> dict:
    """Give `wamid.REPLY` statuses the id of the bot's latest reply to their recipient.

    Returns {(customer, message id): status} for every status in the envelope; a Messenger
    delivery or read (a watermark) is shown on the customer's latest reply.
    """
    found = {}
    for target, message_id, status in statuses_in(envelope):
        if message_id in (LATEST_REPLY, None):
            data = fetch(session, server, target, 0)
            replies = [m for m in data["messages"] if m["direction"] == "out"]
            if not replies or not replies[-1].get("external_id"):
                first = _fixture_from(target.address) or (
                    "messenger_text" if target.channel == "messenger" else "text_greeting"
                )
                raise SystemExit(
                    f"{show(target)} has no reply to mark {status} yet:"
                    f" replay one of their messages first (e.g. fixtures/{first}.json)"
                )
            message_id = replies[-1]["external_id"]
            if target.channel == "whatsapp":
                set_status_id(envelope, target.address, message_id)
        found[(target, message_id)] = status
    return found


def statuses_in(envelope: dict) -> list[tuple[Target, str | None, str]]:
    """(customer, message id or None for a watermark, status) of every status in the envelope."""
    found = []
    for entry in envelope.get("entry") or []:
        page = str(entry.get("id", ""))
        for event in entry.get("messaging") or []:
            for kind, status in (("delivery", "delivered"), ("read", "read")):
                if kind in event:
                    sender = (event.get("sender") or {}).get("id", "")
                    found.append((Target("messenger", page, sender), None, status))
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            pnid = (value.get("metadata") or {}).get("phone_number_id", "")
            for status in value.get("statuses") or []:
                target = Target("whatsapp", pnid, status.get("recipient_id", ""))
                found.append((target, status.get("id"), status.get("status", "")))
    return found


def set_status_id(envelope: dict, recipient: str, message_id: str) -> None:
    """Point the envelope's `wamid.REPLY` statuses to `recipient` at `message_id`."""
    for entry in envelope.get("entry") or []:
        for change in entry.get("changes") or []:
            for status in (change.get("value") or {}).get("statuses") or []:
                if status.get("id") == LATEST_REPLY and status.get("recipient_id") == recipient:
                    status["id"] = message_id


def show_status(session, args, target: Target, message_id: str, wanted: str) -> str:
    """Wait until the status shows on the message; say what the reply's ticks are now."""
    deadline = time.monotonic() + min(args.timeout, 10)
    while time.monotonic() < deadline:
        data = fetch(session, args.server, target, 0)
        mine = [m for m in data["messages"] if m.get("external_id") == message_id]
        if mine and mine[0]["status"] == wanted:
            message = mine[0]
            code = f" (error {message['error_code']})" if message.get("error_code") else ""
            body = message["body"][:50]
            return f"✓ reply {message_id} to {show(target)} is now {wanted}{code}: {body!r}"
        time.sleep(0.2)  # polling a local dev server; nothing to subscribe to
    now = mine[0]["status"] if mine else "unknown"
    return f"(status {wanted} not applied to {message_id}: it is {now}; statuses never go back)"


def profile_names(envelope: dict) -> dict[str, str]:
    """wa_id → profile name, from the envelope's contacts (Messenger events carry none)."""
    names = {}
    for entry in envelope.get("entry") or []:
        for change in entry.get("changes") or []:
            for contact in (change.get("value") or {}).get("contacts") or []:
                name = (contact.get("profile") or {}).get("name")
                if contact.get("wa_id") and name:
                    names[contact["wa_id"]] = name
    return names


def chat(session, args, cfg) -> int:
    """An interactive session as one customer of the demo business."""
    if args.messenger:
        target = Target("messenger", cfg["MESSENGER_PAGE_ID"], args.psid)
        print(f"Chatting with {args.server}'s Page as PSID {args.psid}. Ctrl-D to quit.")
    else:
        target = Target("whatsapp", cfg["PHONE_NUMBER_ID"], args.wa_id)
        print(f"Chatting with {args.server} as {args.name} (+{args.wa_id}). Ctrl-D to quit.")
    for text in _lines():
        mark = last_id(session, args.server, target)
        if args.messenger:
            envelope = messenger_envelope(target.account_id, target.address, text)
        else:
            envelope = text_envelope(target.account_id, target.address, args.name, text)
        post(session, args.server, envelope, cfg["APP_SECRET"])
        for reply in wait_for_replies(session, args.server, target, mark, args.timeout):
            print("bot> " + reply.replace("\n", "\n     "))
    return 0


def _lines():
    """Non-empty lines the customer types (or pipes in), until end of input."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("you> ") if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            return
        if not interactive and line == "":
            return
        if line.strip():
            yield line.strip()


def text_envelope(phone_number_id: str, wa_id: str, name: str, text: str) -> dict:
    """A WhatsApp text-message webhook envelope, as Meta sends it."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "0",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "34600000000",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.chat.{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def messenger_envelope(page_id: str, psid: str, text: str) -> dict:
    """A Messenger (Page) text-message webhook body, as Meta sends it."""
    now = int(time.time() * 1000)
    event = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": now,
        "message": {"mid": f"mid.chat.{uuid.uuid4().hex}", "text": text},
    }
    return {"object": "page", "entry": [{"id": page_id, "time": now, "messaging": [event]}]}


def to_demo_page(envelope: dict, page_id: str) -> dict:
    """A Messenger fixture sent to the demo business's Page (WhatsApp envelopes unchanged)."""
    env = copy.deepcopy(envelope)
    if env.get("object") != "page":
        return env
    for entry in env.get("entry") or []:
        page = entry.get("id")
        entry["id"] = page_id
        for event in entry.get("messaging") or []:
            for side in ("sender", "recipient"):
                if (event.get(side) or {}).get("id") == page:
                    event[side]["id"] = page_id
    return env


def with_fresh_ids(envelope: dict) -> dict:
    """A copy whose message ids are new, so a replay is a new delivery rather than a duplicate."""
    env = copy.deepcopy(envelope)
    fresh = uuid.uuid4().hex[:8]
    for entry in env.get("entry") or []:
        for change in entry.get("changes") or []:
            for msg in (change.get("value") or {}).get("messages") or []:
                if isinstance(msg, dict) and "id" in msg:
                    msg["id"] = f"{msg['id']}.{fresh}"
        for event in entry.get("messaging") or []:
            for kind in ("message", "postback"):
                if isinstance(event.get(kind), dict) and "mid" in event[kind]:
                    event[kind]["mid"] = f"{event[kind]['mid']}.{fresh}"
    return env


def sent_now(envelope: dict) -> dict:
    """A copy whose messages say they were sent now: fixtures are old, and a message over a
    day old may not be answered with free text (the 24-hour customer-service window). A
    Messenger watermark moves to now as well: it covers every reply sent so far."""
    env = copy.deepcopy(envelope)
    now = time.time()
    for entry in env.get("entry") or []:
        for change in entry.get("changes") or []:
            for msg in (change.get("value") or {}).get("messages") or []:
                if isinstance(msg, dict) and "timestamp" in msg:
                    msg["timestamp"] = str(int(now))
        for event in entry.get("messaging") or []:
            if "timestamp" in event:
                event["timestamp"] = int(now * 1000)
            for kind in ("delivery", "read"):
                if isinstance(event.get(kind), dict) and "watermark" in event[kind]:
                    event[kind]["watermark"] = int(now * 1000)
    return env


def customers_in(envelope: dict) -> list[Target]:
    """Every customer who wrote in the envelope (not the Page's own echoes, nor reactions)."""
    found = []
    for entry in envelope.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            pnid = (value.get("metadata") or {}).get("phone_number_id", "")
            for msg in value.get("messages") or []:
                if msg.get("from"):
                    found.append(Target("whatsapp", pnid, msg["from"]))
        for event in entry.get("messaging") or []:
            message = event.get("message") or {}
            if ("message" in event and not message.get("is_echo")) or "postback" in event:
                found.append(Target("messenger", str(entry.get("id", "")), event["sender"]["id"]))
    return list(dict.fromkeys(found))


def last_id(session, server: str, target: Target) -> int:
    """The newest message id of a customer (0 when none)."""
    return fetch(session, server, target, 0)["last_id"]


def fetch(session, server: str, target: Target, after_id: int) -> dict:
    params = {**target._asdict(), "after_id": after_id}
    response = session.get(f"{server}/dev/messages", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_replies(session, server, target: Target, after_id, timeout) -> list[str]:
    """Wait until the customer's messages are answered; return the replies' texts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = fetch(session, server, target, after_id)
        replies = [m for m in data["messages"] if m["direction"] == "out"]
        inbound = [m for m in data["messages"] if m["direction"] == "in"]
        settled = data["pending"] == 0 and all(m["status"] != "queued" for m in replies)
        if inbound and settled:
            return [m["body"] for m in replies] or ["(no reply: nothing to answer)"]
        time.sleep(0.2)  # polling a local dev server; nothing to subscribe to
    return ["(no reply within the timeout)"]


if __name__ == "__main__":
    sys.exit(main())
