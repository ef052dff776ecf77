"""The raw layer's files: every page as it came, outside DuckDB's transactional storage
(docs/design.md §2, "The raw layer").

Pages are written once, compressed, beside the warehouse::

    <db>.raw/territory=<slug>/day=<UTC fetch day>/<content id>.parquet

one Parquet file (zstd) per batch, territory and day, named by the SHA-256 of its bytes.
``raw_files`` is the manifest (one row per file) and ``raw_pages.file`` says which file holds
a page; both change inside the batch's transaction, so the warehouse lists a file only once
its pages have landed. A file is never modified: erasure and retention write a new file
without what must go (:func:`replace_pages`, :func:`drop_pages`) and the old one is deleted
once the transaction that unlisted it has committed.

What may be deleted is journaled first (``<db>.raw/.journal``, fsynced): a file this writer
is about to write, or one it is about to unlist. :func:`collect_garbage` deletes only the
journaled files the manifest does not list, so a crash between a file and its commit leaves
nothing behind, and a file restored from a backup that the warehouse does not know yet is
never deleted: ``territoires rebuild --adopt`` lists it (:func:`strays`, :func:`adopt`).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.triage import warehouse_file

RAW_SUFFIX = ".raw"
JOURNAL = ".journal"
COMPRESSION = "zstd"

# a page's columns, as in raw_pages before the bodies moved out (migration 0001), in order
SCHEMA = pa.schema(
    [
        ("page_id", pa.string()),
        ("platform", pa.string()),
        ("territory", pa.string()),
        ("source", pa.string()),
        ("endpoint", pa.string()),
        ("query", pa.string()),
        ("origin", pa.string()),
        ("fetched_at", pa.timestamp("us")),
        ("kind", pa.string()),
        ("body", pa.string()),
        ("canonical", pa.string()),
    ]
)
META = [f.name for f in SCHEMA if f.name not in ("body", "canonical")]
# (``loaded_at`` stays in raw_pages only: the same pages make the same file, byte for byte)


class RawLayerError(RuntimeError):
    """The raw layer's files do not match what the warehouse lists (``problems``: one line
    per file)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def raw_dir(con_or_db: duckdb.DuckDBPyConnection | str | os.PathLike[str]) -> Path:
    """``<db>.raw`` for a warehouse file or a connection to it (or to its snapshot)."""
    if isinstance(con_or_db, str | os.PathLike):
        db = Path(con_or_db)
    else:  # a connection (or a proxy of one: bench/statements.py times every statement)
        found = warehouse_file(con_or_db)
        if found is None:
            raise RawLayerError("the raw layer needs a warehouse file, not an in-memory database")
        db = found
    return Path(str(db) + RAW_SUFFIX)


