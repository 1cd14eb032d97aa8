"""Sets (t_set.c): SADD, SPOP, SRANDMEMBER, SMOVE, the algebra (SINTER/SUNION/SDIFF[STORE],
SINTERCARD) and SSCAN.

A set is a dict member -> position in `members`, a list that gives SPOP and SRANDMEMBER O(1)
random picks (removal swaps the last member into the hole). Redis 7.0 encodes a set of integers
with at most `set-max-intset-entries` members as an intset, which replies in ascending order;
`intset` tracks that encoding (a hashtable never turns back) so that replies keep Redis's order
where it is deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import islice
from typing import Any

from dynamis.config import Config
from dynamis.kv.args import SYNTAX, int_arg, parse_int64, parse_scan_cursor, scan_options
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, Keynum, KeySpec, Range, command, numkeys_getkeys
from dynamis.kv.glob import glob_match
from dynamis.kv.keyspace import WRONGTYPE, Database
from dynamis.kv.protocol import ReplyError, SetReply
from dynamis.kv.types import register_type

_NOT_POSITIVE = ReplyError("ERR value is out of range, must be positive")
# Redis's SPOP switches strategy when few members would remain (SPOP_MOVE_STRATEGY_MUL)
_SPOP_MOVE_STRATEGY_MUL = 5


def _is_int(member: bytes) -> bool:
    return parse_int64(member) is not None


class SetValue(dict):
    """A Redis set: member -> index into `members` (for O(1) random access)."""

    __slots__ = ("members", "intset")

    def __init__(self, intset: bool = True) -> None:
        super().__init__()
        self.members: list[bytes] = []
        self.intset = intset

    def add_many(self, members: Iterable[bytes], max_intset: int) -> int:
        """Add members; -> how many were new. An intset turns into a hashtable past `max_intset`
        members or on a member that is not an integer, as Redis's setTypeAdd."""
        order = self.members
        before = len(order)
        for member in members:
            if member not in self:
                self[member] = len(order)
                order.append(member)
        added = len(order) - before
        if added and self.intset and (len(order) > max_intset or not all(map(_is_int, order[before:]))):
            self.intset = False
        return added

    def remove(self, member: bytes) -> bool:
        index = self.pop(member, None)
        if index is None:
            return False
        last = self.members.pop()
        if index < len(self.members):
            self.members[index] = last
            self[last] = index
        return True

    def random_member(self) -> bytes:
        return self.members[random.randrange(len(self.members))]

    def ordered(self) -> list[bytes]:
        """Members in the order Redis iterates them: ascending for an intset."""
        return sorted(self.members, key=int) if self.intset else list(self.members)


def _encoding(value: SetValue, config: Config) -> str:
    return "intset" if value.intset else "hashtable"


register_type(SetValue, "set", _encoding)


def new_set(members: Iterable[bytes], config: Config) -> SetValue:
    """A set built member by member as Redis's setTypeCreate + setTypeAdd would encode it."""
    members = list(members)
    s = SetValue(intset=not members or _is_int(members[0]))
    s.add_many(members, config["set-max-intset-entries"])
    return s


def _lookup(db: Database, key: bytes) -> SetValue | None:
    value = db.lookup(key)
    if value is not None and type(value) is not SetValue:
        raise WRONGTYPE
    return value


# -- writes ----------------------------------------------------------------------------------

