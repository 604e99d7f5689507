"""JSON admin API under /api/admin: auth, businesses, conversations, appointments, users, audit."""

from app.admin import (  # noqa: F401 - importing the view modules registers their routes
    appointments,
    audit_views,
    auth,
    businesses,
    conversations,
    knowledge,
    llm,
    openapi,
    people,
    privacy,
    reminders,
    sandbox,
)
from app.admin.blueprint import bp

__all__ = ["bp"]
