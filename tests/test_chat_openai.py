"""The model client sends the same request body without the OpenAI client's request transform."""

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_openai import ChatOpenAI

from app.agent.breaker import UnusableAnswer
from app.agent.chat_openai import WireChatOpenAI, skip_transform
from tests.fake_llm import text_reply

TOOL = {
    "type": "function",
    "function": {
        "name": "book_appointment",
        "description": "Book a service at a time.",
        "parameters": {
            "type": "object",
            "properties": {
                "service": {"type": "string", "enum": ["Haircut", "Beard trim"]},
                "date": {"type": "string", "format": "date"},
                "time": {"type": "string", "description": "HH:MM, 24-hour"},
            },
            "required": ["service", "date", "time"],
        },
    },
}
CONVERSATION = [
    SystemMessage("You book appointments for Demo Salon. Café ☕ opens at 09:00."),
    HumanMessage("Book a beard trim on 2026-12-08 at 10:00, please"),
    AIMessage(
        "",
        tool_calls=[
            {
                "name": "book_appointment",
                "args": {"service": "Beard trim", "date": "2026-12-08", "time": "10:00"},
                "id": "call_1",
            }
        ],
    ),
    ToolMessage('{"ok": true, "appointment": {"id": 7}}', tool_call_id="call_1"),
]


@pytest.mark.parametrize("with_tools", [True, False])
def test_the_request_body_is_the_one_chatopenai_sends(fake_llm, with_tools):
    fake_llm.default = lambda body: text_reply("Booked.")
    bodies = []
    for cls in (ChatOpenAI, WireChatOpenAI):
        model = cls(model="gpt-4o-mini", api_key="k", base_url=fake_llm.base_url, max_retries=0)
        runnable = model.bind_tools([TOOL]) if with_tools else model
        assert runnable.invoke(CONVERSATION).content == "Booked."
        bodies.append(fake_llm.requests[-1])
    plain, wire = bodies
    assert json.dumps(wire) == json.dumps(plain)  # same keys, same order, same values
    assert wire["messages"][-1]["tool_call_id"] == "call_1"
    assert ("tools" in wire) is with_tools


def test_skip_transform_moves_only_plain_lists_and_keeps_the_callers_extra_body():
    payload = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
        "tools": [TOOL],
        "extra_body": {"ttl": 300},
    }
    out = skip_transform(payload)
    assert list(out) == ["model", "messages", "stream", "tools", "extra_body"]
    assert out["messages"] == [] and out["tools"] == []
    assert out["extra_body"] == {"messages": payload["messages"], "tools": [TOOL], "ttl": 300}
    structured = {**payload, "response_format": {"type": "json_object"}}
    assert skip_transform(structured) is structured
    responses_api = {"model": "m", "input": "hi"}
    assert skip_transform(responses_api) is responses_api


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x", "object": "chat.completion", "model": "fake", "choices": []},
        {"id": "x", "object": "chat.completion", "model": "fake"},
    ],
    ids=["empty choices", "no choices"],
)
def test_an_answer_without_choices_is_unusable(fake_llm, body):
    """The provider's breaker counts it as an outage (a bare IndexError it would take for a bug
    of ours and never hand over to the fallback model)."""
    fake_llm.script.append((200, body))
    model = WireChatOpenAI(
        model="gpt-4o-mini", api_key="k", base_url=fake_llm.base_url, max_retries=0
    )
    with pytest.raises(UnusableAnswer):
        model.invoke(CONVERSATION)
