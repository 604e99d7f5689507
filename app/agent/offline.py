"""No model this turn: the booking flow (`app.flow`) answers instead.

`ModelFree` stands where a chat model is chosen when none may be called: without an API key
(demos, mock mode, tests), over the monthly token budget, and (through `failover.NoModel`)
when every provider's breaker is open. `agent.loop` hands such a turn to the flow, which reads
the customer's words itself, acts through the booking service and records its calls like
tool calls; nothing leaves the process.
"""

from __future__ import annotations


class ModelFree:
    """Stands for "answer this turn without a model" (see `agent.loop.run_agent`)."""

    model_free = True
    model_name = ""

    def bind_tools(self, tools, **kwargs) -> ModelFree:
        """Nothing to bind: the flow acts through the booking service itself."""
        return self
