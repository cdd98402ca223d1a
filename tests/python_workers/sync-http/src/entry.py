"""Each blocking client fetches TARGET (a var) and reports what it got."""

import httpx
import requests
import urllib3
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = self.env.TARGET
        with httpx.Client() as client:
            via_httpx = client.get(target)
        via_urllib3 = urllib3.PoolManager().request("GET", target)
        via_requests = requests.get(target, timeout=10)
        return Response.json(
            {
                "requests": [via_requests.status_code, via_requests.text],
                "urllib3": [via_urllib3.status, via_urllib3.data.decode()],
                "httpx": [via_httpx.status_code, via_httpx.text],
            }
        )
