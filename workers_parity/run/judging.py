"""One case's answers judged: the project's masks and the case's, the case's `expect` and the plug-ins' oracle, the
pinned differences and the baseline, applied alike by `workers-parity run` and the pytest plugin."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers_parity.cases.model import Case
from workers_parity.http.reply import Reply
from workers_parity.judge import divergence
from workers_parity.judge.masks import Tally
from workers_parity.run.suite import Suite
from workers_parity.run.targets import Target

Answer = Reply | str  # a reply, or why there was none (a refused connection, a timeout, a worker that did not start)


@dataclass
class Verdict:
    case: Case
    cells: dict[str, tuple[str, str]]  # target id -> (outcome, reason): pass, fail, xfail or error
    detail: str = ""  # what diverged and how, "" when nothing happened

    @property
    def outcome(self) -> str:
        """The case's own outcome: its worst cell."""
        order = ("error", "fail", "xfail", "pass")
        return next((o for o in order if any(cell == o for cell, _ in self.cells.values())), "pass")

    @property
    def message(self) -> str:
        """One line: what went wrong, or the expected difference's reason."""
        if self.outcome == "xfail":
            return next(reason for cell, reason in self.cells.values() if cell == "xfail")
        if self.outcome == "pass":
            return ""
        return first_lines(self.detail)


def first_lines(detail: str) -> str:
    """What diverged, in one line: the first line of each section of a judgement's report but its heading."""
    sections = [section.splitlines()[0].rstrip(":") for section in detail.split("\n\n")[1:] if section]
    return "; ".join(sections) or detail.splitlines()[0]


@dataclass
class CaseJudge:
    suite: Suite
    targets: list[Target]
    baseline: str | None = None  # a target label
    tally: Tally = field(default_factory=Tally)

    def judge(self, case: Case, answers: dict[str, Answer]) -> Verdict:
        """Judge every target's answer to the case (answers keyed by target id)."""
        replies = {t.label: answers[t.id] for t in self.targets if isinstance(answers.get(t.id), Reply)}
        missing = {t.id: answers.get(t.id, "not sent") for t in self.targets if t.label not in replies}
        answering = [t for t in self.targets if t.label in replies]
        judgement = divergence.judge(
            case.id,
            replies,
            {t.label: (t.worker.name, t.choice.runtime if t.choice else None) for t in answering},
            masks=(*self.suite.project.config.masks, *case.masks),
            tally=self.tally,
            checks={t.label: self._checks(case, t) for t in answering},
            pins=self.suite.pins,
            baseline=self.baseline,
        )
        cells = {t.id: (judgement.outcome_of(t.label), " ".join(judgement.reasons_of(t.label))) for t in answering}
        cells.update({target_id: ("error", f"no answer: {why}") for target_id, why in missing.items()})
        ordered = {t.id: cells[t.id] for t in self.targets}
        eventful = judgement.eventful or bool(missing)
        return Verdict(case, ordered, self._detail(case, judgement, missing) if eventful else "")

    def _checks(self, case: Case, target: Target) -> list:
        own = [case.expect] if case.expect is not None else []
        return own + self.suite.plugins.checks(case, target.worker)

    def _detail(self, case: Case, judgement: divergence.Judgement, missing: dict[str, str]) -> str:
        heading = (
            f"case {case.id} ({case.source}): {case.describe()}\nworkers: {', '.join(t.label for t in self.targets)}"
        )
        report = judgement.report(heading)
        return "\n\n".join([report, *(f"{target} gave no answer: {why}" for target, why in missing.items())])
