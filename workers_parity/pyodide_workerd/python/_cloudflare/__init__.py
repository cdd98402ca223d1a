"""pyodide-workerd's own version of workerd's internal `_cloudflare` package: the start-up rules of Python Workers.

The Workers SDK's `_workers_sdk_patch_loader.pth` loads its package patches (entropy allowances for packages that
seed hash maps at import, running `anyio.to_thread` work inline, …) only when this package exists, through the two
modules it uses: `allow_entropy` and `import_patch_manager`.
"""
