"""The Python a worker's packages are for: a Python version, the Pyodide release that runs it, and the platform tags
of that Pyodide's wheels on PyPI (PEP 783). Everything that resolves or checks a wheel takes one of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from workers_parity.pymodules.packaging_compat import (
    InvalidWheelFilename,
    Tag,
    compatible_tags,
    cpython_tags,
    parse_wheel_filename,
)


@dataclass(frozen=True)
class PythonTarget:
    python: str = "3.14"
    pyodide: str = "314.0.6"
    platforms: tuple[str, ...] = ("pyemscripten_2026_0_wasm32",)
    # The exact version that Pyodide reports, for markers such as python_full_version (else x.y.0); not part of what
    # a lock is for.
    python_full: str = field(default="", compare=False)

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def full_version(self) -> str:
        return self.python_full or f"{self.python}.0"

    def describe(self) -> str:
        """`Python 3.14 on Pyodide (pyemscripten_2026_0_wasm32)`, as messages name it."""
        return f"Python {self.python} on Pyodide ({', '.join(self.platforms)})"

    def markers(self) -> dict[str, str]:
        """What this Pyodide's interpreter reports for PEP 508 environment markers."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.full_version,
            "os_name": "posix",
            "platform_machine": "wasm32",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Emscripten",
            "platform_version": "",
            "python_full_version": self.full_version,
            "python_version": self.python,
            "sys_platform": "emscripten",
        }

    def pip_wheel_flags(self) -> list[str]:
        """pip's flags for wheels this Pyodide can load: its own platform's (cp314, abi3 or none) and pure ones."""
        platforms = [f"--platform={platform}" for platform in self.platforms]
        abis = [f"--abi={abi}" for abi in (self.abi, "abi3", "none")]
        return ["--only-binary=:all:", *platforms, f"--python-version={self.python}", "--implementation=cp", *abis]

    @cached_property
    def tags(self) -> frozenset[Tag]:
        version = tuple(int(part) for part in self.python.split("."))
        abis = [self.abi, "abi3", "none"]
        found = [*cpython_tags(version, abis, self.platforms), *compatible_tags(version, self.abi, self.platforms)]
        return frozenset(found)

    def fits(self, filename: str) -> bool:
        """Whether a wheel of this file name loads on this Pyodide."""
        try:
            return not self.tags.isdisjoint(parse_wheel_filename(filename)[3])
        except InvalidWheelFilename:
            return False


PY314 = PythonTarget("3.14", "314.0.6", ("pyemscripten_2026_0_wasm32",), python_full="3.14.2")
# Before PEP 783 settled on "pyemscripten", Pyodide's platform was spelled "pyodide"; PyPI holds the new spelling.
PY313 = PythonTarget("3.13", "0.28.2", ("pyemscripten_2025_0_wasm32", "pyodide_2025_0_wasm32"), python_full="3.13.2")
PY312 = PythonTarget("3.12", "0.26.4", ("pyemscripten_2024_0_wasm32", "pyodide_2024_0_wasm32"), python_full="3.12.1")
KNOWN_TARGETS = (PY314, PY313, PY312)
DEFAULT_TARGET = PY314  # the only one pyodide-workerd runs today


def target_for(python: str) -> PythonTarget:
    """The known target of a Python version ("3.13"), as a worker's compatibility date and flags choose it."""
    for target in KNOWN_TARGETS:
        if target.python == python:
            return target
    known = ", ".join(target.python for target in KNOWN_TARGETS)
    raise ValueError(f"no Pyodide target for Python {python} (known: {known})")


def pyodide_platform(filename: str) -> str | None:
    """The Pyodide platform of a wheel file (`pyemscripten_2024_0_wasm32`), None for any other wheel."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return None
    found = sorted(tag.platform for tag in tags if tag.platform.endswith("_wasm32"))
    return found[0] if found else None


def python_of_platform(platform: str) -> str | None:
    """Which known Python a Pyodide platform is for: `pyemscripten_2024_0_wasm32` -> "3.12"."""
    return next((target.python for target in KNOWN_TARGETS if platform in target.platforms), None)
