"""The outbox: every message for a customer is stored and its send queued in one transaction;
one send task per customer hands them to the customer's channel, in order.

The task skips what already has a provider id, records what may not or could not go (outside
the customer-service window, refused, expired) with the reason, paces each channel account
below its throughput, and retries what can be retried (4^n s with jitter) within the message's
useful life. Between the channel accepting a message and our recording it lies the one
at-least-once gap (docs/RELIABILITY.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import current_app

from app import channels, metrics
from app.booking import reminders as plans
from app.channels.base import (
    Capability,
    Channel,
    DeliveryStatus,
    Outbound,
    SendError,
    SendResult,
    StatusUpdate,
    Template,
)
from app.storage import businesses, conversations, db, pacing
from app.storage import outbox as store

log = logging.getLogger(__name__)

EXTENSION = "outbox_queue_send"
PURPOSES = ("reply", "notice", "staff", "reminder")
# Outside the window, a notice of a change to an appointment or a reminder of one may go as
# Messenger's CONFIRMED_EVENT_UPDATE and a person's answer as HUMAN_AGENT (within 7 days);
# WhatsApp needs the business's approved template for notices and reminders.
TAGS = {"notice": "CONFIRMED_EVENT_UPDATE", "reminder": "CONFIRMED_EVENT_UPDATE",
        "staff": "HUMAN_AGENT"}  # fmt: skip
WINDOW_CLOSED = "not sent: the customer-service window had closed (last message {ago} ago)"
NEVER_WROTE = "not sent: the customer has never written on this channel"
# A reminder is planned a minute before quiet hours; one sent within this long of being queued
# goes even if they began meanwhile, one held up longer into them is not sent.
QUIET_GRACE = timedelta(minutes=5)
RECORD_ATTEMPTS = 6  # attempts at recording a send the channel accepted (see _record_sent)
# Failures sending again can fix (`retry_plan`), refused at once or reported after the channel
# accepted the send.
RETRYABLE = frozenset({SendError.RETRY_LATER, SendError.PAIR_RATE_LIMITED, SendError.RATE_LIMITED})

QueueSend = Callable[[int, int, datetime | None], None]


class SendLater(Exception):
    """The customer's next message cannot go yet: run the send task again in `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(f"send again in {wait:.3f} s")
        self.wait = wait


def init_app(app, queue_send: QueueSend) -> None:
    """Give the outbox the job queue's `queue_send(business_id, customer_id, at)` (`at`: when
    the send task may run, None for now).

    It defers the customer's send task in the caller's transaction (the job queue sits above
    this module, so it is handed down rather than imported).
    """
    app.extensions[EXTENSION] = queue_send


