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
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=${1:?usage: run.sh CHECKOUT [PYTEST ARGS]}
shift
work=$(mktemp -d -t python-workers-examples.XXXXXX)
git -C "$checkout" archive HEAD | tar -x -C "$work"
cd "$work"
export PATH="$here:$PATH" PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
echo "python-workers-examples: in $work; warm-up pass ..." >&2
python -m pytest tests/test_examples.py -q -p no:cacheprovider -p run_xfail_too >"$work/warm-up.log" 2>&1 || true
rm -rf ./*/.wrangler/state
echo "python-workers-examples: reported pass (fresh state) ..." >&2
python -m pytest tests/test_examples.py -v -rA -p no:cacheprovider -p run_xfail_too "$@"
