#!/usr/bin/env bash
# Runs Cloudflare's python-workers-examples through their own tests/test_examples.py, every example served by
# `workers-parity dev` instead of `pywrangler dev`.
#
#   tools/python-workers-examples/run.sh CHECKOUT [PYTEST ARGS]
#
# CHECKOUT is a git checkout (or bare clone) of the examples; nothing of it is copied into this repository. The
# examples are exported to a temporary folder and the suite runs twice there: a first pass fills the caches
# (python_modules, memory snapshots), then every example's local state is removed and the second pass, whose
# outcome is the report, runs the xfail-marked tests too. Needs `workers-parity` and pytest + requests on PATH.
# Examples that need the internet or Workers AI cannot pass offline and are left out (--deselect); pass --all to
# run them too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=${1:?usage: run.sh CHECKOUT [--all] [PYTEST ARGS]}
shift
offline_only=(
  --deselect tests/test_examples.py::test_05_langchain  # Workers AI through remote bindings
  --deselect tests/test_examples.py::test_09_workers_ai  # Workers AI
  --deselect tests/test_examples.py::test_16_sync_http_clients  # fetches https://example.com/
)
if [ "${1:-}" = --all ]; then
  offline_only=()
  shift
fi
work=$(mktemp -d -t python-workers-examples.XXXXXX)
git -C "$checkout" archive HEAD | tar -x -C "$work"
cd "$work"
export PATH="$here:$PATH" PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
echo "python-workers-examples: in $work; warm-up pass ..." >&2
python -m pytest tests/test_examples.py -q -p no:cacheprovider -p run_xfail_too "${offline_only[@]}" \
  >"$work/warm-up.log" 2>&1 || true
rm -rf ./*/.wrangler/state
echo "python-workers-examples: reported pass (fresh state) ..." >&2
python -m pytest tests/test_examples.py -v -p no:cacheprovider -p run_xfail_too "${offline_only[@]}" "$@"
