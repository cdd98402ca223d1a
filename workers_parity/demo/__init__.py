"""The demo walkthrough: the app's story told by all workers at once, side by side, with a Markdown transcript.

    python -m workers_parity.demo [--pause] [--worker ID ...] [--out reports/demo.md] [--python-runtime RUNTIME]

Modules, one job each: story (the steps and their requests), execution (sending a step to every worker and judging
the answers), terminal (the side-by-side view, the start-up progress), transcript (reports/demo.md), __main__.
"""