@command("sadd", -3, "write denyoom fast", keys=(1, 1, 1), categories="@set", group="set", key_flags="RW insert",
         summary="Add one or more members to a set",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.")
def sadd_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    s = _lookup(db, key)
    created = s is None
    if created:
        s = SetValue(intset=_is_int(argv[2]))
    added = s.add_many(islice(argv, 2, None), client.server.config.values["set-max-intset-entries"])
    keyspace = db.keyspace
    if created:
        db.set(key, s)  # signals the change
    elif added:
        keyspace.key_modified(db, key)
    if added:
        if keyspace.notify_flags:
            keyspace.notify(db, "s", "sadd", key)
        keyspace.dirty += added
    return added


@command("srem", -3, "write fast", keys=(1, 1, 1), categories="@set", group="set", key_flags="RW delete",
         summary="Remove one or more members from a set",
         complexity="O(N) where N is the number of members to be removed.")
def srem_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    s = _lookup(db, key)
    if s is None:
        return 0
    removed = 0
    for member in islice(argv, 2, None):
        if s.remove(member):
            removed += 1
            if not s:
                break
    if removed:
        db.elements_removed(key, s, "s", "srem", removed)
    return removed


@command("smove", 4, "write fast", categories="@set", group="set",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("RW insert", Index(2))),
         summary="Move a member from one set to another",
         complexity="O(1)")
def smove_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    source_key, dest_key, member = argv[1], argv[2], argv[3]
    source = db.lookup(source_key)
    dest = db.lookup(dest_key)
    if source is None:
        return 0
    if type(source) is not SetValue or (dest is not None and type(dest) is not SetValue):
        raise WRONGTYPE
    if source is dest:
        return int(member in source)
    if not source.remove(member):
        return 0
    db.elements_removed(source_key, source, "s", "srem", 1)
    keyspace = db.keyspace
    if dest is None:
        dest = new_set((member,), client.server.config)
        db.set(dest_key, dest)  # signals the change
    elif dest.add_many((member,), client.server.config["set-max-intset-entries"]):
        keyspace.key_modified(db, dest_key)
    else:
        return 1
    keyspace.dirty += 1
    keyspace.notify(db, "s", "sadd", dest_key)
    return 1


@command("spop", -2, "write fast", keys=(1, 1, 1), categories="@set", group="set",
         key_flags="RW access delete", tips="nondeterministic_output",
         summary="Remove and return one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of "
                    "the passed count.")
def spop_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) > 3:
        raise SYNTAX
    db = client.db
    key = argv[1]
    if len(argv) == 2:
        s = _lookup(db, key)
        if s is None:
            return None
        member = s.random_member()
        s.remove(member)
        db.elements_removed(key, s, "s", "spop", 1)
        return member
    value = parse_int64(argv[2])
    if value is None or value < 0:
        raise _NOT_POSITIVE
    count = value
    s = _lookup(db, key)
    if s is None or count == 0:
        return SetReply()
    size = len(s)
    keyspace = db.keyspace
    keyspace.notify(db, "s", "spop", key)
    keyspace.dirty += count
    if count >= size:
        members = s.ordered()
        db.delete(key)
        keyspace.notify(db, "g", "del", key)
        return SetReply(members)
    remaining = size - count
    if remaining * _SPOP_MOVE_STRATEGY_MUL > count:
        popped = []
        for _ in range(count):
            member = s.random_member()
            s.remove(member)
            popped.append(member)
    else:
        # Redis rebuilds the set from the members that stay, so its encoding starts over
        was_intset = s.intset
        kept = random.sample(s.members, remaining)
        kept_set = set(kept)
        popped = [m for m in s.members if m not in kept_set]
        if was_intset:
            popped.sort(key=int)
        db.set(key, new_set(kept, client.server.config), keep_ttl=True)
        return SetReply(popped)
    keyspace.key_modified(db, key)
    return SetReply(popped)


# -- reads -----------------------------------------------------------------------------------

@command("scard", 2, "readonly fast", keys=(1, 1, 1), categories="@set", group="set", key_flags="RO",
         summary="Get the number of members in a set",
         complexity="O(1)")
def scard_command(client: Client, argv: list[bytes]) -> int:
    s = _lookup(client.db, argv[1])
    return 0 if s is None else len(s)


@command("sismember", 3, "readonly fast", keys=(1, 1, 1), categories="@set", group="set", key_flags="RO",
         summary="Determine if a given value is a member of a set",
         complexity="O(1)")
