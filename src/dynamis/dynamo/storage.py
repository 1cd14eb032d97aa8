"""SQLite storage for the DynamoDB engine: one WAL database, one WITHOUT ROWID table per DynamoDB table.

Rows are keyed (h, pk, sk): h is a 32-bit hash of the partition key (scan order and parallel-scan segments,
as DynamoDB's own hash ordering), pk the partition key's bytes and sk the order-preserving bytes of the sort
key, so a Query is one index range scan. All writes run on one writer thread that drains its queue into a
single transaction: concurrent writes share one commit (group commit), and a second thread fsyncs the WAL
for all commits made meanwhile before their writes are acknowledged. Reads run on a reader thread with its
own connection (WAL gives it the last committed state), so the event loop never touches disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("dynamis.dynamo")

_STOP = object()
_MAX_BATCH = 512  # writes per commit; bounds the latency one commit adds to the first write in it
_WAL_PAGES_LIMIT = 16384  # 64 MB of 4 KB pages


class TableRows:
    """SQL over the rows of one DynamoDB table or secondary index; methods run on a storage thread.

    Table rows are keyed (h, pk, sk). Index rows add the table's own key bytes (tpk, tsk) after the index's
    (h, pk, sk), since many items may share one index key; index partitions then read in (sk, tpk, tsk) order.
    """

    __slots__ = ("sql_name", "key_columns", "_get", "_put", "_delete", "_tail")

    def __init__(self, sql_name: str, index: bool = False) -> None:
        self.sql_name = sql_name
        self.key_columns = ("h", "pk", "sk", "tpk", "tsk") if index else ("h", "pk", "sk")
        self._tail = ", ".join(self.key_columns[2:])  # the order within a partition
        match = " AND ".join(f"{c} = ?" for c in self.key_columns)
        columns = ", ".join(self.key_columns)
        marks = ", ".join("?" * (len(self.key_columns) + 2))
        self._get = f'SELECT item, size FROM "{sql_name}" WHERE {match}'
        self._put = f'INSERT OR REPLACE INTO "{sql_name}" ({columns}, size, item) VALUES ({marks})'
        self._delete = f'DELETE FROM "{sql_name}" WHERE {match}'

    def create(self, conn: sqlite3.Connection) -> None:
        columns = "".join(f"{c} BLOB NOT NULL, " for c in self.key_columns[1:])
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{self.sql_name}" (h INTEGER NOT NULL, {columns}'
                     f"size INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY ({', '.join(self.key_columns)})) "
                     "WITHOUT ROWID")

    def drop(self, conn: sqlite3.Connection) -> None:
        conn.execute(f'DROP TABLE IF EXISTS "{self.sql_name}"')

    def get(self, conn: sqlite3.Connection, key: tuple) -> tuple[bytes, int] | None:
        """(item JSON, item size) or None."""
        return conn.execute(self._get, key).fetchone()

    def put(self, conn: sqlite3.Connection, key: tuple, size: int, blob: bytes) -> None:
        conn.execute(self._put, (*key, size, blob))

    def delete(self, conn: sqlite3.Connection, key: tuple) -> None:
        conn.execute(self._delete, key)

    def query(self, conn: sqlite3.Connection, h: int, pk: bytes, bounds: list[tuple[str, bytes]],
              forward: bool, after: tuple | None = None) -> Iterator[tuple[bytes, int]]:
        """Rows of one partition whose sort key satisfies every (operator, bytes) bound, in key order,
        strictly after (before, backwards) the key tail `after`."""
        where = "".join(f" AND sk {op} ?" for op, _ in bounds)
        params: list[Any] = [h, pk, *(value for _, value in bounds)]
        if after is not None:
            where += f" AND ({self._tail}) {'>' if forward else '<'} ({', '.join('?' * len(after))})"
            params += after
        order = ", ".join(f"{c} {'ASC' if forward else 'DESC'}" for c in self.key_columns[2:])
        sql = f'SELECT item, size FROM "{self.sql_name}" WHERE h = ? AND pk = ?{where} ORDER BY {order}'
        return conn.execute(sql, params)

    def scan(self, conn: sqlite3.Connection, after: tuple | None, h_low: int,
             h_high: int) -> Iterator[tuple[bytes, int]]:
        """Rows with h in [h_low, h_high), in key order, strictly after the key `after`."""
        columns = ", ".join(self.key_columns)
        if after is None:
            sql = f'SELECT item, size FROM "{self.sql_name}" WHERE h >= ? AND h < ? ORDER BY {columns}'
            return conn.execute(sql, (h_low, h_high))
        marks = ", ".join("?" * len(after))
        sql = f'SELECT item, size FROM "{self.sql_name}" WHERE ({columns}) > ({marks}) AND h < ? ORDER BY {columns}'
        return conn.execute(sql, (*after, h_high))


class _BatchThread:
    """A daemon thread that drains its queue in batches: the unit of group commit and of loop wake-ups."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, entry: Any) -> None:
        self._queue.put(entry)

    def stop(self) -> None:
        """Process everything queued so far, then end the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [entry for entry in batch if entry is not _STOP]
            if entries:
                self.process(entries)
            if len(entries) != len(batch):
                return

    def process(self, entries: list[Any]) -> None:
        raise NotImplementedError


def _to_loop(loop: asyncio.AbstractEventLoop, results: list[tuple]) -> None:
    """Resolve a batch's futures with one wake-up of the event loop (a hop per call costs more than the SQL)."""
    try:
        loop.call_soon_threadsafe(_deliver, results)
    except RuntimeError:  # the loop closed under us during shutdown; nobody is waiting
        pass