# -- writing ---------------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    """Make the names in folder ``path`` durable (a file just written, renamed or deleted)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _intend(root: Path, names: Iterable[str]) -> None:
    """Journal files that may have to be deleted (written but maybe not committed, or about
    to be unlisted), durably, before they are written or unlisted."""
    lines = "".join(f"{n}\n" for n in names)
    if not lines:
        return
    root.mkdir(parents=True, exist_ok=True)
    with open(root / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write(lines)
        fh.flush()
        os.fsync(fh.fileno())


def _write_file(root: Path, territory: str, day: str, table: pa.Table) -> tuple[str, int]:
    """One immutable file holding ``table``; returns its name (relative to ``root``) and size."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=COMPRESSION)
    data = buf.getvalue()
    folder = f"territory={territory}/day={day}"
    name = f"{folder}/{hashlib.sha256(data).hexdigest()[:32]}.parquet"
    target = root / name
    _intend(root, [name])
    if target.exists():  # the same pages, byte for byte (content id): nothing to write
        return name, len(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)
    return name, len(data)


def _partitions(table: pa.Table) -> Iterator[tuple[str, str, pa.Table]]:
    """``table``'s rows by territory and UTC fetch day, in a stable order."""
    days = pc.strftime(table["fetched_at"], format="%Y-%m-%d")
    keys = sorted(set(zip(table["territory"].to_pylist(), days.to_pylist(), strict=True)))
    for territory, day in keys:
        mask = pc.and_(pc.equal(table["territory"], territory), pc.equal(days, day))
        yield territory, day, table.filter(mask)


def _list_file(con: duckdb.DuckDBPyConnection, name: str, pages: int, size: int) -> None:
    """One row of the manifest ``raw_files`` (territory and day are in the file's name)."""
    territory, day = _partition_of(name)
    con.execute(
        "INSERT OR IGNORE INTO raw_files VALUES ($f, $t, $d::DATE, $n, $b, $now)",
        {"f": name, "t": territory, "d": day, "n": pages, "b": size,
         "now": datetime.now(UTC).replace(tzinfo=None)},
    )


def write(con: duckdb.DuckDBPyConnection, pages: pa.Table) -> pa.Table:
    """Write ``pages`` (the columns of :data:`SCHEMA`) to the raw layer and list the files in
    ``raw_files``; returns ``page_id`` and ``file`` for ``raw_pages``. Call it inside the
    transaction that inserts those pages: if it rolls back, the files are deleted by
    :func:`discard` or, after a crash, by :func:`collect_garbage`."""
    root = raw_dir(con)
    pages = pages.select(SCHEMA.names).cast(SCHEMA)
    ids: list[str] = []
    files: list[str] = []
    for territory, day, part in _partitions(pages):
        name, size = _write_file(root, territory, day, part)
        _list_file(con, name, part.num_rows, size)
        ids += part["page_id"].to_pylist()
        files += [name] * part.num_rows
    return pa.table({"page_id": ids, "file": files})


def discard(con: duckdb.DuckDBPyConnection, files: Iterable[str]) -> None:
    """After a rollback: delete the files it wrote that the warehouse does not list."""
    collect_garbage(con, only=set(files))


# -- reading ---------------------------------------------------------------------------------


def read(con: duckdb.DuckDBPyConnection, files: list[str]) -> pa.Table:
    """Every page of ``files`` (names from ``raw_files``), with a ``file`` column."""
    tables = []
    for f in files:
        t = pq.read_table(raw_dir(con) / f).cast(SCHEMA)
        tables.append(t.append_column("file", pa.array([f] * t.num_rows, pa.string())))
    if not tables:
        return SCHEMA.empty_table().append_column("file", pa.array([], pa.string()))
    return pa.concat_tables(tables)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pages_sql(con: duckdb.DuckDBPyConnection, where: str = "true",
              params: dict[str, object] | None = None) -> str:
    """A subquery of the listed pages of ``raw_pages`` matching ``where`` (SQL over raw_pages,
    run with ``params``), whole (:data:`SCHEMA`'s columns): each page read by DuckDB from the
    file ``raw_pages.file`` names, streamed, never held in Python."""
    root = str(raw_dir(con))
    files = [r[0] for r in con.execute(
        f"SELECT DISTINCT file FROM raw_pages WHERE {where} ORDER BY 1", params or {}  # noqa: S608
    ).fetchall()]
    if not files:  # no page: the same columns (and parameters), no row
        cols = ", ".join(c if c in META else f"NULL::VARCHAR AS {c}" for c in SCHEMA.names)
        return f"(SELECT {cols} FROM raw_pages WHERE false AND ({where}))"  # noqa: S608
    listing = "[" + ", ".join(_quote(f"{root}/{f}") for f in files) + "]"
    listed = f"SELECT page_id, file FROM raw_pages WHERE {where}"  # noqa: S608
    scan = f"read_parquet({listing}, filename = true, hive_partitioning = false)"
    relative = f"substr(f.filename, {len(root) + 2})"  # the name raw_files lists
    return (f"(SELECT f.* EXCLUDE (filename) FROM {scan} f JOIN ({listed}) r "  # noqa: S608
            f"ON r.page_id = f.page_id AND r.file = {relative})")


# -- rewriting (erasure, retention) ----------------------------------------------------------


def _rewrite(con: duckdb.DuckDBPyConnection, file: str, table: pa.Table) -> str | None:
    """Replace ``file`` by one holding ``table`` (its pages, some changed or gone); returns the
    new file's name, or None if no page is left. The old file is journaled and unlisted; it is
    deleted once this transaction has committed (:func:`collect_garbage`)."""
    root = raw_dir(con)
    _intend(root, [file])
    con.execute("DELETE FROM raw_files WHERE file = $f", {"f": file})
    if table.num_rows == 0:
        return None
    territory, day = _partition_of(file)
    name, size = _write_file(root, territory, day, table.select(SCHEMA.names).cast(SCHEMA))
    _list_file(con, name, table.num_rows, size)
    con.execute("UPDATE raw_pages SET file = $new WHERE file = $old", {"new": name, "old": file})
    return name


def _partition_of(file: str) -> tuple[str, str]:
    territory, day = file.split("/")[:2]
    return territory.removeprefix("territory="), day.removeprefix("day=")


def replace_pages(con: duckdb.DuckDBPyConnection,
                  new: dict[str, tuple[str, str | None]]) -> int:
    """Give pages a new ``(body, canonical)``, keeping their ``page_id``; returns how many.
    Each file holding one is rewritten once."""
    if not new:
        return 0
    rows = con.execute(
        "SELECT file, list(page_id) FROM raw_pages WHERE list_contains($ids, page_id) "
        "GROUP BY file ORDER BY file",
        {"ids": list(new)},
    ).fetchall()
    for file, _ids in rows:
        table = read(con, [file]).drop_columns(["file"])
        body = table["body"].to_pylist()
        canonical = table["canonical"].to_pylist()
        for i, page_id in enumerate(table["page_id"].to_pylist()):
            if page_id in new:
                body[i], canonical[i] = new[page_id]
        for column, values in (("body", body), ("canonical", canonical)):
            table = table.set_column(SCHEMA.get_field_index(column), column,
                                     pa.array(values, pa.string()))
        _rewrite(con, file, table)
    return sum(len(ids) for _, ids in rows)


def drop_pages(con: duckdb.DuckDBPyConnection, pages_table: str) -> int:
    """Remove the pages listed in the temp table ``pages_table`` (column ``page_id``) from
    their files: a file left empty is unlisted whole (a purged partition), the others are
    rewritten without them. The caller deletes their ``raw_pages`` rows. Returns the number
    of files changed."""
    rows = con.execute(
        f"""
        SELECT file, list(page_id) FROM raw_pages
        WHERE page_id IN (SELECT page_id FROM {pages_table})
        GROUP BY file ORDER BY file
        """  # noqa: S608
    ).fetchall()
    for file, ids in rows:
        table = read(con, [file]).drop_columns(["file"])
        keep = pc.invert(pc.is_in(table["page_id"], pa.array(ids, pa.string())))
        _rewrite(con, file, table.filter(keep))
    return len(rows)


# -- housekeeping ----------------------------------------------------------------------------


def collect_garbage(con: duckdb.DuckDBPyConnection, only: set[str] | None = None) -> int:
    """Delete the journaled files the warehouse does not list (a batch that rolled back or
    crashed, a file erasure or retention replaced) and leftover temporaries; returns how many.
    Call it with no transaction open, holding the writer lock."""
    root = raw_dir(con)
    journal = root / JOURNAL
    if not journal.exists():
        return 0
    listed = {r[0] for r in con.execute("SELECT file FROM raw_files").fetchall()}
    named = {line for line in journal.read_text(encoding="utf-8").splitlines() if line}
    candidates = named if only is None else named & only
    removed = 0
    for name in sorted(candidates - listed):
        path = root / name
        if path.exists():
            path.unlink()
            removed += 1
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)
    if only is None:
        for tmp in root.glob("territory=*/day=*/*.parquet.tmp"):
            tmp.unlink(missing_ok=True)
        journal.unlink()
        fsync_dir(root)
    return removed


