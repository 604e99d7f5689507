"""ChatOpenAI without the OpenAI client's second pass over the request body.

The OpenAI client walks every request body against its typed parameter definitions before
sending it (`maybe_transform`), with the GIL held. LangChain has already built the messages and
tool schemas as plain JSON, so the walk changes nothing, and in a two-step tool turn it was 13%
of the turn's CPU (docs/PERFORMANCE.md §9). Here they reach the client as `extra_body`, which it
merges into the JSON after that pass; empty lists stay in their places, so the keys keep their
order and the bytes sent are the same. Imported only when a model is configured (LangChain's
OpenAI package is a slow import).
"""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI

BULK = ("messages", "tools")


class WireChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose messages and tools skip the client's request transform."""

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any):
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        return skip_transform(payload)


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
