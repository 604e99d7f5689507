"""Meta's WhatsApp Cloud API: the only package that knows its JSON and HTTP wire formats."""
