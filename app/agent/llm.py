"""The chat model: ChatOpenAI when an API key is configured, the model-free flow otherwise.

With an API key, a turn's model is a `Failover`: the configured model, then the optional
fallback model (FALLBACK_OPENAI_*), each behind its circuit breaker, then the model-free flow.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app

from app.agent import breaker

log = logging.getLogger(__name__)
EXTENSION = "chat_models"


class ModelCache:
    """The app's chat model clients, built once per key and shared by every turn."""

    def __init__(self) -> None:
        self._models: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, build) -> object:
        with self._lock:
            if key not in self._models:
                self._models[key] = build()
            return self._models[key]


def init_app(app) -> None:
    """Give the app its model cache."""
    app.extensions[EXTENSION] = ModelCache()


def get_chat_model(config) -> object:
    """The app's chat model for `config` (built once, reused by every turn)."""
    if not config.get("OPENAI_API_KEY"):
        return _cached(("offline",), _offline)
    return _openai(
        config["OPENAI_API_KEY"], config.get("OPENAI_BASE_URL"), config["OPENAI_MODEL"], config
    )


def model_for_turn(config, business: dict, now) -> object:
    """The model of one turn: the configured one, or the model-free flow when the business has
    used its monthly token budget (checked before any model call; other businesses unaffected).

    With an API key, the configured model and the fallback sit behind their circuit breakers,
    and a turn no provider may take runs through the model-free flow (see `failover`).
    """
    from app import usage
    from app.agent.failover import Failover, Provider

    if usage.over_budget(business, now):
        log.info("business %s is over its monthly token budget: no model this turn", business["id"])
        return deterministic_model()
    primary = get_chat_model(config)
    watch = current_app.extensions.get(breaker.EXTENSION)
    if not config.get("OPENAI_API_KEY") or watch is None:
        return primary
    key = breaker.provider_key(config.get("OPENAI_BASE_URL"), config["OPENAI_MODEL"])
    providers = [Provider(key, primary)]
    fallback = breaker.fallback_settings(config)
    if fallback:
        key = breaker.provider_key(fallback["base_url"], fallback["model"])
        model = _openai(fallback["api_key"], fallback["base_url"], fallback["model"], config)
        providers.append(Provider(key, model))
    return Failover(providers, watch, business.get("language") or "")


def deterministic_model() -> object:
    """The flow that answers without calling a model (`app.flow`, run by `agent.loop`)."""
    from app.agent.offline import ModelFree

    return ModelFree()


def _cached(key: tuple, build) -> object:
    return current_app.extensions[EXTENSION].get(key, build)


def _offline():
    return deterministic_model()


def _openai(api_key: str, base_url: str | None, model: str, config) -> object:
    """A ChatOpenAI client (one per key, endpoint, model, timeout and retries)."""
    timeout, retries = config["LLM_TIMEOUT"], config["LLM_MAX_RETRIES"]

    def build():
        from app.agent.chat_openai import WireChatOpenAI

        return WireChatOpenAI(
            model=model,
            api_key=api_key,
            base_url=base_url or None,
            timeout=timeout,
            max_retries=retries,
            temperature=0.2,
        )

    return _cached((api_key, base_url, model, timeout, retries), build)
