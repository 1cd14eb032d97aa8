"""Streams (t_stream.c): the Stream type, consumer groups and every X* command.

An entry ID `ms-seq` is held as one Python int, `(ms << 64) | seq`, so IDs compare, increment
and bisect as plain integers. Entries live in nodes as Redis keeps them in listpacks under a radix
tree: a node holds the IDs appended to it (deleted ones stay as tombstones, as Redis marks them)
and is found by bisecting the list of the nodes' first IDs, so seeking is O(log n), appending is O(1)
at the tail and range reads cost O(log n + count); dropping a node moves the list (8 bytes a node).
Nodes are cut where Redis cuts its listpacks (`stream-node-max-entries`, and `stream-node-max-bytes`
from an estimate of the listpack size), which is what makes approximate trimming (`MAXLEN ~`,
`MINID ~`) remove the same entries.

An entry is kept as its reply, already RESP-encoded (`[id, [field, value, ...]]` reads the same in
RESP2 and RESP3): one bytes object per entry, written once at XADD and sent as is by every read.
"""

from __future__ import annotations

import re
import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import islice
from typing import Any

import hiredis
from sortedcontainers import SortedDict

from dynamis.config import Config
from dynamis.kv.args import SYNTAX, int_arg, parse_int64
from dynamis.kv.blocking import NOT_READY, BlockedRequest, parse_timeout
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, Keyword, Range, command, document_container
from dynamis.kv.protocol import NULL_ARRAY, OK, Raw, ReplyError, encode_reply
from dynamis.kv.types import register_size, register_type

MASK64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
INVALID_ENTRIES_READ = -1
XREAD_BLOCKED_DEFAULT_COUNT = 1000
LAST_ENTRY = -1  # XREAD's "+" (Redis 7.4): the ID just before the stream's last entry, looked up when served
LISTPACK_MAX_SIZE = 1 << 30

INVALID_ID = ReplyError("ERR Invalid stream ID specified as stream command argument")
NO_SUCH_KEY = ReplyError("ERR no such key")


def now_ms() -> int:
    return int(time.time() * 1000)


def format_id(sid: int) -> bytes:
    return b"%d-%d" % (sid >> 64, sid & MASK64)


def encode_entry(ident: bytes, fv: list[bytes]) -> Raw:
    """The wire form of an entry: `[id, [field, value, ...]]` (hiredis packs an array of bulks in C)."""
    return Raw(b"*2\r\n$%d\r\n%s\r\n%s" % (len(ident), ident, hiredis.pack_command(tuple(fv))))


def _text(arg: bytes) -> str:
    # error messages print arguments as C strings
    return arg.split(b"\0", 1)[0].decode("utf-8", "replace")


# -- ID parsing (streamGenericParseIDOrReply) -----------------------------------------------------

def _strtoull(text: bytes) -> int | None:
    """Redis's string2ull: string2ll, then strtoull's looser syntax (spaces, sign, leading zeros)."""
    value = parse_int64(text)
    if value is not None:
        return value if value >= 0 else None
    digits = text.lstrip(b" \t\n\v\f\r")
    negative = digits[:1] == b"-"
    if digits[:1] in (b"+", b"-"):
        digits = digits[1:]
    if not digits.isdigit():
        return None
    value = int(digits)
    if value > MASK64:
        return None
    return (-value) & MASK64 if negative else value


_PLAIN_ID = re.compile(rb"(0|[1-9][0-9]{0,18})(?:-(0|[1-9][0-9]{0,18}))?\Z")


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False) -> int:
    """An entry ID argument: `ms-seq`, `ms` (seq = `missing_seq`), or `-` / `+` unless `strict`."""
    plain = _PLAIN_ID.match(arg)
    if plain is not None:
        seq = plain[2]
        return (int(plain[1]) << 64) | (int(seq) if seq is not None else missing_seq)
    if len(arg) > 127:
        raise INVALID_ID
    if b"\0" in arg:
        arg = arg.split(b"\0", 1)[0]
    if arg == b"-" or arg == b"+":
        if strict:
            raise INVALID_ID
        return 0 if arg == b"-" else MAX_ID
    ms_text, dash, seq_text = arg.partition(b"-")
    ms = _strtoull(ms_text)
    if ms is None:
        raise INVALID_ID
    if not dash:
        return (ms << 64) | missing_seq
    seq = _strtoull(seq_text)
    if seq is None:
        raise INVALID_ID
    return (ms << 64) | seq


def parse_interval_id(arg: bytes, missing_seq: int) -> tuple[int, bool]:
    """XRANGE/XPENDING/XAUTOCLAIM bounds: an ID, or `(ID` for an exclusive one."""
    if len(arg) > 1 and arg[:1] == b"(":
        return parse_id(arg[1:], missing_seq, strict=True), True
    return parse_id(arg, missing_seq), False


def _range_bounds(start_arg: bytes, end_arg: bytes) -> tuple[int, int]:
    start, exclusive = parse_interval_id(start_arg, 0)
    if exclusive:
        if start == MAX_ID:
            raise ReplyError("ERR invalid start ID for the interval")
        start += 1
    end, exclusive = parse_interval_id(end_arg, MASK64)
    if exclusive:
        if end == 0:
            raise ReplyError("ERR invalid end ID for the interval")
        end -= 1
    return start, end


# -- listpack size estimate (to cut nodes where Redis does) ---------------------------------------

def _lp_int_size(v: int) -> int:
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -(1 << 31) <= v < (1 << 31):
        return 6
    return 10


_INT_START = frozenset(b"-0123456789")


def _lp_str_size(s: bytes) -> int:
    n = len(s)
    if n <= 20 and n and s[0] in _INT_START:
        v = parse_int64(s)
        if v is not None:
            return _lp_int_size(v)
    enc = 1 + n if n < 64 else (2 + n if n < 4096 else 5 + n)
    return enc + (1 if enc <= 127 else 2 if enc < 16383 else 3 if enc < 2097151 else 4 if enc < 268435455 else 5)


def _signed64(v: int) -> int:
    v &= MASK64
    return v - (1 << 64) if v >> 63 else v


class _Node:
    """One listpack's worth of entries; `values[i] is None` marks a deleted entry (tombstone)."""

    __slots__ = ("ids", "values", "live", "fields", "size", "dropped", "master_ms", "master_seq")

    def __init__(self, fields: list[bytes], master_ms: int, master_seq: int) -> None:
        self.master_ms = master_ms  # of the node's first ID, which later IDs are stored as deltas of
        self.master_seq = master_seq
        self.ids: list[int] = []
        self.values: list[Raw | None] = []  # encoded entries
        self.live = 0
        self.dropped = 0  # tombstones taken out by `Stream.rewind`, still counted as Redis does
        self.fields = fields  # the master entry's field names
        # the master entry: num-fields, the fields, the zero terminator
        self.size = _lp_int_size(len(fields)) + sum(map(_lp_str_size, fields)) + 2

    def lp_bytes(self) -> int:
        # header, the live and deleted counts (deleted: all the listpack holds but the live entries)
        return 7 + _lp_int_size(self.live) + _lp_int_size(len(self.ids) + self.dropped - self.live) + self.size


# -- consumer groups --------------------------------------------------------------------------------

class NACK:
    """A pending entry: delivered to `consumer`, not acknowledged yet."""

    __slots__ = ("delivery_time", "delivery_count", "consumer")

    def __init__(self, consumer: Consumer | None, delivery_time: int) -> None:
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = 1