def sismember_command(client: Client, argv: list[bytes]) -> int:
    s = _lookup(client.db, argv[1])
    return int(s is not None and argv[2] in s)


@command("smismember", -3, "readonly fast", keys=(1, 1, 1), categories="@set", group="set", since="6.2.0",
         summary="Returns the membership associated with the given elements for a set",
         complexity="O(N) where N is the number of elements being checked for membership")
def smismember_command(client: Client, argv: list[bytes]) -> list[int]:
    s = _lookup(client.db, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [int(member in s) for member in islice(argv, 2, None)]


@command("smembers", 2, "readonly", keys=(1, 1, 1), categories="@set", group="set",
         tips="nondeterministic_output_order",
         summary="Get all the members in a set",
         complexity="O(N) where N is the set cardinality.")
def smembers_command(client: Client, argv: list[bytes]) -> SetReply:
    s = _lookup(client.db, argv[1])
    return SetReply() if s is None else SetReply(s.ordered())


@command("srandmember", -2, "readonly", keys=(1, 1, 1), categories="@set", group="set",
         tips="nondeterministic_output",
         summary="Get one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute "
                    "value of the passed count.")
def srandmember_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) > 3:
        raise SYNTAX
    if len(argv) == 2:
        s = _lookup(client.db, argv[1])
        return None if s is None else s.random_member()
    count = int_arg(argv[2])
    if count < -(2**63 - 1):
        raise ReplyError("ERR value is out of range, value must between -9223372036854775807 and "
                         "9223372036854775807")
    s = _lookup(client.db, argv[1])
    if s is None or count == 0:
        return []
    members = s.members
    if count < 0 or count == 1:
        n = len(members)
        return [members[random.randrange(n)] for _ in range(-count if count < 0 else 1)]
    if count >= len(members):
        return s.ordered()
    return random.sample(members, count)


# -- algebra ---------------------------------------------------------------------------------

def _sets(db: Database, keys: list[bytes]) -> list[SetValue | None]:
    """Look every key up (a missing key is an empty set); any other type is WRONGTYPE."""
    return [_lookup(db, key) for key in keys]


def _store(client: Client, dest: bytes, result: SetValue, event: str) -> int:
    db = client.db
    keyspace = db.keyspace
    if result:
        db.set(dest, result)
        keyspace.notify(db, "s", event, dest)
        keyspace.dirty += 1
        return len(result)
    if db.discard(dest):  # dbDelete: an expired destination is deleted (del), not expired first
        keyspace.notify(db, "g", "del", dest)
        keyspace.dirty += 1
    return 0


def _inter_members(sets: list[SetValue | None], limit: int = 0) -> list[bytes]:
    """Intersection in the iteration order of the smallest set (first of equal sizes), as Redis."""
    if any(s is None for s in sets):
        return []
    smallest = min(sets, key=len)
    others = sorted((s for s in sets if s is not smallest), key=len)
    out: list[bytes] = []
    for member in smallest.ordered():
        if all(member in other for other in others):
            out.append(member)
            if limit and len(out) >= limit:
                break
    return out


@command("sinter", -2, "readonly", keys=(1, -1, 1), categories="@set", group="set",
         tips="nondeterministic_output_order",
         summary="Intersect multiple sets",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M "
                    "is the number of sets.")
def sinter_command(client: Client, argv: list[bytes]) -> SetReply:
    members = _inter_members(_sets(client.db, argv[1:]))
    return SetReply(members)


@command("sinterstore", -3, "write denyoom", categories="@set", group="set",
         key_specs=(KeySpec("RW update", Index(1)), KeySpec("RO access", Index(2), Range(-1))),
         summary="Intersect multiple sets and store the resulting set in a key",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M "
                    "is the number of sets.")
def sinterstore_command(client: Client, argv: list[bytes]) -> int:
    members = _inter_members(_sets(client.db, argv[2:]))
    return _store(client, argv[1], new_set(members, client.server.config), "sinterstore")


