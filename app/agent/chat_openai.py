"""ChatOpenAI without the OpenAI client's second pass over the request body, and whose tool
calls with arguments that are JSON but not an object are invalid calls, not a failed call.

The OpenAI client walks every request body against its typed parameter definitions before
sending it (`maybe_transform`), with the GIL held. LangChain has already built the messages and
tool schemas as plain JSON, so the walk changes nothing, and in a two-step tool turn it was 13%
of the turn's CPU (docs/PERFORMANCE.md §9). Here they reach the client as `extra_body`, which it
merges into the JSON after that pass; empty lists stay in their places, so the keys keep their
order and the bytes sent are the same. Imported only when a model is configured (LangChain's
OpenAI package is a slow import).
"""

from __future__ import annotations

import json
from typing import Any, Self

import openai
from langchain_core.messages import AIMessage
from langchain_core.messages.tool import invalid_tool_call
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI
from pydantic import model_validator

from app.agent.breaker import UnusableAnswer

BULK = ("messages", "tools")


class BriefRetries(openai.OpenAI):
    """The OpenAI client, retrying a failed call only when the server's Retry-After fits in one
    call's timeout. The client honours a Retry-After of up to two minutes before each retry, so a
    429 asking for 60 s held a turn for minutes (LLM_MAX_RETRIES of them) before the fallback
    model, the breaker or the apology could act; now such a call fails at once, as an outage."""

    def _should_retry(self, response) -> bool:
        wait = self._parse_retry_after_header(response.headers)
        limit = self.timeout if isinstance(self.timeout, int | float) else None
        if wait is not None and limit is not None and wait > limit:
            return False
        return super()._should_retry(response)


class WireChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose messages and tools skip the client's request transform, and whose
    client waits no longer than a call's timeout for a retry (`BriefRetries`)."""

    @model_validator(mode="after")
    def _brief_retries(self) -> Self:
        # LangChain builds the client itself; it gains only the one method above.
        if type(self.root_client) is openai.OpenAI:
            self.root_client.__class__ = BriefRetries
        return self

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any):
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        return skip_transform(payload)

    def _create_chat_result(
        self, response: dict | openai.BaseModel, generation_info: dict | None = None
    ) -> ChatResult:
        # LangChain fails the whole answer on arguments like `[1, 2]` (its message type takes
        # only objects): the tokens spent would go unrecorded, and a fallback model would be
        # asked the same again. Such a call becomes an invalid call the loop answers.
        try:
            response, invalid = split_non_object_calls(response)
            result = super()._create_chat_result(response, generation_info)
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            # No `choices`, an `error` in a 200, a page instead of JSON: the provider is broken,
            # which its circuit breaker counts as an outage (a bare TypeError it would not).
            raise UnusableAnswer(f"unusable answer: {exc}") from exc
        if not result.generations:
            # `"choices": []` (some compatibility endpoints send it): no answer either.
            raise UnusableAnswer("unusable answer: no choices")
        for generation, calls in zip(result.generations, invalid, strict=False):
            if calls and isinstance(generation.message, AIMessage):
                generation.message.invalid_tool_calls.extend(calls)
        return result


def split_non_object_calls(response: Any) -> tuple[Any, list[list]]:
    """`response` without the tool calls whose arguments are JSON but not an object, and those
    calls per choice, as invalid tool calls (`response` itself, untouched, when it has none)."""
    choices = _get(response, "choices")
    if not isinstance(choices, list) or not any(
        _not_an_object(call)
        for choice in choices
        for call in _get(_get(choice, "message"), "tool_calls") or []
    ):
        return response, []
    if isinstance(response, openai.BaseModel):  # as LangChain dumps it
        response = response.model_dump(
            exclude={"choices": {"__all__": {"message": {"parsed"}}}}, warnings=False
        )
    kept, invalid = [], []
    for choice in response["choices"]:
        message = choice.get("message") if isinstance(choice, dict) else None
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if not isinstance(calls, list):
            kept.append(choice)
            invalid.append([])
            continue
        bad = [c for c in calls if _not_an_object(c)]
        invalid.append([_invalid(c) for c in bad])
        good = [c for c in calls if c not in bad]
        kept.append({**choice, "message": {**message, "tool_calls": good or None}})
    return {**response, "choices": kept}, invalid


def _get(item: Any, key: str) -> Any:
    """`item[key]` of a dict, `item.key` of a typed response, else None."""
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _not_an_object(call: Any) -> bool:
    """Whether the call's arguments are JSON LangChain reads but cannot keep (not an object)."""
    arguments = _get(_get(call, "function"), "arguments")
    if not isinstance(arguments, str) or not arguments:
        return False
    try:
        value = json.loads(arguments, strict=False)  # as LangChain reads them
    except ValueError:
        return False  # not JSON: LangChain makes it an invalid call itself
    return bool(value) and not isinstance(value, dict)  # it reads a falsy value as {}


def _invalid(call: dict) -> Any:
    function = call.get("function") or {}
    return invalid_tool_call(
        name=function.get("name"),
        args=function.get("arguments"),
        id=call.get("id"),
        error="The arguments must be a JSON object of named arguments.",
    )


def skip_transform(payload: dict) -> dict:
    """`payload` with its plain-JSON messages and tools moved into `extra_body`.

    Left alone: Responses API payloads (no `messages`) and structured output (`response_format`,
    which the client parses against a model of its own).
    """
    if "messages" not in payload or "response_format" in payload:
        return payload
    bulk = {key: payload[key] for key in BULK if isinstance(payload.get(key), list)}
    # The caller's own extra_body keys win, as they would have over the transformed body.
    extra = {**bulk, **(payload.get("extra_body") or {})}
    return {**payload, **{key: [] for key in bulk}, "extra_body": extra}
