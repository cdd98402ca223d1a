"""Hooks a test suite implements (in its conftest.py) to tell the results file about its own tests: which rules of
its app a test checks, and which case (a row of the report's cases matrix) it stands for. This repository's
shared-tests/conftest.py reads them from its `contract` and `case` markers."""

from __future__ import annotations

import pytest


@pytest.hookspec(firstresult=True)
def pytest_workers_parity_rules(item: pytest.Item) -> list[str] | None:
    """The labels (rules) a test checks, recorded in the results' `rules`; None: none."""


@pytest.hookspec(firstresult=True)
def pytest_workers_parity_case(item: pytest.Item) -> str | None:
    """The case a test checks, for the report's cases matrix; None: not a case."""
