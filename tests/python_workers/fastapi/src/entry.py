"""A small FastAPI app: a pydantic model validated from a JSON body, a path parameter, the worker's env."""

from fastapi import FastAPI, Request
from pydantic import BaseModel
from workers import WorkerEntrypoint

app = FastAPI()


class Order(BaseModel):
    item: str
    quantity: int


@app.get("/planets/{index}")
async def planet(index: int, request: Request):
    return {"index": index, "planet": request.scope["env"].PLANET}


@app.post("/orders")
async def order(order: Order):
    return {"item": order.item, "total": order.quantity * 3}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import asgi

        return await asgi.fetch(app, request.js_object, self.env)
