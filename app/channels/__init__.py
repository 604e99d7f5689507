"""Messaging channels behind one port (see `base.Channel`): WhatsApp and Messenger backends.

A channel is one backend module and one `Registration` below: the backend alone knows the
channel's wire formats; the registration says how the app builds it and where a business keeps
its account on that channel (its columns in `businesses`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.channels import meta
from app.channels.base import Account, Channel
from app.channels.messenger import MessengerChannel
from app.channels.whatsapp import WhatsAppChannel
from app.secrets import decrypt

__all__ = [
    "REGISTRY",
    "Registration",
    "account",
    "account_id",
    "for_body",
    "get",
    "init_app",
    "registration",
]

EXTENSION = "channels"


@dataclass(frozen=True)
class Registration:
    """How the app builds one channel's backend and finds a business's account on it."""

    name: str
    build: Callable[[Mapping[str, Any]], Channel]  # from the app's config
    account_column: str  # businesses column: the business's id on the channel (unique)
    token_column: str  # businesses column: its access token (encrypted with SECRET_KEY)
    default_token: str  # config key of the token for businesses without their own


def _whatsapp(cfg: Mapping[str, Any]) -> Channel:
    return WhatsAppChannel(cfg["WHATSAPP_API_BASE_URL"], cfg["VERSION"], cfg["GRAPH_TIMEOUT"])


def _messenger(cfg: Mapping[str, Any]) -> Channel:
    base_url = cfg.get("MESSENGER_API_BASE_URL") or cfg["WHATSAPP_API_BASE_URL"]
    return MessengerChannel(base_url, cfg["VERSION"], cfg["GRAPH_TIMEOUT"])


REGISTRY: dict[str, Registration] = {
    r.name: r
    for r in (
        Registration("whatsapp", _whatsapp, "whatsapp_number_id", "access_token", "ACCESS_TOKEN"),
        Registration(
            "messenger", _messenger, "messenger_page_id", "page_access_token", "PAGE_ACCESS_TOKEN"
        ),
    )
}


def init_app(app) -> None:
    """Build every registered backend once for the app (each keeps one HTTP session)."""
    app.extensions[EXTENSION] = {name: r.build(app.config) for name, r in REGISTRY.items()}


def get(name: str) -> Channel:
    """The app's backend for channel `name` (KeyError for a channel nobody registered)."""
    return current_app.extensions[EXTENSION][name]


def registration(name: str) -> Registration:
    """How channel `name` is registered."""
    return REGISTRY[name]


def for_body(data: object) -> Channel | None:
    """The backend a decoded webhook body belongs to, or None."""
    if not meta.is_object(data):
        return None
    for channel in current_app.extensions[EXTENSION].values():
        if channel.accepts(data):
            return channel
    return None


def account_id(business: Mapping[str, Any], name: str) -> str:
    """The business's id on channel `name` ("" when it has none)."""
    return business.get(REGISTRY[name].account_column) or ""


def account(business: Mapping[str, Any], name: str) -> Account:
    """The business's account on channel `name`: its id there and its (decrypted) token."""
    reg = REGISTRY[name]
    cfg = current_app.config
    token = decrypt(business.get(reg.token_column) or "", cfg["SECRET_KEY"])
    return Account(account_id(business, name), token or cfg.get(reg.default_token, ""))