def queue(
    conn,
    business: Mapping[str, Any],
    customer: Mapping[str, Any],
    messages: Sequence[str | Outbound],
    purpose: str = "reply",
    in_reply_to: int | None = None,
    turn_id: int | None = None,
    expires_at: datetime | None = None,
) -> list[int]:
    """Store messages for a customer and queue their send, in the caller's transaction.

    A message is its text, or an `Outbound` with buttons, a list or quick replies (the channel
    shows them as it can). `customer` needs its id and channel (and sandbox: the console's test
    customers get theirs recorded and never sent). Behind a burst for the same account the send
    task is scheduled for the messages' turn, so it does not hold a worker, nor other
    businesses' sends, waiting. `expires_at`: when the messages stop being useful (default:
    OUTBOX_MESSAGE_TTL from now).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    cfg = current_app.config
    shaped = [Outbound(text=m) if isinstance(m, str) else m for m in messages]
    sandbox = bool(customer.get("sandbox"))
    # The line's own time (PostgreSQL's clock), not now + a delay: a pause of this process
    # between lining up and queueing must not shift the sends closer together.
    turn = None if sandbox or not shaped else _line_up(business, customer, len(shaped))
    ids = store.queue_messages(
        conn,
        business["id"],
        customer["id"],
        [m.text for m in shaped],
        purpose,
        in_reply_to,
        turn_id,
        cfg["OUTBOX_MESSAGE_TTL"],
        recorded=sandbox,
        not_before=turn,
        extras=[m.stored_extras() for m in shaped],
        expires_at=expires_at,
    )
    if ids and not sandbox:
        current_app.extensions[EXTENSION](business["id"], customer["id"], turn)
    return ids


def _line_up(
    business: Mapping[str, Any], customer: Mapping[str, Any], count: int
) -> datetime | None:
    """When `count` sends for the customer's channel account may start (None: soon enough to
    go now)."""
    channel = channels.get(customer["channel"])
    turn = pacing.line_up(
        channel.name, channels.account_id(business, channel.name), count * _gap(channel, business)
    )
    return turn.start_at if turn.wait > current_app.config["OUTBOX_PACE_WAIT"] else None


def _gap(channel: Channel, business: Mapping[str, Any]) -> float:
    """Seconds between two sends on the business's account: a little over 1/rate, because the
    channel counts arrivals, which the network bunches up."""
    return (1.0 + current_app.config["OUTBOX_PACE_MARGIN"]) / _rate(channel, business)


def _rate(channel: Channel, business: Mapping[str, Any]) -> float:
    """The business's account's throughput, in messages per second."""
    return business.get("send_rate") or channel.default_rate


def outside_form(
    channel: Channel, business: Mapping[str, Any], purpose: str, message: Outbound
) -> Outbound:
    """The message as it would go outside the window: with its purpose's tag, or as a
    template (its own, or the business's for notices and staff replies, the text its one
    parameter)."""
    caps = channel.capabilities
    tag = TAGS.get(purpose, "") if Capability.MESSAGE_TAGS in caps else ""
    if Capability.TEMPLATES not in caps:
        return replace(message, tag=tag, template=None)
    template = message.template
    name = business.get("notice_template")
    if purpose == "notice" and name:
        language = business.get("notice_template_language") or "en"
        template = Template(name, language, (message.text,))
    chosen = business.get("staff_reply_template")
    if purpose == "staff" and chosen:
        template = Template(chosen["name"], chosen["language"], (message.text,))
    return replace(message, tag=tag, template=template)


def can_go_outside_window(
    business: Mapping[str, Any], customer: Mapping[str, Any], purpose: str, now: datetime
) -> bool:
    """Whether a text for this purpose could reach the customer now that their window closed."""
    channel = channels.get(customer["channel"])
    last = customer.get("last_inbound_at")
    if last is None:
        return False
    form = outside_form(channel, business, purpose, Outbound(text="-"))
    return channel.outside_window(form, now - last) is not None


def after_window(
    channel: Channel,
    business: Mapping[str, Any],
    customer: Mapping[str, Any],
    message: Mapping[str, Any],
    now: datetime,
) -> Outbound | None:
    """The stored message as it may go once the customer's window has closed, by our clock or
    by the channel's word (whatever our clock says): as its template or with its tag; None
    when it may not."""
    last = customer.get("last_inbound_at")
    since = max(now - last, channel.window) if last else timedelta.max
    stored = Outbound.from_stored(message["body"], message["payload"])
    return channel.outside_window(
        outside_form(channel, business, message["purpose"], stored), since
    )


def window_open(channel: Channel, customer: Mapping[str, Any], now: datetime) -> bool:
    """Whether free text may reach the customer now (their last message is recent enough)."""
    last = customer.get("last_inbound_at")
    return last is not None and now - last <= channel.window


def send_pending(business_id: int, customer_id: int) -> None:
    """Hand every queued message of a customer to their channel, in order.

    Raises SendLater when the next message must wait (a retry, a pause, its send slot); the
    messages after it wait too, so the customer sees them in order.
    """
    customer = conversations.get_customer(customer_id)
    business = businesses.get_row(business_id)
    if customer is None or business is None:
        log.warning("send for missing business %s / customer %s", business_id, customer_id)
        return
    sender, last = None, 0
    # One at a time, each read just before its send: what staff withdraw meanwhile stays.
    while (message := store.next_queued(customer_id, last)) is not None:
        sender = sender or _Sender(business, customer)
        sender.send(message)
        last = message["id"]


class _Sender:
    """Sends one customer's messages: window, pacing, one attempt, and what the outcome means."""

    def __init__(self, business: Mapping[str, Any], customer: Mapping[str, Any]):
        self.cfg = current_app.config
        self.business = business
        self.customer = customer
        self.channel = channels.get(customer["channel"])
        self.account = channels.account(business, customer["channel"])

    def send(self, message: dict) -> None:
        now = datetime.now(UTC)
        if message["expires_at"] is not None and now >= message["expires_at"]:
            title = "not sent within its useful life"
            if message["error_title"]:
                title += f"; last error: {message['error_title']}"
            store.mark_unsent(message["id"], "expired", message["error_code"], title)
            metrics.OUTBOX_SENDS.labels(self.channel.name, "expired").inc()
            return
        if (
            message["purpose"] == "reminder"
            and now - message["created_at"] > QUIET_GRACE
            and plans.in_quiet_hours(self.business, now)
        ):
            # Its send was held up into the night (Meta's errors and their retries, a paused
            # account, a backlog). Waiting for the morning would hold up the customer's other
            # messages too (the send job keeps their order, and a later job of theirs waits for
            # it), so it is not sent; the console shows why.
            title = "held up into quiet hours"
            if message["error_title"]:
                title += f"; last error: {message['error_title']}"
            store.mark_unsent(message["id"], "quiet_hours", None, title)
            metrics.OUTBOX_SENDS.labels(self.channel.name, "quiet_hours").inc()
            return
        if message["not_before"] is not None and message["not_before"] > now:
            raise SendLater((message["not_before"] - now).total_seconds())
        outgoing = self._shape(message, now)
        if outgoing is None:
            return
        if self.cfg["MOCK_MODE"]:
            _record_sent(message["id"], self.channel.name, f"mock.{message['id']}", "mock")
            return
        self._pace(message, now)
        started, result = self._attempt(outgoing)
        if result.error is SendError.WINDOW_CLOSED and outgoing.template is None:
            # Our clock said the window was open; the channel says it closed (at its edge). A
            # message that may go outside it, as its template or with a tag, goes so at once.
            outside = after_window(self.channel, self.business, self.customer, message, now)
            if outside is not None and outside != outgoing:
                outgoing = outside
                started, result = self._attempt(outgoing)
        if result.ok:
            _record_sent(
                message["id"], self.channel.name, result.external_id, _sent_as(outgoing), started
            )
        else:
            self._failed(message, result, now)

    def _attempt(self, outgoing: Outbound) -> tuple[datetime, SendResult]:
        """One send, counted in the account's last second: (when it started, its result)."""
        started = self._begin()
        try:
            return started, self.channel.send(self.account, self.customer["address"], outgoing)
        finally:
            self._end(started)

    def _shape(self, message: dict, now: datetime) -> Outbound | None:
        """The message as it may go now; None (and recorded why) when it may not go at all."""
        # The channel said the window had closed when it failed an earlier attempt (after
        # accepting it, see send_again): our clock may still see it open. Unless the customer
        # has written since, which opened it again: then the text goes, as to any customer.
        last = self.customer.get("last_inbound_at")
        refused = message["send_error"] == SendError.WINDOW_CLOSED.value and (
            last is None or last <= message["updated_at"]
        )
        if not refused and window_open(self.channel, self.customer, now):
            # Inside the window the text goes (a reminder's template is for outside it).
            return replace(Outbound.from_stored(message["body"], message["payload"]), template=None)
        if last is not None:
            allowed = after_window(self.channel, self.business, self.customer, message, now)
            if allowed is not None:
                return allowed
            title = WINDOW_CLOSED.format(ago=_ago(now - last))
        else:
            # An approved template may start a conversation (a staff number told of a handoff).
            first = self._outside(message)
            if first.template is not None:
                allowed = self.channel.outside_window(first, timedelta.max)
                if allowed is not None:
                    return allowed
            title = NEVER_WROTE
        code = message["error_code"] if refused else None
        store.mark_unsent(message["id"], SendError.WINDOW_CLOSED.value, code, title)
        metrics.OUTBOX_SENDS.labels(self.channel.name, SendError.WINDOW_CLOSED.value).inc()
        return None

    def _outside(self, message: dict) -> Outbound:
        """What the message could be outside the window: tagged, or the business's template."""
        stored = Outbound.from_stored(message["body"], message["payload"])
        return outside_form(self.channel, self.business, message["purpose"], stored)

    def _pace(self, message: dict, now: datetime) -> None:
        """Wait for this account's next send slot, or step aside until about when it comes.

        A message that already stepped aside (or waited for a retry) has had its turn in the
        line: it waits in place for longer rather than going to the back again.
        """
        gap = _gap(self.channel, self.business)
        returning = message["not_before"] is not None
        patience = self.cfg["OUTBOX_PACE_WAIT"] * (4 if returning else 1)
        slot = pacing.take(self.channel.name, self.account.account_id, gap, patience)
        if not slot.granted:
            store.wait_turn(message["id"], now + timedelta(seconds=slot.wait))
            raise SendLater(slot.wait)
        if slot.wait > 0:
            time.sleep(slot.wait)

    def _begin(self) -> datetime:
        """Start the send once the channel's last second has room for it (see pacing.begin):
        a sender that reached its slot late does not arrive together with the next ones."""
        rate = max(int(_rate(self.channel, self.business)), 1)
        window = 1.0 + self.cfg["OUTBOX_PACE_MARGIN"]
        while True:
            start = pacing.begin(self.channel.name, self.account.account_id, rate, window)
            if start.started is not None:
                return start.started
            time.sleep(start.wait)

    def _end(self, started: datetime) -> None:
        """Record that the send was answered. Best effort: what the channel did must still be
        recorded; a send left counted stops counting after a minute (pacing.begin's `stale`)."""
        try:
            pacing.end(self.channel.name, self.account.account_id, started)
        except psycopg.OperationalError as exc:
            log.warning("recording the end of a send on %s failed (%s)", self.channel.name, exc)

    def _failed(self, message: dict, result: SendResult, now: datetime) -> None:
        error = result.error or SendError.NEVER_RETRY
        metrics.GRAPH_ERRORS.labels(str(result.error_code or error.value)).inc()
        metrics.OUTBOX_SENDS.labels(self.channel.name, error.value).inc()
        retry = retry_plan(error, message["attempts"], result.retry_after)
        if retry is None:
            log.warning(
                "%s refused message %s: %s (code %s)",
                self.channel.name,
                message["id"],
                error.value,
                result.error_code,
            )
            store.mark_unsent(message["id"], error.value, result.error_code, result.error_title)
            return
        if retry.pause_account:
            pacing.pause(self.channel.name, self.account.account_id, retry.wait)
        self._later(message, retry.attempts, retry.wait, result, now)

    def _later(
        self, message: dict, attempts: int, wait: float, result: SendResult, now: datetime
    ) -> None:
        """Try the message again after `wait` seconds, unless by then it is no longer useful."""
        at = now + timedelta(seconds=wait)
        if message["expires_at"] is not None and at >= message["expires_at"]:
            title = f"gave up after {attempts} attempts: {result.error_title}"
            store.mark_unsent(message["id"], "expired", result.error_code, title)
            metrics.OUTBOX_SENDS.labels(self.channel.name, "expired").inc()
            return
        store.schedule_retry(message["id"], attempts, at, result.error_code, result.error_title)
        raise SendLater(wait)