@command("sintercard", -3, "readonly", categories="@set", group="set", since="7.0.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RO access", Index(1), Keynum()),),
         summary="Intersect multiple sets and return the cardinality of the result",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M "
                    "is the number of sets.")
def sintercard_command(client: Client, argv: list[bytes]) -> int:
    numkeys = parse_int64(argv[1])
    if numkeys is None or numkeys < 1:
        raise ReplyError("ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise ReplyError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    while i < len(argv):
        if argv[i].lower() == b"limit" and i + 1 < len(argv):
            limit = parse_int64(argv[i + 1])
            if limit is None or limit < 0:
                raise ReplyError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise SYNTAX
    members = _inter_members(_sets(client.db, argv[2 : 2 + numkeys]), limit)
    return len(members)


def _union_or_diff(client: Client, keys: list[bytes], diff: bool) -> SetValue:
    """SUNION/SDIFF into a new set encoded as Redis's temporary set would be."""
    sets = _sets(client.db, keys)
    config = client.server.config
    first = sets[0]
    if not diff:
        seen: dict[bytes, None] = {}
        for s in sets:
            if s is not None:
                seen.update(dict.fromkeys(s.members))
        return new_set(seen, config)
    if first is None or any(s is first for s in sets[1:]):
        return new_set((), config)
    others = [s for s in sets[1:] if s is not None]
    result = [m for m in first.members if not any(m in s for s in others)]
    # Redis's second diff algorithm copies the whole first set before removing: that decides the encoding
    algo_one_work = len(first) * (1 + len(others)) // 2
    algo_two_work = len(first) + sum(len(s) for s in others)
    if algo_one_work > algo_two_work:
        staged = new_set(first.members, config)
        s = new_set(result, config)
        s.intset = s.intset and staged.intset
        return s
    return new_set(result, config)


@command("sunion", -2, "readonly", keys=(1, -1, 1), categories="@set", group="set",
         tips="nondeterministic_output_order",
         summary="Add multiple sets",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sunion_command(client: Client, argv: list[bytes]) -> SetReply:
    return SetReply(_union_or_diff(client, argv[1:], False).ordered())


@command("sunionstore", -3, "write denyoom", categories="@set", group="set",
         key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2), Range(-1))),
         summary="Add multiple sets and store the resulting set in a key",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sunionstore_command(client: Client, argv: list[bytes]) -> int:
    return _store(client, argv[1], _union_or_diff(client, argv[2:], False), "sunionstore")


@command("sdiff", -2, "readonly", keys=(1, -1, 1), categories="@set", group="set",
         tips="nondeterministic_output_order",
         summary="Subtract multiple sets",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sdiff_command(client: Client, argv: list[bytes]) -> SetReply:
    return SetReply(_union_or_diff(client, argv[1:], True).ordered())


@command("sdiffstore", -3, "write denyoom", categories="@set", group="set",
         key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2), Range(-1))),
         summary="Subtract multiple sets and store the resulting set in a key",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sdiffstore_command(client: Client, argv: list[bytes]) -> int:
    return _store(client, argv[1], _union_or_diff(client, argv[2:], True), "sdiffstore")


# -- SSCAN -----------------------------------------------------------------------------------

@command("sscan", -3, "readonly", keys=(1, 1, 1), categories="@set", group="set", since="2.8.0",
         tips="nondeterministic_output",
         summary="Incrementally iterate Set elements",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection..")
def sscan_command(client: Client, argv: list[bytes]) -> list[Any]:
    cursor = parse_scan_cursor(argv[2])
    s = _lookup(client.db, argv[1])
    if s is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    if s.intset:
        cursor, members = 0, s.ordered()  # an intset is returned whole, as Redis does
    else:
        cursor, members = client.server.keyspace.scan_cursors.scan(s.members, len(s), cursor, count)
    items = [m for m in members if m in s and (pattern is None or glob_match(pattern, m))]
    return [b"%d" % cursor, items]
