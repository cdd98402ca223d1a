"""Python side of pyodide-workerd: prepares the interpreter, imports the worker at start-up and serves its classes.

host/host.mjs imports this module into Pyodide and calls these functions; host/entrypoints.mjs forwards workerd's
calls (fetch, RPC methods, scheduled, queue, Durable Object and Workflow methods) through them.
"""

import asyncio
import functools
import importlib
import importlib.util
import site
import sys
import traceback
from inspect import Parameter, isawaitable, isclass, signature
from types import FunctionType, MethodType

import _cloudflare_compat_flags
from _cloudflare import allow_entropy, import_patch_manager, stdlib_entropy

_main_module = None
# Entrypoint instances by id. JavaScript numbers them and holds the id, not a PyProxy of the instance (a PyProxy
# per request costs more CPU than the rest of a small request), and releases it when its wrapper is collected.
_instances = {}
_construction_errors = {}


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


class MethodMissing(Exception):
    """The name called is no method of the instance: the host raises workerd's TypeError for it."""


def call(instance_id, construct, name, conversion, *args):
    """Method `name` of entrypoint instance `instance_id`, called as workerd's own Python calls it (`conversion`
    names how, see CONVERSIONS). The first call creates the instance: `construct` is then the class name and the
    constructor's arguments, else None. (workerd's Python starts creating it when its JavaScript wrapper is made,
    asynchronously: either way it is created before any of its methods runs, and a failed constructor fails each
    call.) Runs the call at once; its result, or a task when it has to wait."""
    instance = _instance(instance_id, construct)
    method = getattr(instance, name, None)
    if not callable(method):
        raise MethodMissing(name)
    return _eagerly(CONVERSIONS[conversion](method, args))


def _instance(instance_id, construct):
    if construct is None:
        if instance_id in _construction_errors:
            raise _construction_errors[instance_id]
        return _instances[instance_id]
    class_name, *arguments = construct
    cls = getattr(_main_module, class_name, None)
    try:
        if not isclass(cls):
            raise TypeError(f"There is no '{class_name}' class defined in the Python Worker's main module")
        _instances[instance_id] = cls(*arguments)
    except BaseException as error:
        _construction_errors[instance_id] = error
        raise
    return _instances[instance_id]


def release(instance_id):
    _instances.pop(instance_id, None)
    _construction_errors.pop(instance_id, None)


def has_handler(name):
    return callable(getattr(_main_module, name, None))


def _eagerly(coroutine):
    """The coroutine run at once, as a task, up to its first wait: when it finishes without one, its result is
    returned as is. Calling an async function from JavaScript would instead start it from the event loop and
    answer a Promise, which costs more CPU than the rest of a small request."""
    task = asyncio.Task(coroutine, loop=asyncio.get_event_loop(), eager_start=True)
    return task.result() if task.done() else task


async def _fetch(method, args):
    """fetch(request) with a workerd Request: the SDK's python_from_rpc and python_to_rpc give a Request and take
    a Response's js_object; both are taken directly (the two walk any value through pyodide's converters, which
    costs more CPU than the rest of a small request). Any other result is converted by python_to_rpc."""
    from workers import Request, Response, python_to_rpc

    result = await _settled(_relaxed_call(method, Request(args[0])))
    return result.js_object if type(result) is Response else python_to_rpc(result)


async def _converted(method, args, relaxed):
    """Arguments and result converted by the SDK, as workerd's own Python does for fetch and RPC methods."""
    from workers import python_from_rpc, python_to_rpc

    arguments = [python_from_rpc(argument) for argument in args]
    result = _relaxed_call(method, *arguments) if relaxed else method(*arguments)
    return python_to_rpc(await _settled(result))


async def _raw(method, args):
    """A handler workerd calls with its own objects (scheduled, queue, alarm, Workflow run …): relaxed, as is."""
    return await _settled(_relaxed_call(method, *args))


CONVERSIONS = {
    "fetch": _fetch,
    "relaxed": functools.partial(_converted, relaxed=True),  # fetch with other arguments
    "strict": functools.partial(_converted, relaxed=False),  # RPC methods
    "raw": _raw,
}


async def call_handler(name, *args):
    """A legacy top-level handler (`on_fetch(request, env, ctx)`), called with workerd's own arguments."""
    return await _settled(_relaxed_call(getattr(_main_module, name), *args))


def _relaxed_call(method, *args):
    """Pyodide's relaxed_call (extra positional arguments are dropped) for calls with positional arguments only,
    reading each function's signature once: pyodide caches the signature per callable, and a bound method is a
    new callable at every call, so it ran inspect.signature and Signature.bind for every request."""
    if isinstance(method, MethodType):
        function, args = method.__func__, (method.__self__, *args)
    else:
        function = method
    capacity = _positional_capacity(function)
    return function(*args) if capacity is None else function(*args[:capacity])


@functools.cache
def _positional_capacity(function):
    """How many positional arguments `function` takes; None when any number (or its signature is unknown)."""
    try:
        parameters = signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = (Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD)
    if any(parameter.kind == Parameter.VAR_POSITIONAL for parameter in parameters):
        return None
    return sum(parameter.kind in positional for parameter in parameters)


async def _settled(result):
    return await result if isawaitable(result) else result
