"""A worker whose top level raises: every request is a plain 500, the traceback is in the log."""

from workers import WorkerEntrypoint

raise RuntimeError("broken-probe fails at start-up on purpose")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        raise AssertionError("never reached")
