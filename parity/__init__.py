"""Harness for the three workers: registry, Node toolchain, dev servers, runtimes, reports and the demo."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
