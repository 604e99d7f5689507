"""One turn: gather a customer's pending messages → agent → format → store and queue the send."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from cachetools import TTLCache
from flask import current_app
from langchain_core.messages import AIMessage, HumanMessage

from app import booking, channels, flow, handoff, metrics, outbox, reminders, tracing, usage
from app.agent import llm, loop, prompts, report, tools
from app.channels.base import Capability, Channel, InboundKind, Outbound
from app.flow import handoff as flow_handoff
from app.flow import ids as flow_ids
from app.flow import lang
from app.flow import privacy as privacy_flow
from app.flow import reminders as reminder_words
from app.flow import words as flow_words
from app.storage import businesses, conversations, db
from app.storage import handoff as handoff_store

log = logging.getLogger(__name__)

# A message we could not answer within the customer-service window (e.g. delivered late after
# an outage): the outbox records this reply as outside the window instead of sending it. Both
# fixed replies are said in the customer's language (the flow's words); these are the English.
LATE_REPLY = flow_words.say(lang.EN, "late_reply")
NON_TEXT_REPLY = flow_words.say(lang.EN, "non_text")
MAX_INPUT_CHARS = 4096
# Upper bound on re-reading a customer's newer messages inside one turn.
MAX_MID_TURN_MERGES = 5
BUSINESS_CACHE = "business_configs"
# Turn errors that mean the bot could not answer (two in a row hand the talk to a person).
UNANSWERED = frozenset(
    {"max iterations reached", "ungrounded reply", "empty reply", loop.INCOMPLETE}
)
ERASE_AFTER_SEND = "erase_after_send"
# A turn's error when staff took the conversation while it ran (it stored no reply).
TAKEN_OVER = "superseded: staff took the conversation over during the turn"


def init_app(app, erase_after_send=None) -> None:
    """Give the app its cache of business configs (and the lock that guards it), and the job
    queue's `erase_after_send(business_id, customer_id)`: it queues a customer's erasure behind
    their queued sends, in the caller's transaction."""
    app.extensions[BUSINESS_CACHE] = (TTLCache(maxsize=1000, ttl=300), threading.Lock())
    app.extensions[ERASE_AFTER_SEND] = erase_after_send


def run_turn(business_id: int, customer_id: int, request_id: str | None = None) -> None:
    """Answer everything a customer has written since the last reply, exactly once: in turns
    of their own, the requests that take a path of their own (see `_this_turns`)."""
    waiting = float("inf")
    while 0 < (left := _answer_next(business_id, customer_id, request_id)) < waiting:
        # What a turn leaves has no job of its own (a new message joins its customer's queued
        # turn: this one), so this one answers it; each pass answers at least one message.
        waiting = left


