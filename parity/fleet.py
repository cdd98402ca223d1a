"""Several dev servers at once: started in parallel, stopped together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from parity import toolchain
from parity.devserver import DevServer, free_port
from parity.registry import Worker


def start_parallel(servers: list[DevServer]) -> dict[str, Exception]:
    """Start every server at once (start-up is mostly waiting); return the failures by worker id."""
    if not servers:
        return {}
    toolchain.ensure_node_modules()
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        outcomes = pool.map(_start_or_error, servers)
        return {server.worker.id: error for server, error in zip(servers, outcomes, strict=True) if error is not None}


def _start_or_error(server: DevServer) -> Exception | None:
    try:
        server.start()
    except Exception as error:  # reported per worker; the other workers still start
        return error
    return None


def stop_all(servers: list[DevServer]) -> None:
    for server in servers:
        server.stop()


def fresh_servers(workers: list[Worker], workdir: Path, runtime: str = "auto") -> list[DevServer]:
    """One server per worker on a free port, with its own fresh state folder and log file under workdir."""
    return [
        DevServer(
            worker,
            port=free_port(),
            state_dir=workdir / f"{worker.id}-state",
            log_path=workdir / f"{worker.id}.log",
            runtime=runtime,
        )
        for worker in workers
    ]
