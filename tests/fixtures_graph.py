"""Pytest fixture for the fake Graph API (loaded from conftest via pytest_plugins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_graph import FakeGraph


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    """A running fake Graph API server of this test's own."""
    with FakeGraph() as fake:
        yield fake
