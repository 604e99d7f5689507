"""The bounded tool-calling loop: model, tools, model, ending in a reply (never a dangling call)."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from app import flow, usage
from app.agent import report
from app.agent.failover import NoModel
from app.agent.tools import ToolContext, context_of
from app.flow import lang
from app.flow import words as flow_words
from app.storage.db import DatabaseError, storable

log = logging.getLogger(__name__)

# The turn's fixed endings in English, as said with no customer to speak to (see `ending`).
APOLOGY = flow_words.say("en", "apology")
EXHAUSTED = flow_words.say("en", "exhausted")
_specs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # args schema -> OpenAI spec
_specs_lock = threading.Lock()
# Why an answer stopped when it is not whole: the token limit, or the provider's content filter.
CUT_OFF = frozenset({"length", "content_filter"})
INCOMPLETE = "incomplete reply"
# (reply, tool records) -> a correction to send back to the model, or None when the reply is fine.
ReplyCheck = Callable[[str, list[dict]], str | None]


def ending(ctx: ToolContext | None, key: str) -> str:
    """A fixed ending of the turn ("apology", "exhausted") in the customer's language: the one
    they last wrote in, else the business's; English when the tools act for no turn."""
    if ctx is None:
        return flow_words.say(lang.EN, key)
    return flow_words.say(lang.of_customer(ctx.business, ctx.customer), key)


@dataclass
class AgentResult:
    """What one turn of the agent produced."""

    reply: str
    ok: bool
    tool_calls: list[dict] = field(default_factory=list)
    iterations: int = 0
    error: str | None = None
    usage: list[tuple[str, int, int]] = field(default_factory=list)  # (model, prompt, completion)
    flow_reply: flow.Reply | None = None  # a model-free turn's reply, options and all
    flow_state: flow.State | None = None  # where its talk is now, kept with the reply


def run_agent(
    model,
    system_prompt: str,
    history: list[BaseMessage],
    user_input: str,
    tools: list[BaseTool],
    max_iterations: int,
    poll_new_input: Callable[[], str | None] | None = None,
    check_reply: ReplyCheck | None = None,
    fallback_reply: str | None = None,
    callbacks: list | None = None,
    log_pii: bool = False,
) -> AgentResult:
    """Run the model with tools until it answers in text or `max_iterations` model calls pass.

    Without a model this turn (`offline.ModelFree`, or `NoModel` from a model call), the
    model-free flow answers instead, for the customer the tools act for. `log_pii`
    (TRACE_LOG_PII) lets a failed model call's error keep its message, which may quote them.
    A turn that ends unanswered says `fallback_reply`, by default the "exhausted" ending; its
    fixed endings are in the customer's language (`ending`).
    """
    if getattr(model, "model_free", False):
        return run_without_model(tools, user_input)
    by_name, ctx = {t.name: t for t in tools}, context_of(tools)
    apology = ending(ctx, "apology")
    fallback = ending(ctx, "exhausted") if fallback_reply is None else fallback_reply
    bound = model.bind_tools([_tool_spec(t) for t in tools]) if tools else model
    messages: list[BaseMessage] = [SystemMessage(system_prompt), *history, HumanMessage(user_input)]
    records: list[dict] = []
    spent: list[tuple[str, int, int]] = []  # what each model call reported it used
    corrected = False
    config = {"callbacks": callbacks} if callbacks else None
    said = user_input  # with what the customer added mid-turn: the flow answers all of it
    model_name = str(getattr(model, "model_name", "") or "")
    for iteration in range(1, max_iterations + 1):
        try:
            ai: AIMessage = bound.invoke(messages, config=config)
        except NoModel as exc:  # every breaker open: the flow takes the turn over
            if report.acted(records) and ctx is not None:
                # Unless the model's tools acted: the flow would read the same words and act
                # again (book, move or cancel once more); the customer is told what was done.
                return _unfinished(records, ctx, apology, iteration, "llm: NoModel", spent)
            result = run_without_model(tools, said, exc.note)
            result.tool_calls[:0] = records
            result.usage[:0] = spent
            return result
        except DatabaseError:
            # The breaker's row, not the model: the turn fails whole and its job retries it
            # once the database is back, instead of apologising for a model that answered.
            raise
        except Exception as exc:  # any model/transport failure ends the turn politely
            log.warning("LLM call failed: %s", type(exc).__name__)
            error = _llm_error(exc, log_pii)
            return _unfinished(records, ctx, apology, iteration, error, spent)
        if call := usage.from_message(ai, model_name):
            spent.append(call)
        else:
            spent.append(usage.estimate(ai, model_name, _chars(messages, tools)))
        ai, refused = _storable_message(ai)
        ai = _with_call_ids(ai)
        messages.append(ai)
        calls = list(ai.tool_calls) + [_invalid_call(c) for c in ai.invalid_tool_calls]
        if calls:
            for i, call in enumerate(calls):
                if i in refused:
                    call = {**call, "error": UNSTORABLE_ARGUMENTS}
                messages.append(_execute(call, by_name, records, config))
            continue
        reply = _text(ai)
        # On the last allowed call there is none left to answer more, or a correction, with:
        # the reply stands (or fails) as it is, and newer messages wait for their own turn.
        last = iteration == max_iterations
        if poll_new_input and not last and (more := poll_new_input()):
            # The customer wrote again mid-turn: answer everything in one reply.
            messages.pop()
            messages.append(HumanMessage(more))
            said = f"{said}\n{more}"
            continue
        if ai.response_metadata.get("finish_reason") in CUT_OFF:
            # Half a sentence ("Your appointment is booked for"), or text a filter removed: not
            # an answer to send as if it were whole.
            return _unfinished(records, ctx, fallback, iteration, INCOMPLETE, spent)
        problem = check_reply(reply, records) if check_reply else None
        if problem and not corrected and not last:
            corrected = True
            messages.append(HumanMessage(problem))
            continue
        if problem:
            return _unfinished(records, ctx, fallback, iteration, "ungrounded reply", spent)
        if not reply.strip():
            return _unfinished(records, ctx, fallback, iteration, "empty reply", spent)
        return AgentResult(reply, True, records, iteration, usage=spent)
    error = "max iterations reached"
    return _unfinished(records, ctx, fallback, max_iterations, error, spent)


