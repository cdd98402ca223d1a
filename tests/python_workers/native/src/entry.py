"""pydantic_core is imported at the top level, jiter only when a request asks for it."""

import pydantic_core
from workers import Response, WorkerEntrypoint

NUMBER = pydantic_core.SchemaValidator({"type": "int"})


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/lazy"):
            import jiter

            return Response.json({"parsed": jiter.from_json(b'{"answer": 42}'), "module": jiter.__file__})
        return Response.json({"validated": NUMBER.validate_python("42"), "version": pydantic_core.__version__})
