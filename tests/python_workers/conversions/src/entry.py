"""What fetch is handed and what is taken back, against the Workers SDK's own conversions: workerd's Python converts
them with python_from_rpc and python_to_rpc; pyodide-workerd takes those functions' answers for a Request and a
Response directly (python/_pyodide_host.py), so they must be the same."""

from workers import Request, Response, WorkerEntrypoint, python_from_rpc, python_to_rpc


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        converted = python_from_rpc(request.js_object)
        answer = Response("taken back", status=201, headers={"x-probe": "1"})
        return Response.json(
            {
                "handed": type(request).__name__,
                "sdk hands": type(converted).__name__,
                "same JavaScript request": converted.js_object == request.js_object,
                "sdk takes back the JavaScript response": python_to_rpc(answer) == answer.js_object,
                "request is the SDK's": isinstance(request, Request),
            }
        )
