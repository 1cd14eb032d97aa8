"""Pub/Sub (pubsub.c): channels, patterns and shard channels, plus keyspace notifications.

Subscribers are Clients; a message reaches them through `client.write_push` as a RESP3 push frame or
a RESP2 array, encoded here once per protocol version for all the subscribers. Keyspace events (`notify-keyspace-events`) are
published here on `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, Range, command, document_container
from dynamis.kv.glob import glob_match
from dynamis.kv.protocol import Push, Replies

if TYPE_CHECKING:
    from dynamis.kv.keyspace import Database


class PubSub:
    """Who listens to what. Subscriber collections are dicts used as insertion-ordered sets."""

    def __init__(self) -> None:
        self.channels: dict[bytes, dict[Client, None]] = {}
        self.patterns: dict[bytes, dict[Client, None]] = {}
        self.shard_channels: dict[bytes, dict[Client, None]] = {}

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to channel and pattern subscribers; return how many received it."""
        receivers = 0
        subscribers = self.channels.get(channel)
        if subscribers:
            _deliver(subscribers, _MESSAGE % (len(channel), channel, len(message), message))
            receivers += len(subscribers)
        if self.patterns:
            for pattern, clients in list(self.patterns.items()):
                if glob_match(pattern, channel):
                    _deliver(clients, _PMESSAGE % (len(pattern), pattern, len(channel), channel, len(message), message))
                    receivers += len(clients)
        return receivers

    def publish_shard(self, channel: bytes, message: bytes) -> int:
        subscribers = self.shard_channels.get(channel)
        if not subscribers:
            return 0
        _deliver(subscribers, _SMESSAGE % (len(channel), channel, len(message), message))
        return len(subscribers)

    def notify_keyspace_event(self, db: Database, event_class: str, event: str, key: bytes) -> None:
        """Publish a keyspace event as Redis's notifyKeyspaceEvent does."""
        flags = db.keyspace.notify_flags
        if "K" in flags:
            self.publish(b"__keyspace@%d__:%s" % (db.id, key), event.encode())
        if "E" in flags:
            self.publish(b"__keyevent@%d__:%s" % (db.id, event.encode()), key)

    def unsubscribe_all(self, client: Client) -> None:
        """A disconnecting or RESET client leaves everything, without replies."""
        for table, mine in ((self.channels, client.channels), (self.patterns, client.patterns),
                            (self.shard_channels, client.shard_channels)):
            for name in mine:
                _remove(table, name, client)
            mine.clear()
        client.subscriptions = 0


def _frame_format(kind: bytes, parts: int) -> bytes:
    """The %-format of a message push: its kind, then `parts` bulk strings (a RESP2 array)."""
    return b"*%d\r\n$%d\r\n%s\r\n" % (parts + 1, len(kind), kind) + b"$%d\r\n%s\r\n" * parts


# one %-format per message kind: a third cheaper than hiredis.pack_command for a PUBLISH
_MESSAGE, _PMESSAGE, _SMESSAGE = _frame_format(b"message", 2), _frame_format(b"pmessage", 3), _frame_format(b"smessage", 2)


def _deliver(subscribers: dict[Client, None], frame: bytes) -> None:
    """Send a message push (`frame`, encoded as a RESP2 array) to its subscribers: encoded once per
    protocol version, not once per subscriber, as Redis shares the message objects among clients."""
    resp3 = None
    for client in list(subscribers):
        if client.resp == 3:
            if resp3 is None:
                resp3 = b">" + frame[1:]
            client.write_push(resp3)
        else:
            client.write_push(frame)


def _remove(table: dict[bytes, dict[Client, None]], name: bytes, client: Client) -> None:
    subscribers = table.get(name)
    if subscribers is not None:
        subscribers.pop(client, None)
        if not subscribers:
            del table[name]


def _sides(client: Client, kind: str) -> tuple[dict[bytes, dict[Client, None]], dict[bytes, None], bytes]:
    """The server's table, the client's own set and the reply prefix (`s`, `p` or none) of one kind."""
    pubsub = client.server.pubsub
    if kind == "pattern":
        return pubsub.patterns, client.patterns, b"p"
    if kind == "shard":
        return pubsub.shard_channels, client.shard_channels, b"s"
    return pubsub.channels, client.channels, b""


def _count(client: Client, kind: str) -> int:
    """The count in a (un)subscribe reply: shard channels are counted apart, as in Redis 7.0."""
    client.subscriptions = len(client.channels) + len(client.patterns) + len(client.shard_channels)
    return len(client.shard_channels) if kind == "shard" else len(client.channels) + len(client.patterns)


def _subscribe(client: Client, names: list[bytes], kind: str) -> Replies:
    table, mine, prefix = _sides(client, kind)
    replies = Replies()
    for name in names:
        if name not in mine:
            mine[name] = None
            table.setdefault(name, {})[client] = None
        replies.append(Push([prefix + b"subscribe", name, _count(client, kind)]))
    return replies


def _unsubscribe(client: Client, names: list[bytes], kind: str) -> Replies:
    table, mine, prefix = _sides(client, kind)
    replies = Replies()
    for name in names or list(mine):
        if name in mine:
            del mine[name]
            _remove(table, name, client)
        replies.append(Push([prefix + b"unsubscribe", name, _count(client, kind)]))
    if not replies:
        replies.append(Push([prefix + b"unsubscribe", None, _count(client, kind)]))
    return replies


