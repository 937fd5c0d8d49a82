"""Run the same code in several threads at once, as concurrent requests or sweeps would.

Each thread waits at a barrier so that they really overlap, has its own database
connection (closed when it ends), and any exception is re-raised in the test's thread.
Only on PostgreSQL: SQLite's in-memory test database is not shared across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

T = TypeVar("T")


def require_shared_database() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL-only: SQLite's in-memory test database is not shared across threads")


def at_once(fn: Callable[[int], T], n: int = 2) -> list[T]:
    """``fn(0)`` … ``fn(n - 1)`` in ``n`` threads started together; their results, in that order."""
    barrier = threading.Barrier(n)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 — re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    assert len(results) == n, "a thread did not finish within 60 s"
    return [results[i] for i in range(n)]
