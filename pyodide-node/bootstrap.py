"""Python side of pyodide-node: prepares the interpreter and dispatches requests to the worker.

Loaded into Pyodide as the module `_pyodide_node`; serve.mjs calls these functions through python.mjs.
"""

import importlib
import random
import sys
import types
from inspect import isawaitable

_entrypoint_class = None


class WorkerLoadError(Exception):
    """The entry module cannot serve requests (no Default entrypoint)."""


def install_compat_flags(enabled_flags):
    """Provide `_cloudflare_compat_flags`: enabled flags are True, every other flag is False."""
    module = types.ModuleType("_cloudflare_compat_flags")
    for flag in enabled_flags:
        setattr(module, flag, True)

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return False

    module.__getattr__ = __getattr__
    sys.modules[module.__name__] = module


def add_package_dir(directory):
    """Make the worker's python_modules importable, honouring its .pth files like site-packages."""
    import site

    site.addsitedir(directory)


def preload(module_names):
    """Import the worker's packages ahead of the snapshot; return the names that failed."""
    failed = []
    for name in module_names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def after_restore():
    """Undo what a memory snapshot freezes: the random seed and import-system caches."""
    random.seed()
    importlib.invalidate_caches()


def load_entrypoint(src_dir, module_name):
    """Import the entry module from src_dir and remember its `Default` WorkerEntrypoint."""
    global _entrypoint_class
    from workers import WorkerEntrypoint

    sys.path.insert(0, src_dir)
    module = importlib.import_module(module_name)
    candidate = getattr(module, "Default", None)
    if not (isinstance(candidate, type) and issubclass(candidate, WorkerEntrypoint)):
        raise WorkerLoadError(
            f"{module_name}.py defines no WorkerEntrypoint subclass named Default"
        )
    _entrypoint_class = candidate


def python_version():
    return sys.version.split()[0]


async def dispatch_fetch(ctx, env, js_request):
    """Serve one request the way workerd does: a fresh entrypoint instance, then its fetch."""
    from pyodide.code import relaxed_call
    from workers import python_from_rpc, python_to_rpc

    instance = _entrypoint_class(ctx, env)
    result = relaxed_call(instance.fetch, python_from_rpc(js_request))
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)
