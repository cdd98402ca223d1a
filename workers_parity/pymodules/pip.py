"""Run pip for Pyodide's platform (pure-Python wheels, into a folder of their own) and turn its failures into errors.

A failed run is told apart as: the package index cannot be reached (network, proxy, TLS), a wheel does not match the
hash it was locked with, or a package has no pure-Python wheel. Anything else shows pip's own last lines.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import urllib.error
import urllib.request

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # a bare Python with pip still has pip's vendored copy
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement

TARGET_PYTHON = "3.14"
# pip's flags for wheels any Python 3.14 can use: no platform wheels, no source distributions.
PURE_PYTHON_WHEELS = (
    "--only-binary=:all:",
    "--platform=any",
    "--implementation=py",
    "--abi=none",
    f"--python-version={TARGET_PYTHON}",
)
DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_PROBE_TIMEOUT = 15.0


class PythonModulesError(RuntimeError):
    """python_modules/ or its lock could not be made."""


class NoPureWheelError(PythonModulesError):
    """Some requirement has no pure-Python wheel on the package index."""

    def __init__(self, packages: list[str], needed_by: dict[str, str] | None = None) -> None:
        self.packages = packages
        self.needed_by = needed_by or {}
        names = ", ".join(self._describe(name) for name in packages)
        super().__init__(
            f"no pure-Python wheel (py3-none-any) for Python {TARGET_PYTHON} on the package index for: {names}. "
            "Pyodide cannot use platform wheels or source distributions; pick a pure-Python alternative, "
            "or let `pywrangler sync` (online) provide it from Pyodide's own package index."
        )

    def _describe(self, name: str) -> str:
        root = self.needed_by.get(name)
        return f"{name} (needed by {root})" if root and canonical_name(root) != name else name


class IndexUnreachable(PythonModulesError):
    """pip could not talk to a package index: a network problem, not a missing package."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        listed = "; ".join(f"{url} ({reason})" for url, reason in failures.items())
        super().__init__(
            f"cannot reach the Python package index: {listed}. This is a network problem, not a missing package. "
            "Check the network and proxy settings (HTTPS_PROXY), or point pip at a reachable mirror "
            "(PIP_INDEX_URL), then run the command again."
        )


class HashMismatch(PythonModulesError):
    """A downloaded wheel is not the file the lock names."""

    def __init__(self, mismatches: list[str], hashes_from: str, advice: str = "") -> None:
        self.mismatches = mismatches
        super().__init__(
            f"the wheels pip downloaded do not match the sha256 hashes in {hashes_from}: {'; '.join(mismatches)}. "
            f"Nothing was installed. {advice}".rstrip()
        )


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run_pip(python: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise PythonModulesError(f"cannot run pip with {python}: {error}") from None


def install_args(target: object, *args: str) -> list[str]:
    """`pip install` into a folder of its own (pip allows --platform only with --target), pure-Python wheels only."""
    return ["install", "--target", str(target), "--ignore-installed", *PURE_PYTHON_WHEELS, *args]


def check_pip_result(
    result: subprocess.CompletedProcess[str],
    action: str,
    python: str,
    *,
    hashes_from: str = "the requirements",
    hash_advice: str = "",
) -> None:
    if result.returncode == 0:
        return
    output = result.stdout + result.stderr  # pip explains conflicts on stdout
    mismatches = hash_mismatches(output)
    if mismatches:
        raise HashMismatch(mismatches, hashes_from, hash_advice)
    unreachable = unreachable_indexes(indexes_in(output))
    if unreachable:
        raise IndexUnreachable(unreachable)
    missing = unavailable_packages(output) or [
        canonical_name(Requirement(requirement).name)
        for requirement in conflicting_dependencies(output)
        if not has_pure_wheel(requirement, python)
    ]
    if missing:
        raise NoPureWheelError(missing)
    errors = [line for line in result.stderr.splitlines() if not line.startswith("WARNING:")]
    detail = "\n".join(errors[-20:]) or f"pip exited with status {result.returncode}"
    raise PythonModulesError(f"pip failed while {action}:\n{detail}")


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


def unavailable_packages(pip_output: str) -> list[str]:
    """Package names pip reported as having no usable distribution, in order, without duplicates."""
    found = re.findall(r"No matching distribution found for ([^\s;]+)", pip_output)
    names = [canonical_name(Requirement(item).name) for item in found]
    return list(dict.fromkeys(names))


def conflicting_dependencies(pip_output: str) -> list[str]:
    """After backtracking pip reports 'pydantic 2.14.4 depends on pydantic-core==2.50.5' instead of the cause.

    Returns one requirement per package, from the first (newest) line that names it.
    """
    found = re.findall(r"^\s+\S+ \S+ depends on (.+)$", pip_output, flags=re.MULTILINE)
    requirements = {}
    for text in found:
        with contextlib.suppress(InvalidRequirement):
            requirement = without_marker(Requirement(text.strip()))
            requirements.setdefault(canonical_name(requirement.name), str(requirement))
    return list(requirements.values())


def without_marker(requirement: Requirement) -> Requirement:
    copy = Requirement(str(requirement))
    copy.marker = None
    return copy


def has_pure_wheel(requirement: str, python: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        result = run_pip(python, install_args(scratch, "--dry-run", "--no-deps", requirement))
    return result.returncode == 0