def apply_failure(business_id: int, status: StatusUpdate) -> bool:
    """Apply a `failed` status the channel reported for a send it had accepted (the webhook's,
    or one parked until the send was recorded: `_take_parked_failure`); whether it changed
    anything. Sent again when it may be (`send_again`), else recorded as it stands; counted in
    `graph_errors_total` once, when it changes the message (a redelivery finds nothing to
    change, and one that only parks it is counted when it is applied)."""
    changed = send_again(business_id, status) or store.apply_status(
        business_id,
        status.channel,
        status.external_id,
        status.status.value,
        status.error_code,
        status.error_title,
    )
    if changed:
        error = status.error or SendError.NEVER_RETRY
        metrics.GRAPH_ERRORS.labels(str(status.error_code or error.value)).inc()
    return changed


def send_again(business_id: int, status: StatusUpdate) -> bool:
    """Deal with a failure the channel reported after accepting a send as a refused send's
    would be; whether it did (if not, the failure is recorded as it stands).

    A failure sending again can fix (its own trouble, a throttle) queues the message again,
    waited out by the same rule (`retry_plan`: a throttled account pauses) and within the
    message's useful life. The window having closed (our clock saw it open) queues a message
    that may go outside it (its template, a tag) again at once, to go so; one that may not is
    recorded `window_closed`. A redelivered old failure finds no message (it has a new id, or
    none yet) and changes nothing. One that came before the send was recorded is decided here
    too, when the record takes it from where it was parked (`_take_parked_failure`).
    """
    if not status.external_id or status.error not in RETRYABLE | {SendError.WINDOW_CLOSED}:
        return False
    now = datetime.now(UTC)
    with db.transaction() as conn:
        message = store.sent_to_send_again(conn, business_id, status.channel, status.external_id)
        if message is None:
            return False
        if status.error is SendError.WINDOW_CLOSED:
            return _outside_window_again(conn, business_id, message, status, now)
        retry = retry_plan(status.error, message["attempts"], None)
        if retry.pause_account:
            # The status came on the account the business was found by (the webhook's lookup).
            pacing.pause(status.channel, status.account_id, retry.wait)
        at = now + timedelta(seconds=retry.wait)
        if message["expires_at"] is not None and at >= message["expires_at"]:
            return False
        store.send_again(
            conn, message["id"], retry.attempts, at, status.error_code, status.error_title
        )
        current_app.extensions[EXTENSION](business_id, message["customer_id"], at)
    metrics.OUTBOX_SENDS.labels(status.channel, status.error.value).inc()
    return True


