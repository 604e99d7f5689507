"""Post webhook fixtures to a running bot and print its replies; `--chat` to talk to it.

python replay_fixture.py fixtures/text_book_haircut.json
python replay_fixture.py fixtures/text_greeting.json fixtures/status_delivered.json
python replay_fixture.py --chat

Each fixture scenario writes as its own customer, so replays never touch the `--chat` customer's
history or bookings. A status fixture whose message id is `wamid.REPLY` is applied to the bot's
latest reply to that recipient (the one just printed), since the real id is only known then.
The server follows SERVER_URL, else PORT (as `run.py` does).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import uuid
from pathlib import Path

import requests

from app.channels.meta import sign
from app.config import load_config

DEFAULT_CUSTOMER = "34600111222"
LATEST_REPLY = "wamid.REPLY"  # placeholder in status fixtures: the bot's latest reply


def main(argv: list[str] | None = None) -> int:
    cfg = load_config()
    args = parse_args(argv, cfg)
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


def run(session, args, cfg) -> int:
    if args.chat:
        return chat(session, args, cfg)
    for path in args.files:
        envelope = json.loads(Path(path).read_text())
        if not args.keep_ids:
            envelope = with_fresh_ids(envelope)
        envelope = sent_now(envelope)
        print(f"→ {path}")
        show_replies(session, args, cfg, envelope)
    return 0


def parse_args(argv, cfg):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="webhook envelopes (JSON) to post")
    parser.add_argument("--server", default=cfg["SERVER_URL"])
    parser.add_argument("--chat", action="store_true", help="talk to the bot as a customer")
    parser.add_argument("--wa-id", default=DEFAULT_CUSTOMER, help="customer number for --chat")
    parser.add_argument("--name", default="Alex", help="customer profile name for --chat")
    parser.add_argument(
        "--keep-ids", action="store_true", help="post wamids unchanged (dedup demo)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for replies")
    args = parser.parse_args(argv)
    if not args.chat and not args.files:
        parser.error("give fixture files or --chat")
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
    marks = {t: last_id(session, args.server, *t) for t in targets}
    statuses = point_statuses_at_replies(session, args.server, envelope)
    response = post(session, args.server, envelope, cfg["APP_SECRET"])
    print(f"  webhook answered {response.status_code} {response.text.strip()[:80]}")
    names = profile_names(envelope)
    for target in targets:
        replies = wait_for_replies(session, args.server, *target, marks[target], args.timeout)
        label = f"{names.get(target[1], 'customer')} (+{target[1]}) " if len(targets) > 1 else ""
        for reply in replies:
            print(f"  ← {label}{reply}".replace("\n", "\n    "))
    for (pnid, recipient, message_id), wanted in statuses.items():
        print(f"  {show_status(session, args, pnid, recipient, message_id, wanted)}")


def point_statuses_at_replies(session, server: str, envelope: dict) -> dict:
    """Give `wamid.REPLY` statuses the id of the bot's latest reply to their recipient.

    Returns {(phone_number_id, recipient, message id): status} for every status in the envelope.
    """
    found = {}
    for entry in envelope.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            pnid = (value.get("metadata") or {}).get("phone_number_id", "")
            for status in value.get("statuses") or []:
                recipient = status.get("recipient_id", "")
                if status.get("id") == LATEST_REPLY:
                    data = fetch(session, server, pnid, recipient, 0)
                    replies = [m for m in data["messages"] if m["direction"] == "out"]
                    if not replies or not replies[-1].get("external_id"):
                        raise SystemExit(
                            f"+{recipient} has no reply to mark {status.get('status')} yet:"
                            " replay one of their messages first (e.g. fixtures/text_greeting.json)"
                        )
                    status["id"] = replies[-1]["external_id"]
                found[(pnid, recipient, status["id"])] = status.get("status", "")
    return found


def show_status(session, args, pnid, recipient, message_id, wanted) -> str:
    """Wait until the status shows on the message; say what the reply's ticks are now."""
    deadline = time.monotonic() + min(args.timeout, 10)
    while time.monotonic() < deadline:
        data = fetch(session, args.server, pnid, recipient, 0)
        mine = [m for m in data["messages"] if m.get("external_id") == message_id]
        if mine and mine[0]["status"] == wanted:
            message = mine[0]
            code = f" (error {message['error_code']})" if message.get("error_code") else ""
            body = message["body"][:50]
            return f"✓ reply {message_id} to +{recipient} is now {wanted}{code}: {body!r}"
        time.sleep(0.2)  # polling a local dev server; nothing to subscribe to
    now = mine[0]["status"] if mine else "unknown"
    return f"(status {wanted} not applied to {message_id}: it is {now}; statuses never go back)"


