"""Run pip for a Pyodide target (into a folder of its own) and turn what it says into facts and errors.

A failed run is told apart as: the package index cannot be reached (network, proxy, TLS), a file does not match the
hash it was locked with, or some packages have no distribution pip may use (`Unavailable`, which the resolver works
on). Anything else shows pip's own last lines.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from workers_parity.pymodules.errors import HashMismatch, IndexUnreachable, PythonModulesError
from workers_parity.pymodules.packaging_compat import InvalidRequirement, Requirement, Version
from workers_parity.pymodules.target import PythonTarget

__all__ = ["InvalidRequirement", "Requirement"]

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_PROBE_TIMEOUT = 15.0
PROBE_TRUSTED_SECONDS = 60.0
# pip before 24.2 checks a package's Requires-Python against the Python running pip, not --python-version (so it
# locks Django 5 for Python 3.14 when run by Python 3.11); before 25.3 it does not name the packages that left a
# dependency conflict without any usable distribution.
MINIMUM_PIP = Version("25.3")


class Unavailable(PythonModulesError):
    """pip found no distribution it may use for these requirements (name -> the requirement as pip last saw it)."""

    def __init__(self, requirements: dict[str, str], pip_output: str) -> None:
        self.requirements = requirements
        self.pip_output = pip_output
        super().__init__(f"no usable distribution for {', '.join(requirements.values())}")


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run_pip(python: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    check_pip_version(python)
    command = [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    environment = {**os.environ, **env} if env else None
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    except OSError as error:
        raise PythonModulesError(f"cannot run pip with {python}: {error}") from None


@functools.cache
def check_pip_version(python: str) -> None:
    try:
        result = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=False)
    except OSError as error:
        raise PythonModulesError(f"cannot run pip with {python}: {error}") from None
    found = re.match(r"pip (\S+)", result.stdout)
    if not found:
        raise PythonModulesError(f"{python} has no pip (`{python} -m pip --version`: {result.stderr.strip()})")
    if Version(found.group(1)) < MINIMUM_PIP:
        raise PythonModulesError(
            f"pip {found.group(1)} of {python} is too old to resolve packages for Pyodide (pip >= {MINIMUM_PIP} "
            f"checks Requires-Python against Pyodide's Python): `{python} -m pip install 'pip>={MINIMUM_PIP}'`"
        )


def install_args(directory: Path, target: PythonTarget, *args: str) -> list[str]:
    """`pip install` into a folder of its own (pip allows --platform only with --target), target wheels only."""
    return ["install", "--target", str(directory), "--ignore-installed", *target.pip_wheel_flags(), *args]


def check_pip_result(
    result: subprocess.CompletedProcess[str], action: str, *, hashes_from: str = "the requirements", advice: str = ""
) -> None:
    if result.returncode == 0:
        return
    output = result.stdout + result.stderr  # pip explains conflicts on stdout
    mismatches = hash_mismatches(output)
    if mismatches:
        raise HashMismatch(mismatches, hashes_from, advice)
    unreachable = unreachable_indexes(indexes_in(output))
    if unreachable:
        raise IndexUnreachable(unreachable)
    unavailable = unavailable_requirements(output)
    if unavailable:
        raise Unavailable(unavailable, output)
    raise PythonModulesError(f"pip failed while {action}:\n{last_lines(result)}")


def last_lines(result: subprocess.CompletedProcess[str], count: int = 20) -> str:
    errors = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("WARNING:")]
    return "\n".join(errors[-count:]) or f"pip exited with status {result.returncode}"


def indexes_in(pip_output: str) -> list[str]:
    """The package indexes pip says it looks in; pip prints none when it uses PyPI alone."""
    found = re.search(r"^Looking in indexes: (.+)$", pip_output, flags=re.MULTILINE)
    return [url.strip() for url in found.group(1).split(",")] if found else [DEFAULT_INDEX]


def unreachable_indexes(indexes: list[str]) -> dict[str, str]:
    """Which http(s) indexes do not answer at all (any HTTP status, even 404, means reachable), with the reason.

    pip reports a connection failure as "No matching distribution" (its network errors are debug messages), so the
    indexes are asked directly.
    """
    failures = {}
    for url in indexes:
        if url.startswith(("http://", "https://")):
            reason = probe(url)
            if reason:
                failures[url] = reason
    return failures


def probe(url: str) -> str | None:
    """Why the index does not answer, or None; an answer is trusted for a minute (one lock runs pip many times)."""
    answered = _answered_at.get(url)
    if answered is not None and time.monotonic() - answered < PROBE_TRUSTED_SECONDS:
        return None
    reason = ask(url)
    if reason is None:
        _answered_at[url] = time.monotonic()
    return reason


_answered_at: dict[str, float] = {}


def ask(url: str) -> str | None:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=INDEX_PROBE_TIMEOUT):
            return None
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as error:
        return str(error.reason)
    except (OSError, ValueError) as error:  # timeouts arrive as OSError
        return str(error) or type(error).__name__


def hash_mismatches(pip_output: str) -> list[str]:
    """pip's `THESE PACKAGES DO NOT MATCH THE HASHES` report, one line per package."""
    found = re.findall(
        r"^\s+(\S+==\S+) from .*\n\s+Expected sha256 (\w+)\n\s+Got\s+(\w+)", pip_output, flags=re.MULTILINE
    )
    return [f"{pin}: expected {expected}, got {got}" for pin, expected, got in found]


def unavailable_requirements(pip_output: str) -> dict[str, str]:
    """The packages pip found nothing usable for, each with the requirement that asked for it.

    A root requirement: `No matching distribution found for X`. A dependency: after backtracking pip lists
    `jinja2 3.1.6 depends on MarkupSafe>=2.0` lines, then the names that have no usable distribution at all.
    """
    found = {}
    for text in re.findall(r"No matching distribution found for ([^\s;]+)", pip_output):
        with contextlib.suppress(InvalidRequirement):
            found.setdefault(canonical_name(Requirement(text).name), text)
    depends_on = dependency_requirements(pip_output)
    section = re.search(r"no matching distributions available for your environment:\n((?:[ \t]+\S+\n?)+)", pip_output)
    for name in section.group(1).split() if section else []:
        name = canonical_name(name)
        found.setdefault(name, depends_on.get(name, name))
    return found


def dependency_requirements(pip_output: str) -> dict[str, str]:
    """`pydantic 2.14.4 depends on pydantic-core==2.50.5` lines: per package, the first (newest parent's) one."""
    requirements: dict[str, str] = {}
    for text in re.findall(r"^\s+\S+ \S+ depends on (.+)$", pip_output, flags=re.MULTILINE):
        with contextlib.suppress(InvalidRequirement):
            requirement = without_marker(Requirement(text.strip()))
            requirements.setdefault(canonical_name(requirement.name), str(requirement))
    return requirements


def without_marker(requirement: Requirement) -> Requirement:
    copy = Requirement(str(requirement))
    copy.marker = None
    return copy