class _WalSyncer(_BatchThread):
    """Makes commits durable: one fsync of the WAL covers every commit queued before it, and only then are
    their writes acknowledged. The writer meanwhile runs and commits the next batch, so SQL work and fsyncs
    overlap instead of alternating (SQLite's own synchronous=FULL would fsync inside each COMMIT)."""

    def __init__(self, wal_path: str, loop: asyncio.AbstractEventLoop) -> None:
        self.wal_path = wal_path
        self.loop = loop
        self._fd: int | None = None
        super().__init__("dynamo-fsync")

    def process(self, entries: list[list[tuple]]) -> None:
        if self._fd is None:
            self._fd = os.open(self.wal_path, os.O_RDONLY)
        os.fsync(self._fd)
        _to_loop(self.loop, [result for results in entries for result in results])

    def stop(self) -> None:
        super().stop()
        if self._fd is not None:
            os.close(self._fd)


class _Checkpointer:
    """Copies the WAL back into the database file once a second from its own connection. SQLite would do it
    inside whichever COMMIT crosses 1000 WAL pages, stalling every write queued behind that commit."""

    def __init__(self, conn: sqlite3.Connection, interval: float = 1.0) -> None:
        self.conn = conn
        self.interval = interval
        self.restart_wal = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dynamo-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                _, wal_pages, copied = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                # Readers that never all pause at once keep the WAL from being reused, so it only grows;
                # past a bound the writer restarts it between two batches (see Storage._restart_wal).
                self.restart_wal = wal_pages > _WAL_PAGES_LIMIT and copied == wal_pages
            except sqlite3.Error as exc:
                log.warning("dynamo WAL checkpoint failed: %s", exc)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self.conn.close()


