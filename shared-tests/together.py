"""Exchanges that are mostly waiting (a restart, a start, a quiet window), done with every worker at once by a
session fixture and judged by each worker's own test: a failure stays that worker's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from workers_parity.http import everywhere

Member = TypeVar("Member")
Result = TypeVar("Result")


def with_every(members: Mapping[str, Member], action: Callable[[Member], Result]) -> dict[str, Result | Exception]:
    """action(member) for every member at once; each result, or the exception its action raised."""
    return everywhere.at_once(members, attempt(action))


def attempt(action: Callable[[Member], Result]) -> Callable[[Member], Result | Exception]:
    def attempted(member: Member) -> Result | Exception:
        try:
            return action(member)
        except Exception as error:  # noqa: BLE001 - kept for that worker's own test to raise
            return error

    return attempted


def outcome(found: Result | Exception) -> Result:
    """A result from with_every, or the exception its action raised, raised in the test that judges it."""
    if isinstance(found, Exception):
        raise found
    return found
