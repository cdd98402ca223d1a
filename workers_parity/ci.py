"""A green CI run means it ran: in CI (the `CI` variable set, as GitHub Actions and .ci/run set it), a test that
cannot run for want of a tool fails, naming the tool, where on a developer's machine it is skipped with that reason.

Tests call `missing_tool(reason)` instead of `pytest.skip(reason)` when what they lack is a program or package.
"""

from __future__ import annotations

import os
from typing import NoReturn

CI_ENV = "CI"
FALSE_VALUES = ("", "0", "false", "no")


def in_ci() -> bool:
    return os.environ.get(CI_ENV, "").strip().lower() not in FALSE_VALUES


def missing_tool(reason: str, *, module_level: bool = False) -> NoReturn:
    """Skip the test (or, at module level, the whole file) for want of a tool; in CI, fail it with the reason."""
    import pytest  # only tests call this; the package itself does not need pytest

    if in_ci():
        pytest.fail(f"{reason} (in CI a test that cannot run for want of a tool fails: {CI_ENV} is set)", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)
