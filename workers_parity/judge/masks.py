"""Masks: the parts of an answer a project lets differ between workers, kept as data (`[[mask]]` in the config, or
`mask` in a case). A header mask hides one header's values, a body mask replaces what a regex matches; both apply to
every worker's answer alike, and each counts the answers it changed, so a mask that hides too much shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASKED = "(masked)"
MASK_KEYS = {"header", "body", "replacement", "reason"}

View = dict[str, object]  # "status" -> int, "header NAME" -> tuple of values, "body" -> bytes


class MaskError(ValueError):
    """A mask that cannot be used; the message says what is wrong (the caller names the file and line)."""


@dataclass(frozen=True)
class Mask:
    header: str | None = None  # a header name, lowercase
    body: re.Pattern[str] | None = field(default=None, compare=False)
    pattern: str = ""  # the body regex as written
    replacement: str = MASKED
    reason: str = ""
    where: str = ""  # where it is written: "workers-parity.toml:12", "cases.toml:40 (case create)"

    @property
    def label(self) -> str:
        return f"header {self.header}" if self.header else f"body /{self.pattern}/"

    def entry(self) -> dict[str, str]:
        """The mask as its TOML table is written (for a case the fuzzer writes)."""
        written = {"header": self.header} if self.header else {"body": self.pattern}
        if self.replacement != MASKED:
            written["replacement"] = self.replacement
        return written | ({"reason": self.reason} if self.reason else {})

    def apply(self, view: View) -> bool:
        """Mask the view in place; True when that changed it."""
        if self.header is not None:
            key = f"header {self.header}"
            if key not in view or view[key] == (self.replacement,):
                return False
            view[key] = (self.replacement,)
            return True
        before = view["body"]
        text = before.decode("utf-8", "surrogateescape")  # any bytes survive the round trip unchanged
        view["body"] = self.body.sub(self.replacement, text).encode("utf-8", "surrogateescape")
        return view["body"] != before


def mask_from(entry: object, where: str) -> Mask:
    """A mask from its TOML table: `header = "name"` or `body = 'regex'`, and `replacement`, `reason`."""
    if not isinstance(entry, dict):
        raise MaskError(
            f'a mask is a table such as {{ header = "date" }} or {{ body = \'"now":\\d+\' }}, not {entry!r}'
        )
    unknown = sorted(set(entry) - MASK_KEYS)
    if unknown:
        raise MaskError(f"unknown mask key {unknown[0]!r} (known: {', '.join(sorted(MASK_KEYS))})")
    if ("header" in entry) == ("body" in entry):
        raise MaskError("a mask names either header = \"name\" or body = 'regex', one of the two")
    for key in MASK_KEYS & set(entry):
        if not isinstance(entry[key], str):
            raise MaskError(f"mask {key} must be a string, not {entry[key]!r}")
    replacement = entry.get("replacement", MASKED)
    if "header" in entry:
        return Mask(
            header=entry["header"].lower(), replacement=replacement, reason=entry.get("reason", ""), where=where
        )
    try:
        pattern = re.compile(entry["body"])
        pattern.sub(replacement, "")  # a bad group reference in the replacement fails here, not mid-run
    except re.error as error:
        raise MaskError(f"bad mask regex {entry['body']!r} ({error})") from None
    return Mask(None, pattern, entry["body"], replacement, entry.get("reason", ""), where)


@dataclass
class Tally:
    """How many answers each mask saw and changed, over a run."""

    seen: dict[Mask, int] = field(default_factory=dict)
    changed: dict[Mask, int] = field(default_factory=dict)

    def masked(self, view: View, masks: tuple[Mask, ...] | list[Mask]) -> View:
        """A masked copy of the view, counted."""
        copy = dict(view)
        for mask in masks:
            self.seen[mask] = self.seen.get(mask, 0) + 1
            if mask.apply(copy):
                self.changed[mask] = self.changed.get(mask, 0) + 1
        return copy

    def rows(self) -> list[dict[str, object]]:
        """One row per mask, as the results file records them."""
        return [
            {
                "mask": mask.label,
                "where": mask.where,
                "reason": mask.reason,
                "answers_seen": seen,
                "answers_changed": self.changed.get(mask, 0),
            }
            for mask, seen in self.seen.items()
        ]
