"""Expected differences, kept as data in the file the config's `expected_differences` names (docs/reference.md).

An entry pins every worker's exact answer to one case (status and sha256 of the compared, masked body), so the
difference is accepted only as it is: any worker answering otherwise, the difference disappearing included, fails.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workers_parity.servers import registry

if TYPE_CHECKING:
    from workers_parity.project import Project

ENTRY_KEYS = {"case", "workers", "reason", "answers"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
RUNTIMES = tuple(registry.Runtime)


class PinError(ValueError):
    """An expected-differences entry is not what the file's header comment describes."""


@dataclass(frozen=True)
class PinnedAnswer:
    status: int
    sha256: str  # of the compared body (after the masks)


@dataclass(frozen=True)
class PinnedDifference:
    case: str
    workers: tuple[str, ...]  # names of the workers whose pinned answer is not the contract's
    reason: str  # why the contract cannot remove the difference
    answers: dict[str, PinnedAnswer]  # by worker name, or name@runtime for one runtime only

    def answer_for(self, worker: str, runtime: str | None) -> PinnedAnswer | None:
        """The pinned answer of a worker in a runtime (None: an external worker), the runtime's own first."""
        return self.answers.get(f"{worker}@{runtime}") or self.answers.get(worker)


def load(path: Path | None, project: Project) -> list[PinnedDifference]:
    """The pinned differences of a file (none without one); worker ids or names are the project's."""
    if path is None or not path.exists():
        return []
    try:
        with path.open("rb") as source:
            entries = tomllib.load(source).get("difference", [])
    except tomllib.TOMLDecodeError as error:
        raise PinError(f"{path}: not valid TOML ({error})") from None
    pins = [parse(entry, project, path) for entry in entries]
    cases = [pin.case for pin in pins]
    duplicates = sorted({case for case in cases if cases.count(case) > 1})
    if duplicates:
        raise PinError(f"{path}: one entry per case, several for {', '.join(duplicates)}")
    return pins


def parse(entry: dict, project: Project, path: Path = Path("expected-differences.toml")) -> PinnedDifference:
    case = entry.get("case", "<no case>")
    where = f"{path.name}, entry of {case}"
    if set(entry) != ENTRY_KEYS:
        raise PinError(f"{where}: needs exactly the keys {sorted(ENTRY_KEYS)}, has {sorted(entry)}")
    if not entry["reason"].strip():
        raise PinError(f"{where}: the reason must say why the contract cannot remove the difference")
    answers = {_answer_key(project, key, where): _answer(value, where) for key, value in entry["answers"].items()}
    workers = tuple(_worker_name(project, worker, where) for worker in entry["workers"])
    pinned_workers = {key.split("@")[0] for key in answers}
    if not workers or not set(workers) <= pinned_workers:
        raise PinError(f"{where}: workers must name the deviating workers, each with a pinned answer")
    if len(set(answers.values())) < 2:
        raise PinError(f"{where}: the pinned answers are all the same, so there is no difference to expect")
    return PinnedDifference(case, workers, entry["reason"].strip(), answers)


def _worker_name(project: Project, key: str, where: str) -> str:
    try:
        return project.get(key).name
    except KeyError as error:
        raise PinError(f"{where}: {error.args[0]}") from None


def _answer_key(project: Project, key: str, where: str) -> str:
    worker, _, runtime = key.partition("@")
    if runtime and runtime not in RUNTIMES:
        raise PinError(f"{where}: runtime of {key!r} must be one of {', '.join(RUNTIMES)}")
    name = _worker_name(project, worker, where)
    return f"{name}@{runtime}" if runtime else name


def _answer(value: dict, where: str) -> PinnedAnswer:
    status, digest = value.get("status"), value.get("sha256")
    if set(value) != {"status", "sha256"} or not isinstance(status, int) or not SHA256.match(str(digest)):
        raise PinError(f'{where}: an answer is {{ status = 400, sha256 = "<64 hex digits>" }}, got {value!r}')
    return PinnedAnswer(status, digest)