def _outside_window_again(
    conn, business_id: int, message: dict, status: StatusUpdate, now: datetime
) -> bool:
    """Queue again, to go at once in the form allowed outside the window, a message the
    channel failed because the customer's window had closed; else record it `window_closed`,
    as a refused send's is (`_Sender.send`). No attempt counts: none does for the refused
    send's second form either."""
    reason = SendError.WINDOW_CLOSED.value
    business = businesses.get_row(business_id)
    customer = conversations.get_customer(message["customer_id"])
    outside = None
    if business is not None and customer is not None:
        channel = channels.get(status.channel)
        outside = after_window(channel, business, customer, message, now)
    useful = message["expires_at"] is None or now < message["expires_at"]
    # The same form again (a template, a tag) would fail again.
    if outside is None or _sent_as(outside) == message["sent_as"] or not useful:
        store.refused_after_sending(
            conn, message["id"], reason, status.error_code, status.error_title
        )
        metrics.OUTBOX_SENDS.labels(status.channel, reason).inc()
        return True
    store.send_again(
        conn,
        message["id"],
        message["attempts"],
        now,
        status.error_code,
        status.error_title,
        send_error=reason,
    )
    current_app.extensions[EXTENSION](business_id, message["customer_id"], None)
    return True


@dataclass(frozen=True)
class Retry:
    """How a failure sending again can fix is waited out."""

    attempts: int  # the message's failed attempts, this one included when it counts
    wait: float  # seconds until the message's next attempt
    pause_account: bool  # the whole account waits as long (the channel said: too fast)


