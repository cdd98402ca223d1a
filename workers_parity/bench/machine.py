"""The machine the figures were taken on and the versions of everything that ran (tools, python_modules)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import psutil

from workers_parity.bench.results import Machine
from workers_parity.run.record import python_packages
from workers_parity.servers import toolchain
from workers_parity.servers.registry import Worker


def versions(workers: list[Worker]) -> dict[str, object]:
    found: dict[str, object] = {"tools": toolchain.versions(), "harness python": platform.python_version()}
    for worker in workers:
        if worker.is_python:
            found[worker.name] = python_packages(worker.folder)  # the SDK and the worker's own dependencies
    return found


def machine() -> Machine:
    return Machine(
        cores=os.cpu_count() or 0,
        usable_cores=len(os.sched_getaffinity(0)),
        memory_bytes=psutil.virtual_memory().total,
        cpu_model=parse_cpu_model(read_text("/proc/cpuinfo")),  # psutil does not name the CPU
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
        python=platform.python_version(),
        load_average=[round(x, 2) for x in os.getloadavg()],
    )


def parse_cpu_model(cpuinfo_text: str) -> str:
    for line in cpuinfo_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return "unknown"


def read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
