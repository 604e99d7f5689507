"""Facebook Messenger: webhook events of `object: "page"` and the Graph API Send API."""

from app.channels.messenger.channel import MessengerChannel

__all__ = ["MessengerChannel"]