def profile_names(envelope: dict) -> dict[str, str]:
    """wa_id → profile name, from the envelope's contacts."""
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
    phone_number_id = cfg["PHONE_NUMBER_ID"]
    print(f"Chatting with {args.server} as {args.name} (+{args.wa_id}). Ctrl-D to quit.")
    for text in _lines():
        mark = last_id(session, args.server, phone_number_id, args.wa_id)
        envelope = text_envelope(phone_number_id, args.wa_id, args.name, text)
        post(session, args.server, envelope, cfg["APP_SECRET"])
        replies = wait_for_replies(
            session, args.server, phone_number_id, args.wa_id, mark, args.timeout
        )
        for reply in replies:
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


def with_fresh_ids(envelope: dict) -> dict:
    """A copy whose message ids are new, so a replay is a new delivery rather than a duplicate."""
    env = copy.deepcopy(envelope)
    for entry in env.get("entry") or []:
        for change in entry.get("changes") or []:
            for msg in (change.get("value") or {}).get("messages") or []:
                if isinstance(msg, dict) and "id" in msg:
                    msg["id"] = f"{msg['id']}.{uuid.uuid4().hex[:8]}"
    return env


def sent_now(envelope: dict) -> dict:
    """A copy whose messages say they were sent now: fixtures are old, and a message over a
    day old may not be answered with free text (the 24-hour customer-service window)."""
    env = copy.deepcopy(envelope)
    for entry in env.get("entry") or []:
        for change in entry.get("changes") or []:
            for msg in (change.get("value") or {}).get("messages") or []:
                if isinstance(msg, dict) and "timestamp" in msg:
                    msg["timestamp"] = str(int(time.time()))
    return env


def customers_in(envelope: dict) -> list[tuple[str, str]]:
    """(phone_number_id, wa_id) of every customer who wrote in the envelope."""
    found = []
    for entry in envelope.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            pnid = (value.get("metadata") or {}).get("phone_number_id", "")
            for msg in value.get("messages") or []:
                if msg.get("from") and (pnid, msg["from"]) not in found:
                    found.append((pnid, msg["from"]))
    return found


def last_id(session, server: str, phone_number_id: str, wa_id: str) -> int:
    """The newest message id of a customer (0 when none)."""
    data = fetch(session, server, phone_number_id, wa_id, 0)
    return data["last_id"]


def fetch(session, server, phone_number_id, wa_id, after_id) -> dict:
    params = {"account_id": phone_number_id, "address": wa_id, "after_id": after_id}
    response = session.get(f"{server}/dev/messages", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_replies(session, server, phone_number_id, wa_id, after_id, timeout) -> list[str]:
    """Wait until the customer's messages are answered; return the replies' texts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = fetch(session, server, phone_number_id, wa_id, after_id)
        replies = [m for m in data["messages"] if m["direction"] == "out"]
        inbound = [m for m in data["messages"] if m["direction"] == "in"]
        settled = data["pending"] == 0 and all(m["status"] != "queued" for m in replies)
        if inbound and settled:
            return [m["body"] for m in replies] or ["(no reply: nothing to answer)"]
        time.sleep(0.2)  # polling a local dev server; nothing to subscribe to
    return ["(no reply within the timeout)"]


if __name__ == "__main__":
    sys.exit(main())
