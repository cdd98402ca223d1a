"""Runs the patches that packages register for their modules, as workerd's import patch manager does.

A create patch wraps creating the module (it receives the spec), an exec patch wraps executing it
(it receives the module); both are context managers. Hooks registered for "after snapshot" and
"before first request" run from `run_startup_hooks`.
"""

import sys
from contextlib import ExitStack, contextmanager
from importlib.abc import Loader, MetaPathFinder

_create_patches = {}
_exec_patches = {}
_after_snapshot = {}
_before_first_request = {}


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
    """workerd blocks these calls until the first request; pyodide-workerd boots during it: no such window."""


def run_startup_hooks(restored_from_snapshot):
    if restored_from_snapshot:
        _run_hooks(_after_snapshot)
    _run_hooks(_before_first_request)


def _run_hooks(registry):
    for module_name, hooks in registry.items():
        module = sys.modules.get(module_name)
        if module is not None:
            for hook in hooks:
                hook(module)


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
        spec = _find_spec_after(self, fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, fullname)
        return spec


def _find_spec_after(finder, fullname, path, target):
    later_finders = sys.meta_path[sys.meta_path.index(finder) + 1 :]
    for later in later_finders:
        spec = later.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


sys.meta_path.insert(0, _PatchingFinder())
