"""What can go wrong while locking a worker's dependencies or filling its python_modules/, each told apart."""

from __future__ import annotations


class PythonModulesError(RuntimeError):
    """python_modules/ or its lock could not be made."""


class PyprojectError(PythonModulesError, ValueError):
    """The worker's pyproject.toml cannot be read or does not say what it needs."""


class LockError(PythonModulesError):
    """The lock is unreadable or not ours to rewrite; the message names the command that writes it."""


class NoUsableDistribution(PythonModulesError):
    """Packages with neither a wheel for the target Pyodide nor a pure-Python one: a line each, with what to do."""

    def __init__(self, packages: list[str], lines: list[str]) -> None:
        self.packages = packages
        super().__init__("\n".join(lines))


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
    """A downloaded file is not the one the lock names."""

    def __init__(self, mismatches: list[str], hashes_from: str, advice: str = "") -> None:
        self.mismatches = mismatches
        super().__init__(
            f"the files pip downloaded do not match the sha256 hashes in {hashes_from}: {'; '.join(mismatches)}. "
            f"Nothing was installed. {advice}".rstrip()
        )