class Consumer:
    """A consumer of a group. As in Redis 7.2, `seen_time` is its last attempted interaction (XREADGROUP,
    XCLAIM, XAUTOCLAIM) and `active_time` the last one that delivered or claimed an entry (-1: never)."""

    __slots__ = ("name", "seen_time", "active_time", "pel")

    def __init__(self, name: bytes) -> None:
        self.name = name
        self.seen_time = now_ms()
        self.active_time = -1
        self.pel: SortedDict = SortedDict()


class ConsumerGroup:
    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: bytes, last_id: int, entries_read: int) -> None:
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()  # id -> NACK
        self.consumers: dict[bytes, Consumer] = {}

    def sorted_consumers(self) -> list[Consumer]:
        # Redis keeps consumers in a radix tree: listed in byte order of their names
        return [self.consumers[name] for name in sorted(self.consumers)]

    def consumer(self, name: bytes) -> tuple[Consumer, bool]:
        """Look up or create a consumer; says whether it was created."""
        found = self.consumers.get(name)
        if found is not None:
            return found, False
        found = self.consumers[name] = Consumer(name)
        return found, True


# -- the Stream type --------------------------------------------------------------------------------

class Stream:
    """A stream value: entries in nodes, the ID bookkeeping of 7.0, consumer groups."""

    __slots__ = ("masters", "nodes", "tail", "length", "last_id", "first_id", "max_deleted_id", "entries_added",
                 "groups")

    def __init__(self) -> None:
        self.nodes: list[_Node] = []  # in ID order
        self.masters: list[int] = []  # the first ID of each node, bisected to seek (Redis's radix tree keys)
        self.tail: _Node | None = None
        self.length = 0
        self.last_id = 0
        self.first_id = 0
        self.max_deleted_id = 0
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}

    # -- writes --

    def append(self, sid: int, fv: list[bytes], config: Config) -> bytes:
        """Add an entry (the caller checked `sid > last_id`); returns its ID as text."""
        node = self.tail
        if node is not None:
            settings = config.values
            max_entries = settings["stream-node-max-entries"]
            if max_entries and len(node.ids) + node.dropped >= max_entries:
                node = None
            else:
                max_bytes = settings["stream-node-max-bytes"]
                if max_bytes == 0 or max_bytes > LISTPACK_MAX_SIZE:
                    max_bytes = LISTPACK_MAX_SIZE
                if node.lp_bytes() + sum(map(len, fv)) >= max_bytes:
                    node = None
        fields = fv[0::2]
        ms, seq = sid >> 64, sid & MASK64
        if node is None:
            node = self.tail = _Node(fields, ms, seq)
            self.nodes.append(node)
            self.masters.append(sid)
        # flags, ms and seq deltas (small and positive but after XSETID), the values
        ms_delta = ms - node.master_ms
        seq_delta = seq - node.master_seq
        size = (6 if 0 <= ms_delta <= 127 and 0 <= seq_delta <= 127 else
                2 + _lp_int_size(_signed64(ms_delta)) + _lp_int_size(_signed64(seq_delta)))
        for value in fv[1::2]:
            n = len(value)
            size += n + 2 if n < 64 and (not n or value[0] not in _INT_START) else _lp_str_size(value)
        if fields == node.fields:
            size += _lp_int_size(len(fields) + 3)
        else:
            size += _lp_int_size(len(fields)) + sum(map(_lp_str_size, fields)) + _lp_int_size(len(fv) + 4)
        node.size += size
        ident = b"%d-%d" % (ms, seq)
        node.ids.append(sid)
        node.values.append(encode_entry(ident, fv))
        node.live += 1
        self.length += 1
        self.last_id = sid
        self.entries_added += 1
        if self.length == 1:
            self.first_id = sid
        return ident

    def _drop_nodes(self, start: int, stop: int) -> None:
        del self.nodes[start:stop], self.masters[start:stop]
        self.tail = self.nodes[-1] if self.nodes else None

    def delete(self, sid: int) -> bool:
        """XDEL one ID (a tombstone remains unless its node empties)."""
        k, i = self._locate(sid)
        if k < 0:
            return False
        node = self.nodes[k]
        if node.live == 1:
            self._drop_nodes(k, k + 1)
        else:
            node.values[i] = None
            node.live -= 1
        self.length -= 1
        return True

    def rewind(self, sid: int) -> None:
        """XSETID below deleted entries: drop the tombstones above `sid`, so that IDs stay sorted
        in their nodes when later entries are appended (Redis appends after them regardless)."""
        while self.tail is not None and self.tail.ids[-1] > sid:
            node = self.tail
            cut = bisect_right(node.ids, sid)
            node.dropped += len(node.ids) - cut
            del node.ids[cut:], node.values[cut:]
            if node.ids:
                break
            self._drop_nodes(len(self.nodes) - 1, len(self.nodes))

    def trim(self, strategy: str, maxlen: int, minid: int, approx: bool, limit: int) -> int:
        """streamTrim: whole nodes from the head, then (unless approximate) entries of one node."""
        deleted = 0
        nodes = self.nodes
        dropped = 0  # whole nodes from the head, taken out of the lists at once
        while dropped < len(nodes):
            if strategy == "maxlen" and self.length <= maxlen:
                break
            node = nodes[dropped]
            entries = node.live
            if limit and deleted + entries > limit:
                break
            if strategy == "maxlen":
                remove_node = self.length - entries >= maxlen
            else:
                remove_node = node.ids[-1] < minid
            if remove_node:
                dropped += 1
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            values = node.values
            for i, sid in enumerate(node.ids):
                if (self.length <= maxlen) if strategy == "maxlen" else (sid >= minid):
                    break
                if values[i] is not None:
                    values[i] = None
                    node.live -= 1
                    self.length -= 1
                    deleted += 1
            break
        if dropped:
            self._drop_nodes(0, dropped)
        if deleted:
            self.first_id = self.first_live() if self.length else 0
        return deleted

    # -- reads --

    def _locate(self, sid: int) -> tuple[int, int]:
        """The live entry `sid`: the index of its node and its index there, or (-1, -1)."""
        k = bisect_right(self.masters, sid) - 1
        if k >= 0:
            node = self.nodes[k]
            i = bisect_left(node.ids, sid)
            if i < len(node.ids) and node.ids[i] == sid and node.values[i] is not None:
                return k, i
        return -1, -1

    def get(self, sid: int) -> Raw | None:
        k, i = self._locate(sid)
        return self.nodes[k].values[i] if k >= 0 else None

    def range(self, start: int, end: int) -> Iterator[tuple[int, Raw]]:
        """Live entries with start <= ID <= end, in ID order."""
        nodes = self.nodes
        # from the node whose IDs cover `start` (or the first one)
        for k in range(max(bisect_right(self.masters, start) - 1, 0), len(nodes)):
            node = nodes[k]
            ids, values = node.ids, node.values
            if ids[0] > end:
                return
            for i in range(bisect_left(ids, start), len(ids)):
                sid = ids[i]
                if sid > end:
                    return
                value = values[i]
                if value is not None:
                    yield sid, value

    def revrange(self, start: int, end: int) -> Iterator[tuple[int, Raw]]:
        """Live entries with start <= ID <= end, newest first."""
        nodes = self.nodes
        for k in range(bisect_right(self.masters, end) - 1, -1, -1):
            node = nodes[k]
            ids, values = node.ids, node.values
            for i in range(bisect_right(ids, end) - 1, -1, -1):
                sid = ids[i]
                if sid < start:
                    return
                value = values[i]
                if value is not None:
                    yield sid, value

    def first_live(self) -> int:
        for sid, _ in self.range(0, MAX_ID):
            return sid
        return 0

    def last_live(self) -> int:
        tail = self.tail
        if tail is not None and tail.values[-1] is not None:
            return tail.ids[-1]  # the usual case, without a walk back over tombstones
        for sid, _ in self.revrange(0, MAX_ID):
            return sid
        return 0

    # -- consumer-group read counters (the lag bookkeeping, as Redis 7.4 fixed it) --

    def range_has_tombstones(self, start: int) -> bool:
        if not self.length or not self.max_deleted_id or self.first_id > self.max_deleted_id:
            return False
        return start <= self.max_deleted_id

    def estimate_entries_read(self, sid: int) -> int:
        """streamEstimateDistanceFromFirstEverEntry: the logical read counter at `sid`, or -1."""
        if not self.entries_added:
            return 0
        if not self.length and sid <= self.last_id:
            return self.entries_added
        if sid and sid < self.max_deleted_id:  # a deleted entry lies between `sid` and the last ID
            return INVALID_ENTRIES_READ
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return INVALID_ENTRIES_READ
        if not self.max_deleted_id or self.max_deleted_id < self.first_id:
            if sid < self.first_id:
                return self.entries_added - self.length
            if sid == self.first_id:
                return self.entries_added - self.length + 1
        return INVALID_ENTRIES_READ

    def lag(self, group: ConsumerGroup) -> int | None:
        if not self.entries_added or not self.length:
            return 0
        if group.last_id < self.first_id and self.max_deleted_id < self.first_id:
            return self.length  # the group is behind everything left: all of it is still to be read
        if group.entries_read != INVALID_ENTRIES_READ and not self.range_has_tombstones(group.last_id):
            return self.entries_added - group.entries_read
        entries_read = self.estimate_entries_read(group.last_id)
        if entries_read != INVALID_ENTRIES_READ:
            return self.entries_added - entries_read
        return None


