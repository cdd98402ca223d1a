"""Python side of pyodide-workerd: prepares the interpreter and dispatches requests to the worker.

host/host.mjs imports this module into Pyodide and calls these functions.
"""

import importlib
import importlib.util
import random
import sys
import types
from inspect import isawaitable

from pyodide.code import relaxed_call

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
    """Import the worker's packages ahead of the snapshot; describe the imports that failed.

    A name ending in "?" is imported only if it names a module (it may be a function or class).
    """
    failed = []
    for name in module_names:
        optional = name.endswith("?")
        name = name.removesuffix("?")
        try:
            if not optional or importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        except Exception as error:
            if not optional:
                failed.append(f"{name} ({type(error).__name__}: {error})")
    return failed


def prepare_for_requests(restored_from_snapshot):
    """Run once before serving; after a restore, undo what the snapshot froze (seed, import caches)."""
    if restored_from_snapshot:
        random.seed()
        importlib.invalidate_caches()
    patch_manager = sys.modules.get("_cloudflare.import_patch_manager")
    if patch_manager is not None:
        patch_manager.run_startup_hooks(restored_from_snapshot)


def load_entrypoint(src_dir, module_name):
    """Import the entry module from src_dir and remember its `Default` WorkerEntrypoint."""
    global _entrypoint_class
    from workers import WorkerEntrypoint

    sys.path.insert(0, src_dir)
    module = importlib.import_module(module_name)
    candidate = getattr(module, "Default", None)
    if not (isinstance(candidate, type) and issubclass(candidate, WorkerEntrypoint)):
        raise WorkerLoadError(f"{module_name}.py defines no WorkerEntrypoint subclass named Default")
    _entrypoint_class = candidate


def python_version():
    return sys.version.split()[0]


async def dispatch_fetch(ctx, env, js_request):
    """Serve one request the way workerd does: a fresh entrypoint instance, then its fetch."""
    from workers import python_from_rpc, python_to_rpc

    instance = _entrypoint_class(ctx, env)
    result = relaxed_call(instance.fetch, python_from_rpc(js_request))
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)
