"""What the shared suite adds to workers-parity's pytest plugin (which gives it the workers, and the cases of
corpus.toml as tests): its tests' contract rules and cases for the report (read from the `contract` and `case`
markers), the fuzz budget and the soak's table."""

from __future__ import annotations

import pytest
import soak

CI_EXAMPLES = 300  # test_fuzz.py's budget without --examples: the same requests every run (nox -s tests, CI)


def pytest_workers_parity_rules(item: pytest.Item) -> list[str] | None:
    """The rule ids of every `contract` marker on the test, its class and module, in order; None without one (a
    case of corpus.toml has its rules from our plug-in)."""
    rules = [str(rule) for marker in item.iter_markers("contract") for rule in marker.args]
    return rules or None


def pytest_workers_parity_case(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("case")
    return str(marker.args[0]) if marker else None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fuzz").addoption(
        "--examples",
        type=int,
        default=None,
        metavar="N",
        help=f"test_fuzz.py: N generated requests from a random seed (default: {CI_EXAMPLES}, derandomized)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if (config.getoption("--examples") or 1) < 1:
        raise pytest.UsageError(f"--examples takes a positive number, got {config.getoption('--examples')}")


SOAK_ROWS = pytest.StashKey[list[soak.Row]]()


@pytest.fixture(scope="session")
def soak_rows(request: pytest.FixtureRequest) -> list[soak.Row]:
    """The soak tests' counts, printed as one table at the end of the run."""
    return request.config.stash.setdefault(SOAK_ROWS, [])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    rows = config.stash.get(SOAK_ROWS, [])
    if rows:
        terminalreporter.section("soak: GET /counter under load and restarts")
        for line in soak.table(rows):
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def fuzz_budget(request: pytest.FixtureRequest) -> tuple[int, bool]:
    """(examples, derandomize) for test_fuzz.py: --examples N from a random seed, else the fixed CI budget."""
    examples = request.config.getoption("--examples")
    return (CI_EXAMPLES, True) if examples is None else (examples, False)
