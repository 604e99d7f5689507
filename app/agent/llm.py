"""The chat model: ChatOpenAI when an API key is configured, the offline demo model otherwise."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
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


def model_for_turn(config, business: dict, now) -> object:
    """The model of one turn: the configured one, or the model-free flow when the business has
    used its monthly token budget (checked before any model call; other businesses unaffected)."""
    from app import usage

    if usage.over_budget(business, now):
        log.info("business %s is over its monthly token budget: no model this turn", business["id"])
        return deterministic_model()
    return get_chat_model(config)


def deterministic_model() -> object:
    """The flow that answers without calling a model.

    Today the embedded offline model; the tap-to-book flow takes its place here.
    """
    from app.agent.offline import OfflineChatModel

    return OfflineChatModel()


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