def _stream_size(stream: Stream, samples: int) -> int:
    """MEMORY USAGE: sampled nodes scaled to all of them (as Redis samples listpacks), plus the groups."""
    size = sys.getsizeof(stream) + sys.getsizeof(stream.nodes) + sys.getsizeof(stream.masters) + 64 * len(stream.nodes)
    if stream.nodes:
        picked = stream.nodes if samples < 0 else stream.nodes[:max(samples, 1)]
        sampled = sum(sys.getsizeof(node.ids) + sys.getsizeof(node.values) + 44 * len(node.ids)
                      + sum(sys.getsizeof(v) for v in node.values if v is not None) for node in picked)
        size += sampled * len(stream.nodes) // len(picked)
    for group in stream.groups.values():
        # a NACK, its two PEL slots and its 128-bit ID key
        size += sys.getsizeof(group) + 250 * len(group.pel) + sum(100 + len(c.name) for c in group.consumers.values())
    return size


register_type(Stream, "stream", lambda value, config: "stream")
register_size(Stream, _stream_size)


# -- shared command plumbing ------------------------------------------------------------------------

def _lookup(client: Client, key: bytes) -> Stream | None:
    return client.db.lookup_typed(key, Stream)


def _modified(client: Client, key: bytes, event: str, dirty: int = 1) -> None:
    keyspace = client.server.keyspace
    keyspace.key_modified(client.db, key)
    keyspace.notify(client.db, "t", event, key)
    keyspace.dirty += dirty


def _notify(client: Client, key: bytes, event: str) -> None:
    client.server.keyspace.notify(client.db, "t", event, key)


def _help(name: str, lines: list[str]) -> list[str]:
    return [f"{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", *lines,
            "HELP", "    Prints this help."]


def _subcommand_syntax_error(argv: list[bytes], parent: str) -> ReplyError:
    return ReplyError(f"ERR unknown subcommand or wrong number of arguments for '{_text(argv[1])[:128]}'. "
                      f"Try {parent} HELP.")


def _nogroup(key: bytes, group: bytes, suffix: str = "") -> ReplyError:
    return ReplyError(f"NOGROUP No such key '{_text(key)}' or consumer group '{_text(group)}'{suffix}")


def _nogroup_for_key(key: bytes, group: bytes) -> ReplyError:
    return ReplyError(f"NOGROUP No such consumer group '{_text(group)}' for key name '{_text(key)}'")


def _get_consumer(client: Client, key: bytes, group: ConsumerGroup, name: bytes) -> Consumer:
    """The consumer `name`, created if missing (with its event), and seen now: the callers are its
    interactions (XREADGROUP, XCLAIM, XAUTOCLAIM; a created one is seen at creation)."""
    consumer, created = group.consumer(name)
    if created:
        client.server.keyspace.dirty += 1
        _notify(client, key, "xgroup-createconsumer")
    else:
        consumer.seen_time = now_ms()
    return consumer


# -- XADD / XTRIM -----------------------------------------------------------------------------------

class _TrimArgs:
    """The options of XADD and XTRIM (`XADD key * field value` keeps every default)."""

    __slots__ = ("strategy", "maxlen", "minid", "approx", "limit", "no_mkstream", "id", "seq_given", "id_pos")

    def __init__(self) -> None:
        self.strategy = ""
        self.maxlen = 0
        self.minid = 0
        self.approx = False
        self.limit = 0
        self.no_mkstream = False
        self.id: int | None = None
        self.seq_given = True
        self.id_pos = 0


_BOTH_STRATEGIES = ReplyError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")


def _parse_trim_args(client: Client, argv: list[bytes], xadd: bool) -> _TrimArgs:
    """streamParseAddOrTrimArgsOrReply: the options of XADD (up to the ID) and of XTRIM."""
    args = _TrimArgs()
    limit_given = False
    i = 2
    n = len(argv)
    while i < n:
        more = n - 1 - i
        opt = argv[i]
        low = opt.lower()
        if xadd and opt == b"*":
            break
        if (low == b"maxlen" or low == b"minid") and more:
            if args.strategy:
                raise _BOTH_STRATEGIES
            args.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt in (b"~", b"="):
                args.approx = nxt == b"~"
                i += 1
            if low == b"maxlen":
                args.maxlen = int_arg(argv[i + 1])
                if args.maxlen < 0:
                    raise ReplyError("ERR The MAXLEN argument must be >= 0.")
                args.strategy = "maxlen"
            else:
                args.minid = parse_id(argv[i + 1], strict=True)
                args.strategy = "minid"
            i += 1
        elif low == b"limit" and more:
            args.limit = int_arg(argv[i + 1])
            if args.limit < 0:
                raise ReplyError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and low == b"nomkstream":
            args.no_mkstream = True
        elif xadd:
            args.id, args.seq_given = _parse_xadd_id(opt)
            break
        else:
            raise SYNTAX
        i += 1
    args.id_pos = i
    if args.limit and not args.strategy:
        raise ReplyError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and not args.strategy:
        raise ReplyError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if limit_given:
        if not args.approx:
            raise ReplyError("ERR syntax error, LIMIT cannot be used without the special ~ option")
    elif args.approx:
        args.limit = 100 * client.server.config["stream-node-max-entries"]
        if args.limit <= 0:
            args.limit = 10_000
    else:
        args.limit = 0
    return args