def _answer_next(business_id: int, customer_id: int, request_id: str | None) -> int:
    """Answer the customer's next pending messages (`_this_turns`); how many it left waiting."""
    business = load_business(business_id)
    customer = conversations.get_customer(customer_id)
    if business is None or customer is None:
        log.warning("turn for missing business %s / customer %s", business_id, customer_id)
        return 0
    waiting = conversations.pending_inbound(customer_id)
    pending = _this_turns(business, customer, waiting)
    if not pending:
        return 0
    left = len(waiting) - len(pending)
    metrics.JOB_DELAY.observe(
        max(0.0, (datetime.now(UTC) - pending[0]["created_at"]).total_seconds())
    )
    if customer.get("erased_at") is not None:  # erased mid-turn: nothing of theirs to answer
        return 0
    if _staff_number(business, customer):
        _answer_staff_number(business, customer, waiting)
        metrics.TURNS.labels("staff_number").inc()
        return 0
    if customer["bot_paused"] and customer["paused_until"] is not None:
        # The quiet time after the last staff reply has passed: the bot answers again.
        if handoff.resume_if_due(business_id, customer_id, datetime.now(UTC)):
            customer = conversations.get_customer(customer_id)
    if not customer["bot_paused"] and _answered_too_often(customer):
        _step_aside(business, customer, pending)
        metrics.TURNS.labels("too_many_replies").inc()
        return left
    if customer["bot_paused"] and not customer["opted_out"] and _reminder_tap(pending):
        # Reminders still go while staff have the conversation, so their buttons must work:
        # answered as the flow always does (no model), in the thread the team reads.
        with tracing.TurnTrace(current_app.config, request_id, business, customer) as trace:
            _agent_turn(business, customer, pending, request_id, trace)
        return left
    if customer["bot_paused"] and not customer["opted_out"]:
        # Their data is theirs to have erased, and the reminders (which still go) theirs to
        # stop, whoever has the conversation: answered without a model, in the thread staff read.
        action = _privacy_turn(business, customer, pending, request_id)
        if action:
            return _left_after(action, left)
        if _reminders_off_turn(business, customer, pending):
            return left
    if customer["bot_paused"] or customer["opted_out"]:
        # Stored and shown in the console, never answered: not now, nor in a burst on resume.
        with db.transaction() as conn:
            conversations.mark_inbound(conn, [m["id"] for m in pending], "processed", None)
        metrics.TURNS.labels("paused").inc()
        return left
    channel = channels.get(customer["channel"])
    if not customer["sandbox"] and not outbox.window_open(channel, customer, datetime.now(UTC)):
        # Too late for free text: acting on a day-old request could book the wrong day, and
        # the answer could not reach the customer anyway.
        customer = _with_language(customer, pending)
        late = flow_words.say(lang.of_customer(business, customer), "late_reply")
        _reply_fixed(business, customer, pending, late)
        metrics.TURNS.labels("window_closed").inc()
        return left
    texts = [m for m in pending if readable(m)]
    if not texts and all(m["kind"] == InboundKind.WELCOME for m in pending):
        # They opened the chat for the first time and wrote nothing yet: say what we do.
        _reply_fixed(business, customer, pending, _welcome(business, customer))
        metrics.TURNS.labels("welcome").inc()
        return left
    if not texts:
        # Nothing typed to tell the language by: the one they last wrote in, else the business's.
        non_text = flow_words.say(lang.of_customer(business, customer), "non_text")
        _reply_fixed(business, customer, pending, non_text)
        metrics.TURNS.labels("non_text").inc()
        return left
    customer = _with_language(customer, pending)
    action = _privacy_turn(business, customer, pending, request_id)
    if action:
        return _left_after(action, left)
    if _reminders_off_turn(business, customer, pending):
        return left
    if not tapped(pending):
        # A tap is answered at once: a typing indicator (and the read receipt WhatsApp sends
        # with it) would only delay the answer; the next receipt marks the tap read too.
        outbox.start_reply(business, customer, pending[-1])
        customer = _with_name(business, customer, channel)
    with tracing.TurnTrace(current_app.config, request_id, business, customer) as trace:
        _agent_turn(business, customer, pending, request_id, trace)
    return left


def _staff_number(business: dict, customer: dict) -> bool:
    """Whether the messages come from the business's own staff notice number (WhatsApp)."""
    number = business.get("staff_notify_number")  # the address its notices go to
    return (
        bool(number)
        and not customer["sandbox"]
        and customer["channel"] == "whatsapp"
        and channels.get("whatsapp").same_address(number, customer["address"])
    )


def _answer_staff_number(business: dict, customer: dict, waiting: list[dict]) -> None:
    """The staff notice number wrote: it is the team, not a customer, so nothing it sends is a
    turn (no booking, no model, no handoff). It is told once, in the business's language, that
    customers are answered in the console; told already since its last notice, it is not told
    again (an auto-reply to us would be answered for ever). Its messages are stored, shown in
    the console and marked processed."""
    try:
        with db.transaction() as conn:
            _claim(conn, waiting, "processed", None)
            if not customer["opted_out"] and not handoff_store.told_since_notice(
                conn, customer["id"]
            ):
                text = flow_handoff.staff_number_reply(business)
                outbox.queue(conn, business, customer, [text], "reply", waiting[-1]["id"])
    except TurnSuperseded:
        return


def _with_name(business: dict, customer: dict, channel: Channel) -> dict:
    """The customer, named by the channel when its webhook carries no name (Messenger): asked
    once (see claim_name_lookup); a failed lookup leaves the turn to go on without a name."""
    if (
        customer["profile_name"]
        or customer["sandbox"]
        or Capability.NAME_LOOKUP not in channel.capabilities
        or current_app.config["MOCK_MODE"]
        or not conversations.claim_name_lookup(customer["id"])
    ):
        return customer
    name = channel.lookup_name(channels.account(business, channel.name), customer["address"])
    if not name:
        return customer
    conversations.set_profile_name(customer["id"], name)
    return {**customer, "profile_name": name}


