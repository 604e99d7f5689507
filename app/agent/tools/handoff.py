"""The tool that hands the conversation to a person of the team."""

from __future__ import annotations

from app.agent.tools.base import ToolContext, dump, tool
from app.flow import handoff


@tool()
def handoff_to_human(ctx: ToolContext, reason: str, summary: str) -> str:
    """Hand the conversation to a person of the team, who will answer the customer in this chat.

    Use it when the customer asks for a person, complains, or needs something the business's
    information does not cover. `reason`: why, in a few words. `summary`: what the customer
    wants, in one or two sentences, for the staff member who picks it up. The bot then stays
    quiet for this customer; reply with the `notice` the tool returns.
    """
    return dump(handoff.request(ctx.business, ctx.customer, ctx.now, reason, summary))


TOOLS = (handoff_to_human,)