def retry_plan(error: SendError, attempts: int, retry_after: float | None) -> Retry | None:
    """How to wait out a failure of kind `error` after `attempts` failed attempts (None:
    sending again cannot fix it), whether the channel refused the send or reported the failure
    later. `retry_after`: the wait the channel asked for, if it did."""
    if error not in RETRYABLE:
        return None
    cfg = current_app.config
    if error is SendError.RATE_LIMITED:
        # The account is over its throughput: every sender on it pauses, nothing failed.
        return Retry(attempts, retry_after or cfg["OUTBOX_RATE_PAUSE"], pause_account=True)
    wait = backoff(attempts + 1, cfg["OUTBOX_BACKOFF_BASE"])
    if error is SendError.PAIR_RATE_LIMITED:
        # Too many to this customer: the next message to them waits at least this long.
        wait = max(wait, retry_after or cfg["OUTBOX_PAIR_PAUSE"])
    return Retry(attempts + 1, wait, pause_account=False)


def backoff(attempts: int, base: float) -> float:
    """The wait after the n-th failed attempt: base * 4^(n-1), plus up to 25% jitter."""
    delay = base * 4 ** min(max(attempts - 1, 0), 12)
    return delay + random.uniform(0, delay * 0.25)


def start_reply(business: Mapping[str, Any], customer: Mapping[str, Any], last: dict) -> None:
    """Show the customer their message was read and a reply is coming (best effort)."""
    if current_app.config["MOCK_MODE"] or customer.get("sandbox") or not last.get("external_id"):
        return
    channel = channels.get(customer["channel"])
    account = channels.account(business, customer["channel"])
    channel.start_reply(account, customer["address"], last["external_id"])