def _unfinished(
    records: list[dict], ctx: ToolContext | None, fallback: str, iteration: int, error: str, spent
) -> AgentResult:
    """A turn the model did not finish: `fallback`, or what its tools booked, moved or
    cancelled (the customer must learn of it) with an apology for the rest."""
    reply = report.unfinished(records, ctx, fallback)
    return AgentResult(reply, False, records, iteration, error, spent)


def run_without_model(tools: list[BaseTool], user_input: str, note: str = "") -> AgentResult:
    """The turn answered by the model-free flow, acting for the customer the tools act for."""
    ctx = context_of(tools)
    if ctx is None:  # tools not bound to a turn: nobody to act for
        return AgentResult(ending(None, "apology"), False, error="no turn to act for")
    return run_flow(ctx, text=user_input, note=note)


def run_flow(ctx: ToolContext, text: str = "", payload: str = "", note: str = "") -> AgentResult:
    """One turn of the model-free flow: a tap on one of our ids (`payload`) or a text.

    Its booking calls are the result's tool calls; `note` goes above the reply.
    """
    try:
        outcome = flow.run(ctx.business, ctx.customer, ctx.now, ctx.turn_id, text, payload)
    except Exception as exc:  # a flow bug must not leave the customer without an answer
        log.exception("model-free flow failed")
        # Its type only: the text may quote the customer (a database error's row), and the
        # turn's error goes to traces and the console.
        return AgentResult(ending(ctx, "apology"), False, error=f"flow: {type(exc).__name__}")
    if note:
        outcome = outcome.noted(note)
    return AgentResult(
        outcome.text,
        True,
        list(outcome.records),
        0,
        flow_reply=outcome.reply,
        flow_state=outcome.state,
    )


def _llm_error(exc: Exception, log_pii: bool) -> str:
    """ "llm: BadRequestError (HTTP 400)": a failed model call as the turn records it. Its
    message may quote the request (pydantic's `input_value=…`, a provider's refusal), so only
    `log_pii` keeps it."""
    if log_pii:
        return f"llm: {type(exc).__name__}: {exc}"
    status = getattr(exc, "status_code", None)
    return f"llm: {type(exc).__name__}" + (f" (HTTP {status})" if isinstance(status, int) else "")


def _tool_spec(tool: BaseTool) -> dict | BaseTool:
    """The tool's OpenAI schema, converted once per argument schema (converting is slow)."""
    schema = tool.args_schema
    if not isinstance(schema, type):
        return tool
    key = (tool.name, tool.description)
    with _specs_lock:
        cached = _specs.get(schema)
    if cached is None or cached[0] != key:
        cached = (key, convert_to_openai_tool(tool))
        with _specs_lock:
            _specs[schema] = cached
    return cached[1]


