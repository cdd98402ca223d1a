"""What pymodules takes from `packaging`: the installed copy, else pip's vendored one (a bare Python with pip has
it). One place for the fallback, so every module uses the same copy."""

from __future__ import annotations

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.tags import Tag, compatible_tags, cpython_tags
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
    from packaging.version import Version
except ImportError:  # a bare Python with pip still has pip's vendored copy
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    from pip._vendor.packaging.specifiers import InvalidSpecifier, SpecifierSet
    from pip._vendor.packaging.tags import Tag, compatible_tags, cpython_tags
    from pip._vendor.packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from pip._vendor.packaging.version import Version

__all__ = [
    "InvalidRequirement",
    "InvalidSdistFilename",
    "InvalidSpecifier",
    "InvalidWheelFilename",
    "Requirement",
    "SpecifierSet",
    "Tag",
    "Version",
    "compatible_tags",
    "cpython_tags",
    "parse_sdist_filename",
    "parse_wheel_filename",
]