def _parse_xadd_id(arg: bytes) -> tuple[int, bool]:
    """An explicit XADD ID: `ms-seq`, `ms` or `ms-*` (sequence generated)."""
    if arg.endswith(b"-*") and len(arg) <= 127:
        ms = _strtoull(arg[:-2])
        if ms is None or b"-" in arg[:-2]:
            raise INVALID_ID
        return ms << 64, False
    return parse_id(arg, strict=True), True


_AUTO_ID = _TrimArgs()
_AUTO_ID.id_pos = 2


@command("xadd", -5, "write denyoom fast", categories="@stream", group="stream",
         since="5.0.0", tips="nondeterministic_output",
         key_specs=(KeySpec("RW update", Index(1), notes="UPDATE instead of INSERT because of the optional trimming feature"),),
         summary="Appends a new entry to a stream",
         complexity="O(1) when adding a new entry, O(N) when trimming where N being the "
                    "number of entries evicted.")
def xadd_command(client: Client, argv: list[bytes]) -> object:
    if argv[2] == b"*":
        args = _AUTO_ID
    else:
        args = _parse_trim_args(client, argv, xadd=True)
    field_pos = args.id_pos + 1
    nfv = len(argv) - field_pos
    if nfv < 2 or nfv % 2:
        raise ReplyError("ERR wrong number of arguments for 'xadd' command")
    if args.id is not None and args.seq_given and args.id == 0:
        raise ReplyError("ERR The ID specified in XADD must be greater than 0-0")
    key = argv[1]
    db = client.db
    stream = _lookup(client, key)
    created = False
    if stream is None:
        if args.no_mkstream:
            return None
        stream = Stream()
        created = True
    last = stream.last_id
    if last == MAX_ID:
        raise ReplyError("ERR The stream has exhausted the last possible ID, unable to add more items")
    if args.id is None:
        ms = now_ms()
        sid = ms << 64 if ms > last >> 64 else last + 1
    elif not args.seq_given and args.id >> 64 == last >> 64:
        if last & MASK64 == MASK64:
            # 7.0 fails here without setting errno, which XADD then reports as this
            raise ReplyError("ERR Elements are too large to be stored")
        sid = last + 1
    else:
        sid = args.id
    if sid <= last:
        raise ReplyError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    ident = stream.append(sid, argv[field_pos:], client.server.config)
    if created:
        db.set(key, stream)
    _modified(client, key, "xadd")
    if args.strategy and stream.trim(args.strategy, args.maxlen, args.minid, args.approx, args.limit):
        _notify(client, key, "xtrim")
    return ident


@command("xtrim", -4, "write", keys=(1, 1, 1), categories="@stream", group="stream",
         since="5.0.0", tips="nondeterministic_output", key_flags="RW delete",
         summary="Trims the stream to (approximately if '~' is passed) a certain size",
         complexity="O(N), with N being the number of evicted entries. Constant times are "
                    "very small however, since entries are organized in macro nodes "
                    "containing multiple entries that can be released with a single "
                    "deallocation.")
def xtrim_command(client: Client, argv: list[bytes]) -> int:
    args = _parse_trim_args(client, argv, xadd=False)
    stream = _lookup(client, argv[1])
    if stream is None:
        return 0
    deleted = stream.trim(args.strategy, args.maxlen, args.minid, args.approx, args.limit)
    if deleted:
        _modified(client, argv[1], "xtrim", deleted)
    return deleted


# -- reads ------------------------------------------------------------------------------------------

def _xrange(client: Client, argv: list[bytes], rev: bool) -> object:
    start, end = _range_bounds(argv[3], argv[2]) if rev else _range_bounds(argv[2], argv[3])
    count = -1
    i = 4
    while i < len(argv):
        if argv[i].lower() == b"count" and i + 1 < len(argv):
            count = max(int_arg(argv[i + 1]), 0)
            i += 2
        else:
            raise SYNTAX
    stream = _lookup(client, argv[1])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    entries = stream.revrange(start, end) if rev else stream.range(start, end)
    if count > 0:
        entries = islice(entries, count)
    return [entry for _, entry in entries]


@command("xrange", -4, "readonly", keys=(1, 1, 1), categories="@stream", group="stream", since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs"
                 " interval",
         complexity="O(N) with N being the number of elements being returned. If N is "
                    "constant (e.g. always asking for the first 10 elements with COUNT), you "
                    "can consider it O(1).")
def xrange_command(client: Client, argv: list[bytes]) -> object:
    return _xrange(client, argv, rev=False)


@command("xrevrange", -4, "readonly", keys=(1, 1, 1), categories="@stream", group="stream", since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs"
                 " interval, in reverse order (from greater to smaller IDs) compared to "
                 "XRANGE",
         complexity="O(N) with N being the number of elements returned. If N is constant "
                    "(e.g. always asking for the first 10 elements with COUNT), you can "
                    "consider it O(1).")
def xrevrange_command(client: Client, argv: list[bytes]) -> object:
    return _xrange(client, argv, rev=True)


@command("xlen", 2, "readonly fast", keys=(1, 1, 1), categories="@stream", group="stream",
         since="5.0.0", key_flags="RO",
         summary="Return the number of entries in a stream",
         complexity="O(1)")
def xlen_command(client: Client, argv: list[bytes]) -> int:
    stream = _lookup(client, argv[1])
    return stream.length if stream is not None else 0


@command("xdel", -3, "write fast", keys=(1, 1, 1), categories="@stream", group="stream",
         since="5.0.0", key_flags="RW delete",
         summary="Removes the specified entries from the stream. Returns the number of items "
                 "actually deleted, that may be different from the number of IDs passed in "
                 "case certain IDs do not exist.",
         complexity="O(1) for each single item to delete in the stream, regardless of the "
                    "stream size.")
def xdel_command(client: Client, argv: list[bytes]) -> int:
    stream = _lookup(client, argv[1])
    if stream is None:
        return 0
    ids = [parse_id(arg, strict=True) for arg in argv[2:]]
    deleted = 0
    first_deleted = False
    for sid in ids:
        if stream.delete(sid):
            if sid == stream.first_id:
                first_deleted = True
            if sid > stream.max_deleted_id:
                stream.max_deleted_id = sid
            deleted += 1
    if deleted:
        if not stream.length:
            stream.first_id = 0
        elif first_deleted:
            stream.first_id = stream.first_live()
        _modified(client, argv[1], "xdel", deleted)
    return deleted


@command("xsetid", -3, "write denyoom fast", keys=(1, 1, 1), categories="@stream", group="stream", since="5.0.0",
         summary="An internal command for replicating stream values",
         complexity="O(1)")
