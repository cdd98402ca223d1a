"""workers-parity: run any Cloudflare Worker folder offline (JavaScript under wrangler dev, Python in workerd through
pyodide-workerd) and prove that a project's JS and Python workers answer alike."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent  # the package's own files (pyodide_workerd/, node/, …)