def _welcome(business: dict, customer: dict) -> str:
    """The flow's greeting, in the customer's language once known, else the business's."""
    name = customer.get("profile_name") or ""
    speaks = lang.of_customer(business, customer)
    return flow_words.say(
        speaks, "greeting", name=f" {name}" if name else "", business=business["name"]
    )


def _with_language(customer: dict, pending: list[dict]) -> dict:
    """The customer, with the language their typed words lean to kept on them when it changed
    (a tap, or "14:00", says neither): the flow starts a new conversation in it, and reminders
    and notices speak it once the conversation is over."""
    typed = [m["body"] for m in pending if readable(m) and not m.get("choice")]
    found = lang.detect("\n".join(typed))
    if found is None or found == customer.get("language"):
        return customer
    conversations.set_language(customer["id"], found)
    return {**customer, "language": found}


def _agent_turn(business: dict, customer: dict, pending: list[dict], request_id, trace) -> None:
    cfg = current_app.config
    turn_id = conversations.start_turn(business["id"], customer["id"], request_id)
    now = datetime.now(UTC)
    seen = {m["id"] for m in pending}
    merges = 0

    def poll_new_input() -> str | None:
        nonlocal merges
        if merges >= MAX_MID_TURN_MERGES:
            return None
        newer = [m for m in conversations.pending_inbound(customer["id"]) if m["id"] not in seen]
        newer = _before_own_path(business, customer, newer, now)
        if not newer:
            return None
        merges += 1
        seen.update(m["id"] for m in newer)
        pending.extend(newer)
        return render_input(newer)

    ctx = tools.ToolContext(business=business, customer=customer, turn_id=turn_id, now=now)
    trace.event("turn.input", messages=len(pending), text=trace.text(render_input(pending)))
    tap = tapped(pending)
    if tap:  # a tap on one of our own buttons: the flow answers it, no model is asked
        result = loop.run_flow(ctx, payload=tap)
    else:
        result = loop.run_agent(
            llm.model_for_turn(cfg, business, now),
            prompts.build_system_prompt(
                business,
                customer,
                now,
                cfg["REFERENCE_DOC_PROMPT_CHARS"],
                channels.get(customer["channel"]).title,
            ),
            # Everything answered so far, not only what precedes the first pending message: a
            # reply stored just after the next message arrived belongs in the history too.
            history_messages(customer["id"], cfg["HISTORY_LIMIT"]),
            render_input(pending),
            tools.make_tools(ctx),
            cfg["AGENT_MAX_ITERATIONS"],
            poll_new_input=poll_new_input,
            check_reply=tools.check_grounded,
            callbacks=trace.callbacks,
            log_pii=trace.pii,
        )
    metrics.record_tool_calls(result.tool_calls)
    usage.record(business["id"], turn_id, result.usage)
    # A turn of a customer the team has already (a reminder's tap, see run_turn) asks for no
    # person and is not superseded by them; the bot stays paused.
    staffed = customer["bot_paused"]
    request = None if staffed else _handoff_request(business, customer, result, now)
    # Nothing to send (the reply formatted to no message): the apology, in their language.
    replies = _replies(result, customer) or [
        flow_words.say(lang.of_customer(business, customer), "apology")
    ]
    if request:
        # The notice, after what the turn booked, moved or cancelled: the customer must know.
        told = replies if report.acted(result.tool_calls) else []
        replies = [*told, request["notice"]]
    outcome = "answered" if result.ok else "failed"
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed" if result.ok else "failed", turn_id)
            if _taken_over(conn, business, customer):
                # Staff took the conversation while the model was answering: theirs to answer,
                # and a person the turn asks for is there already.
                conversations.finish_turn(conn, turn_id, "failed", result.tool_calls, TAKEN_OVER)
                outcome = "superseded"
            else:
                outbox.queue(conn, business, customer, replies, "reply", pending[-1]["id"], turn_id)
                if result.flow_state is not None:  # kept with its reply, or not at all
                    flow.keep(business["id"], customer["id"], result.flow_state, now)
                if request:
                    handoff.take_over(
                        conn, business, customer, request, now, about=pending[-1]["id"]
                    )
                conversations.finish_turn(conn, turn_id, outcome, result.tool_calls, result.error)
    except TurnSuperseded as exc:
        with db.transaction() as conn:
            conversations.finish_turn(conn, turn_id, "failed", result.tool_calls, str(exc))
        trace.end("superseded", len(result.tool_calls), str(exc))
        return
    trace.end(outcome, len(result.tool_calls), result.error)


