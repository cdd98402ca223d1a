"""A Durable Object (storage, RPC methods, fetch, an alarm) and a Workflow, both Python classes."""

from urllib.parse import parse_qs, urlparse

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint


class Tally(DurableObject):
    async def add(self, amount):
        total = (await self.ctx.storage.get("total") or 0) + amount
        await self.ctx.storage.put("total", total)
        return total

    async def total(self):
        return await self.ctx.storage.get("total") or 0

    async def fetch(self, request):
        return Response(f"tally {await self.total()} via fetch")

    async def ring_later(self):
        await self.ctx.storage.setAlarm(1)  # in the past: rings at once
        return "alarm set"

    async def alarm(self):
        await self.ctx.storage.put("rang", True)

    async def rang(self):
        return bool(await self.ctx.storage.get("rang"))


class Doubler(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("double")
        async def double():
            return event["payload"]["value"] * 2

        return await double()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        stub = self.env.TALLIES.get(self.env.TALLIES.idFromName(query.get("name", "main")))
        if url.path == "/add":
            return Response(str(await stub.add(int(query["amount"]))))
        if url.path == "/total":
            return Response(str(await stub.total()))
        if url.path == "/do-fetch":
            return await stub.fetch(request)
        if url.path == "/alarm":
            return Response(await stub.ring_later())
        if url.path == "/rang":
            return Response(str(await stub.rang()))
        if url.path == "/workflow":
            instance = await self.env.DOUBLER.create(params={"value": int(query["value"])})
            return Response(instance.id)
        if url.path == "/workflow-status":
            instance = await self.env.DOUBLER.get(query["id"])
            return Response.json(await instance.status())
        return Response("no such route", status=404)
