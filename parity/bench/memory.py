"""Memory: the RSS of each dev server's whole process group (its guard left out), read with psutil every ~100 ms in
the background, and the peak kept."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import psutil

from parity.bench.results import MemoryResult
from parity.bench.subjects import Subject
from parity.devserver import DevServer

MEMORY_SAMPLE_SECONDS = 0.1


def rss_by_process_group(groups: set[int]) -> dict[int, tuple[int, int]]:
    """Process group -> (sum of the RSS of its processes in bytes, number of processes), its leader left out."""
    usage = {group: (0, 0) for group in groups}
    for process in psutil.process_iter(["memory_info"]):
        try:
            group = os.getpgid(process.pid)
        except OSError:
            continue  # the process ended while we looked
        memory = process.info["memory_info"]  # None when it ended or is not ours to read
        if group in usage and process.pid != group and memory is not None:  # the leader is the harness's guard
            total, count = usage[group]
            usage[group] = (total + memory.rss, count + 1)
    return usage


@dataclass
class Peak:
    rss_bytes: int = 0
    processes: int = 0
    samples: int = 0


class MemorySampler:
    """Samples every watched server's process-group RSS every `interval` seconds and keeps the peak."""

    def __init__(self, interval: float = MEMORY_SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.peaks: dict[Subject, Peak] = {}
        self._servers: dict[Subject, DevServer] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, subject: Subject, server: DevServer) -> None:
        self._servers[subject] = server
        self.peaks[subject] = Peak()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_once()

    def sample_once(self) -> None:
        groups = {server.process.pid: subject for subject, server in list(self._servers.items()) if server.running}
        for group, (rss, count) in rss_by_process_group(set(groups)).items():
            peak = self.peaks[groups[group]]
            peak.samples += 1
            if rss > peak.rss_bytes:
                peak.rss_bytes, peak.processes = rss, count


def memory_result(subject: Subject, peak: Peak) -> MemoryResult:
    return MemoryResult(
        subject.serving_label, subject.worker.name, subject.runtime, peak.rss_bytes, peak.processes, peak.samples
    )
