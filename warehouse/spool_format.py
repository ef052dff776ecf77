"""The spool's files on disk, defined once: the collectors write and land them
(:mod:`collectors.spool`), an erasure rewrites them (:mod:`warehouse.redaction`).

Beside the warehouse ``<db>``, the folder ``<db>.spool/`` holds:

* one **envelope** per fetched page, ``<stem>.page.json`` (:data:`SUFFIX`): a JSON object
  with ``v``, ``territory``, ``platform``, ``source``, ``endpoint``, ``query``, ``origin``,
  ``fetched_at`` (ISO), ``state`` (the collector's state updates), ``body`` (the page as it
  came) and, for platforms other than X, ``canonical`` (the X-v2-shaped copy the loader
  reads) and ``kind``;
* ``rejected/`` (:func:`rejected_dir`): the bodies that could not be loaded,
  ``<stem>.body``, each with its ``<stem>.reason.txt``.

A stem sorts in the order files were written (nanosecond clock, pid, sequence). Every file
is written whole (:func:`write_atomic`): to a hidden temporary name ``.<name>.<tag>``
(ending in ``.tmp``), flushed, then renamed into place; a leftover temporary was never
complete (:func:`leftover_temporaries`).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIX = ".page.json"  # an envelope waiting to be landed
REJECTED = "rejected"  # the folder of unloadable bodies, inside the spool
BODY_SUFFIX = ".body"  # a rejected body
REASON_SUFFIX = ".reason.txt"  # why it was rejected, beside it
TMP_SUFFIX = ".tmp"  # a file being written
_seq = itertools.count()


def spool_dir(db: str | os.PathLike[str]) -> Path:
    """The spool folder of the warehouse ``db``: ``<db>.spool/``."""
    return Path(str(db) + ".spool")


def rejected_dir(db: str | os.PathLike[str]) -> Path:
    """Where unloadable pages are kept aside: ``<db>.spool/rejected/``."""
    return spool_dir(db) / REJECTED


def new_stem() -> str:
    """A file stem that sorts after every stem this process made before."""
    return f"{time.time_ns():020d}-{os.getpid()}-{next(_seq):06d}"


def write_atomic(path: Path, data: bytes, tag: str = "tmp") -> None:
    """Write ``data`` to ``path`` whole: through ``.<name>.<tag>``, flushed, then renamed
    (``tag`` ends in ``tmp``; the writers use different tags, so they never share one)."""
    tmp = path.with_name(f".{path.name}.{tag}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def dump_envelope(envelope: dict[str, Any]) -> bytes:
    """An envelope's bytes on disk (UTF-8 JSON)."""
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8")


def load_envelope(raw: bytes) -> Any:
    """The JSON value of a spool file's bytes (raises ``ValueError`` if it is not JSON)."""
    return json.loads(raw)


def pending(db: str | os.PathLike[str]) -> list[Path]:
    """Envelopes waiting to be loaded, oldest first."""
    folder = spool_dir(db)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def reason_path(body: Path) -> Path:
    """The ``.reason.txt`` beside a rejected body."""
    return body.with_name(body.name.removesuffix(BODY_SUFFIX) + REASON_SUFFIX)


def is_rejected(path: Path) -> bool:
    """Whether ``path`` is a rejected body (in ``rejected/``)."""
    return path.parent.name == REJECTED


def stored_files(db: str | os.PathLike[str]) -> Iterator[Path]:
    """Every complete file of the spool holding a page: envelopes and rejected bodies (not
    the reasons, not temporaries), in name order."""
    folder = spool_dir(db)
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.endswith((TMP_SUFFIX, REASON_SUFFIX)):
            yield path


def leftover_temporaries(db: str | os.PathLike[str]) -> Iterator[Path]:
    """Temporaries of writes cut short (never complete) at the top of the spool."""
    folder = spool_dir(db)
    if folder.is_dir():
        yield from folder.glob(f".*{TMP_SUFFIX}")