def _left_after(privacy_action: str, left: int) -> int:
    """What is left to answer after a privacy turn: nothing once the customer confirmed their
    erasure (what they wrote after it is erased with the rest, never answered)."""
    return 0 if privacy_action == privacy_flow.ERASE else left


def _privacy_turn(business: dict, customer: dict, pending: list[dict], request_id) -> str:
    """Answer "delete my data" and its buttons, before and without any model; what it did
    (`privacy_flow`'s ERASE, KEEP or ASK), "" when the messages ask none of that.

    Erasing happens after the last reply has gone (see `app.erasure`): the job that does it is
    queued with the reply, behind its send.
    """
    now = datetime.now(UTC)
    typed = [m["body"] for m in pending if readable(m) and not m.get("choice")]
    action = privacy_flow.request(business, customer, typed, tapped(pending), now)
    if not action:
        return ""
    language = privacy_flow.language(business, customer, typed, now)
    if action == privacy_flow.ASK:
        upcoming = booking.list_for_customer(business["id"], customer["id"], now=now)
        reply = privacy_flow.confirm(business, customer, len(upcoming), language, now)
    else:
        privacy_flow.forget_offer(business, customer, now)
        reply = privacy_flow.answer("erased" if action == privacy_flow.ERASE else "kept", language)
    record = {"name": f"privacy_{action.split(':')[-1]}", "args": {}, "result": {}, "ok": True}
    turn_id = conversations.start_turn(business["id"], customer["id"], request_id)
    result = loop.AgentResult(flow.numbered(reply), True, [record], flow_reply=reply)
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed", turn_id)
            if action != privacy_flow.ERASE and _taken_over(conn, business, customer):
                # Staff have the conversation now: theirs to answer. (An erasure the customer
                # confirmed goes ahead: their data is theirs to have erased.)
                conversations.finish_turn(conn, turn_id, "failed", result.tool_calls, TAKEN_OVER)
                return action
            replies = _replies(result, customer)
            outbox.queue(conn, business, customer, replies, "reply", pending[-1]["id"], turn_id)
            conversations.finish_turn(conn, turn_id, "answered", result.tool_calls)
            if action == privacy_flow.ERASE:
                current_app.extensions[ERASE_AFTER_SEND](business["id"], customer["id"])
    except TurnSuperseded as exc:
        with db.transaction() as conn:
            conversations.finish_turn(conn, turn_id, "failed", result.tool_calls, str(exc))
    metrics.TURNS.labels("privacy").inc()
    return action


def _reminders_off_turn(business: dict, customer: dict, pending: list[dict]) -> bool:
    """Answer "stop reminders" (before and without any model); whether it was that."""
    texts = [m for m in pending if readable(m)]
    if not texts or tapped(pending):
        return False
    stop = reminder_words.stops_reminders(render_input(texts))
    if not stop:
        return False
    reminders.opt_out(business["id"], customer["id"])
    _reply_fixed(business, customer, pending, reminder_words.say(stop, "reminders_off"))
    metrics.TURNS.labels("reminders_off").inc()
    return True


def _this_turns(business: dict, customer: dict, pending: list[dict]) -> list[dict]:
    """The pending messages this turn answers: a tap on our ids, or a typed request with a path
    of its own ("stop reminders", "delete my data"), is answered alone, and the messages before
    it without it, so neither is lost in the other's answer. The rest wait for the next turn
    (`run_turn` runs it), and each turn answers at least one."""
    return _before_own_path(business, customer, pending, datetime.now(UTC)) or pending[:1]


def _before_own_path(
    business: dict, customer: dict, messages: list[dict], now: datetime
) -> list[dict]:
    """The messages before the first that takes a path of its own (a tap on our ids, or a
    `_command`): that one, and what follows it, waits for a turn of its own. Mid-turn, they are
    what the turn may answer with the rest (`poll_new_input`). While staff have the
    conversation, a tap sent with words is theirs with them (docs/HANDOFF.md)."""
    for i, message in enumerate(messages):
        tap = flow.is_ours(message.get("choice")) and not customer["bot_paused"]
        if tap or _command(business, customer, message, now):
            return messages[:i]
    return messages


