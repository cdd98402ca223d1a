"""What a package index lists for a project, read from its JSON simple API (PEP 691): the public URL of a file pip
took from a local mirror, and the releases and files a missing package does have."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from workers_parity.pymodules.errors import IndexUnreachable, PythonModulesError
from workers_parity.pymodules.packaging_compat import (
    InvalidSdistFilename,
    InvalidSpecifier,
    InvalidWheelFilename,
    SpecifierSet,
    Version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from workers_parity.pymodules.pip import Requirement, unreachable_indexes

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 30


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str
    sha256: str
    requires_python: str | None


def web_indexes(indexes: list[str]) -> list[str]:
    return [index for index in indexes if index.startswith(("https://", "http://"))]


def project_files(index: str, name: str) -> list[IndexFile] | None:
    """The project's files that are not yanked ([] when the index has no such project), or None when the index does
    not answer in JSON."""
    request = urllib.request.Request(f"{index.rstrip('/')}/{name}/", headers={"Accept": SIMPLE_JSON})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as got:
            files, base = json.load(got).get("files", []), got.url
    except urllib.error.HTTPError as error:
        return [] if error.code == 404 else None
    except (OSError, ValueError):
        return None
    return [index_file(file, base) for file in files if isinstance(file, dict) and not file.get("yanked")]


def index_file(file: dict, base: str) -> IndexFile:
    url, sha256 = urllib.parse.urljoin(base, file.get("url", "")), file.get("hashes", {}).get("sha256", "")
    return IndexFile(file.get("filename", ""), url, sha256, file.get("requires-python"))


def listed_files(name: str, indexes: list[str]) -> list[IndexFile] | None:
    for web_index in web_indexes(indexes):
        files = project_files(web_index, name)
        if files is not None:
            return files
    return None


def releases_of(files: list[IndexFile]) -> dict[Version, list[IndexFile]]:
    releases: dict[Version, list[IndexFile]] = {}
    for file in files:
        version = version_of(file.filename)
        if version is not None:
            releases.setdefault(version, []).append(file)
    return releases


def version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def newest_matching(releases: dict[Version, list[IndexFile]], requirement: str) -> Version | None:
    matching = list(Requirement(requirement).specifier.filter(releases))
    return max(matching, default=None)


def allows_python(file: IndexFile, version: str) -> bool:
    """Whether the file's Requires-Python admits that Python version (an unreadable one admits any)."""
    try:
        return SpecifierSet(file.requires_python or "").contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


def public_url(name: str, filename: str, url: str, sha256: str, indexes: list[str]) -> str:
    """pip may take a file from a local mirror (file://); a committed lock names where anyone can download it."""
    if url.startswith(("https://", "http://")):
        return url
    for index in web_indexes(indexes):
        for file in project_files(index, name) or []:
            if file.filename == filename and file.sha256 == sha256:
                return file.url
    unreachable = unreachable_indexes(web_indexes(indexes))
    if unreachable:
        raise IndexUnreachable(unreachable)
    raise PythonModulesError(
        f"pip took {filename} from {url}, and no package index ({', '.join(web_indexes(indexes)) or 'none'}) "
        f"lists that file with sha256 {sha256}: a committed lock must name a URL anyone can download"
    )
