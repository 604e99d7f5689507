"""Parse Messenger webhook bodies (`object: "page"`) into channel-neutral types; never raise."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.channels.base import DeliveryStatus, Inbound, InboundKind, Parsed, StatusUpdate
from app.channels.messenger.formatting import METADATA
from app.channels.meta import ParseNotes, as_dict, as_int, as_str, is_object

CHANNEL = "messenger"
OBJECT = "page"
MAX_ENTRIES = 5000
MAX_UPDATES = 5000  # messages and statuses per body, as for WhatsApp
MAX_ATTACHMENTS = 10  # only the first attachment decides the kind; the rest are not read
# mids are ~100 characters and PSIDs ~17 digits; both end up in unique keys (see WhatsApp).
MAX_ID_LENGTH = 256
# Meta sends milliseconds; a few examples carry seconds. 1e11 ms is 1973, 1e11 s the year 5138.
_SECONDS_BELOW = 10**11

_MEDIA = frozenset(
    {"image", "audio", "video", "file", "sticker", "fallback", "template"}
    | {"reel", "ig_reel", "post", "ig_post", "share"}
)
_ENVELOPE_KEYS = frozenset({"sender", "recipient", "timestamp"})
# Messenger's thumbs-up button sends a "like": a sticker (small, medium or large, by how long
# it is held), an image attachment whose payload names it, usually with `message.sticker_id`.
# It acknowledges, like a reaction, and gets the same silence.
LIKE_STICKERS = frozenset({369239263222822, 369239343222814, 369239383222810})
LIKE = "\N{THUMBS UP SIGN}"


def accepts(data: object) -> bool:
    """Whether a decoded webhook body is a Messenger (Page) delivery."""
    return is_object(data) and data.get("object") == OBJECT


def parse(data: object) -> Parsed:
    """Parse a decoded `object: "page"` body of any shape into messages and statuses."""
    parser = _Parser()
    if not isinstance(data, Mapping):
        parser.ignore(f"body is {type(data).__name__}, not an object")
    elif data.get("object") != OBJECT:
        parser.ignore(f"object={as_str(data.get('object'))[:40]}")
    else:
        for entry in parser.items(data.get("entry"), "entry", MAX_ENTRIES):
            parser.entry(entry)
    return parser.parsed()


class _Parser(ParseNotes):
    """Accumulates messages, statuses and skip reasons while walking one body."""

    def __init__(self) -> None:
        super().__init__(MAX_UPDATES)
        self.messages: list[Inbound] = []
        self.statuses: list[StatusUpdate] = []

    def room(self) -> bool:
        """Take one slot of the per-body update budget; False (and counted) when none is left."""
        if self.updates >= MAX_UPDATES:
            self.dropped += 1
            return False
        self.updates += 1
        return True

    def entry(self, entry: Mapping) -> None:
        page_id = as_str(entry.get("id"))
        if isinstance(entry.get("standby"), list):
            # Events for an app that does not own the thread (handover): not ours to answer.
            self.ignore("standby event", len(entry["standby"]))
        if entry.get("changes") is not None:
            self.ignore("entry changes (not messaging)")
        for event in self.items(entry.get("messaging"), "messaging event", MAX_UPDATES):
            self.event(event, page_id)

    def event(self, event: Mapping, entry_id: str) -> None:
        # The customer is the sender and the page the recipient, in messages and receipts alike;
        # an echo (a message the page sent) goes the other way.
        sender = as_str(as_dict(event.get("sender")).get("id"))
        page = "sender" if as_dict(event.get("message")).get("is_echo") else "recipient"
        page_id = entry_id or as_str(as_dict(event.get(page)).get("id"))
        at = _time(event.get("timestamp"))
        if "message" in event:
            self.message(as_dict(event.get("message")), event, page_id, sender, at)
        elif "postback" in event:
            self.postback(event, page_id, sender, at)
        elif "delivery" in event:
            self.receipt(
                as_dict(event.get("delivery")), DeliveryStatus.DELIVERED, page_id, sender, at
            )
        elif "read" in event:
            self.receipt(as_dict(event.get("read")), DeliveryStatus.READ, page_id, sender, at)
        elif "reaction" in event:
            self.ignore("reaction")
        else:
            names = sorted(str(k) for k in event if k not in _ENVELOPE_KEYS)
            self.ignore(f"event={names[0][:40]}" if names else "empty event")

    def message(
        self, msg: Mapping, event: Mapping, page_id: str, sender: str, at: datetime | None
    ) -> None:
        if not msg:
            self.ignore("message not an object")
            return
        if msg.get("is_echo"):
            self.echo(msg, event, page_id, at)
            return
        if sender and sender == page_id:  # the page's own send without the echo flag
            self.ignore("echo of a page message")
            return
        mid = as_str(msg.get("mid"))
        if not self.addressable(mid, sender, page_id, "message"):
            return
        kind, raw_type, text, payload = _content(msg)
        reply_to = as_str(as_dict(msg.get("reply_to")).get("mid"))
        if not self.room():
            return
        self.messages.append(
            Inbound(
                channel=CHANNEL,
                account_id=page_id,
                external_id=mid,
                sender=sender,
                profile_name="",  # Messenger events carry no name; see lookup_name
                sent_at=at,
                kind=kind,
                raw_type=raw_type,
                text=text,
                payload=payload,
                reply_to=reply_to if 0 < len(reply_to) <= MAX_ID_LENGTH else None,
                raw=event,
            )
        )

    def echo(self, msg: Mapping, event: Mapping, page_id: str, at: datetime | None) -> None:
        """A message the page sent (sender the page, recipient the customer): the bot's own,
        never answered, or a person's from the Page inbox, for whom the bot steps aside."""
        if as_str(msg.get("metadata")) == METADATA:
            self.ignore("echo of the bot's own message")
            return
        customer = as_str(as_dict(event.get("recipient")).get("id"))
        mid = as_str(msg.get("mid"))
        if not self.addressable(mid, customer, page_id, "echo") or not self.room():
            return
        kind, raw_type, text, _ = _content(msg)
        self.messages.append(
            Inbound(
                channel=CHANNEL,
                account_id=page_id,
                external_id=mid,
                sender=customer,
                profile_name="",
                sent_at=at,
                kind=kind,
                raw_type=raw_type,
                text=text,
                raw=event,
                from_business=True,
            )
        )

    def postback(self, event: Mapping, page_id: str, sender: str, at: datetime | None) -> None:
        postback = as_dict(event.get("postback"))
        stamp = _stamp(event.get("timestamp"))
        # Older postbacks have no mid; Meta redelivers the same event with the same timestamp,
        # so sender and timestamp make a stable dedup key.
        mid = as_str(postback.get("mid")) or (f"postback:{sender}:{stamp}" if stamp else "")
        if not self.addressable(mid, sender, page_id, "postback"):
            return
        title, payload = as_str(postback.get("title")), as_str(postback.get("payload"))
        if not self.room():
            return
        self.messages.append(
            Inbound(
                channel=CHANNEL,
                account_id=page_id,
                external_id=mid,
                sender=sender,
                profile_name="",
                sent_at=at,
                kind=InboundKind.CHOICE,
                raw_type="postback",
                text=title or payload,
                payload=payload,
                raw=event,
            )
        )

    def addressable(self, mid: str, sender: str, page_id: str, what: str) -> bool:
        """Whether an inbound event has usable ids (noting why not)."""
        if not mid:
            self.ignore(f"{what} without mid")
        elif not sender:
            self.ignore(f"{what} without sender")
        elif not page_id:
            self.ignore(f"{what} without page id")
        elif max(len(mid), len(sender), len(page_id)) > MAX_ID_LENGTH:
            self.ignore(f"{what} id, sender or page id too long")
        else:
            return True
        return False

    def receipt(
        self,
        body: Mapping,
        status: DeliveryStatus,
        page_id: str,
        sender: str,
        at: datetime | None,
    ) -> None:
        what = status.value
        watermark = _time(body.get("watermark"))
        mids = body.get("mids") if status is DeliveryStatus.DELIVERED else None
        mids = mids if isinstance(mids, list) else []
        if not sender or not page_id:
            self.ignore(f"{what} without sender or page id")
            return
        if max(len(sender), len(page_id)) > MAX_ID_LENGTH:
            self.ignore(f"{what} sender or page id too long")
            return
        if watermark is None and not mids:
            self.ignore(f"{what} without watermark")
            return
        at = at or watermark
        if watermark is not None and self.room():
            self.statuses.append(
                StatusUpdate(CHANNEL, page_id, "", sender, status, at, watermark=watermark)
            )
        if len(mids) > MAX_UPDATES:
            self.dropped += len(mids) - MAX_UPDATES
            mids = mids[:MAX_UPDATES]
        for mid in mids:
            if not isinstance(mid, str) or not 0 < len(mid) <= MAX_ID_LENGTH:
                self.ignore(f"{what} mid not a usable id")
            elif self.room():
                self.statuses.append(StatusUpdate(CHANNEL, page_id, mid, sender, status, at))

    def parsed(self) -> Parsed:
        return Parsed(
            channel=CHANNEL,
            messages=tuple(self.messages),
            statuses=tuple(self.statuses),
            ignored=self.ignored(),
        )


