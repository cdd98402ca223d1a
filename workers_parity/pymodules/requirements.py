"""What a Python worker folder asks for: its pyproject.toml `[project] dependencies`, plus the `workers` SDK when they
do not list it (on Cloudflare the runtime provides it; pywrangler projects pin it in a dependency group)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from workers_parity.project import wrangler
from workers_parity.pymodules.errors import PyprojectError
from workers_parity.pymodules.pip import InvalidRequirement, Requirement, canonical_name

PYPROJECT_NAME = "pyproject.toml"
SDK_NAME = "workers-runtime-sdk"
DEFAULT_SDK = f"{SDK_NAME}==1.9.5"  # for a folder that does not pin the SDK in a dependency group


@dataclass(frozen=True)
class Requirements:
    items: list[str]  # in declaration order, the SDK last when supplied
    from_pyproject: bool  # False: the folder has no pyproject.toml, so only the SDK


def read_requirements(folder: Path) -> Requirements:
    pyproject = folder / PYPROJECT_NAME
    if not pyproject.is_file():
        check_python_worker(folder)
        return Requirements([DEFAULT_SDK], from_pyproject=False)
    data = read_pyproject(pyproject)
    dependencies = declared_dependencies(data, pyproject)
    names = {canonical_name(parse_requirement(item, pyproject).name) for item in dependencies}
    sdk = [] if SDK_NAME in names else [sdk_requirement(data, pyproject)]
    return Requirements([*dependencies, *sdk], from_pyproject=True)


def check_python_worker(folder: Path) -> None:
    """Without a pyproject.toml, only a folder whose wrangler config names a .py main is taken as a Python worker."""
    try:
        language = wrangler.read(folder).language
    except wrangler.WranglerConfigError as error:
        raise PyprojectError(f"no {PYPROJECT_NAME} in {folder}, and {error}") from None
    if language != "python":
        raise PyprojectError(f"{folder} is a {language} worker (its main is not a .py file): it has no Python packages")


def read_pyproject(pyproject: Path) -> dict:
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PyprojectError(f"{pyproject} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise PyprojectError(f"{pyproject} is not valid TOML: {error}") from None


def declared_dependencies(data: dict, pyproject: Path) -> list[str]:
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise PyprojectError(f"{pyproject}: [project] must be a table")
    if "dependencies" in project.get("dynamic", []):
        raise PyprojectError(
            f"{pyproject}: [project] dependencies are dynamic (computed by a build backend); list them in "
            "pyproject.toml, as a Python worker's dependencies are read from there"
        )
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(item, str) for item in dependencies):
        raise PyprojectError(f"{pyproject}: [project] dependencies must be a list of requirement strings")
    for item in dependencies:
        check_from_index(parse_requirement(item, pyproject), pyproject)
    return dependencies


def parse_requirement(text: str, source: object) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        raise PyprojectError(f"{source}: invalid requirement {text!r}: {error}") from None


def check_from_index(requirement: Requirement, pyproject: Path) -> None:
    if requirement.url:
        raise PyprojectError(
            f"{pyproject}: {requirement.name} @ {requirement.url} is a direct reference; workers-parity locks "
            f"packages from the package index only: ask for {requirement.name} by version, or vendor it in src/"
        )


def sdk_requirement(data: dict, pyproject: Path) -> str:
    """The SDK pin from [dependency-groups] (where a pywrangler project keeps it), else the default."""
    groups = data.get("dependency-groups", {})
    for group in groups.values() if isinstance(groups, dict) else []:
        for item in group if isinstance(group, list) else []:
            if isinstance(item, str) and canonical_name(parse_requirement(item, pyproject).name) == SDK_NAME:
                return item
    return DEFAULT_SDK