def _command(business: dict, customer: dict, message: dict, now: datetime) -> bool:
    """Whether the message is typed words the model never reads: "stop reminders", or a
    request to erase the customer's data (or an answer to its question)."""
    if not readable(message) or message.get("choice"):
        return False
    body = message["body"]
    if reminder_words.stops_reminders(body):
        return True
    return bool(privacy_flow.request(business, customer, [body], "", now))


def _reminder_tap(pending: list[dict]) -> str:
    """The id of the customer's tap when all they sent is taps on a reminder's Confirm or
    Cancel: each is done in one answer. (Change asks for a new time, and the customer's answer
    would be the team's: whoever has the conversation arranges it.)"""
    tap = tapped(pending)
    taps = [flow_ids.parse(m["choice"]) for m in pending] if tap else []
    done_at_once = [t for t in taps if t and t.kind == "rem" and t.action in ("confirm", "cancel")]
    return tap if taps and len(done_at_once) == len(taps) else ""


def _answered_too_often(customer: dict) -> bool:
    """Whether the bot has answered the customer BOT_REPLY_LIMIT times within the last
    BOT_REPLY_WINDOW_MINUTES: no person keeps a booking bot that busy, another automated sender
    answering each reply does (the console's test chat is exempt)."""
    cfg = current_app.config
    limit, minutes = cfg["BOT_REPLY_LIMIT"], cfg["BOT_REPLY_WINDOW_MINUTES"]
    if limit <= 0 or minutes <= 0 or customer["sandbox"]:
        return False
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    if customer["handoff_at"] is not None:  # since the team last took it: their resume stands
        since = max(since, customer["handoff_at"])
    # A long answer goes in parts: reading ten rows an answer finds the limit's answers.
    return handoff_store.answers_since(customer["id"], since, scan=limit * 10) >= limit


def _step_aside(business: dict, customer: dict, pending: list[dict]) -> None:
    """Hand the conversation to the team, as a customer's request for a person would: the
    customer is told, the bot pauses and the team is notified; nothing else is answered."""
    cfg, now = current_app.config, datetime.now(UTC)
    reason = flow_handoff.TOO_MANY_REPLIES.format(
        replies=cfg["BOT_REPLY_LIMIT"], minutes=cfg["BOT_REPLY_WINDOW_MINUTES"]
    )
    request = flow_handoff.request(business, customer, now, reason, "")
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed", None)
            if _taken_over(conn, business, customer):
                return  # the team has it already
            outbox.queue(conn, business, customer, [request["notice"]], "reply", pending[-1]["id"])
            handoff.take_over(conn, business, customer, request, now, about=pending[-1]["id"])
    except TurnSuperseded:
        return
    log.warning(
        "business %s customer %s: %s; handed to the team", business["id"], customer["id"], reason
    )


def _handoff_request(
    business: dict, customer: dict, result: loop.AgentResult, now: datetime
) -> dict | None:
    """The turn's request for a person: asked for by a tool or the flow, or this turn failed
    like the one before it (the customer should not be left with apologies)."""
    request = flow_handoff.requested(result.tool_calls)
    if (
        request is None
        and _unanswered(result.error)
        and _unanswered(handoff_store.previous_turn_error(customer["id"]))
    ):
        request = flow_handoff.request(business, customer, now, flow_handoff.FAILED_TURNS, "")
    return request


def _unanswered(error: str | None) -> bool:
    """Whether a turn failed because the bot could not answer the customer (not because a model
    was down: the breaker and the model-free flow see to that)."""
    return error in UNANSWERED


def tapped(pending: list[dict]) -> str:
    """The id of the customer's tap when all they sent is taps on our own ids ("" otherwise).

    Typed words alongside a tap make it a turn like any other (a model reads the tap's title).
    """
    choices = [m.get("choice") or "" for m in pending]
    return choices[-1] if choices and all(flow.is_ours(c) for c in choices) else ""


def _replies(result: loop.AgentResult, customer: dict) -> list:
    """The turn's reply as messages for the customer's channel: a model's text in its syntax,
    or the flow's reply with buttons, a list or quick replies where the channel shows them
    (numbered text in mock mode and in the console's test chat, where nothing can be tapped)."""
    channel = channels.get(customer["channel"])
    if result.flow_reply is None:
        return channel.format_text(result.reply)
    plain = current_app.config["MOCK_MODE"] or bool(customer.get("sandbox"))
    return flow.for_channel(result.flow_reply, channel, plain=plain)


