"""Answers what the assets do not hold, and can read an asset itself through the ASSETS binding."""

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/via-binding"):
            asset = await self.env.ASSETS.fetch("http://assets.invalid/index.html")
            return Response(f"binding read {len(await asset.text())} bytes")
        return Response("served by the worker")
