"""Running the same work in many threads at once, as parallel users or systems would.

Each thread waits on a barrier so that they really overlap, gives its database connection back
when done, and any exception it raises is re-raised in the test; a thread still running after
``timeout`` seconds fails the test as a hang.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_at_once(work: Callable[[int], Any], count: int, *, timeout: float = 60) -> list[Any]:
    """Call ``work(0)`` … ``work(count - 1)`` in ``count`` threads released together; their results
    in the order of ``n``."""
    barrier = threading.Barrier(count, timeout=timeout)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except BaseException as exc:  # re-raised below, not lost in the thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not [t for t in threads if t.is_alive()], "a thread hung"
    if errors:
        raise errors[0]
    return results