def strays(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Files in the raw layer the warehouse does not list and did not journal (restored from a
    backup newer than the warehouse file, or copied in by hand)."""
    root = raw_dir(con)
    if not root.is_dir():
        return []
    listed = {r[0] for r in con.execute("SELECT file FROM raw_files").fetchall()}
    journal = root / JOURNAL
    named = set(journal.read_text(encoding="utf-8").splitlines()) if journal.exists() else set()
    found = {p.relative_to(root).as_posix() for p in root.glob("territory=*/day=*/*.parquet")}
    return sorted(found - listed - named)


def adopt(con: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    """List stray files and the pages they hold that the warehouse does not have (a page it
    already has keeps its file); returns the number of pages added. Then ``rebuild``."""
    added = 0
    now = datetime.now(UTC).replace(tzinfo=None)
    for file in files:
        table = read(con, [file])
        _list_file(con, file, table.num_rows, (raw_dir(con) / file).stat().st_size)
        con.register("_adopted", table)
        try:
            before = con.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0]
            con.execute(
                "INSERT INTO raw_pages BY NAME SELECT * EXCLUDE (body, canonical), "
                "$now::TIMESTAMP AS loaded_at, "
                "length(body) + coalesce(length(canonical), 0) AS size FROM _adopted "
                "WHERE page_id NOT IN (SELECT page_id FROM raw_pages)",
                {"now": now},
            )
            added += con.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0] - before
        finally:
            con.unregister("_adopted")
    return added


def verify(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What is wrong with the raw layer, one line per file: a listed file missing, unreadable,
    or not holding the pages listed in it. Empty when every page can be replayed."""
    root = raw_dir(con)
    problems: list[str] = []
    rows = con.execute(
        "SELECT f.file, list(r.page_id) FILTER (WHERE r.page_id IS NOT NULL) FROM raw_files f "
        "LEFT JOIN raw_pages r USING (file) GROUP BY f.file ORDER BY f.file"
    ).fetchall()
    for file, ids in rows:
        path = root / file
        if not path.exists():
            problems.append(f"{path}: missing ({len(ids)} pages listed in it)")
            continue
        try:
            held = set(pq.read_table(path, columns=["page_id"])["page_id"].to_pylist())
        except (OSError, pa.ArrowException) as e:
            problems.append(f"{path}: unreadable ({e})")
            continue
        lost = [i for i in ids if i not in held]
        if lost:
            problems.append(f"{path}: lacks {len(lost)} of the {len(ids)} pages listed in it "
                            f"(first: {lost[0]})")
    orphans = con.execute(
        "SELECT count(*), any_value(page_id) FROM raw_pages "
        "WHERE file IS NULL OR file NOT IN (SELECT file FROM raw_files)"
    ).fetchall()[0]
    if orphans[0]:
        problems.append(f"{root}: {orphans[0]} pages are in no listed file (first: {orphans[1]})")
    return problems


def remove(db: str | os.PathLike[str]) -> None:
    """Delete a warehouse's raw layer (a demo or a benchmark starting from scratch)."""
    shutil.rmtree(raw_dir(db), ignore_errors=True)


def copy_raw(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Give the warehouse file ``dst`` (a copy of ``src``) the raw layer of ``src``: its files
    are immutable, so they are hard-linked where the file system allows, copied otherwise."""
    source, target = Path(str(src) + RAW_SUFFIX), Path(str(dst) + RAW_SUFFIX)
    if not source.is_dir():
        return
    for path in source.glob("territory=*/day=*/*.parquet"):
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, out)
        except OSError:  # another file system: a copy
            shutil.copyfile(path, out)
