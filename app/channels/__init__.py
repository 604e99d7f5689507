"""Messaging channels behind one port (see `base.Channel`): WhatsApp and Messenger backends."""
