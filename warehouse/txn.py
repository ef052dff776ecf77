"""Ending a writer's transaction without hiding why it failed.

When DuckDB cannot write its write-ahead log (a full disk), the ``COMMIT`` fails and DuckDB
has already ended the transaction: the ``ROLLBACK`` that followed raised "cannot rollback -
no transaction is active", and that message replaced "No space left on device".
:func:`transaction` (every writer's ``BEGIN … COMMIT``) ends a failed block with
:func:`rollback`, which rolls back if a transaction is still open and lets the first error
propagate; :func:`disk_full` recognises the cause so the command line can name it
(:class:`DiskFull`, one line).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

import duckdb


class DiskFull(OSError):
    """The disk holding the warehouse is full."""

    def __init__(self, db: str | os.PathLike[str], cause: BaseException) -> None:
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(
            errno.ENOSPC,
            f"{db}: the disk is full ({detail}); free some space and run the command again",
        )

    def __str__(self) -> str:
        return str(self.strerror)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block in one transaction: committed at its end, rolled back if it (or the
    ``COMMIT``) fails, with the first error kept (:func:`rollback`)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """``ROLLBACK`` inside an ``except`` clause: a failed ``COMMIT`` (a full disk) already
    ended the transaction, and the error of rolling back must not replace the cause."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the exception being handled says why; it propagates


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) is a full disk."""
    seen: BaseException | None = error
    for _ in range(5):  # the cause chain, bounded
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(seen) or "Disk quota exceeded" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
