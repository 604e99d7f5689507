"""The chat model: ChatOpenAI when an API key is configured, the offline demo model otherwise."""

from __future__ import annotations

import threading

_models: dict[tuple, object] = {}
_lock = threading.Lock()


def get_chat_model(config) -> object:
    """The process's chat model for `config` (built once, reused by every turn)."""
    key = (
        config.get("OPENAI_API_KEY"),
        config.get("OPENAI_BASE_URL"),
        config.get("OPENAI_MODEL"),
        config.get("LLM_TIMEOUT"),
        config.get("LLM_MAX_RETRIES"),
    )
    with _lock:
        if key not in _models:
            _models[key] = _build(config)
        return _models[key]


def _build(config):
    if not config.get("OPENAI_API_KEY"):
        from app.agent.offline import OfflineChatModel

        return OfflineChatModel()
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=config["OPENAI_MODEL"],
        api_key=config["OPENAI_API_KEY"],
        base_url=config.get("OPENAI_BASE_URL") or None,
        timeout=config["LLM_TIMEOUT"],
        max_retries=config["LLM_MAX_RETRIES"],
        temperature=0.2,
    )
