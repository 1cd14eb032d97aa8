"""The keyspace: 16 databases of key -> value dicts with their expire tables.

Values are Python objects owned by the type modules: a string is `bytes` (or `bytearray` once it
has been appended to or modified in place, which OBJECT ENCODING reports as `raw`). Every write
reaches `Keyspace.key_modified`, the one place where WATCH, client tracking and keyspace
notifications hook in; the active expiry cycle frees keys that nobody reads again.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from dynamis.kv.protocol import ReplyError

WRONGTYPE = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")


def now_ms() -> int:
    return int(time.time() * 1000)


class ScanCursors:
    """Stateless-looking cursors for SCAN/HSCAN/SSCAN/ZSCAN over a Python dict.

    A dict cannot be walked by bucket as Redis walks its hash table, so the first call of a scan
    takes a snapshot of the keys (a list of references, cheap in C) and the cursor encodes
    (snapshot id, offset). Every key present for the whole scan is in the snapshot, so it is
    returned exactly once; keys deleted meanwhile are skipped. Snapshots are bounded in number and
    total size; a cursor whose snapshot was dropped restarts a new one at the same offset.
    """

    MAX_SNAPSHOTS = 64
    MAX_TOTAL_KEYS = 8_000_000

    def __init__(self) -> None:
        self._snapshots: OrderedDict[int, list[Any]] = OrderedDict()
        self._total = 0
        self._next_id = random.randrange(1, 1 << 20)

    def scan(self, source: Iterable[Any], size: int, cursor: int, count: int) -> tuple[int, list[Any]]:
        """Return (next cursor, candidate keys); callers re-check membership and filters."""
        if cursor == 0 and size <= count:
            return 0, list(source)
        snap_id, offset = cursor >> 32, cursor & 0xFFFFFFFF
        keys = self._snapshots.get(snap_id) if cursor else None
        if keys is None:
            keys = list(source)
            snap_id = self._next_id
            self._next_id += 1
            self._snapshots[snap_id] = keys
            self._total += len(keys)
            while len(self._snapshots) > self.MAX_SNAPSHOTS or (
                self._total > self.MAX_TOTAL_KEYS and len(self._snapshots) > 1
            ):
                _, dropped = self._snapshots.popitem(last=False)
                self._total -= len(dropped)
        else:
            self._snapshots.move_to_end(snap_id)
        end = offset + count
        batch = keys[offset:end]
        if end >= len(keys):
            self._total -= len(self._snapshots.pop(snap_id, ()))
            return 0, batch
        return (snap_id << 32) | end, batch


class Database:
    """One numbered database: `data` maps key -> value, `expires` key -> unix time in ms."""

    __slots__ = ("id", "data", "expires", "keyspace", "avg_ttl", "_expire_keys", "_expire_pos")

    def __init__(self, db_id: int, keyspace: Keyspace) -> None:
        self.id = db_id
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.keyspace = keyspace
        self.avg_ttl = 0
        self._expire_keys: list[bytes] = []
        self._expire_pos = 0

    # -- reads ---------------------------------------------------------------------------

    def lookup(self, key: bytes) -> Any:
        """The live value of `key`, or None; an expired key is deleted on the way (lazy expiry)."""
        if self.expires and key in self.expires and self.expires[key] <= now_ms():
            self._expire(key)
            return None
        return self.data.get(key)

    def lookup_typed(self, key: bytes, kind: type | tuple[type, ...]) -> Any:
        """Like `lookup`, but a value of another type is a WRONGTYPE error."""
        value = self.lookup(key)
        if value is not None and not isinstance(value, kind):
            raise WRONGTYPE
        return value

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        """Milliseconds until `key` expires, None when it has no expire (caller checked existence)."""
        when = self.expires.get(key)
        return None if when is None else max(when - now_ms(), 0)

    # -- writes --------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store `value` under `key`, dropping its expire unless `keep_ttl`."""
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        self.keyspace.key_modified(self, key)

    def delete(self, key: bytes) -> bool:
        if self.lookup(key) is None:
            return False
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        self.keyspace.key_modified(self, key)
        return True

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        self.keyspace.key_modified(self, key)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.keyspace.key_modified(self, key)
        return True

    def flush(self) -> None:
        for key in list(self.data) if self.keyspace.watching else ():
            self.keyspace.key_modified(self, key)
        self.data = {}
        self.expires = {}
        self._expire_keys = []
        self._expire_pos = 0

    def _expire(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self.keyspace.stats_expired_keys += 1
        self.keyspace.key_modified(self, key)
        self.keyspace.notify(self, "x", "expired", key)

    # -- sampling ------------------------------------------------------------------------

    def random_key(self) -> bytes | None:
        """A random live key (expired ones met on the way are deleted)."""
        for _ in range(100):
            if not self.data:
                return None
            key = _random_dict_key(self.data)
            if self.lookup(key) is not None:
                return key
        return next(iter(self.data), None)

    def active_expire(self, deadline: float, sample: int = 20) -> int:
        """Expire keys sampled from `expires` until few are stale or `deadline` (perf_counter) passes.

        Like Redis's activeExpireCycle the walk resumes where it stopped, so over successive
        cycles every volatile key is looked at, including those never accessed again.
        """
        expired = 0
        while self.expires:
            if self._expire_pos >= len(self._expire_keys):
                self._expire_keys = list(self.expires)
                self._expire_pos = 0
            batch = self._expire_keys[self._expire_pos : self._expire_pos + sample]
            self._expire_pos += sample
            now = now_ms()
            stale = 0
            ttl_sum = ttl_n = 0
            for key in batch:
                when = self.expires.get(key)
                if when is None:
                    continue
                if when <= now:
                    self._expire(key)
                    stale += 1
                else:
                    ttl_sum += when - now
                    ttl_n += 1
            expired += stale
            if ttl_n:
                self.avg_ttl = (ttl_sum // ttl_n) if not self.avg_ttl else (self.avg_ttl * 49 + ttl_sum // ttl_n) // 50
            if stale * 10 <= len(batch) or time.perf_counter() > deadline:
                break
        return expired


def _random_dict_key(d: dict[bytes, Any]) -> bytes:
    # dicts have no O(1) random access; islice to a random offset of a small window keeps this cheap
    # for small dicts and bounded for big ones
    n = len(d)
    offset = random.randrange(n) if n <= 1024 else random.randrange(1024)
    it = iter(d)
    for _ in range(offset):
        next(it)
    return next(it)


class Keyspace:
    """All databases plus the hooks every write goes through."""

    def __init__(self, databases: int = 16) -> None:
        self.dbs = [Database(i, self) for i in range(databases)]
        self.dirty = 0
        self.stats_expired_keys = 0
        self.watching: dict[tuple[int, bytes], set[Any]] = {}  # (db, key) -> clients that WATCH it
        self.notify_flags = ""
        self.notify_hook: Callable[[Database, str, str, bytes], None] | None = None
        self.scan_cursors = ScanCursors()

    def key_modified(self, db: Database, key: bytes) -> None:
        """Called on every change of a key (Redis's signalModifiedKey): WATCH, later tracking."""
        if self.watching:
            clients = self.watching.get((db.id, key))
            if clients:
                for client in clients:
                    client.watch_dirty = True

    def notify(self, db: Database, event_class: str, event: str, key: bytes) -> None:
        """A keyspace event (`notify-keyspace-events`); costs one check when notifications are off."""
        if self.notify_hook is not None and event_class in self.notify_flags:
            self.notify_hook(db, event_class, event, key)

    def flushall(self) -> None:
        for db in self.dbs:
            db.flush()

    def swap(self, a: int, b: int) -> None:
        da, db_ = self.dbs[a], self.dbs[b]
        da.data, db_.data = db_.data, da.data
        da.expires, db_.expires = db_.expires, da.expires
        da.avg_ttl, db_.avg_ttl = db_.avg_ttl, da.avg_ttl
        for d in (da, db_):
            d._expire_keys, d._expire_pos = [], 0
            if self.watching:
                for key in list(d.data):
                    self.key_modified(d, key)
