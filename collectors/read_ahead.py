"""Iterate a Python producer on a background thread while DuckDB works.

DuckDB releases the GIL while it runs a statement, so pages read from a file (import) or
generated (demo) can be prepared on a thread while the loader's SQL runs on the previous
batch. Used by :mod:`collectors.jsonl_import` and ``territoires demo``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterable[T], depth: int) -> Iterator[T]:
    """``items`` as they come, produced by a background thread up to ``depth`` ahead.

    The order is kept; an exception raised while producing comes out here, after the items
    before it; stopping early (closing the generator) stops the thread.
    """
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