class TurnSuperseded(Exception):
    """Another run of this turn answered some of its messages first; this run stores nothing."""


def _claim(conn, pending: list[dict], status: str, turn_id: int | None) -> None:
    """Mark the turn's messages answered, or raise TurnSuperseded (rolling the reply back).

    Procrastinate's per-customer lock keeps turns apart, but a worker presumed dead (no
    heartbeat) can still be running when its job is retried elsewhere: of the two runs, only
    the one that claims every message it answers may store a reply, so nothing is sent twice.
    """
    ids = [m["id"] for m in pending]
    claimed = conversations.mark_inbound(conn, ids, status, turn_id)
    if claimed != len(ids):
        log.warning(
            "turn superseded: %d of %d messages already answered", len(ids) - claimed, len(ids)
        )
        raise TurnSuperseded("superseded: another run answered these messages first")


def _reply_fixed(business: dict, customer: dict, pending: list[dict], text: str) -> None:
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed", None)
            if not _taken_over(conn, business, customer):
                outbox.queue(conn, business, customer, [text], "reply", pending[-1]["id"])
    except TurnSuperseded:
        return


def _taken_over(conn, business: dict, customer: dict) -> bool:
    """Whether staff took the conversation since this turn read the customer (Pause, a staff
    reply): then it stores no reply, only its messages as read. The customer's row is locked for
    the reply's transaction, so a pause committed before it is seen and one after it waits. A
    turn of a customer the team already had (a reminder's tap) is not taken over by them."""
    return not customer["bot_paused"] and handoff.taken_over(conn, business["id"], customer["id"])


def render_input(messages: list[dict]) -> str:
    """What the customer wrote, as one user message (non-text parts named, not shown)."""
    parts = []
    for m in messages:
        if readable(m):
            if m["kind"] == InboundKind.MEDIA:  # its caption: the words are theirs to answer
                parts.append(
                    f"[The customer sent a {m['type']!r} you cannot see, with this caption:]"
                )
            # No channel lets a customer type more than 4,096 characters: longer is not typing.
            parts.append(flow_handoff.customer_line(m["body"][:MAX_INPUT_CHARS]))
        else:
            parts.append(f"[The customer sent a {m['type']!r} message, which you cannot see.]")
    return "\n".join(parts)


_READABLE = (InboundKind.TEXT, InboundKind.CHOICE, InboundKind.MEDIA)


def readable(message: dict) -> bool:
    """Whether the agent can read a stored inbound message as text (typed, tapped, or a photo,
    video or document's caption)."""
    return message["kind"] in _READABLE and bool(message["body"])


def history_messages(customer_id: int, limit: int) -> list:
    """The last `limit` exchanged messages as chat messages, oldest first (a reply's buttons
    or list as lines of its text: "the first one" may refer to them)."""
    rows = conversations.history(customer_id, limit)
    return [
        HumanMessage(flow_handoff.customer_line(r["body"]))
        if r["direction"] == "in"
        # A staff member's reply is marked, so the bot does not contradict (or claim) it.
        else AIMessage(flow_handoff.staff_line(r["staff"], r["body"]))
        if r.get("staff") is not None
        else AIMessage(_with_options(r))
        for r in rows
        if r["body"]
    ]


def _with_options(row: dict) -> str:
    shown = Outbound.from_stored(row["body"], row.get("extras"))
    rows = [r for section in shown.sections for r in section.rows]
    titles = [b.title for b in (*shown.buttons, *shown.quick_replies)] + [r.title for r in rows]
    return "\n".join([row["body"], *(f"• {t}" for t in titles)])


def load_business(business_id: int) -> dict | None:
    """The business config, cached until its `updated_at` changes (console edits apply at once)."""
    stamp = businesses.updated_at(business_id)
    if stamp is None:
        return None
    cache, lock = current_app.extensions[BUSINESS_CACHE]
    with lock:
        cached = cache.get(business_id)
    if cached and cached["updated_at"] == stamp:
        return cached
    business = businesses.get_business(business_id)
    with lock:
        cache[business_id] = business
    return business
