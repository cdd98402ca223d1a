"""`workers-parity fuzz`: requests mutated from the project's own cases (cases/mutate.py) sent to every worker on
fresh state and judged by agreement alone (the project's masks and the seed case's, its baseline; no `expect`, no
oracle). The first divergence is shrunk by hypothesis toward the case it came from, printed with a command that
reproduces it, and appended to the project's found-cases file, which every later run replays."""

from __future__ import annotations

import contextlib
import http.client
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed

from workers_parity.cases import mutate, write
from workers_parity.cases.model import Case
from workers_parity.http import everywhere
from workers_parity.http.rawrequest import RawRequest
from workers_parity.judge import divergence
from workers_parity.project import Project
from workers_parity.project.config import ConfigError
from workers_parity.run import command, suite, targets
from workers_parity.run.judging import first_lines
from workers_parity.run.suite import Suite
from workers_parity.servers import fleet


@dataclass(frozen=True)
class Options:
    workers: list[str] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)
    python_runtime: str | None = None
    examples: int = 500
    seed: int | None = None
    js_runtime: str | None = None  # workerd (wrangler dev) or direct; None: $PARITY_JS_RUNTIME or auto


class Divergence(AssertionError):
    """The workers answered a request differently."""


@dataclass
class Fuzzer:
    suite: Suite
    urls: dict[str, str]  # target label -> base URL
    baseline: str | None = None
    sent: int = 0
    found: list[tuple[Case, RawRequest, str]] = field(default_factory=list)  # seed, request, report

    def check(self, seed: Case, request: RawRequest) -> None:
        self.sent += 1
        answers = everywhere.at_once(self.urls, lambda url: _exchange(request, url))
        heading = f"request (mutated from case {seed.id}): {request.describe()}"
        silent = {label: answer for label, answer in answers.items() if isinstance(answer, str)}
        if silent and len(silent) < len(answers):
            report = "\n\n".join([heading, *(f"{label} gave no answer: {why}" for label, why in silent.items())])
        elif silent:
            return  # no worker answered: they agree, the request never reached them
        else:
            masks = (*self.suite.project.config.masks, *seed.masks)
            judgement = divergence.judge("fuzz", answers, masks=masks, baseline=self.baseline)
            if not judgement.failed:
                return
            report = judgement.report(heading)
        self.found.append((seed, request, report))
        raise Divergence(report)


def _exchange(request: RawRequest, base_url: str):
    """The reply, or why there is none (a closed connection, a timeout, an answer HTTP cannot parse)."""
    try:
        return request.send(base_url)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def fuzz(project: Project, options: Options) -> int:
    project_suite = suite.load(project)
    seeds = [(case, request) for case in project_suite.cases if (request := mutate.seed_of(case)) is not None]
    if not seeds:
        raise ConfigError(f"{project.config.path}: no case to start from; fuzz mutates the project's (non-raw) cases")
    if options.examples < 1:
        raise ConfigError(f"--examples takes a positive number, not {options.examples}")
    selection = targets.select(project, options.workers, options.base_urls, options.python_runtime, options.js_runtime)
    if len(selection.targets) < 2:
        raise ConfigError(f"{project.config.path}: fuzz compares workers; it needs two or more, not one")
    began = time.monotonic()
    with command.fresh_state_folder() as state, fleet.Fleet() as running:
        urls, _ = command.start(selection, running, Path(state), project.reports / "logs")
        if any(url is None for url in urls.values()):
            return 1
        by_label = {target.label: urls[target.id] for target in selection.targets}
        fuzzer = Fuzzer(project_suite, by_label, selection.baseline_label())
        run_fuzzer(fuzzer, seeds, options.examples, options.seed)
    if fuzzer.found:
        print(found_report(fuzzer, suite.found_path(project)), file=sys.stderr)
        return 1
    seconds = time.monotonic() - began
    print(f"fuzz: {fuzzer.sent} requests x {len(urls)} workers in {seconds:.0f} s, no divergence")
    return 0


def run_fuzzer(fuzzer: Fuzzer, seeds: list[tuple[Case, RawRequest]], examples: int, seed: int | None) -> None:
    requests = [request for _, request in seeds]
    strategy = _pairs(seeds, requests).filter(lambda pair: mutate.within_limits(pair[1]))

    @settings(
        max_examples=examples,
        database=None,  # nothing written into the user's folder; a divergence is kept as a case instead
        deadline=None,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def fuzzed(pair: tuple[Case, RawRequest]) -> None:
        fuzzer.check(*pair)

    test = fixed_seed(seed)(fuzzed) if seed is not None else fuzzed
    with contextlib.suppress(Divergence):  # kept in fuzzer.found, the shrunk one last
        test()


def _pairs(seeds: list[tuple[Case, RawRequest]], requests: list[RawRequest]):
    from hypothesis import strategies as st

    return st.sampled_from(seeds).flatmap(
        lambda pair: mutate.mutations(pair[1], requests).map(lambda request: (pair[0], request))
    )


def found_report(fuzzer: Fuzzer, path: Path) -> str:
    """The shrunk request (hypothesis checks it last): what diverged, how to send it again, the case it became."""
    seed, request, report = fuzzer.found[-1]
    plugins = fuzzer.suite.plugins
    extra: dict[str, object] = {key: seed.extra[key] for key in sorted(plugins.found_case_keys) if key in seed.extra}
    if seed.masks:
        extra["mask"] = [mask.entry() for mask in seed.masks]
    note = f"found by workers-parity fuzz on {time.strftime('%Y-%m-%d')} from case {seed.id}: {first_lines(report)}"
    added = write.append(path, write.exact_case(request, note[:300], extra))
    first_label, first_url = next(iter(fuzzer.urls.items()))
    return (
        f"{report}\n\nreproduce ({first_label}):\n{request.reproduction(first_url)}\n\n"
        f"case {write.case_id(request)} {'added to' if added else 'already in'} {path}: "
        "every run replays it from now on; fix the worker, then commit it"
    )