def _record_sent(
    message_id: int,
    channel: str,
    external_id: str | None,
    sent_as: str,
    sent_at: datetime | None = None,
) -> None:
    """Record an accepted send (started at `sent_at`), retrying a failed write a few times.

    The channel already has the message: one left `queued` would be sent again by the task's
    retry. One broken pooled connection (e.g. after a database restart) fails one attempt and
    is discarded, so the next attempt normally succeeds.
    """
    parked = _retrying(
        lambda: store.mark_sent(message_id, channel, external_id, sent_as, sent_at),
        f"recording sent message {message_id}",
    )
    metrics.OUTBOX_SENDS.labels(channel, "sent").inc()
    if parked is None or not external_id:
        return
    # A failure the channel reported before we recorded the send (its status overtook the
    # send's answer). Retried apart: once it queued the message again, recording the send
    # once more would record the old id over the queued message.
    _retrying(
        lambda: _take_parked_failure(parked, channel, external_id),
        f"applying message {message_id}'s failure",
    )


def _retrying(write: Callable[[], Any], what: str) -> Any:
    """`write()`, tried RECORD_ATTEMPTS times when the database connection fails."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            return write()
        except psycopg.OperationalError as exc:
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("%s failed (%s); retrying", what, exc)
            time.sleep(min(0.1 * 2**attempt, 2.0))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _take_parked_failure(business_id: int, channel: str, external_id: str) -> None:
    """Apply the `failed` status parked for a send just recorded as one arriving now would be
    (`apply_failure`), and forget it in the same transaction: a retry after a lost connection
    finds it again, or finds it taken and does nothing."""
    with db.transaction() as conn:
        parked = store.take_parked_failure(conn, business_id, channel, external_id)
        if parked is None:
            return
        business = businesses.get_row(business_id)
        # The account the status came on is the business's (the webhook found it by it).
        account_id = channels.account_id(business, channel) if business else ""
        status = StatusUpdate(
            channel=channel,
            account_id=account_id,
            external_id=external_id,
            recipient="",
            status=DeliveryStatus.FAILED,
            at=None,
            error_code=parked["error_code"],
            error_title=parked["error_title"] or "",
            error=channels.get(channel).reported_failure(parked["error_code"]),
        )
        apply_failure(business_id, status)


def _sent_as(message: Outbound) -> str:
    if message.template is not None:
        return f"template:{message.template.name}"
    return f"tag:{message.tag}" if message.tag else "text"


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"
