"""A database error inside the model call is the turn's failure, not the model's."""

from datetime import UTC, datetime

import psycopg
import pytest
from langchain_core.messages import AIMessage
from psycopg_pool import PoolTimeout

from app import bot
from app.agent.failover import NoModel
from app.agent.loop import APOLOGY, run_agent
from app.agent.tools import ToolContext, make_tools
from app.storage import conversations, db
from tests.fixtures_booking import make_customer


class Model:
    """A chat model whose every call raises `error` (as the breaker's row write can)."""

    def __init__(self, error: BaseException):
        self.error = error

    def bind_tools(self, specs):
        return self

    def invoke(self, messages, config=None):
        raise self.error


@pytest.mark.parametrize(
    "error", [PoolTimeout("couldn't get a connection"), psycopg.OperationalError("gone")]
)
def test_a_database_error_fails_the_turn_so_its_job_retries_it(error):
    with pytest.raises(type(error)):
        run_agent(Model(error), "system", [], "hi", [], max_iterations=2)


def test_a_model_failure_still_ends_the_turn_with_an_apology():
    result = run_agent(Model(RuntimeError("model down")), "system", [], "hi", [], max_iterations=2)
    assert result.reply == APOLOGY and result.error.startswith("llm: RuntimeError")


class StatusError(Exception):
    """A provider's refusal, which quotes the request (as pydantic's `input_value=` does)."""

    status_code = 400


@pytest.mark.parametrize(
    "error, recorded",
    [
        (RuntimeError("input_value='Rosa Quintero, Calle Mayor 5'"), "llm: RuntimeError"),
        (StatusError("Invalid message 'Rosa Quintero'"), "llm: StatusError (HTTP 400)"),
    ],
)
def test_a_model_failure_records_no_words_of_the_customer(error, recorded):
    result = run_agent(Model(error), "system", [], "Rosa Quintero", [], max_iterations=2)
    assert result.error == recorded


def test_a_model_failure_keeps_its_words_when_pii_may_be_traced():
    error = RuntimeError("input_value='Rosa'")
    result = run_agent(Model(error), "system", [], "Rosa", [], max_iterations=2, log_pii=True)
    assert result.error == "llm: RuntimeError: input_value='Rosa'"


class NoModelAfterOneAnswer:
    """A chat model that answers once, then has no provider left (every breaker open)."""

    def __init__(self):
        self.calls = 0

    def bind_tools(self, specs):
        return self

    def invoke(self, messages, config=None):
        self.calls += 1
        if self.calls > 1:
            raise NoModel("NOTE")
        return AIMessage("Hello! How can I help?")


def test_the_flow_taking_over_mid_turn_reads_what_the_customer_added(app):
    """A message merged into the turn (`poll_new_input`) is answered with the turn, even when
    the flow answers it: its message is marked processed with the rest."""
    with app.app_context():
        business = db.fetch_one("SELECT id FROM businesses ORDER BY id LIMIT 1")
        business = bot.load_business(business["id"])
        customer = conversations.get_customer(make_customer(business["id"]))
        ctx = ToolContext(business, customer, None, datetime.now(UTC))
        added = iter(["what are your opening hours?"])
        result = run_agent(
            NoModelAfterOneAnswer(),
            "system",
            [],
            "hi",
            make_tools(ctx),
            max_iterations=4,
            poll_new_input=lambda: next(added, None),
        )
    assert result.reply.startswith("NOTE")
    assert "09:00" in result.reply