def xsetid_command(client: Client, argv: list[bytes]) -> str:
    sid = parse_id(argv[2], strict=True)
    entries_added = -1
    max_deleted = 0
    i = 3
    while i < len(argv):
        opt = argv[i].lower()
        if opt == b"entriesadded" and i + 1 < len(argv):
            entries_added = int_arg(argv[i + 1])
            if entries_added < 0:
                raise ReplyError("ERR entries_added must be positive")
        elif opt == b"maxdeletedid" and i + 1 < len(argv):
            max_deleted = parse_id(argv[i + 1], strict=True)
            if sid < max_deleted:
                raise ReplyError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
        else:
            raise SYNTAX
        i += 2
    stream = _lookup(client, argv[1])
    if stream is None:
        raise NO_SUCH_KEY
    if stream.length:
        if sid < stream.last_live():
            raise ReplyError("ERR The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and stream.length > entries_added:
            raise ReplyError("ERR The entries_added specified in XSETID is smaller than the target stream length")
    if sid < stream.last_id:
        stream.rewind(sid)
    stream.last_id = sid
    if entries_added != -1:
        stream.entries_added = entries_added
    if max_deleted:
        stream.max_deleted_id = max_deleted
    # Redis 7.0's xsetidCommand does not signalModifiedKey: WATCH and client tracking do not see it
    _notify(client, argv[1], "xsetid")
    client.server.keyspace.dirty += 1
    return OK


# -- XREAD / XREADGROUP -----------------------------------------------------------------------------

def _deliver(stream: Stream, group: ConsumerGroup, consumer: Consumer,
             start: int, count: int, noack: bool) -> list[Any]:
    """Entries after the group's last ID for `consumer` (streamReplyWithRange with a group)."""
    reply = []
    now = now_ms()
    entries = stream.range(start, MAX_ID)
    if count:
        entries = islice(entries, count)
    for sid, entry in entries:
        if sid > group.last_id:
            if (group.entries_read != INVALID_ENTRIES_READ and group.last_id >= stream.first_id
                    and not stream.range_has_tombstones(group.last_id)):
                group.entries_read += 1
            elif stream.entries_added:
                group.entries_read = stream.estimate_entries_read(sid)
            group.last_id = sid
        if not noack:
            consumer.active_time = now
            nack = group.pel.get(sid)
            if nack is None:
                nack = group.pel[sid] = NACK(consumer, now)
                consumer.pel[sid] = nack
            else:
                del nack.consumer.pel[sid]
                nack.consumer = consumer
                nack.delivery_time = now
                nack.delivery_count = 1
                consumer.pel[sid] = nack
        reply.append(entry)
    return reply


def _history(stream: Stream, consumer: Consumer, start: int, count: int) -> list[Any]:
    """A consumer's own pending entries from `start` (XREADGROUP with an ID)."""
    reply: list[Any] = []
    now = now_ms()
    pending = consumer.pel.irange(minimum=start)
    if count:
        pending = islice(pending, count)
    for sid in pending:
        entry = stream.get(sid)
        if entry is None:
            reply.append([format_id(sid), NULL_ARRAY])
        else:
            nack = consumer.pel[sid]
            nack.delivery_time = now
            nack.delivery_count += 1
            reply.append(entry)
    return reply


def _streams_reply(client: Client, served: list[tuple[bytes, list[Any]]]) -> object:
    if client.resp == 2:
        return [[key, entries] for key, entries in served]
    reply = dict(served)
    if len(reply) < len(served):
        # a key named twice is twice in Redis's map too; a dict cannot say that
        return Raw(b"%%%d\r\n" % len(served) + b"".join(encode_reply(key, True) + encode_reply(entries, True)
                                                         for key, entries in served))
    return reply


class _ReadRequest:
    """A parsed XREAD/XREADGROUP; `serve` is used at once and again by a blocked client's retry."""

    __slots__ = ("keys", "ids", "count", "group", "consumer", "noack", "timeout")

    def __init__(self) -> None:
        self.keys: list[bytes] = []
        self.ids: list[int | None] = []  # None is ">" (XREADGROUP new entries), LAST_ENTRY is "+"
        self.count = 0
        self.group: bytes | None = None
        self.consumer = b""
        self.noack = False
        self.timeout: float | None = -1.0  # -1: no BLOCK


def _parse_read(client: Client, argv: list[bytes], xreadgroup: bool) -> _ReadRequest:
    req = _ReadRequest()
    streams_arg = 0
    i = 1
    n = len(argv)
    while i < n:
        more = n - i - 1
        opt = argv[i].lower()
        if opt == b"block" and more:
            if client.id == 0:  # the scripting engine's client (kv/scripting.py): Redis refuses BLOCK there
                raise ReplyError(f"ERR {_text(argv[0])} command is not allowed with BLOCK option from scripts")
            i += 1
            req.timeout = parse_timeout(argv[i], unit_ms=True)
        elif opt == b"count" and more:
            i += 1
            req.count = max(int_arg(argv[i]), 0)
        elif opt == b"streams" and more:
            streams_arg = i + 1
            if (n - streams_arg) % 2:
                name, symbol = ("xreadgroup", ">") if xreadgroup else ("xread", "$")
                raise ReplyError(f"ERR Unbalanced '{name}' list of streams: for each stream key an ID or "
                                 f"'{symbol}' must be specified.")
            break
        elif opt == b"group" and more >= 2:
            if not xreadgroup:
                raise ReplyError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
            req.group = argv[i + 1]
            req.consumer = argv[i + 2]
            i += 2
        elif opt == b"noack":
            if not xreadgroup:
                raise ReplyError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
            req.noack = True
        else:
            raise SYNTAX
        i += 1
    if not streams_arg:
        raise SYNTAX
    if xreadgroup and req.group is None:
        raise ReplyError("ERR Missing GROUP option for XREADGROUP")
    half = (n - streams_arg) // 2
    req.keys = argv[streams_arg : streams_arg + half]
    for key, arg in zip(req.keys, argv[streams_arg + half :], strict=True):
        stream = _lookup(client, key)
        if req.group is not None and (stream is None or req.group not in stream.groups):
            raise _nogroup(key, req.group, " in XREADGROUP with GROUP option")
        if arg == b"$":
            if xreadgroup:
                raise ReplyError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                                 "history of this consumer by specifying a proper ID, or use the > ID to get new "
                                 "messages. The $ ID would just return an empty result set.")
            req.ids.append(stream.last_id if stream is not None else 0)
        elif arg == b"+":
            if xreadgroup:
                raise ReplyError("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the "
                                 "history of this consumer by specifying a proper ID, or use the > ID to get new "
                                 "messages. The + ID would just return an empty result set.")
            req.ids.append(LAST_ENTRY)
        elif arg == b">":
            if not xreadgroup:
                raise ReplyError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
                                 "<group> <consumer> option.")
            req.ids.append(None)
        else:
            req.ids.append(parse_id(arg, strict=True))
    return req


def _xread_after(stream: Stream, gt: int) -> int:
    """The ID XREAD reads after: the one given or, for "+", the one just before the last entry."""
    if gt != LAST_ENTRY:
        return gt
    return stream.last_live() - 1 if stream.length else 0


def _serve_read(client: Client, req: _ReadRequest) -> list[tuple[bytes, list[Any]]]:
    """Serve what is available now (the synchronous part of xreadCommand)."""
    served: list[tuple[bytes, list[Any]]] = []
    for key, gt in zip(req.keys, req.ids, strict=True):
        stream = _lookup(client, key)
        if stream is None:
            continue
        if req.group is None:
            gt = _xread_after(stream, gt)
            if stream.length and stream.last_live() > gt:
                served.append((key, [entry for _, entry in islice(stream.range(gt + 1, MAX_ID), req.count or None)]))
            continue
        group = stream.groups[req.group]
        # every XREADGROUP is an interaction of the consumer, served or not (Redis 7.2)
        consumer = _get_consumer(client, key, group, req.consumer)
        if gt is not None:
            # history starts after the given ID (streamIncrID wraps the largest ID to 0-0)
            served.append((key, _history(stream, consumer, gt + 1 if gt < MAX_ID else 0, req.count)))
            client.server.keyspace.dirty += 1
        elif stream.length and stream.last_live() > group.last_id:
            served.append((key, _deliver(stream, group, consumer, group.last_id + 1, req.count, req.noack)))
            client.server.keyspace.dirty += 1
    return served


