"""pyodide-workerd's stand-in for workerd's internal `_cloudflare` package.

The Workers SDK's `_workers_sdk_patch_loader.pth` loads its package patches (e.g. running
`anyio.to_thread` work inline, as there are no threads) only when this package exists.
"""
