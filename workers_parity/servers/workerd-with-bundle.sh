#!/bin/sh
# Stands in for workerd (via MINIFLARE_WORKERD_PATH) so `workerd serve` reads the Pyodide bundle from a local
# folder instead of downloading it. workerd still verifies the file's sha256.
if [ "$1" = "serve" ]; then
  shift
  exec "$PARITY_REAL_WORKERD" serve --pyodide-bundle-disk-cache-dir "$PARITY_PYODIDE_BUNDLE_DIR" "$@"
fi
exec "$PARITY_REAL_WORKERD" "$@"
