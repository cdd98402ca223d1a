"""Memory: the RSS of each dev server's whole process group (its guard left out), read with psutil
(devserver.resident_memory) every ~100 ms in the background, and the peak kept."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from workers_parity.bench.results import MemoryResult
from workers_parity.bench.subjects import Subject
from workers_parity.servers.devserver import DevServer, resident_memory

MEMORY_SAMPLE_SECONDS = 0.1


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
        for group, (rss, count) in resident_memory(set(groups), os.getpgid).items():
            peak = self.peaks[groups[group]]
            peak.samples += 1
            if rss > peak.rss_bytes:
                peak.rss_bytes, peak.processes = rss, count


def memory_result(subject: Subject, peak: Peak) -> MemoryResult:
    return MemoryResult(
        subject.serving_label,
        subject.worker.name,
        subject.language,
        subject.runtime,
        subject.host,
        peak.rss_bytes,
        peak.processes,
        peak.samples,
    )
