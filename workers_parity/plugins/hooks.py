"""A project's own plug-ins: the Python files its config names in `plugins`, which add what is specific to one app to
the tool's generic core — keys of its cases, an oracle of the answers it expects, tables of its report. This
repository's is shared-tests/contract_plugin.py. Every hook is a module attribute, and every one is optional:

    CASE_KEYS: set[str]                         keys a case may have besides the format's own (in Case.extra)
    FOUND_CASE_KEYS: set[str]                   of those, the ones a case the fuzzer finds keeps from its seed
    check_case(case) -> None                    raise ValueError saying what is wrong with those keys
    expectation(case, worker) -> Check | None   what `worker` (a servers.registry.Worker) must answer to the case:
                                                an object with `summary` and `mismatches(reply, *, status_and_body)`
    rules(case) -> list[str]                    labels of the case, recorded in the results (`rules`)
    report_tables(results) -> list[Matrix]      tables the report draws after the cases', from the results alone
    demo_story() -> tuple[demo.story.Step, ...] the steps `python -m workers_parity.demo` walks through
    bench_endpoints() -> list[tuple]            (method, path, body, content type) the bench loads, at 1 and 8 clients
    bench_curves() -> dict[str, list[tuple]]    the bench's growth curves: name -> points ((method, path, body,
                                                content type, label suffix), clients)
    bench_probes() -> list[tuple]               (name, folder, ready path) of Python workers whose start-up the
                                                bench measures besides the project's own
    bench_suite() -> list[str]                  the command of the project's own test suite, timed warm by the bench
                                                in the project's root (its speed is part of the harness's)
    describe_worker(base_url) -> dict           what a running worker says about itself, for the bench's notes
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from workers_parity.project.config import ConfigError


@dataclass(frozen=True)
class Plugins:
    modules: tuple[ModuleType, ...] = ()
    paths: tuple[Path, ...] = ()

    @property
    def case_keys(self) -> frozenset[str]:
        return frozenset(key for module in self.modules for key in getattr(module, "CASE_KEYS", ()))

    @property
    def found_case_keys(self) -> frozenset[str]:
        return frozenset(key for module in self.modules for key in getattr(module, "FOUND_CASE_KEYS", ()))

    def check_case(self, case) -> None:
        for module in self._with("check_case"):
            module.check_case(case)

    def checks(self, case, worker) -> list:
        found = (module.expectation(case, worker) for module in self._with("expectation"))
        return [check for check in found if check is not None]

    def rules(self, case) -> list[str]:
        return list(dict.fromkeys(rule for module in self._with("rules") for rule in module.rules(case)))

    def report_tables(self, results) -> list:
        return [table for module in self._with("report_tables") for table in module.report_tables(results)]

    def demo_story(self) -> tuple:
        return next((tuple(module.demo_story()) for module in self._with("demo_story")), ())

    def bench_endpoints(self) -> list[tuple]:
        return [endpoint for module in self._with("bench_endpoints") for endpoint in module.bench_endpoints()]

    def bench_curves(self) -> dict[str, list[tuple]]:
        found: dict[str, list[tuple]] = {}
        for module in self._with("bench_curves"):
            found.update(module.bench_curves())
        return found

    def bench_probes(self) -> list[tuple]:
        return [probe for module in self._with("bench_probes") for probe in module.bench_probes()]

    def bench_suite(self) -> list[str]:
        return next((list(module.bench_suite()) for module in self._with("bench_suite")), [])

    def describe_worker(self, base_url: str) -> dict:
        found: dict = {}
        for module in self._with("describe_worker"):
            found.update(module.describe_worker(base_url))
        return found

    def _with(self, hook: str) -> Iterable[ModuleType]:
        return (module for module in self.modules if callable(getattr(module, hook, None)))


def load(paths: Iterable[Path]) -> Plugins:
    paths = tuple(Path(path).resolve() for path in paths)
    return Plugins(tuple(_module(path) for path in paths), paths)


@cache
def _module(path: Path) -> ModuleType:
    """The plug-in imported by its file name, its folder first on sys.path (so it imports its neighbours, and a test
    suite that imports it by name gets the same module)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such plug-in file; fix the path in the config's `plugins`")
    if path.suffix != ".py":
        raise ConfigError(f"{path}: a plug-in is a Python file (.py)")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    loaded = sys.modules.get(path.stem)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != path:
        raise ConfigError(f"{path}: another module named {path.stem!r} is imported already; rename the plug-in file")
    try:
        return importlib.import_module(path.stem)
    except Exception as error:
        raise ConfigError(f"{path}: the plug-in failed to import ({type(error).__name__}: {error})") from None