class _SqlThread(_BatchThread):
    """Owns one connection and runs each batch of queued calls in one transaction."""

    def __init__(self, name: str, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop,
                 before_commit: Callable[[sqlite3.Connection], None] | None = None,
                 syncer: _WalSyncer | None = None,
                 after_commit: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self.conn = conn
        self.loop = loop
        self.before_commit = before_commit
        self.after_commit = after_commit
        self.syncer = syncer
        self.commits = 0
        super().__init__(name)

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        future = self.loop.create_future()
        self.put((future, fn))
        return future

    def process(self, entries: list[tuple]) -> None:
        conn = self.conn
        results = []
        conn.execute("BEGIN")
        for future, fn in entries:
            try:
                results.append((future, fn(conn), None))
            except Exception as exc:  # delivered to the awaiting request, never kills the thread
                results.append((future, None, exc))
        try:
            if self.before_commit is not None:
                self.before_commit(conn)
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            log.error("dynamo storage commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            results = [(future, None, exc) for future, _, _ in results]
        if self.syncer is not None:
            self.syncer.put(results)
        else:
            _to_loop(self.loop, results)
        if self.after_commit is not None:
            self.after_commit(conn)


class Storage:
    """The database file plus its writer thread (group commit) and reader thread."""

    def __init__(self, data_dir: str | None) -> None:
        """`data_dir` None keeps everything in memory (one connection that serves reads and writes)."""
        self.path = os.path.join(data_dir, "dynamo.sqlite3") if data_dir else None
        if data_dir:
            os.makedirs(data_dir, exist_ok=True)
        self._writer_conn = self._connect()
        self._writer: _SqlThread | None = None
        self._reader: _SqlThread | None = None
        self._syncer: _WalSyncer | None = None
        self._checkpointer: _Checkpointer | None = None
        # Called on the writer thread just before each commit (to persist table counters in it).
        self.before_commit: Callable[[sqlite3.Connection], None] | None = None

    @property
    def commits(self) -> int:
        """Transactions committed by the writer thread (group commit makes this far fewer than writes)."""
        return self._writer.commits if self._writer else 0

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path or ":memory:", isolation_level=None, check_same_thread=False)
        if self.path:
            conn.execute("PRAGMA journal_mode=WAL")
            # Commits do not fsync inside SQLite: _WalSyncer fsyncs the WAL before any write is acknowledged.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_PAGES_LIMIT * 4096}")  # shrink a rewound WAL
        conn.execute("PRAGMA cache_size=-65536")
        return conn

    def run_sync(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `fn` on the writer connection before the threads start (start-up only)."""
        assert self._writer is None
        return fn(self._writer_conn)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the writer and reader threads; results are delivered on `loop`."""
        if self.path:
            self._writer_conn.execute("PRAGMA wal_autocheckpoint=0")  # the _Checkpointer's job instead
            self._checkpointer = _Checkpointer(self._connect())
            self._syncer = _WalSyncer(self.path + "-wal", loop)
        self._writer = _SqlThread("dynamo-writer", self._writer_conn, loop, self.before_commit, self._syncer,
                                  self._restart_wal if self.path else None)
        if self.path:
            reader = self._connect()
            reader.execute("PRAGMA query_only=1")
            self._reader = _SqlThread("dynamo-reader", reader, loop)

    def _restart_wal(self, conn: sqlite3.Connection) -> None:
        """On the writer thread, between batches: rewind an overgrown WAL once the checkpointer copied it all
        (waits for the reader's current batch; writes wait meanwhile, which is why it is rare)."""
        if self._checkpointer is not None and self._checkpointer.restart_wal:
            self._checkpointer.restart_wal = False
            try:
                conn.execute("PRAGMA wal_checkpoint(RESTART)")
            except sqlite3.Error as exc:
                log.warning("dynamo WAL restart failed: %s", exc)

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        """Run `fn(conn)` on the writer thread inside a shared transaction; resolves after the commit."""
        assert self._writer is not None
        return self._writer.submit(fn)

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        """Run `fn(conn)` on the reader thread against the last commit (on the writer thread when in memory)."""
        return (self._reader or self._writer).submit(fn)  # type: ignore[union-attr]

    def close(self) -> None:
        """Finish queued work, stop the threads and close the connections (checkpointing the WAL)."""
        for worker in (self._reader, self._writer):
            if worker is not None:
                worker.stop()
        if self._syncer is not None:
            self._syncer.stop()  # after the writer: its last commits are acknowledged first
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._reader is not None:
            self._reader.conn.close()
        self._writer_conn.close()
        self._reader = self._writer = self._syncer = self._checkpointer = None


def _deliver(results: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    for future, value, exc in results:
        if future.cancelled():
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(value)