def _content(msg: Mapping) -> tuple[InboundKind, str, str, str]:
    """Return (kind, raw type, readable text, payload) of a customer's message."""
    text = as_str(msg.get("text"))
    payload = as_str(as_dict(msg.get("quick_reply")).get("payload"))
    if payload:
        return InboundKind.CHOICE, "quick_reply", text, payload
    if text:
        return InboundKind.TEXT, "text", text, ""
    attachments = msg.get("attachments")
    attachments = attachments[:MAX_ATTACHMENTS] if isinstance(attachments, list) else []
    if _is_like(msg, attachments):
        return InboundKind.REACTION, "like", LIKE, ""
    if msg.get("sticker_id") is not None:
        return InboundKind.MEDIA, "sticker", "", ""
    for attachment in attachments:
        raw_type = as_str(as_dict(attachment).get("type"))[:40]
        if raw_type == "location":
            return InboundKind.LOCATION, raw_type, as_str(attachment.get("title")), ""
        if raw_type in _MEDIA:
            return InboundKind.MEDIA, raw_type, "", ""
        if raw_type:
            return InboundKind.OTHER, raw_type, "", ""
    return InboundKind.OTHER, "unknown", "", ""


def _is_like(msg: Mapping, attachments: list) -> bool:
    """Whether a message is the thumbs-up "like" (by its sticker id, on the message or on its
    only attachment's payload)."""
    if as_int(msg.get("sticker_id")) in LIKE_STICKERS:
        return True
    if len(attachments) != 1:
        return False
    payload = as_dict(as_dict(attachments[0]).get("payload"))
    return as_int(payload.get("sticker_id")) in LIKE_STICKERS


def _stamp(value: object) -> int | None:
    """Return a non-negative int from an int, a finite float or a digit string."""
    stamp = as_int(value)
    return stamp if stamp is not None and stamp >= 0 else None


def _time(value: object) -> datetime | None:
    """Return a Messenger timestamp (milliseconds; seconds if small) as an aware UTC datetime."""
    stamp = _stamp(value)
    if stamp is None:
        return None
    seconds = stamp if stamp < _SECONDS_BELOW else stamp / 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
