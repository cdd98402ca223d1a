"""workers-parity's pytest plugin, registered by the pytest11 entry point (pyproject.toml): the results recorder, the
workers and their fixtures, the cases as tests, and first-run progress. Each part does nothing unless asked for (a
workers-parity config found, --workers-parity, or --parity-results)."""

pytest_plugins = [
    "workers_parity.plugins.pytest_results",
    "workers_parity.plugins.pytest_workers",
    "workers_parity.plugins.pytest_cases",
    "workers_parity.plugins.pytest_progress",
]
