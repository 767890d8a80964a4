"""Job storage for the emulator: in memory, or in a SQLite file that survives a restart.

A job is stored as a *record*: a plain, JSON-serializable ``dict`` holding the client's
request body, the lifecycle state and, once completed, the histograms. The HTTP layer never
sees records; :mod:`.lifecycle` renders them into the vendor's job objects.

Records handed out by a store are snapshots. Callers must not mutate them: every change goes
through :meth:`JobStore.update`, which atomically replaces the record (and can refuse the
change when the job has meanwhile reached another status, e.g. a cancel racing a worker).

A SQLite store keeps each record in two columns: the small fields every status poll and
listing needs (``data``), and the large ones (``body``, ``results``, ``sharpened``,
``aggregations``: the request and the histograms, see :data:`HEAVY_FIELDS`) apart, read only
when asked for with ``get(job_id, full=True)``. A store file is locked by the process that
opened it: a second emulator on the same file is refused with a clear error instead of both
writing to it.

Deleted jobs are kept as *tombstones* (``deleted`` true, payload dropped) so that a list
cursor naming a deleted job still has a position (docs/reference/ionq-api.md §2.3: the cursor is a
job id) while ``get`` reports them as missing (§2.6: a deleted job is a 404).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from typing import Any, Collection, Dict, Iterable, List, Optional, Tuple

from .simulation.histogram import Histogram

try:  # POSIX advisory locks; elsewhere the store file is simply not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Record = Dict[str, Any]

# Fields kept on a tombstone; everything else (body, histograms, metadata) is dropped.
_TOMBSTONE_FIELDS = ("id", "seq", "parent", "children", "request")
# Large fields, kept apart by the SQLite store and read only by get(..., full=True).
HEAVY_FIELDS = (
    "body",
    "results",
    "sharpened",
    "aggregations",
    "artifacts",
)  # artifacts: v0.4 shots etc.


class StoreLockedError(RuntimeError):
    """Another process (another emulator) already uses this store file."""


class JobStore:
    """Interface shared by :class:`MemoryStore` and :class:`SqliteStore`.

    Every method is thread-safe: the HTTP server serves each connection on its own thread and
    the lifecycle workers update jobs concurrently.
    """

    def add(self, records: Iterable[Record]) -> List[Record]:
        """Insert new records atomically, assigning each a creation sequence number ``seq``.

        Args:
            records: new records (a parent job first, then its children); each needs ``id``,
                ``status`` and ``parent`` (``None`` for a top-level job).

        Returns:
            The stored records, with ``seq`` set.
        """
        raise NotImplementedError

    def get(
        self, job_id: str, *, include_deleted: bool = False, full: bool = False
    ) -> Optional[Record]:
        """Return the record for ``job_id``, or ``None`` if unknown (or deleted).

        Args:
            job_id: the job.
            include_deleted: return tombstones too.
            full: include :data:`HEAVY_FIELDS` (a store may leave them out otherwise; the
                memory store always has them).
        """
        raise NotImplementedError

    def update(
        self,
        job_id: str,
        changes: Dict[str, Any],
        *,
        only_if_status: Optional[Collection[str]] = None,
    ) -> Optional[Record]:
        """Apply ``changes`` to a live record, atomically.

        Args:
            job_id: the job to change.
            changes: fields to set.
            only_if_status: when given, change the record only if its current status is one
                of these (compare-and-set; this is how a late worker is kept from overwriting a
                ``canceled`` job with ``completed``).

        Returns:
            The new record, or ``None`` when the job is unknown, deleted, or the status
            condition did not hold.
        """
        raise NotImplementedError

    def delete(self, job_ids: Collection[str]) -> None:
        """Turn the given jobs into tombstones (unknown ids are ignored)."""
        raise NotImplementedError

    def list(
        self,
        *,
        status: Optional[str] = None,
        ids: Optional[Collection[str]] = None,
        limit: int = 25,
        cursor: Optional[str] = None,
        owner: Optional[str] = None,
    ) -> Tuple[List[Record], Optional[str]]:
        """List live top-level jobs, newest first.

        Args:
            status: only jobs with this status.
            ids: only jobs with one of these ids.
            limit: page size (at least 1).
            cursor: id of the first job of the wanted page (a previous call's ``next``).
            owner: only jobs of this owner (``None``: jobs created without an owner).

        Returns:
            ``(records, next)``; ``next`` is the id starting the following page, or ``None``
            on the last page.

        Raises:
            KeyError: ``cursor`` names no job this store has ever held.
        """
        raise NotImplementedError

    def unfinished(self) -> List[Record]:
        """Return live records whose status is not final (used after a restart)."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget every job."""
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (the SQLite connection)."""


_FINAL = ("completed", "failed", "canceled")


def _tombstone(record: Record) -> Record:
    dead = {key: record.get(key) for key in _TOMBSTONE_FIELDS}
    dead["status"] = "deleted"
    dead["deleted"] = True
    return dead


class MemoryStore(JobStore):
    """Jobs in a dict; the default (``store=None``). Lost when the process exits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Insertion order == creation order, which the newest-first listing walks backwards.
        self._records: Dict[str, Record] = {}
        self._seq = 0

    def add(self, records: Iterable[Record]) -> List[Record]:
        stored = []
        with self._lock:
            for record in records:
                self._seq += 1
                new = {**record, "seq": self._seq, "deleted": False}
                self._records[new["id"]] = new
                stored.append(new)
        return stored

    def get(
        self, job_id: str, *, include_deleted: bool = False, full: bool = False
    ) -> Optional[Record]:
        record = self._records.get(job_id)
        if record is None or (record["deleted"] and not include_deleted):
            return None
        return record

    def update(
        self,
        job_id: str,
        changes: Dict[str, Any],
        *,
        only_if_status: Optional[Collection[str]] = None,
    ) -> Optional[Record]:
        with self._lock:
            record = self._records.get(job_id)
            if record is None or record["deleted"]:
                return None
            if only_if_status is not None and record["status"] not in only_if_status:
                return None
            # Replace rather than mutate: readers may hold the previous snapshot.
            new = {**record, **changes}
            self._records[job_id] = new
            return new

    def delete(self, job_ids: Collection[str]) -> None:
        with self._lock:
            for job_id in job_ids:
                record = self._records.get(job_id)
                if record is not None:
                    self._records[job_id] = _tombstone(record)

    def list(
        self,
        *,
        status: Optional[str] = None,
        ids: Optional[Collection[str]] = None,
        limit: int = 25,
        cursor: Optional[str] = None,
        owner: Optional[str] = None,
    ) -> Tuple[List[Record], Optional[str]]:
        with self._lock:
            records = list(self._records.values())
        start_seq = None
        if cursor is not None:
            if cursor not in self._records:
                raise KeyError(cursor)
            start_seq = self._records[cursor]["seq"]
        wanted = set(ids) if ids is not None else None
        page: List[Record] = []
        for record in reversed(records):
            if record["deleted"] or record["parent"] is not None:
                continue
            if start_seq is not None and record["seq"] > start_seq:
                continue
            if status is not None and record["status"] != status:
                continue
            if wanted is not None and record["id"] not in wanted:
                continue
            if record.get("owner") != owner:
                continue
            if len(page) == limit:
                return page, record["id"]
            page.append(record)
        return page, None

    def unfinished(self) -> List[Record]:
        with self._lock:
            return [
                r for r in self._records.values() if not r["deleted"] and r["status"] not in _FINAL
            ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    parent TEXT,
    status TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_list ON jobs (parent, deleted, seq);
"""


class SqliteStore(JobStore):
    """Jobs in a SQLite file (stdlib ``sqlite3``), so a restarted emulator serves old jobs.

    One connection shared by all threads behind a lock: the emulator's load is tiny and this
    keeps SQLite's own locking out of the picture. WAL journaling with ``synchronous=NORMAL``
    keeps a commit well under a millisecond (no fsync per transaction); an OS crash may lose
    the last few jobs, which is acceptable for a local test server.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._lock_file = self._take_file_lock(self.path)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except BaseException:
            self._lock_file.close()
            raise
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "owner" not in columns:  # files written before per-key job lists
                self._db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")
            if "heavy" not in columns:  # files written before the light/heavy split
                self._db.execute("ALTER TABLE jobs ADD COLUMN heavy TEXT")

    @staticmethod
    def _take_file_lock(path: str) -> Any:
        """Lock ``path + ".lock"`` for this process, or raise :class:`StoreLockedError`."""
        handle = open(path + ".lock", "a+")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise StoreLockedError(
                    f"the job store {path!r} is in use by another emulator (it is locked); "
                    "two emulators cannot share one store file: stop the other one or use "
                    "another --store path"
                ) from None
        return handle

    @staticmethod
    def _dump(value: Any) -> str:
        return json.dumps(value, default=_to_json)

    @staticmethod
    def _load(row: Tuple[Any, ...]) -> Record:
        """A record from ``(seq, data, deleted[, heavy])``."""
        record: Record = json.loads(row[1])
        if len(row) > 3 and row[3]:
            record.update(json.loads(row[3], object_hook=_from_json))
        record["seq"] = row[0]
        record["deleted"] = bool(row[2])
        return record

    @staticmethod
    def _split(record: Record) -> Tuple[str, Optional[str]]:
        light = {k: v for k, v in record.items() if k not in HEAVY_FIELDS}
        heavy = {k: record[k] for k in HEAVY_FIELDS if k in record}
        return SqliteStore._dump(light), (SqliteStore._dump(heavy) if heavy else None)

    def add(self, records: Iterable[Record]) -> List[Record]:
        stored = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for record in records:
                    light, heavy = self._split(record)
                    cur = self._db.execute(
                        "INSERT INTO jobs (id, parent, status, owner, data, heavy) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            record["id"],
                            record["parent"],
                            record["status"],
                            record.get("owner"),
                            light,
                            heavy,
                        ),
                    )
                    stored.append({**record, "seq": cur.lastrowid, "deleted": False})
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stored

    def get(
        self, job_id: str, *, include_deleted: bool = False, full: bool = False
    ) -> Optional[Record]:
        columns = "seq, data, deleted, heavy" if full else "seq, data, deleted"
        with self._lock:
            row = self._db.execute(f"SELECT {columns} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or (row[2] and not include_deleted):
            return None
        return self._load(row)

    def update(
        self,
        job_id: str,
        changes: Dict[str, Any],
        *,
        only_if_status: Optional[Collection[str]] = None,
    ) -> Optional[Record]:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, data, deleted FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None or row[2]:
                return None
            record = self._load(row)
            if only_if_status is not None and record["status"] not in only_if_status:
                return None
            heavy_changes = {k: v for k, v in changes.items() if k in HEAVY_FIELDS}
            record.update({k: v for k, v in changes.items() if k not in HEAVY_FIELDS})
            self._db.execute(
                "UPDATE jobs SET status = ?, data = ? WHERE id = ?",
                (record["status"], self._dump(record), job_id),
            )
            if heavy_changes:
                old = self._db.execute("SELECT heavy FROM jobs WHERE id = ?", (job_id,)).fetchone()
                heavy = json.loads(old[0], object_hook=_from_json) if old and old[0] else {}
                heavy.update(heavy_changes)
                heavy = {k: v for k, v in heavy.items() if v is not None}
                self._db.execute(
                    "UPDATE jobs SET heavy = ? WHERE id = ?",
                    (self._dump(heavy) if heavy else None, job_id),
                )
                record.update(heavy_changes)
            return record

    def delete(self, job_ids: Collection[str]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for job_id in job_ids:
                row = self._db.execute(
                    "SELECT seq, data, deleted FROM jobs WHERE id = ?", (job_id,)
                ).fetchone()
                if row is not None:
                    dead = _tombstone(self._load(row))
                    self._db.execute(
                        "UPDATE jobs SET status = 'deleted', deleted = 1, data = ?, heavy = NULL "
                        "WHERE id = ?",
                        (self._dump(dead), job_id),
                    )
            self._db.execute("COMMIT")

    def list(
        self,
        *,
        status: Optional[str] = None,
        ids: Optional[Collection[str]] = None,
        limit: int = 25,
        cursor: Optional[str] = None,
        owner: Optional[str] = None,
    ) -> Tuple[List[Record], Optional[str]]:
        where = ["parent IS NULL", "deleted = 0"]
        params: List[Any] = []
        if owner is None:
            where.append("owner IS NULL")
        else:
            where.append("owner = ?")
            params.append(owner)
        with self._lock:
            if cursor is not None:
                row = self._db.execute("SELECT seq FROM jobs WHERE id = ?", (cursor,)).fetchone()
                if row is None:
                    raise KeyError(cursor)
                where.append("seq <= ?")
                params.append(row[0])
            if status is not None:
                where.append("status = ?")
                params.append(status)
            if ids is not None:
                ids = list(ids)
                where.append(f"id IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            rows = self._db.execute(
                f"SELECT seq, data, deleted FROM jobs WHERE {' AND '.join(where)} "
                "ORDER BY seq DESC LIMIT ?",
                (*params, limit + 1),
            ).fetchall()
        records = [self._load(row) for row in rows]
        if len(records) > limit:
            return records[:limit], records[limit]["id"]
        return records, None

    def unfinished(self) -> List[Record]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, data, deleted, heavy FROM jobs WHERE deleted = 0 "
                "AND status NOT IN ('completed', 'failed', 'canceled') ORDER BY seq"
            ).fetchall()
        return [self._load(row) for row in rows]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs")

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()  # releases the file lock


def _to_json(value: Any) -> Any:
    if isinstance(value, Histogram):
        return value.to_state()
    raise TypeError(f"cannot store a {type(value).__name__}")


def _from_json(obj: Dict[str, Any]) -> Any:
    state = obj.get("__histogram__")
    if state is not None and len(obj) == 1:
        return Histogram.from_state(state)
    return obj


def open_store(store: JobStore | str | os.PathLike[str] | None) -> JobStore:
    """Build a store from the ``IonQEmulator(store=...)`` argument.

    Args:
        store: ``None`` for memory, a path for a SQLite file (created if missing), or a ready
            :class:`JobStore` instance.

    Returns:
        The store to use.
    """
    if store is None:
        return MemoryStore()
    if isinstance(store, JobStore):
        return store
    return SqliteStore(store)
