"""Patches that packages register for their modules, applied while the worker's top level runs.

A create patch wraps creating a module (it receives the spec), an exec patch wraps executing it (it receives the
module); both are context managers. `block_calls` makes a module's functions fail until the first request.
Hooks registered for "after snapshot" run when the interpreter was restored from a memory snapshot, those for
"before first request" just before the first request. As in workerd, the patches apply only to imports made before
the first request.
"""

import sys
from contextlib import ExitStack, contextmanager
from functools import wraps
from importlib.abc import Loader, MetaPathFinder

from .allow_entropy import in_request_context

_create_patches = {}
_exec_patches = {}
_after_snapshot = {}
_before_first_request = {}
_blocked_modules = {}


def _registrar(registry):
    def register(module_name):
        def add(patch):
            registry.setdefault(module_name, []).append(patch)
            return patch

        return add

    return register


register_create_patch = _registrar(_create_patches)
register_exec_patch = _registrar(_exec_patches)
register_after_snapshot = _registrar(_after_snapshot)
register_before_first_request = _registrar(_before_first_request)


def block_calls(module, allowlist=()):
    """Until the first request, calling the module's functions (but those allowed) raises RuntimeError."""
    _blocked_modules[module.__name__] = module
    sys.modules[module.__name__] = _BlockedCalls(module, frozenset(allowlist))


def run_after_snapshot_hooks():
    _run_hooks(_after_snapshot)


def run_before_first_request_hooks():
    """Put the blocked modules back, stop patching imports, then run the hooks."""
    sys.modules.update(_blocked_modules)
    _remove_finder()
    _run_hooks(_before_first_request)


def _run_hooks(registry):
    for module_name, hooks in registry.items():
        module = sys.modules.get(module_name)
        if module is not None:
            for hook in hooks:
                hook(_blocked_modules.get(module_name, module))


class _BlockedCalls:
    """Stands in for a module in sys.modules until the first request; code that kept a reference to it (`import
    random` at the top level) keeps working afterwards, because the check is made at each call."""

    def __init__(self, module, allowlist):
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_allowlist", allowlist)

    def __getattribute__(self, name):
        module = object.__getattribute__(self, "_module")
        value = getattr(module, name)
        if in_request_context() or not callable(value) or name in object.__getattribute__(self, "_allowlist"):
            return value

        @wraps(value)
        def blocked(*args, **kwargs):
            if not in_request_context():
                raise RuntimeError(f"Cannot use {module.__name__}.{name}() outside of request context")
            return value(*args, **kwargs)

        return blocked

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_module"), name, value)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_module"))


class _PatchingLoader(Loader):
    def __init__(self, loader, module_name):
        self._loader = loader
        self._module_name = module_name

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        with _applied(_create_patches.get(self._module_name, []), spec):
            return self._loader.create_module(spec)

    def exec_module(self, module):
        with _applied(_exec_patches.get(self._module_name, []), module):
            self._loader.exec_module(module)


@contextmanager
def _applied(patches, argument):
    with ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch(argument))
        yield


class _PatchingFinder(MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _create_patches and fullname not in _exec_patches:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _PatchingLoader(spec.loader, fullname)
                return spec
        return None


_finder = _PatchingFinder()


def install_finder():
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def _remove_finder():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


install_finder()
