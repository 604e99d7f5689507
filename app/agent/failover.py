"""One turn's model in degraded conditions: the primary, then the fallback, then no model at all.

Each call goes to the first provider whose circuit breaker lets it through; a provider that fails
hands the call to the next one. A failed call with no provider left gives up (the loop's polite
apology). When no provider may be called at all (every breaker open), the call raises `NoModel`
and the loop hands the turn to the model-free flow, which needs no network; its reply starts
with a one-line note in the customer's language. Later turns go back to the model as soon as a
breaker lets them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from app import metrics
from app.agent.breaker import Breaker

log = logging.getLogger(__name__)

NOTES = {
    "en": "⚠️ Our assistant is in simple mode right now, so please keep requests short.",
    "es": "⚠️ Nuestro asistente funciona ahora en modo sencillo: escribe peticiones cortas.",
    "fr": "⚠️ Notre assistant fonctionne en mode simple : faites des demandes courtes.",
    "de": "⚠️ Unser Assistent läuft gerade im einfachen Modus: bitte kurze Anfragen.",
    "it": "⚠️ Il nostro assistente è in modalità semplice: scrivi richieste brevi.",
    "pt": "⚠️ O nosso assistente está em modo simples agora: escreva pedidos curtos.",
}
# Language names and codes a business may configure, and words that give a customer's away.
LANGUAGES = {
    "es": ("es", "spanish", "español", "espanol", "castellano"),
    "fr": ("fr", "french", "français", "francais"),
    "de": ("de", "german", "deutsch"),
    "it": ("it", "italian", "italiano"),
    "pt": ("pt", "portuguese", "português", "portugues"),
    "en": ("en", "english"),
}
WORDS = {
    "es": r"hola|gracias|quiero|cita|reservar|mañana|buenas|por favor|cancelar|cuándo|precio",
    "fr": r"bonjour|merci|je voudrais|rendez-vous|demain|s'il vous plaît|annuler",
    "de": r"hallo|danke|termin|morgen|bitte|ich möchte|absagen",
    "it": r"ciao|grazie|vorrei|appuntamento|domani|prenotare|per favore",
    "pt": r"olá|obrigad[oa]|quero|marcar|amanhã|por favor|agendar",
}


class NoModel(Exception):
    """No provider may be called: the turn goes to the model-free flow, with `note` on top."""

    def __init__(self, note: str):
        super().__init__("every model provider's breaker is open")
        self.note = note


@dataclass(frozen=True)
class Provider:
    """A model behind a breaker: its key (base URL + model) and the chat model."""

    key: str
    model: object


def note_for(business_language: str, customer_text: str) -> str:
    """The degraded-mode note in the customer's language (else the business's, else English)."""
    lowered = customer_text.lower()
    for code, pattern in WORDS.items():
        if re.search(rf"\b({pattern})\b", lowered):
            return NOTES[code]
    wanted = (business_language or "").strip().lower()
    for code, names in LANGUAGES.items():
        if wanted in names or wanted.split("-")[0] in names:
            return NOTES[code]
    return NOTES["en"]


class Failover:
    """The model of one turn: `providers` in order behind `breaker`, then no model (NoModel)."""

    def __init__(self, providers: Sequence[Provider], breaker: Breaker, language: str = ""):
        self.providers = list(providers)
        self.breaker = breaker
        self.language = language
        self.model_name = getattr(providers[0].model, "model_name", "") if providers else ""

    def bind_tools(self, tools, **kwargs) -> BoundFailover:
        """Every model of the chain with the same tools."""
        return BoundFailover(self, [p.model.bind_tools(tools, **kwargs) for p in self.providers])

    def invoke(self, messages: list[BaseMessage], config=None) -> AIMessage:
        """One call without tools."""
        plain = BoundFailover(self, [p.model for p in self.providers])
        return plain.invoke(messages, config=config)


class BoundFailover:
    """The chain with tools bound, for the calls of one turn."""

    def __init__(self, chain: Failover, bound: list):
        self.chain = chain
        self.bound = bound
        self.degraded = False

    def invoke(self, messages: list[BaseMessage], config=None) -> AIMessage:
        """The first provider that may be called and answers; else NoModel (see the module)."""
        if not self.degraded:
            tried, error = False, None
            for provider, model in zip(self.chain.providers, self.bound, strict=True):
                if not self.chain.breaker.allow(provider.key):
                    continue
                tried = True
                try:
                    answer = model.invoke(messages, config=config)
                except Exception as exc:  # recorded, then the next provider gets the call
                    self.chain.breaker.record(provider.key, exc)
                    log.warning("model %s failed: %s", provider.key, type(exc).__name__)
                    error = error or exc
                    continue
                self.chain.breaker.record(provider.key, None)
                if provider is not self.chain.providers[0]:
                    metrics.LLM_FAILOVER.labels("fallback").inc()
                return answer
            if tried:
                raise error  # every provider that could be asked failed: the turn gives up
            log.warning("every model provider's breaker is open: answering without a model")
            metrics.LLM_FAILOVER.labels("deterministic").inc()
            self.degraded = True
        raise NoModel(note_for(self.chain.language, _customer_text(messages)))


def _customer_text(messages: list[BaseMessage]) -> str:
    """What the customer wrote this turn (not a correction the loop added)."""
    for message in reversed(messages):
        text = message.content if isinstance(message, HumanMessage) else None
        if isinstance(text, str) and not text.startswith("SYSTEM CHECK"):
            return text
    return ""
