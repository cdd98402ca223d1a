"""Python side of pyodide-workerd: prepares the interpreter, imports the worker at start-up and serves its classes.

host/host.mjs imports this module into Pyodide and calls these functions; host/entrypoints.mjs forwards workerd's
calls (fetch, RPC methods, scheduled, queue, Durable Object and Workflow methods) through them.
"""

import importlib
import importlib.util
import site
import sys
import traceback
from inspect import isawaitable, isclass
from types import FunctionType

import _cloudflare_compat_flags
from _cloudflare import allow_entropy, import_patch_manager, stdlib_entropy
from pyodide.code import relaxed_call

_main_module = None


def prepare_interpreter(python_modules_dir):
    """Before any of the worker's packages: the start-up rules, then python_modules/ (its .pth files load the SDK's
    own patches, which need the rules' modules)."""
    stdlib_entropy.install()
    site.addsitedir(python_modules_dir)


def entropy_allowance_address():
    return allow_entropy.allowance_address()


def preload(module_names):
    """Import the worker's packages for a memory snapshot; describe the imports that failed (they are imported at
    start-up instead). A name ending in "?" is imported only if it names a module (it may be a function or class).
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


def load_main_module(src_dir, module_name, restored_from_snapshot):
    """Import the worker's main module at start-up and describe what it exports; a failure is a traceback."""
    global _main_module
    if restored_from_snapshot:
        importlib.invalidate_caches()
        import_patch_manager.run_after_snapshot_hooks()
    sys.path.insert(0, src_dir)
    legacy = not _cloudflare_compat_flags.python_no_global_handlers
    empty = {"durableObjects": [], "workerEntrypoints": [], "workflowEntrypoints": []}
    try:
        _main_module = importlib.import_module(module_name)
    except BaseException:
        return {"classes": empty, "legacyHandlers": legacy, "failure": _main_import_traceback(module_name)}
    return {"classes": entrypoint_classes(_main_module), "legacyHandlers": legacy, "failure": None}


def _main_import_traceback(module_name):
    text = traceback.format_exc()
    if "No module named 'src" in text:
        text += "\nIf your main module is inside the 'src' directory then your import statement shouldn't include "
        text += "a 'src.' prefix\n"
    return text


def entrypoint_classes(module):
    """The module's public classes by kind, with their public methods, as workerd's own introspection finds them."""
    from workers import DurableObject, WorkerEntrypoint, WorkflowEntrypoint

    names = getattr(module, "__all__", None) or [name for name in dir(module) if not name.startswith("_")]
    values = [getattr(module, name) for name in names]
    kinds = {
        "durableObjects": DurableObject,
        "workerEntrypoints": WorkerEntrypoint,
        "workflowEntrypoints": WorkflowEntrypoint,
    }
    return {
        kind: [
            {"className": value.__name__, "methodNames": _public_methods(value)}
            for value in values
            if isclass(value) and issubclass(value, base) and value is not base
        ]
        for kind, base in kinds.items()
    }


def _public_methods(cls):
    def defined(name):
        for base in cls.__mro__:
            if name in base.__dict__:
                return base.__dict__[name]
        return None

    return sorted(name for name in dir(cls) if not name.startswith("_") and isinstance(defined(name), FunctionType))


def before_first_request():
    """Reseed what start-up left deterministic and lift the start-up rules."""
    allow_entropy.enter_request_context()
    import_patch_manager.run_before_first_request_hooks()


def python_version():
    return sys.version.split()[0]


def instantiate(class_name, *args):
    cls = getattr(_main_module, class_name, None)
    if not isclass(cls):
        raise TypeError(f"There is no '{class_name}' class defined in the Python Worker's main module")
    return cls(*args)


def has_method(instance, name):
    return callable(getattr(instance, name, None))


def has_handler(name):
    return callable(getattr(_main_module, name, None))


async def call_method(instance, name, *args):
    """A handler workerd calls with its own objects (scheduled, queue, alarm, Workflow run …): relaxed, as is."""
    return await _settled(relaxed_call(getattr(instance, name), *args))


async def call_converted(relaxed, instance, name, *args):
    """fetch and RPC methods: arguments and result converted by the SDK, as workerd's own Python does."""
    from workers import python_from_rpc, python_to_rpc

    method = getattr(instance, name)
    arguments = [python_from_rpc(argument) for argument in args]
    result = relaxed_call(method, *arguments) if relaxed else method(*arguments)
    return python_to_rpc(await _settled(result))


async def call_handler(name, *args):
    """A legacy top-level handler (`on_fetch(request, env, ctx)`), called with workerd's own arguments."""
    return await _settled(relaxed_call(getattr(_main_module, name), *args))


async def _settled(result):
    return await result if isawaitable(result) else result
