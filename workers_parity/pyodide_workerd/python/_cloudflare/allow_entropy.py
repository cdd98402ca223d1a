"""workerd refuses entropy while it takes a snapshot at start-up.

pyodide-workerd takes its snapshot during a request, where entropy is allowed, and reseeds after restoring instead.
"""

from contextlib import contextmanager


@contextmanager
def allow_bad_entropy_calls(num_calls):
    yield
