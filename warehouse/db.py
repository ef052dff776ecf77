"""Where the warehouse lives, and how processes share it (docs/design.md §4, one writer).

* One **writer** at a time: loaders and collectors take an exclusive ``flock`` on
  ``<db>.lock`` before opening the DuckDB file read-write (:func:`writer`). A second writer
  waits (up to ``wait`` seconds) or gives up cleanly with :class:`WarehouseBusy`.
* After each committed batch the writer **publishes a snapshot**: ``CHECKPOINT``, copy the
  file to a temporary name, ``os.replace`` it to ``<db>.snapshot`` (:func:`publish_snapshot`).
* The dashboard opens **only the snapshot**, read-only (:mod:`warehouse.read`), so it never
  contends for DuckDB's file lock and never sees a half-loaded batch.
* The pages' bodies live beside the file, in ``<db>.raw/`` (:mod:`warehouse.raw_files`): a
  snapshot lists the same immutable files, and :func:`copy_warehouse` copies both.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from model import settings
from warehouse import raw_files, recompute, triage
from warehouse.migrations import MIGRATIONS, migrate
from warehouse.txn import DiskFull, disk_full, transaction

DEFAULT_DB = "territoires.duckdb"
WRITER_CHECKPOINT_THRESHOLD = "1GB"  # write-ahead log size that triggers a checkpoint


class WarehouseBusy(RuntimeError):
    """Another process holds the writer lock."""


class RebuildPending(RuntimeError):
    """A ``rebuild`` stopped half-way: the tables are partial until it is run again."""


class NotAWarehouse(ValueError):
    """The warehouse path names a folder or a file that is not a DuckDB database."""


DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 12 of every DuckDB database file


def check_warehouse_path(db: str | os.PathLike[str]) -> None:
    """Refuse, before anything is opened or created beside it, a warehouse path that names a
    folder, a file that is not a DuckDB database, or lies under a file."""
    path = Path(db)
    if path.is_dir():
        raise NotAWarehouse(
            f"{path}: is a folder, not a warehouse file (give a file, e.g. {path / DEFAULT_DB})"
        )
    if path.exists():
        try:
            with open(path, "rb") as fh:
                head = fh.read(12)
        except OSError as e:
            raise NotAWarehouse(f"{path}: cannot be read ({e.strerror})") from None
        if head[8:12] != DUCKDB_MAGIC:
            raise NotAWarehouse(f"{path}: not a Territoires warehouse (not a DuckDB database "
                                "file); give another --db or $TERRITOIRES_DB")
        # a published snapshot says it is ours: the main file is not opened (a reader must
        # never hold it while a writer starts)
        if not snapshot_path(path).exists() and _foreign_tables(path):
            raise NotAWarehouse(f"{path}: a DuckDB database, but not a Territoires warehouse "
                                "(it has tables and no schema_migrations); give another --db")
        return
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotAWarehouse(f"{path}: {parent} is a file, not a folder")
            break


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` if given, else ``$TERRITOIRES_DB``, else ``./territoires.duckdb``."""
    return Path(path or settings.DB.get() or DEFAULT_DB)


def snapshot_path(db: str | os.PathLike[str]) -> Path:
    return Path(str(db) + ".snapshot")


def lock_path(db: str | os.PathLike[str]) -> Path:
    return Path(str(db) + ".lock")


def memory_limit() -> str | None:
    """``$TERRITOIRES_MEMORY_LIMIT`` (e.g. ``3GB``): DuckDB's buffer pool cap, else its default
    (80 % of the machine's memory). Larger operations spill to disk under the cap."""
    return settings.MEMORY_LIMIT.get()


