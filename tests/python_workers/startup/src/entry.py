"""Tries at its top level what workerd refuses at start-up, and reports what happened; in a request, the same."""

import os
import random
import secrets
import sys

import js
from pyodide.ffi import run_sync
from workers import Response, WorkerEntrypoint


def attempt(action):
    try:
        action()
    except BaseException as error:  # noqa: BLE001 - what failed, and how, is the point
        return f"{type(error).__name__}: {error}"
    return "allowed"


def attempts():
    return {
        "random.random": attempt(random.random),
        "seeded Random": attempt(lambda: random.Random(7).random()),
        "os.urandom": attempt(lambda: os.urandom(4)),
        "secrets.token_hex": attempt(secrets.token_hex),
        "crypto.getRandomValues": attempt(lambda: js.crypto.getRandomValues(js.Uint8Array.new(4))),
    }


AT_START_UP = attempts() | {"fetch": attempt(lambda: js.fetch("http://127.0.0.1:9/"))}


def sync_wait_for(value):
    """Blocking-style code waiting on JavaScript: JSPI (`run_sync`), as sync HTTP clients use it."""
    return run_sync(js.Promise.resolve(value))


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        in_request = attempts()
        return Response.json(
            {
                "start-up": AT_START_UP,
                "request": in_request,
                "random": random.random(),
                "python": sys.version.split()[0],
                "jspi": sync_wait_for(42),
            }
        )
