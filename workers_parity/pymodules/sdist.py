"""A package with neither a Pyodide wheel nor a pure-Python one may still be pure Python in its source distribution
(markupsafe: its C speedups are optional). It is built here with no C compiler at hand, so a build either falls back to
pure Python or fails; only a wheel that any Python can load, with no compiled file inside, is accepted. The lock names
the source distribution and its hash; every install builds it again the same way."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workers_parity.pymodules import index
from workers_parity.pymodules.errors import HashMismatch, IndexUnreachable, PythonModulesError
from workers_parity.pymodules.pip import Requirement, Unavailable, canonical_name, check_pip_result, indexes_in, run_pip
from workers_parity.pymodules.target import PythonTarget
from workers_parity.render import progress
from workers_parity.servers import cache

NO_COMPILER = {"CC": "false", "CXX": "false", "CPP": "false", "LDSHARED": "false"}
# Build requirements that mean compiled code however the build goes: not worth a (for Rust, minutes-long) build.
NATIVE_BUILDS = {
    "maturin",
    "setuptools-rust",
    "meson-python",
    "scikit-build",
    "scikit-build-core",
    "cmake",
    "pybind11",
    "nanobind",
    "cffi",
    "numpy",
}
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


@dataclass(frozen=True)
class Source:
    """A source distribution on the package index."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str

    def pinned(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


class NotPure(PythonModulesError):
    """No pure-Python wheel can be had from the package's source distribution; `reason` says why, as a clause."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


class SourceBuilds:
    """The pure wheels built so far during one resolution, in a folder pip is given as --find-links."""

    def __init__(self, folder: Path, target: PythonTarget, python: str) -> None:
        self.folder, self.target, self.python = folder, target, python
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sources: dict[str, Source] = {}
        self.failures: dict[str, NotPure] = {}  # by requirement: each is tried once

    def add(self, requirement: str, indexes: list[str]) -> Source:
        if requirement in self.failures:
            raise self.failures[requirement]
        try:
            check_not_native_on_index(requirement, self.target, indexes)
            source = find_source(requirement, self.target, self.python)
            if self.sources.get(source.name) == source:
                raise PythonModulesError(f"{requirement}: {source.name} {source.version}, built already, does not fit")
            build_pure_wheel(source, self.folder, self.target, self.python)
        except NotPure as not_pure:
            self.failures[requirement] = not_pure
            raise
        self.sources[source.name] = source
        return source

    def source_of(self, name: str, version: str) -> Source | None:
        source = self.sources.get(name)
        return source if source and source.version == version else None


def check_not_native_on_index(requirement: str, target: PythonTarget, indexes: list[str]) -> None:
    """Before pip prepares a source distribution (for pandas: numpy and meson installed, a configure run), look at
    the one the index lists for the requirement: a native build is refused at once."""
    name = canonical_name(Requirement(requirement).name)
    sdists = [file for file in index.listed_files(name, indexes) or [] if not file.filename.endswith(".whl")]
    releases = index.releases_of([file for file in sdists if index.allows_python(file, target.full_version)])
    version = index.newest_matching(releases, requirement)
    if version is None:
        return  # pip will say what there is
    file = releases[version][0]
    native = native_build_requirement(Source(name, str(version), file.filename, file.url, file.sha256))
    if native:
        raise NotPure(name, f"its source distribution needs a native build ({native})")


def find_source(requirement: str, target: PythonTarget, python: str) -> Source:
    """The newest source distribution that satisfies the requirement on the target's Python."""
    name = canonical_name(Requirement(requirement).name)
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        report = Path(scratch) / "report.json"
        args = ["install", "--target", str(Path(scratch) / "target"), "--ignore-installed", "--dry-run", "--no-deps"]
        args += [f"--no-binary={name}", f"--python-version={target.python}", "--report", str(report), requirement]
        result = run_pip(python, args, env=NO_COMPILER)
        check_build_result(result, name, missing="it has no source distribution either")
        entry = json.loads(report.read_text(encoding="utf-8"))["install"][0]
    download = entry["download_info"]
    url, sha256 = download["url"], download["archive_info"]["hashes"]["sha256"]
    filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
    public = index.public_url(name, filename, url, sha256, indexes_in(result.stdout))
    return Source(name, entry["metadata"]["version"], filename, public, sha256)


def build_pure_wheel(source: Source, folder: Path, target: PythonTarget, python: str) -> Path:
    """Build the source distribution (hash-checked) without a compiler into folder; the wheel, if pure."""
    native = native_build_requirement(source)
    if native:
        raise NotPure(source.name, f"its source distribution needs a native build ({native})")
    what = f"building {source.name} {source.version} from its source distribution, without a C compiler"
    with progress.underway(what, f"no wheel for {target.describe()} nor a pure-Python one"):
        return pip_wheel(source, folder, target, python)


def pip_wheel(source: Source, folder: Path, target: PythonTarget, python: str) -> Path:
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        requirements, built = Path(scratch) / "requirements.txt", Path(scratch) / "built"
        requirements.write_text(source.pinned() + "\n", encoding="utf-8")
        # Requires-Python was checked for the target already; the build runs on this machine's Python.
        args = ["wheel", "--no-deps", "--ignore-requires-python", "--require-hashes", "--wheel-dir", str(built)]
        # Our own cache: pip reuses a wheel it built from the same file, and elsewhere it may have had a compiler.
        args += ["--cache-dir", str(cache.cache_dir() / "pip-pure-builds"), "-r", str(requirements)]
        result = run_pip(python, args, env=NO_COMPILER)
        check_build_result(result, source.name, missing="its source distribution is no longer on the package index")
        wheel = next(built.glob("*.whl"), None)
        if wheel is None:
            raise NotPure(source.name, "its source distribution builds no wheel")
        check_pure(source, wheel, target)
        folder.mkdir(parents=True, exist_ok=True)
        return Path(wheel.replace(folder / wheel.name))


def check_build_result(result: subprocess.CompletedProcess[str], name: str, *, missing: str) -> None:
    """A network or hash failure stays what it is; any other failure means no pure wheel from source."""
    try:
        check_pip_result(result, f"building {name} from source")
    except Unavailable:
        raise NotPure(name, missing) from None
    except (IndexUnreachable, HashMismatch):
        raise
    except PythonModulesError:
        raise NotPure(name, "its source distribution does not build without a C compiler") from None


def check_pure(source: Source, wheel: Path, target: PythonTarget) -> None:
    if not target.fits(wheel.name):
        raise NotPure(source.name, f"its source distribution builds a platform wheel ({wheel.name})")
    with zipfile.ZipFile(wheel) as archive:
        compiled = [name for name in archive.namelist() if name.endswith(COMPILED_SUFFIXES)]
    if compiled:
        raise NotPure(source.name, f"its source distribution builds a wheel with compiled code ({compiled[0]})")


def native_build_requirement(source: Source) -> str | None:
    """The first build requirement in the sdist's pyproject.toml that means compiled code, if any."""
    data = sdist_pyproject(source)
    requires = data.get("build-system", {}).get("requires", []) if isinstance(data, dict) else []
    for text in requires if isinstance(requires, list) else []:
        try:
            if canonical_name(Requirement(text).name) in NATIVE_BUILDS:
                return canonical_name(Requirement(text).name)
        except ValueError:
            continue
    return None


def sdist_pyproject(source: Source) -> dict:
    """The top pyproject.toml of the source distribution; {} when it has none (a setup.py build) or is unreadable."""
    try:
        text = downloaded_pyproject_text(source.url, source.sha256, source.filename)
    except NotDownloaded:
        return {}
    try:
        return tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return {}


class NotDownloaded(Exception):
    """The source distribution could not be downloaded, or not with its hash: tried again when asked again."""


# A resolution looks at a source distribution before pip builds it (check_not_native_on_index) and again when it
# builds it (build_pure_wheel): one download. Only a file that matched its sha256 is remembered, and what it holds
# cannot change; a failed download raises, and functools does not remember a call that raised.
@functools.lru_cache(maxsize=64)
def downloaded_pyproject_text(url: str, sha256: str, filename: str) -> str | None:
    """The text of the top pyproject.toml of the source distribution at url, None when it has none."""
    try:
        with urllib.request.urlopen(url, timeout=index.TIMEOUT) as got:
            data = got.read()
    except (OSError, ValueError):
        raise NotDownloaded(url) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise NotDownloaded(url)  # pip's own download is hash-checked and fails the build
    return member_text(data, filename)


def member_text(archive: bytes, filename: str) -> str | None:
    """`<top folder>/pyproject.toml` of a .tar.gz or .zip source distribution."""
    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(archive)) as opened:
                names = [name for name in opened.namelist() if name.count("/") == 1]
                member = next((name for name in names if name.endswith("/pyproject.toml")), None)
                return opened.read(member).decode() if member else None
        with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
            members = [item for item in opened.getmembers() if item.name.count("/") == 1 and item.isfile()]
            member = next((item for item in members if item.name.endswith("/pyproject.toml")), None)
            extracted = opened.extractfile(member) if member else None
            return extracted.read().decode() if extracted else None
    except (OSError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError, KeyError):
        return None
