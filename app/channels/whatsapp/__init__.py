"""WhatsApp Business (Cloud API): the only package that knows its webhook JSON and send API."""

from app.channels.whatsapp.channel import WhatsAppChannel

__all__ = ["WhatsAppChannel"]
