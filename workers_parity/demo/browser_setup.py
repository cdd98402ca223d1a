"""What the browser test needs: Debian's chromium (Playwright cannot download its own browser here) and Playwright.

python -m workers_parity.demo.browser_setup  # install chromium if missing and possible; exit 0 when ready, 3 when not
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CHROMIUM_ENV = "PARITY_CHROMIUM"  # another chromium binary than Debian's
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DEBIAN_PACKAGES = ("chromium", "fonts-noto-color-emoji")  # the font lets screenshots show the emoji typed
NOT_READY = 3


def chromium_path() -> Path:
    return Path(os.environ.get(CHROMIUM_ENV) or DEBIAN_CHROMIUM)


def chromium_missing() -> str | None:
    """Why the browser test cannot run for want of chromium, or None when it is installed."""
    if chromium_path().exists():
        return None
    if os.environ.get(CHROMIUM_ENV):
        return f"{CHROMIUM_ENV}={chromium_path()} does not exist"
    return f"Debian chromium not installed ({DEBIAN_CHROMIUM} is missing): apt-get install chromium"


def playwright_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed: install the `browser` dependency group of pyproject.toml"
    return None


def ensure_chromium(log: Callable[[str], object] = print) -> str | None:
    """Install Debian's chromium with apt-get when it is missing and we are root; None when ready, else why not."""
    missing = chromium_missing()
    if missing is None or os.environ.get(CHROMIUM_ENV):
        return missing
    if os.geteuid() != 0:
        return f"{missing} (needs root; not installing it from here)"
    if shutil.which("apt-get") is None:
        return f"{missing} (no apt-get on this machine)"
    install = ["apt-get", "install", "-y", *DEBIAN_PACKAGES]
    log(f"installing Debian's chromium: apt-get update && {' '.join(install)} (takes a few minutes) ...")
    for command in (["apt-get", "update"], install):
        failure = _run_quietly(command)
        if failure:
            return f"{missing}; `{' '.join(command)}` failed:\n{failure}"
    return chromium_missing()


def _run_quietly(command: list[str]) -> str | None:
    """Run an apt-get step; its output's tail when it fails."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    finished = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if finished.returncode == 0:
        return None
    return "\n".join((finished.stdout + finished.stderr).splitlines()[-15:])


def main() -> int:
    reason = ensure_chromium() or playwright_missing()
    if reason:
        print(f"browser test not possible here: {reason}", file=sys.stderr)
        return NOT_READY
    print(f"browser test ready: {chromium_path()} and Playwright", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
