"""The keyspace: 16 databases of key -> value dicts with their expire tables.

Values are Python objects owned by the type modules: a string is `bytes` (or `bytearray` once it
has been appended to or modified in place, which OBJECT ENCODING reports as `raw`). Every write
reaches `Keyspace.key_modified`, the one place where WATCH, client tracking and keyspace
notifications hook in; the active expiry cycle frees keys that nobody reads again.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from dynamis.kv.blocking import BlockingState, signal_swapped_dbs
from dynamis.kv.protocol import ReplyError

WRONGTYPE = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")


def now_ms() -> int:
    return int(time.time() * 1000)


LFU_INIT_VAL = 5


def lfu_minutes() -> int:
    return (int(time.time()) // 60) & 0xFFFF


def lfu_counter(word: int, keyspace: Keyspace) -> int:
    """Redis's LFUDecrAndReturn: the counter after decay for the minutes since the last access."""
    counter = word & 0xFF
    if keyspace.lfu_decay_time:
        elapsed = (lfu_minutes() - (word >> 8)) & 0xFFFF
        counter = max(counter - elapsed // keyspace.lfu_decay_time, 0)
    return counter


def lfu_touch(word: int, keyspace: Keyspace) -> int:
    """Redis's updateLFU: decay, then a logarithmic increment (probability 1/((c-5)*factor+1))."""
    counter = lfu_counter(word, keyspace)
    if counter < 255 and random.random() < 1.0 / (max(counter - LFU_INIT_VAL, 0) * keyspace.lfu_log_factor + 1):
        counter += 1
    return (lfu_minutes() << 8) | counter


def lfu_new(keyspace: Keyspace) -> int:
    return (lfu_minutes() << 8) | LFU_INIT_VAL


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

    __slots__ = ("id", "data", "expires", "access", "clock", "loaded_clock", "lfu", "keyspace", "avg_ttl",
                 "hits", "misses", "_expire_keys", "_expire_pos", "_pool", "_pool_left", "hexpires")

    def __init__(self, db_id: int, keyspace: Keyspace) -> None:
        self.id = db_id
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        # key -> LRU clock (seconds) or, under an LFU policy, Redis's LFU word (minutes << 8 | counter):
        # what Redis keeps in robj.lru, for OBJECT IDLETIME/FREQ and eviction
        self.access: dict[bytes, int] = {}
        self.clock = keyspace.clock
        self.loaded_clock = self.clock  # the access clock of keys without an `access` entry (see load())
        self.lfu = False
        self.keyspace = keyspace
        self.avg_ttl = 0
        self.hits = self.misses = 0  # INFO keyspace_hits / keyspace_misses (read lookups only, as Redis)
        self._expire_keys: list[bytes] = []
        self._expire_pos = 0
        self._pool: list[bytes] = []  # a snapshot of the keys that random_key draws from (big dbs)
        self._pool_left = 0
        # hashes with field times, as a heap of (earliest field time, key) (Redis's db->hexpires);
        # entries of hashes deleted or refiled since are skipped (kv/types/hash.py)
        self.hexpires: list[tuple[int, bytes]] = []

    # -- reads ---------------------------------------------------------------------------

    def lookup(self, key: bytes) -> Any:
        """The live value of `key`, or None; an expired key is deleted on the way (lazy expiry).

        Records the access (LRU clock / LFU counter) like Redis's lookupKey."""
        value = self.data.get(key)
        if value is None:
            return None
        if self.expires and key in self.expires and self.expires[key] <= now_ms():
            self._expire(key)
            return None
        if self.keyspace.no_touch:
            return value
        if self.lfu:
            self.access[key] = lfu_touch(self.access_word(key), self.keyspace)
        else:
            self.access[key] = self.clock
        return value

    def peek(self, key: bytes) -> Any:
        """Like `lookup` without recording an access (Redis's LOOKUP_NOTOUCH: TYPE, TTL, OBJECT...)."""
        if self.expires and key in self.expires and self.expires[key] <= now_ms():
            self._expire(key)
            return None
        return self.data.get(key)

    def read(self, key: bytes, touch: bool = True, notify_miss: bool = True) -> Any:
        """Redis's lookupKeyRead: `lookup` (or `peek` when not `touch`) that also counts keyspace
        hits/misses and sends the `keymiss` event. Write commands use `lookup`, which counts nothing."""
        value = self.lookup(key) if touch else self.peek(key)
        if value is None:
            self.misses += 1
            if notify_miss and self.keyspace.notify_flags:
                self.keyspace.notify(self, "m", "keymiss", key)
        else:
            self.hits += 1
        return value

    def lookup_typed(self, key: bytes, kind: type | tuple[type, ...]) -> Any:
        """Like `lookup`, but a value of another type is a WRONGTYPE error."""
        value = self.lookup(key)
        if value is not None and not isinstance(value, kind):
            raise WRONGTYPE
        return value

    def access_word(self, key: bytes) -> int:
        """What Redis keeps in robj.lru for `key`: its LRU clock, or its LFU word under an LFU policy."""
        word = self.access.get(key)
        if word is not None:
            return word
        if self.lfu:
            return (((self.loaded_clock // 60) & 0xFFFF) << 8) | LFU_INIT_VAL
        return self.loaded_clock

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        """Milliseconds until `key` expires, None when it has no expire (caller checked existence)."""
        when = self.expires.get(key)
        return None if when is None else max(when - now_ms(), 0)

    # -- writes --------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store `value` under `key`, dropping its expire unless `keep_ttl`."""
        if self.keyspace.notify_new and key not in self.data:
            self.keyspace.notify(self, "n", "new", key)
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        if not self.lfu:
            self.access[key] = self.clock
        elif key not in self.access:  # an overwritten value keeps its LFU counter, as in Redis
            self.access[key] = lfu_new(self.keyspace)
        self.keyspace.key_modified(self, key)

    def load(self, key: bytes, value: Any) -> None:
        """Add a key as a bulk load does (DEBUG POPULATE, later RDB loading).

        Bulk-loaded keys share one access clock (`loaded_clock`) instead of an `access` entry each,
        until they are touched: a second dict entry per key would cost ~40 bytes of every key's ~140."""
        self.set(key, value)
        del self.access[key]
        self.loaded_clock = self.clock

    def delete(self, key: bytes) -> bool:
        """Remove a live key (one whose TTL has passed is expired on the way, and not deleted again)."""
        return self.peek(key) is not None and self.discard(key)

    def elements_removed(self, key: bytes, value: Any, event_class: str, event: str, count: int) -> None:
        """After `count` elements left the container `value` in place: notify, signal the key, and delete
        the key once the container is empty (Redis never keeps an empty hash, list or set)."""
        keyspace = self.keyspace
        if keyspace.notify_flags:
            keyspace.notify(self, event_class, event, key)
        if value:
            keyspace.key_modified(self, key)
        else:
            self.delete(key)
            keyspace.notify(self, "g", "del", key)
        keyspace.dirty += count

    def discard(self, key: bytes) -> bool:
        """Redis's dbDelete: remove `key` even when its TTL has passed (no lazy expiry, no `expired` event
        first): what the *STORE commands do to their destination when the result is empty."""
        if key not in self.data:
            return False
        del self.data[key]
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        self.keyspace.key_modified(self, key)
        return True

    def file_subexpiry(self, key: bytes, value: Any) -> None:
        """`value` was stored whole under `key` (RENAME, MOVE, COPY): file its field times, if it has
        any, under that key in this db's `hexpires`, as Redis's hashTypeAddToExpires."""
        ttls = getattr(value, "ttls", None)
        if ttls is not None and ttls.filed is not None:
            heapq.heappush(self.hexpires, (ttls.filed, key))

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        self.keyspace.key_modified(self, key)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.keyspace.key_modified(self, key)
        return True

    def flush(self, invalidate: bool = True) -> None:
        """Empty this database (FLUSHDB); tracking clients get a null invalidation."""
        self.keyspace.touch_watched_in_db(self)
        if invalidate and self.keyspace.tracking is not None:
            self.keyspace.tracking.flush()
        if self.keyspace.blocked_keys:
            # waiters on flushed keys get their say (XREADGROUP: -UNBLOCKED), as Redis's scanDatabaseForDeletedKeys
            ready = self.keyspace.blocking.ready
            for entry in self.keyspace.blocked_keys:
                if entry[0] == self.id and entry[1] in self.data:
                    ready[entry] = None
        self.data = {}
        self.expires = {}
        self.access = {}
        self.avg_ttl = 0  # as Redis's emptyDb: INFO's avg_ttl starts afresh
        self._pool = []
        self._expire_keys = []
        self._expire_pos = 0
        self.hexpires = []

    def _expire(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self.access.pop(key, None)
        self.keyspace.stats_expired_keys += 1
        self.keyspace.key_modified(self, key)
        self.keyspace.notify(self, "x", "expired", key)

    # -- sampling ------------------------------------------------------------------------

    def random_key(self) -> bytes | None:
        """A random live key (expired ones met on the way are deleted, as Redis's dbRandomKey)."""
        while self.data:
            key = self._random_data_key()
            if key in self.data and self.peek(key) is not None:
                return key
        return None

    def _random_data_key(self) -> bytes:
        """A key drawn uniformly from `data`, or from a recent snapshot of its keys when it is big.

        A dict has no random access: a small one is walked to a random offset; a big one is
        snapshotted (a list of references) and the snapshot reused for a quarter of its length in
        draws, so a draw costs O(1) amortized. Keys added since the snapshot wait for the next one;
        a drawn key that is gone forces a fresh snapshot."""
        data = self.data
        n = len(data)
        if n <= 256:
            it = iter(data)
            for _ in range(random.randrange(n)):
                next(it)
            return next(it)
        pool = self._pool
        if self._pool_left <= 0 or not pool:
            pool = self._pool = list(data)
            self._pool_left = len(pool) // 4
        key = pool[random.randrange(len(pool))]
        self._pool_left = self._pool_left - 1 if key in data else 0
        return key

    def active_expire(self, deadline: float, sample: int = 20) -> int:
        """Expire keys sampled from `expires` until few are stale or `deadline` (perf_counter) passes.

        Like Redis's activeExpireCycle the walk resumes where it stopped, so over successive
        cycles every volatile key is looked at, including those never accessed again.
        """
        expired = 0
        expires = self.expires
        while expires:
            if self._expire_pos >= len(self._expire_keys):
                self._expire_keys = list(expires)
                self._expire_pos = 0
            # keys deleted since the snapshot are skipped, not sampled: a snapshot full of deleted keys
            # would otherwise spend whole cycles on them while new volatile keys wait their turn
            snapshot, pos, batch = self._expire_keys, self._expire_pos, []
            while len(batch) < sample and pos < len(snapshot):
                if snapshot[pos] in expires:
                    batch.append(snapshot[pos])
                pos += 1
            self._expire_pos = pos
            if not batch:
                continue
            now = now_ms()
            stale = 0
            ttl_sum = ttl_n = 0
            for key in batch:
                when = expires[key]
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


class Keyspace:
    """All databases plus the hooks every write goes through."""

    def __init__(self, databases: int = 16) -> None:
        self.clock = int(time.time())  # Redis's LRU clock (1 s resolution), refreshed by tick()
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.dbs = [Database(i, self) for i in range(databases)]
        self.dirty = 0
        self.stats_expired_keys = 0
        self.stats_expired_subkeys = 0  # hash fields deleted because their time passed (INFO expired_subkeys)
        self.watching: dict[tuple[int, bytes], set[Any]] = {}  # (db, key) -> clients that WATCH it
        self.notify_flags = ""
        self.no_touch = False  # the running command's client is in CLIENT NO-TOUCH mode: `lookup` records no access
        self.tracking: Any = None  # kv.tracking.Tracking while any client tracks keys
        self.notify_new = False  # `n` events cost a membership test on every set: only when asked for
        self.notify_hook: Callable[[Database, str, str, bytes], None] | None = None
        self.scan_cursors = ScanCursors()
        self.blocking = BlockingState()
        self.blocked_keys = self.blocking.waiting  # (db, key) -> clients blocked on it (BLPOP, XREAD...)

    def key_modified(self, db: Database, key: bytes) -> None:
        """Called on every change of a key (Redis's signalModifiedKey): WATCH, later tracking."""
        if self.watching:
            entry = (db.id, key)
            clients = self.watching.get(entry)
            if clients:
                for client in clients:
                    if client.watched.get(entry) and key not in db.data:
                        # WATCHed when already expired, now deleted: logically no change (Redis's touchWatchedKey)
                        client.watched[entry] = False
                        continue
                    client.watch_dirty = True
        if self.tracking is not None:
            self.tracking.key_modified(key)
        if self.blocked_keys and (db.id, key) in self.blocked_keys:
            # Redis's signalKeyAsReady: waiters are served when the current command ends
            self.blocking.ready[(db.id, key)] = None

    def notify(self, db: Database, event_class: str, event: str, key: bytes) -> None:
        """A keyspace event (`notify-keyspace-events`); costs one check when notifications are off."""
        if self.notify_hook is not None and event_class in self.notify_flags:
            self.notify_hook(db, event_class, event, key)

    def lookup_stats(self) -> tuple[int, int]:
        """(keyspace_hits, keyspace_misses) over all databases."""
        return sum(db.hits for db in self.dbs), sum(db.misses for db in self.dbs)

    def reset_lookup_stats(self) -> None:
        for db in self.dbs:
            db.hits = db.misses = 0

    def tick(self) -> None:
        """Refresh the LRU clock (from the cron, as Redis's server.lruclock)."""
        clock = self.clock = int(time.time())
        for db in self.dbs:
            db.clock = clock

    def set_lfu(self, lfu: bool) -> None:
        """maxmemory-policy switched between the LRU and LFU families: what `access` records changes."""
        for db in self.dbs:
            db.lfu = lfu

    def flushall(self) -> None:
        for db in self.dbs:
            db.flush(invalidate=False)
        if self.tracking is not None:
            self.tracking.flush()

    def swap(self, a: int, b: int) -> None:
        da, db_ = self.dbs[a], self.dbs[b]
        da.data, db_.data = db_.data, da.data
        da.expires, db_.expires = db_.expires, da.expires
        da.access, db_.access = db_.access, da.access
        da.loaded_clock, db_.loaded_clock = db_.loaded_clock, da.loaded_clock
        da.avg_ttl, db_.avg_ttl = db_.avg_ttl, da.avg_ttl
        da.hexpires, db_.hexpires = db_.hexpires, da.hexpires
        if self.blocked_keys:
            signal_swapped_dbs(self, a, b)
        for d in (da, db_):
            d._expire_keys, d._expire_pos = [], 0
        # a watched key changed if it exists in either database now (Redis's touchAllWatchedKeysInDb)
        self.touch_watched_in_db(da, db_)
        self.touch_watched_in_db(db_, da)

    def touch_watched_in_db(self, db: Database, other: Database | None = None) -> None:
        """FLUSHDB/SWAPDB: mark clients watching a key of `db` that exists (in `db` or `other`)."""
        for (db_id, key), clients in self.watching.items():
            if db_id == db.id and (key in db.data or (other is not None and key in other.data)):
                for client in clients:
                    client.watch_dirty = True