def _read_retry(client: Client, req: _ReadRequest) -> Any:
    """A blocked XREAD/XREADGROUP: serve the key that changed, or keep waiting (serveClientsBlockedOnStreamKey)."""

    def retry(key: bytes) -> object:
        value = client.db.lookup(key)
        if type(value) is not Stream:
            if req.group is not None:
                raise ReplyError("UNBLOCKED the stream key no longer exists")
            return NOT_READY
        if req.group is not None:
            group = value.groups.get(req.group)
            if group is None:
                raise ReplyError("NOGROUP the consumer group this client was blocked on no longer exists")
            gt = group.last_id
            consumer = _get_consumer(client, key, group, req.consumer)
        else:
            gt = _xread_after(value, req.ids[req.keys.index(key)])
        if not value.length or value.last_live() <= gt:
            return NOT_READY
        count = req.count or XREAD_BLOCKED_DEFAULT_COUNT
        if req.group is not None:
            entries = _deliver(value, group, consumer, gt + 1, count, req.noack)
            client.server.keyspace.dirty += 1
        else:
            entries = [entry for _, entry in islice(value.range(gt + 1, MAX_ID), count)]
        return _streams_reply(client, [(key, entries)])

    return retry


def _xread(client: Client, argv: list[bytes], xreadgroup: bool) -> object:
    req = _parse_read(client, argv, xreadgroup)
    served = _serve_read(client, req)
    if served:
        return _streams_reply(client, served)
    if req.timeout == -1.0:
        return NULL_ARRAY
    return BlockedRequest(list(dict.fromkeys(req.keys)), req.timeout, _read_retry(client, req), NULL_ARRAY,
                          unblock_on_nokey=xreadgroup)


@command("xread", -4, "readonly blocking", categories="@stream", group="stream",
         since="5.0.0",
         key_specs=(KeySpec("RO access", Keyword("STREAMS", 1), Range(-1, limit=2)),),
         summary="Return never seen elements in multiple streams, with IDs greater than the "
                 "ones reported by the caller for each stream. Can block.",
         complexity="For each stream mentioned: O(N) with N being the number of elements "
                    "being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note"
                    " that when the BLOCK option is used, XADD will pay O(M) time in order to"
                    " serve the M clients blocked on the stream getting new data.")
def xread_command(client: Client, argv: list[bytes]) -> object:
    return _xread(client, argv, xreadgroup=False)


@command("xreadgroup", -7, "write blocking", categories="@stream", group="stream",
         since="5.0.0",
         key_specs=(KeySpec("RO access", Keyword("STREAMS", 4), Range(-1, limit=2)),),
         summary="Return new entries from a stream using a consumer group, or access the "
                 "history of the pending entries for a given consumer. Can block.",
         complexity="For each stream mentioned: O(M) with M being the number of elements "
                    "returned. If M is constant (e.g. always asking for the first 10 elements"
                    " with COUNT), you can consider it O(1). On the other side when "
                    "XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N "
                    "clients blocked on the stream getting new data.")
def xreadgroup_command(client: Client, argv: list[bytes]) -> object:
    return _xread(client, argv, xreadgroup=True)


# -- acknowledgement and claiming -------------------------------------------------------------------

def _group_or_none(client: Client, key: bytes, group: bytes) -> tuple[Stream | None, ConsumerGroup | None]:
    stream = _lookup(client, key)
    return stream, (stream.groups.get(group) if stream is not None else None)


def _forget_nack(group: ConsumerGroup, sid: int) -> None:
    nack = group.pel.pop(sid)
    del nack.consumer.pel[sid]


@command("xack", -4, "write fast", keys=(1, 1, 1), categories="@stream", group="stream", since="5.0.0",
         summary="Marks a pending message as correctly processed, effectively removing it "
                 "from the pending entries list of the consumer group. Return value of the "
                 "command is the number of messages successfully acknowledged, that is, the "
                 "IDs we were actually able to resolve in the PEL.",
         complexity="O(1) for each message ID processed.")
def xack_command(client: Client, argv: list[bytes]) -> int:
    _, group = _group_or_none(client, argv[1], argv[2])
    if group is None:
        return 0
    ids = [parse_id(arg, strict=True) for arg in argv[3:]]
    acked = 0
    for sid in ids:
        if sid in group.pel:
            _forget_nack(group, sid)
            acked += 1
    client.server.keyspace.dirty += acked
    return acked


@command("xpending", -3, "readonly", keys=(1, 1, 1), categories="@stream", group="stream",
         since="5.0.0", tips="nondeterministic_output",
         summary="Return information and entries from a stream consumer group pending entries"
                 " list, that are messages fetched but never acknowledged.",
         complexity="O(N) with N being the number of elements returned, so asking for a small"
                    " fixed number of entries per call is O(1). O(M), where M is the total "
                    "number of entries scanned when used with the IDLE filter. When the "
                    "command returns just the summary and the list of consumers is small, it "
                    "runs in O(1) time; otherwise, an additional O(N) time for iterating "
                    "every consumer.")
def xpending_command(client: Client, argv: list[bytes]) -> object:
    n = len(argv)
    if n != 3 and not 6 <= n <= 9:
        raise SYNTAX
    min_idle = 0
    if n >= 6:
        at = 3
        if argv[3].lower() == b"idle":
            min_idle = int_arg(argv[4])
            if n < 8:
                raise SYNTAX
            at = 5
        count = max(int_arg(argv[at + 2]), 0)
        start, end = _range_bounds(argv[at], argv[at + 1])
        consumer_name = argv[at + 3] if at + 3 < n else None
    stream, group = _group_or_none(client, argv[1], argv[2])
    if group is None:
        raise _nogroup(argv[1], argv[2])
    if n == 3:
        if not group.pel:
            return [0, None, None, NULL_ARRAY]
        owners = [[c.name, b"%d" % len(c.pel)] for c in group.sorted_consumers() if c.pel]
        return [len(group.pel), format_id(group.pel.peekitem(0)[0]), format_id(group.pel.peekitem(-1)[0]), owners]
    pel = group.pel
    if consumer_name is not None:
        consumer = group.consumers.get(consumer_name)
        if consumer is None:
            return []
        pel = consumer.pel
    now = now_ms()
    reply = []
    for sid in pel.irange(minimum=start, maximum=end):
        if not count:
            break
        nack = pel[sid]
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        count -= 1
        reply.append([format_id(sid), nack.consumer.name, max(now - nack.delivery_time, 0), nack.delivery_count])
    return reply


def _claim(sid: int, nack: NACK, consumer: Consumer, delivery_time: int, now: int) -> None:
    if nack.consumer is not consumer:
        if nack.consumer is not None:
            del nack.consumer.pel[sid]
        consumer.pel[sid] = nack
        nack.consumer = consumer
    nack.delivery_time = delivery_time
    consumer.active_time = now


def _claim_option_int(arg: bytes, name: str) -> int:
    return int_arg(arg, ReplyError(f"ERR Invalid {name} option argument for XCLAIM"))


@command("xclaim", -6, "write fast", keys=(1, 1, 1), categories="@stream", group="stream",
         since="5.0.0", tips="nondeterministic_output",
         summary="Changes (or acquires) ownership of a message in a consumer group, as if the"
                 " message was delivered to the specified consumer.",
         complexity="O(log N) with N being the number of messages in the PEL of the consumer "
                    "group.")