def _foreign_tables(path: Path) -> bool:
    """Whether the DuckDB file ``path`` holds tables but none of a warehouse's migrations (a
    writer would otherwise add the warehouse's tables to another application's database).
    A file another process holds open for writing is not checked here."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database()").fetchall()}
    finally:
        con.close()
    return bool(names) and "schema_migrations" not in names


def connect(path: str | os.PathLike[str], read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    limit = memory_limit()
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")  # validated above
    return con


@contextlib.contextmanager
def writer_lock(db: str | os.PathLike[str], wait: float = 600.0) -> Iterator[None]:
    """Hold the exclusive writer lock of ``db`` (waiting up to ``wait`` seconds)."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{db}: another Territoires process is writing to this warehouse "
                        f"(waited {wait:.0f} s); try again when it has finished"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def writer(db: str | os.PathLike[str], wait: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single writer: lock, open read-write, migrate; publish a snapshot on success."""
    with writer_lock(db, wait):
        con = _open_writer(db)
        try:
            migrate(con)
            raw_files.collect_garbage(con)  # what a crashed or failed writer left behind
            yield con
            # The snapshot is published from a fresh connection: what loading held in memory
            # (the key indexes it probed, the last batch's temp tables) is released before
            # the facts may be recomputed whole. A 10M-post demo ran out of its 2.5 GB memory
            # limit recomputing under the loader's connection; from a fresh one, the same
            # recompute of the same warehouse took 85 s and peaked at 2.8 GB.
            con.close()
            con = _open_writer(db)
            publish_snapshot(con, db)
            raw_files.collect_garbage(con)  # files erasure or retention replaced, now unlisted
        except Exception as e:
            if disk_full(e):  # one line naming the cause (warehouse/txn.py)
                raise DiskFull(db, e) from e
            raise
        finally:
            con.close()


def _open_writer(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    con = connect(db)
    # Batches commit to the write-ahead log, which is durable; DuckDB's default 16 MB
    # threshold checkpointed the whole warehouse at every batch of an import (a third of
    # a batch's time at 1M posts). The snapshot's CHECKPOINT still runs at the end.
    con.execute(f"SET checkpoint_threshold = '{WRITER_CHECKPOINT_THRESHOLD}'")
    return con


def publish_snapshot(con: duckdb.DuckDBPyConnection, db: str | os.PathLike[str]) -> Path:
    """Bring the derived tables and the copy of the triage journal up to date
    (:func:`warehouse.recompute.before_publish`, :mod:`warehouse.triage`), checkpoint, and
    atomically replace ``<db>.snapshot`` with a copy of the warehouse. Refused while a
    ``rebuild`` is half-way (its tables are partial): the last snapshot stays."""
    if con.execute("SELECT count(*) FROM rebuild_pending").fetchall()[0][0]:
        raise RebuildPending(
            f"{db}: a `territoires rebuild` stopped half-way, so the tables are partial and "
            "no snapshot is published (the dashboard keeps the last one); run "
            f"`territoires rebuild --db {db}` again"
        )
    with transaction(con):
        recompute.before_publish(con)
        triage.sync_copy(con, db)  # the decisions this snapshot is published with
    con.execute("CHECKPOINT")
    target = snapshot_path(db)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.copyfile(db, tmp)
    os.replace(tmp, target)
    return target


def ensure_snapshot(db: str | os.PathLike[str], wait: float = 600.0) -> Path:
    """Make sure a snapshot exists (creating an empty, migrated warehouse if needed).

    With ``wait=0`` (readers) it never blocks: if a writer is busy building the warehouse,
    :class:`WarehouseBusy` says so at once and the writer will publish when it is done.
    """
    target = snapshot_path(db)
    if not target.exists() or _behind(target):
        with writer(db, wait=wait):  # migrates, then publishes (facts included)
            pass
    return target


def _behind(snapshot: Path) -> bool:
    """Whether a snapshot predates a migration of this version (an upgrade): republish."""
    try:
        con = duckdb.connect(str(snapshot), read_only=True)
    except duckdb.Error:
        return True
    try:
        done = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
    except duckdb.Error:
        return True
    finally:
        con.close()
    return any(name not in done for name, _ in MIGRATIONS)


def copy_warehouse(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy a warehouse file that no writer holds, with its raw layer (hard links: the
    files never change), so the copy can be rebuilt, purged or erased on its own."""
    shutil.copyfile(src, dst)
    raw_files.copy_raw(src, dst)


def compact(db: str | os.PathLike[str]) -> None:
    """Copy the warehouse into a fresh file and swap it in, so deleted rows leave no trace.

    DuckDB keeps deleted rows in free blocks of the file until they are reused (measured:
    every deleted text was still in the file after ``DELETE`` and ``CHECKPOINT``), and a
    snapshot is a byte copy. Call it holding the writer lock, with no connection open on
    ``db``; leftover snapshot temporaries from an interrupted publish are removed too.
    """
    db = Path(db)
    tmp = db.with_name(db.name + ".compact")
    tmp.unlink(missing_ok=True)
    con = connect(db)
    try:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute("ATTACH '" + str(tmp).replace("'", "''") + "' AS _compacted")
        con.execute('COPY FROM DATABASE "' + catalog.replace('"', '""') + '" TO _compacted')
        con.execute("DETACH _compacted")
    finally:
        con.close()
    os.replace(tmp, db)
    snap = snapshot_path(db)
    for leftover in snap.parent.glob(snap.name + ".tmp*"):
        leftover.unlink(missing_ok=True)
