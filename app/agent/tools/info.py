"""Tools that read the business configuration."""

from __future__ import annotations

from app.agent.prompts import format_hours
from app.agent.tools.base import ToolContext, dump, fmt_local, tool


@tool()
def list_services(ctx: ToolContext) -> str:
    """List the services the business offers, with duration and price."""
    services = [
        {
            "name": s["name"],
            "duration_minutes": s["duration_minutes"],
            "price": f"{s['price']:.2f}",
            "currency": s["currency"],
        }
        for s in ctx.business["services"]
    ]
    return dump({"ok": True, "services": services})


@tool()
def get_business_info(ctx: ToolContext) -> str:
    """Get the opening hours, closed dates, policies and current local time."""
    b = ctx.business
    return dump(
        {
            "ok": True,
            "name": b["name"],
            "opening_hours": format_hours(b["opening_hours"]),
            "closed_dates": [d.isoformat() for d in b.get("closed_dates") or []],
            "policies": b.get("instructions") or "",
            "now": fmt_local(ctx.now, ctx.tz),
        }
    )


TOOLS = (list_services, get_business_info)