def xclaim_command(client: Client, argv: list[bytes]) -> list[Any]:
    key = argv[1]
    stream, group = _group_or_none(client, key, argv[2])
    if group is None:
        raise _nogroup(key, argv[2])
    min_idle = max(int_arg(argv[4], ReplyError("ERR Invalid min-idle-time argument for XCLAIM")), 0)
    ids = []
    j = 5
    while j < len(argv):
        try:
            ids.append(parse_id(argv[j], strict=True))
        except ReplyError:
            break
        j += 1
    now = now_ms()
    retry_count = -1
    delivery_time = -1
    force = justid = False
    last_id = 0
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"force":
            force = True
        elif opt == b"justid":
            justid = True
        elif opt == b"idle" and more:
            j += 1
            delivery_time = now - _claim_option_int(argv[j], "IDLE")
        elif opt == b"time" and more:
            j += 1
            delivery_time = _claim_option_int(argv[j], "TIME")
        elif opt == b"retrycount" and more:
            j += 1
            retry_count = _claim_option_int(argv[j], "RETRYCOUNT")
        elif opt == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], strict=True)
        else:
            raise ReplyError(f"ERR Unrecognized XCLAIM option '{_text(argv[j])}'")
        j += 1
    keyspace = client.server.keyspace
    if last_id > group.last_id:
        group.last_id = last_id
        keyspace.dirty += 1
    if delivery_time == -1 or delivery_time < 0 or delivery_time > now:
        delivery_time = now
    consumer = _get_consumer(client, key, group, argv[3])  # even when nothing is claimed (Redis 7.2)
    reply: list[Any] = []
    for sid in ids:
        nack = group.pel.get(sid)
        entry = stream.get(sid)
        if entry is None:
            if nack is not None:
                _forget_nack(group, sid)
                keyspace.dirty += 1
            continue
        if force and nack is None:
            nack = group.pel[sid] = NACK(None, now)
        if nack is None:
            continue
        if nack.consumer is not None and min_idle and now - nack.delivery_time < min_idle:
            continue
        _claim(sid, nack, consumer, delivery_time, now)
        if retry_count >= 0:
            nack.delivery_count = retry_count
        elif not justid:
            nack.delivery_count += 1
        reply.append(format_id(sid) if justid else entry)
        keyspace.dirty += 1
    return reply


@command("xautoclaim", -6, "write fast", keys=(1, 1, 1), categories="@stream", group="stream",
         since="6.2.0", tips="nondeterministic_output", key_flags="RW delete",
         summary="Changes (or acquires) ownership of messages in a consumer group, as if the "
                 "messages were delivered to the specified consumer.",
         complexity="O(1) if COUNT is small.")
def xautoclaim_command(client: Client, argv: list[bytes]) -> list[Any]:
    key = argv[1]
    min_idle = max(int_arg(argv[4], ReplyError("ERR Invalid min-idle-time argument for XAUTOCLAIM")), 0)
    start, exclusive = parse_interval_id(argv[5], 0)
    if exclusive:
        if start == MAX_ID:
            raise ReplyError("ERR invalid start ID for the interval")
        start += 1
    count = 100
    justid = False
    j = 6
    while j < len(argv):
        opt = argv[j].lower()
        if opt == b"count" and j + 1 < len(argv):
            count = int_arg(argv[j + 1], ReplyError("ERR COUNT must be > 0"))
            if not 1 <= count <= (2**63 - 1) // 16:
                raise ReplyError("ERR COUNT must be > 0")
            j += 1
        elif opt == b"justid":
            justid = True
        else:
            raise SYNTAX
        j += 1
    stream, group = _group_or_none(client, key, argv[2])
    if group is None:
        raise _nogroup(key, argv[2])
    attempts = count * 10
    now = now_ms()
    keyspace = client.server.keyspace
    consumer = _get_consumer(client, key, group, argv[3])  # even when nothing is claimed (Redis 7.2)
    candidates = list(islice(group.pel.irange(minimum=start), attempts + 1))
    claimed: list[Any] = []
    deleted: list[bytes] = []
    examined = 0
    for sid in candidates[:attempts]:
        if not count:
            break
        examined += 1
        nack = group.pel[sid]
        entry = stream.get(sid)
        if entry is None:
            _forget_nack(group, sid)
            deleted.append(format_id(sid))
            keyspace.dirty += 1
            count -= 1
            continue
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        _claim(sid, nack, consumer, now, now)
        if not justid:
            nack.delivery_count += 1
        claimed.append(format_id(sid) if justid else entry)
        count -= 1
        keyspace.dirty += 1
    cursor = format_id(candidates[examined]) if examined < len(candidates) else b"0-0"
    return [cursor, claimed, deleted]


# -- XGROUP -----------------------------------------------------------------------------------------

_XGROUP_HELP = _help("XGROUP", [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
])


def _xgroup_prepare(client: Client, argv: list[bytes]) -> tuple[Stream | None, ConsumerGroup | None, bool, int]:
    """The common part of xgroupCommand: options, the key and the group's existence."""
    sub = argv[1].lower()
    create, setid = sub == b"create", sub == b"setid"
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < len(argv):
        opt = argv[i].lower()
        if create and opt == b"mkstream":
            mkstream = True
            i += 1
        elif (create or setid) and opt == b"entriesread" and i + 1 < len(argv):
            entries_read = int_arg(argv[i + 1])
            if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                raise ReplyError("ERR value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise _subcommand_syntax_error(argv, "XGROUP")
    stream = _lookup(client, argv[2])
    group = stream.groups.get(argv[3]) if stream is not None else None
    if not mkstream:
        if stream is None:
            raise ReplyError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
                             "want to use the MKSTREAM option to create an empty stream automatically.")
        if group is None and sub in (b"setid", b"createconsumer", b"delconsumer"):
            raise _nogroup_for_key(argv[2], argv[3])
    return stream, group, mkstream, entries_read


@command("create", -5, "write denyoom", keys=(2, 2, 1), categories="@stream", parent="xgroup", group="stream",
         since="5.0.0", key_flags="RW insert",
         summary="Create a consumer group.",
         complexity="O(1)")
def xgroup_create_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) > 8:
        raise _subcommand_syntax_error(argv, "XGROUP")
    stream, group, _, entries_read = _xgroup_prepare(client, argv)
    key = argv[2]
    if argv[4] == b"$":
        sid = stream.last_id if stream is not None else 0
    else:
        sid = parse_id(argv[4], strict=True)
    if stream is None:
        stream = Stream()
        client.db.set(key, stream)
    if argv[3] in stream.groups:
        raise ReplyError("BUSYGROUP Consumer Group name already exists")
    stream.groups[argv[3]] = ConsumerGroup(argv[3], sid, entries_read)
    client.server.keyspace.dirty += 1
    _notify(client, key, "xgroup-create")
    return OK


@command("setid", -5, "write", keys=(2, 2, 1), categories="@stream", parent="xgroup", group="stream",
         since="5.0.0",
         summary="Set a consumer group to an arbitrary last delivered ID value.",
         complexity="O(1)")
def xgroup_setid_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) not in (5, 7):
        raise _subcommand_syntax_error(argv, "XGROUP")
    stream, group, _, entries_read = _xgroup_prepare(client, argv)
    group.last_id = stream.last_id if argv[4] == b"$" else parse_id(argv[4])
    group.entries_read = entries_read
    client.server.keyspace.dirty += 1
    _notify(client, argv[2], "xgroup-setid")
    return OK


@command("destroy", 4, "write", keys=(2, 2, 1), categories="@stream", parent="xgroup", group="stream",
         since="5.0.0", key_flags="RW delete",
         summary="Destroy a consumer group.",
         complexity="O(N) where N is the number of entries in the group's pending entries "
                    "list (PEL).")
