"""Everything a run judges with, read from the project: its cases (the config's case files, then the cases the fuzzer
found), its masks, its pinned expected differences, its baseline and its plug-ins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workers_parity.cases import load as case_files
from workers_parity.cases.load import CaseError
from workers_parity.cases.model import Case
from workers_parity.judge import pins
from workers_parity.judge.pins import PinError, PinnedDifference
from workers_parity.plugins import hooks
from workers_parity.project import Project
from workers_parity.project.config import ConfigError

FOUND_CASES = "parity-found.toml"  # where `workers-parity fuzz` writes, when the config names no found_cases


@dataclass(frozen=True)
class Suite:
    project: Project
    plugins: hooks.Plugins
    cases: tuple[Case, ...]
    pins: tuple[PinnedDifference, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return case_paths(self.project)

    def case_ids(self) -> dict[str, list[str]]:
        """Each case file (relative to the project's root, as the report lists it) with its case ids in order: what
        a whole run covers, recorded in the results so that the report can name a file or case without a result."""
        by_file: dict[str, list[str]] = {_relative(path, self.project.root): [] for path in self.files}
        for case in self.cases:
            if case.source is not None:
                by_file.setdefault(_relative(case.source.path, self.project.root), []).append(case.id)
        return by_file


def _relative(path: Path, root: Path) -> str:
    path, root = path.resolve(), root.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def found_path(project: Project) -> Path:
    """Where the fuzzer appends what it finds: the config's `found_cases`, else parity-found.toml beside it."""
    return project.config.found_cases or project.root / FOUND_CASES


def case_paths(project: Project) -> tuple[Path, ...]:
    """The config's case files, then the found cases when that file exists."""
    found = found_path(project)
    listed = project.config.cases
    return (*listed, *((found,) if found.exists() and found not in listed else ()))


def load(project: Project) -> Suite:
    """The project's suite; ConfigError (CaseError is one) names the file and line of what cannot be used."""
    plugins = hooks.load(project.config.plugins)
    cases = case_files.load(case_paths(project), plugins.case_keys, plugins.check_case)
    try:
        pinned = pins.load(project.config.expected_differences, project)
    except PinError as error:
        raise ConfigError(str(error)) from None
    return Suite(project, plugins, tuple(cases), tuple(pinned))


__all__ = ["CaseError", "Suite", "case_paths", "found_path", "load"]