UNSTORABLE_ARGUMENTS = (
    "The tool name or arguments held characters that cannot be stored (a NUL, or half of an"
    " emoji); they were replaced by U+FFFD. Call the tool again with clean ones."
)


def _storable_message(ai: AIMessage) -> tuple[AIMessage, set[int]]:
    """The model's message with what the database (and the next request's UTF-8) cannot hold
    replaced by U+FFFD: a NUL or a lone surrogate in its text or a tool call's name or
    arguments; and the positions of the calls that had one, which are refused
    (`UNSTORABLE_ARGUMENTS`) rather than run on the replaced text."""
    content = storable(ai.content)
    calls = [storable(c) for c in ai.tool_calls]
    refused = {i for i, (c, d) in enumerate(zip(calls, ai.tool_calls, strict=True)) if c is not d}
    invalid = [storable(dict(c)) for c in ai.invalid_tool_calls]  # raw text that was not JSON
    if content is ai.content and not refused and invalid == ai.invalid_tool_calls:
        return ai, set()
    update = {
        "content": content,
        "tool_calls": calls,
        "invalid_tool_calls": invalid,
        "additional_kwargs": storable(ai.additional_kwargs),
    }
    return ai.model_copy(update=update), refused


def _with_call_ids(ai: AIMessage) -> AIMessage:
    """The model's message with an id of its own on every tool call. Some OpenAI-compatible
    endpoints send none, or one id for several calls; each tool message must answer its call
    by id, and the next request, unmatched, would be refused (400)."""
    seen: set[str] = set()

    def unique(call: dict) -> dict:
        call_id = call.get("id")
        if not call_id or call_id in seen:
            call = {**call, "id": f"call_{uuid.uuid4().hex[:24]}"}
        seen.add(call["id"])
        return call

    calls = [unique(c) for c in ai.tool_calls]
    invalid = [unique(dict(c)) for c in ai.invalid_tool_calls]
    given = [c.get("id") for c in (*ai.tool_calls, *ai.invalid_tool_calls)]
    if [c["id"] for c in (*calls, *invalid)] == given:
        return ai
    return ai.model_copy(update={"tool_calls": calls, "invalid_tool_calls": invalid})


def _execute(call: dict, by_name: dict[str, BaseTool], records: list[dict], config) -> ToolMessage:
    started = time.perf_counter()
    name, args, call_id = call.get("name") or "", call.get("args"), call.get("id") or "call"
    if call.get("error"):
        result = {"ok": False, "error": "invalid_arguments", "message": call["error"]}
    elif name not in by_name:
        result = {"ok": False, "error": "unknown_tool", "message": f"There is no tool {name!r}."}
    else:
        try:
            raw = by_name[name].invoke(args or {}, config=config)
            result = json.loads(raw) if isinstance(raw, str) else raw
        except ValidationError as exc:  # missing or mistyped arguments: the model can fix them
            result = {"ok": False, "error": "invalid_arguments", "message": _problems(exc)}
        except Exception as exc:  # a tool bug must not kill the turn; the model gets an error
            log.exception("tool %s failed", name)
            result = {"ok": False, "error": "tool_failed", "message": f"{type(exc).__name__}"}
    if not isinstance(result, dict):
        result = {"ok": True, "result": result}
    records.append(
        {
            "name": name,
            "args": args if isinstance(args, dict) else {"raw": str(args)},
            "result": result,
            "ok": bool(result.get("ok", True)),
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    )
    return ToolMessage(json.dumps(result, default=str), tool_call_id=call_id, name=name)


def _problems(exc: ValidationError) -> str:
    """ "date: Field required; time: Field required" (the values themselves are not echoed)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
    )


def _invalid_call(call: dict) -> dict:
    return {
        "name": call.get("name") or "",
        "args": {"raw": call.get("args")},
        "id": call.get("id") or "invalid",
        # LangChain's reason (not JSON), or ours (JSON, but not an object: `chat_openai`).
        "error": call.get("error") or f"The arguments were not valid JSON: {call.get('args')}",
    }


def _chars(messages: list[BaseMessage], tools: list[BaseTool]) -> int:
    """How long a request is, in characters: its messages' text and tool calls, and the tools."""
    sent = [[str(m.content), getattr(m, "tool_calls", [])] for m in messages]
    return len(json.dumps([sent, [_tool_spec(t) for t in tools]], default=str))


def _text(ai: AIMessage) -> str:
    content = ai.content
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