@command("subscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Listen for messages published to the given channels",
         complexity="O(N) where N is the number of channels to subscribe to.")
def subscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _subscribe(client, argv[1:], "channel")


@command("psubscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Listen for messages published to channels matching the given patterns",
         complexity="O(N) where N is the number of patterns the client is already subscribed "
                    "to.")
def psubscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _subscribe(client, argv[1:], "pattern")


@command("ssubscribe", -2, "pubsub noscript loading stale", group="pubsub", since="7.0.0",
         key_specs=(KeySpec("not_key", Index(1), Range(-1)),),
         summary="Listen for messages published to the given shard channels",
         complexity="O(N) where N is the number of shard channels to subscribe to.")
def ssubscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _subscribe(client, argv[1:], "shard")


@command("unsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Stop listening for messages posted to the given channels",
         complexity="O(N) where N is the number of clients already subscribed to a channel.")
def unsubscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _unsubscribe(client, argv[1:], "channel")


@command("punsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Stop listening for messages posted to channels matching the given patterns",
         complexity="O(N+M) where N is the number of patterns the client is already "
                    "subscribed and M is the number of total patterns subscribed in the "
                    "system (by any client).")
def punsubscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _unsubscribe(client, argv[1:], "pattern")


@command("sunsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="7.0.0",
         key_specs=(KeySpec("not_key", Index(1), Range(-1)),),
         summary="Stop listening for messages posted to the given shard channels",
         complexity="O(N) where N is the number of clients already subscribed to a shard "
                    "channel.")
def sunsubscribe_command(client: Client, argv: list[bytes]) -> Replies:
    return _unsubscribe(client, argv[1:], "shard")


@command("publish", 3, "pubsub loading stale fast may_replicate", group="pubsub", since="2.0.0",
         summary="Post a message to a channel",
         complexity="O(N+M) where N is the number of clients subscribed to the receiving "
                    "channel and M is the total number of subscribed patterns (by any "
                    "client).")
def publish_command(client: Client, argv: list[bytes]) -> int:
    return client.server.pubsub.publish(argv[1], argv[2])


@command("spublish", 3, "pubsub loading stale fast may_replicate", group="pubsub",
         since="7.0.0",
         key_specs=(KeySpec("not_key", Index(1)),),
         summary="Post a message to a shard channel",
         complexity="O(N) where N is the number of clients subscribed to the receiving shard "
                    "channel.")
def spublish_command(client: Client, argv: list[bytes]) -> int:
    return client.server.pubsub.publish_shard(argv[1], argv[2])


def _channels_matching(table: dict[bytes, dict[Client, None]], argv: list[bytes]) -> list[bytes]:
    pattern = argv[2] if len(argv) > 2 else None
    return [name for name in table if pattern is None or glob_match(pattern, name)]


def _subscriber_counts(table: dict[bytes, dict[Client, None]], argv: list[bytes]) -> list[object]:
    """NUMSUB/SHARDNUMSUB: channel, count, channel, count..."""
    out: list[object] = []
    for name in argv[2:]:
        out += [name, len(table.get(name, ()))]
    return out


@command("channels", -2, "pubsub loading stale", parent="pubsub", group="pubsub", since="2.8.0",
         summary="List active channels",
         complexity="O(N) where N is the number of active channels, and assuming constant "
                    "time pattern matching (relatively short channels and patterns)")
def pubsub_channels_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return _channels_matching(client.server.pubsub.channels, argv)


@command("shardchannels", -2, "pubsub loading stale", parent="pubsub", group="pubsub", since="7.0.0",
         summary="List active shard channels",
         complexity="O(N) where N is the number of active shard channels, and assuming "
                    "constant time pattern matching (relatively short shard channels).")
def pubsub_shardchannels_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return _channels_matching(client.server.pubsub.shard_channels, argv)


@command("numsub", -2, "pubsub loading stale", parent="pubsub", group="pubsub", since="2.8.0",
         summary="Get the count of subscribers for channels",
         complexity="O(N) for the NUMSUB subcommand, where N is the number of requested "
                    "channels")
def pubsub_numsub_command(client: Client, argv: list[bytes]) -> list[object]:
    return _subscriber_counts(client.server.pubsub.channels, argv)


@command("shardnumsub", -2, "pubsub loading stale", parent="pubsub", group="pubsub", since="7.0.0",
         summary="Get the count of subscribers for shard channels",
         complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                    "shard channels")
def pubsub_shardnumsub_command(client: Client, argv: list[bytes]) -> list[object]:
    return _subscriber_counts(client.server.pubsub.shard_channels, argv)


@command("numpat", 2, "pubsub loading stale", parent="pubsub", group="pubsub", since="2.8.0",
         summary="Get the count of unique patterns pattern subscriptions",
         complexity="O(1)")
def pubsub_numpat_command(client: Client, argv: list[bytes]) -> int:
    return len(client.server.pubsub.patterns)


_PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command("help", 2, "loading stale", parent="pubsub", group="pubsub", since="6.2.0",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def pubsub_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return list(_PUBSUB_HELP)


document_container("pubsub", "A container for Pub/Sub commands")