def xgroup_destroy_command(client: Client, argv: list[bytes]) -> int:
    stream, group, _, _ = _xgroup_prepare(client, argv)
    if group is None:
        return 0
    del stream.groups[argv[3]]
    keyspace = client.server.keyspace
    keyspace.dirty += 1
    _notify(client, argv[2], "xgroup-destroy")
    keyspace.key_modified(client.db, argv[2])  # wakes XREADGROUP clients blocked on the group with -NOGROUP
    return 1


@command("createconsumer", 5, "write denyoom", keys=(2, 2, 1), categories="@stream", parent="xgroup",
         group="stream", since="6.2.0", key_flags="RW insert",
         summary="Create a consumer in a consumer group.",
         complexity="O(1)")
def xgroup_createconsumer_command(client: Client, argv: list[bytes]) -> int:
    _, group, _, _ = _xgroup_prepare(client, argv)
    if argv[4] in group.consumers:
        return 0
    _get_consumer(client, argv[2], group, argv[4])
    return 1


@command("delconsumer", 5, "write", keys=(2, 2, 1), categories="@stream", parent="xgroup", group="stream",
         since="5.0.0", key_flags="RW delete",
         summary="Delete a consumer from a consumer group.",
         complexity="O(1)")
def xgroup_delconsumer_command(client: Client, argv: list[bytes]) -> int:
    _, group, _, _ = _xgroup_prepare(client, argv)
    consumer = group.consumers.pop(argv[4], None)
    if consumer is None:
        return 0
    for sid in consumer.pel:
        del group.pel[sid]
    client.server.keyspace.dirty += 1
    _notify(client, argv[2], "xgroup-delconsumer")
    return len(consumer.pel)


@command("help", 2, "loading stale", categories="@stream", parent="xgroup", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def xgroup_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return _XGROUP_HELP


# -- XINFO ------------------------------------------------------------------------------------------

_XINFO_HELP = _help("XINFO", [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
])


def _xinfo_stream_or_error(client: Client, key: bytes) -> Stream:
    stream = _lookup(client, key)
    if stream is None:
        raise NO_SUCH_KEY
    return stream


def _radix_tree_nodes(stream: Stream) -> int:
    """How many nodes Redis's radix tree has for these node keys (16-byte big-endian IDs).

    A compressed radix tree is determined by its keys: a run of shared bytes is one compressed
    node, each fork one branching node, each key ends in a leaf.
    """
    keys = [sid.to_bytes(16, "big") for sid in stream.masters]
    return _rax_nodes(keys, 0, len(keys), 0) if keys else 1


def _rax_nodes(keys: list[bytes], lo: int, hi: int, depth: int) -> int:
    if depth == 16:
        return 1
    if hi - lo == 1:
        return 2
    first, last = keys[lo], keys[hi - 1]
    fork = depth
    while first[fork] == last[fork]:
        fork += 1
    count = 2 if fork > depth else 1
    i = lo
    while i < hi:
        byte = keys[i][fork]
        j = i + 1
        while j < hi and keys[j][fork] == byte:
            j += 1
        count += _rax_nodes(keys, i, j, fork + 1)
        i = j
    return count


def _entries_read_reply(group: ConsumerGroup) -> int | None:
    return group.entries_read if group.entries_read != INVALID_ENTRIES_READ else None


@command("stream", -3, "readonly", keys=(2, 2, 1), categories="@stream", parent="xinfo", group="stream",
         since="5.0.0",
         summary="Get information about a stream",
         complexity="O(1)")
def xinfo_stream_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    stream = _xinfo_stream_or_error(client, argv[2])
    rest = argv[3:]
    full = bool(rest)
    count = 10
    if rest and (len(rest) not in (1, 3) or rest[0].lower() != b"full"
                 or (len(rest) == 3 and rest[1].lower() != b"count")):
        raise _subcommand_syntax_error(argv, "XINFO")
    if len(rest) == 3:
        count = int_arg(rest[2])
        if count < 0:
            count = 10
    info: dict[bytes, Any] = {
        b"length": stream.length,
        b"radix-tree-keys": len(stream.nodes),
        b"radix-tree-nodes": _radix_tree_nodes(stream),
        b"last-generated-id": format_id(stream.last_id),
        b"max-deleted-entry-id": format_id(stream.max_deleted_id),
        b"entries-added": stream.entries_added,
        b"recorded-first-entry-id": format_id(stream.first_id),
    }
    if not full:
        info[b"groups"] = len(stream.groups)
        first = next(stream.range(0, MAX_ID), None)
        last = next(stream.revrange(0, MAX_ID), None)
        info[b"first-entry"] = first[1] if first else None
        info[b"last-entry"] = last[1] if last else None
        return info
    limit = count or None
    info[b"entries"] = [entry for _, entry in islice(stream.range(0, MAX_ID), limit)]
    groups = []
    for name in sorted(stream.groups):
        group = stream.groups[name]
        pending = [[format_id(sid), nack.consumer.name, nack.delivery_time, nack.delivery_count]
                   for sid, nack in islice(group.pel.items(), limit)]
        consumers = [{
            b"name": c.name,
            b"seen-time": c.seen_time,
            b"active-time": c.active_time,
            b"pel-count": len(c.pel),
            b"pending": [[format_id(sid), nack.delivery_time, nack.delivery_count]
                         for sid, nack in islice(c.pel.items(), limit)],
        } for c in group.sorted_consumers()]
        groups.append({
            b"name": name,
            b"last-delivered-id": format_id(group.last_id),
            b"entries-read": _entries_read_reply(group),
            b"lag": stream.lag(group),
            b"pel-count": len(group.pel),
            b"pending": pending,
            b"consumers": consumers,
        })
    info[b"groups"] = groups
    return info


@command("groups", 3, "readonly", keys=(2, 2, 1), categories="@stream", parent="xinfo", group="stream",
         since="5.0.0",
         summary="List the consumer groups of a stream",
         complexity="O(1)")
def xinfo_groups_command(client: Client, argv: list[bytes]) -> list[Any]:
    stream = _xinfo_stream_or_error(client, argv[2])
    return [{
        b"name": name,
        b"consumers": len(group.consumers),
        b"pending": len(group.pel),
        b"last-delivered-id": format_id(group.last_id),
        b"entries-read": _entries_read_reply(group),
        b"lag": stream.lag(group),
    } for name, group in sorted(stream.groups.items())]


@command("consumers", 4, "readonly", keys=(2, 2, 1), categories="@stream", parent="xinfo", group="stream",
         since="5.0.0", tips="nondeterministic_output",
         summary="List the consumers in a consumer group",
         complexity="O(1)")
def xinfo_consumers_command(client: Client, argv: list[bytes]) -> list[Any]:
    stream = _xinfo_stream_or_error(client, argv[2])
    group = stream.groups.get(argv[3])
    if group is None:
        raise _nogroup_for_key(argv[2], argv[3])
    now = now_ms()
    return [{b"name": c.name, b"pending": len(c.pel), b"idle": max(now - c.seen_time, 0),
             b"inactive": now - c.active_time if c.active_time != -1 else -1}
            for c in group.sorted_consumers()]


@command("help", 2, "loading stale", categories="@stream", parent="xinfo", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def xinfo_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return _XINFO_HELP


document_container("xgroup", "A container for consumer groups commands")
document_container("xinfo", "A container for stream introspection commands")
