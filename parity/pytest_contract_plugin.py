"""pytest plugin for the parity report: writes each test's contract rules and worker into the JUnit XML.

Load it with `-p parity.pytest_contract_plugin` next to `--junitxml`. The values become `<property>` elements of the
test case (`contract` = space-separated rule ids from `@pytest.mark.contract`, `worker` = the worker id of tests
parametrized over workers), which parity.report turns into the rule x worker matrix.
"""

from __future__ import annotations

import pytest


def contract_rules(item: pytest.Item) -> list[str]:
    """The rule ids of every `contract` marker on the test, its class and module, in order, without repeats."""
    rules = [str(rule) for marker in item.iter_markers("contract") for rule in marker.args]
    return list(dict.fromkeys(rules))


def worker_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("worker") if callspec else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        rules = contract_rules(item)
        if rules:
            item.user_properties.append(("contract", " ".join(rules)))
        worker = worker_of(item)
        if worker:
            item.user_properties.append(("worker", str(worker)))
