"""The demo walkthrough: a project's story told by all its workers at once, side by side, with a Markdown transcript.

    python -m workers_parity.demo [--pause] [--worker ID ...] [--out reports/demo.md] [--python-runtime RUNTIME]

Modules, one job each: story (what a step is; a project tells its own story, its plug-in's demo_story()),
execution (sending a step to every worker and judging the answers), terminal (the side-by-side view, the start-up
progress), transcript (reports/demo.md), __main__.
"""
