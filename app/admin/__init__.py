"""JSON admin API under /api/admin: auth, businesses, conversations, appointments, users, audit."""

from app.admin import (  # noqa: F401 - importing the view modules registers their routes
    appointments,
    audit_views,
    auth,
    blocked_times,
    businesses,
    calendar_health,
    conversations,
    front_desk,
    knowledge,
    llm,
    openapi,
    overview,
    people,
    privacy,
    reminders,
    sandbox,
)
from app.admin.blueprint import bp

__all__ = ["bp"]
