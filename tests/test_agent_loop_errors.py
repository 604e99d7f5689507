"""A database error inside the model call is the turn's failure, not the model's."""

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from app.agent.loop import APOLOGY, run_agent


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
