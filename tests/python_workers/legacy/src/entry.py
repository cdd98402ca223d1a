"""Handlers as top-level functions, as Python Workers were written before `WorkerEntrypoint`."""

from workers import Response

scheduled_runs = []


async def on_fetch(request, env):
    if request.url.endswith("/scheduled-runs"):
        return Response(",".join(scheduled_runs) or "none")
    return Response(f"{env.STYLE} handler for {request.method}")


async def on_scheduled(controller, env, ctx):
    scheduled_runs.append(controller.cron)
