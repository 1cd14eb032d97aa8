"""ACLs: users, rules and selectors against real Redis 7.0 (ACL SETUSER/GETUSER/LIST/CAT/DRYRUN, raw bytes
in RESP2 and RESP3), and enforcement through redis-py (NOPERM, AUTH, pub/sub, MULTI, Lua, ACL LOG).

Denial texts are Redis 7.2+'s ("User u has no permissions to run...", "No permissions to access a key"),
which 7.0 words differently ("this user has no permissions..."): those are checked against fixed bytes.
Redis describes single commands in its dict's (randomly seeded) hash order, so the differential cases
leave at most one single-command rule per selector.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import hiredis
import pytest
import redis

from dynamis.kv.acl import lookup_acl_command
from tests.helpers import Differential, RawConnection, free_port, start_dynamis

USERS = ("u1", "u2", "u3", "u4")
# in dynamis's command table, not in Redis 7.0's (tests/test_command_table.py's ALLOWED), and the reverse
NEWER = {"client|setinfo", "client|no-touch", "waitaof", "hexpire", "hpexpire", "hexpireat", "hpexpireat", "httl",
         "hpttl", "hexpiretime", "hpexpiretime", "hpersist"}


def _reset(conn: RawConnection) -> None:
    conn.call("ACL", "DELUSER", *USERS)
    conn.call("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
    conn.call("ACL", "LOG", "RESET")


@pytest.fixture
def acl_diff(diff: Differential) -> Iterator[Differential]:
    yield diff
    _reset(diff.redis)
    _reset(diff.dynamis)


@pytest.fixture
def acl_diff3(diff3: Differential) -> Iterator[Differential]:
    yield diff3
    _reset(diff3.redis)
    _reset(diff3.dynamis)


@pytest.fixture
def admin(r: redis.Redis) -> Iterator[redis.Redis]:
    yield r
    r.acl_deluser(*USERS)
    r.acl_setuser("default", reset=True, enabled=True, nopass=True, keys=["*"], channels=["*"], commands=["+@all"])
    r.config_set("requirepass", "")
    r.acl_log_reset()


def _as(server, user: str, password: str = "p", **kw) -> redis.Redis:
    return redis.Redis(port=server.port, username=user, password=password, **kw)


RULES = [
    ("on", ">p", "~foo*", "%R~bar", "%W~baz", "&ch*", "+get", "(+set ~x*)"),
    ("on", "nopass", "+@all", "-@dangerous", "-get", "~*"),
    ("reset", "+@string", "-@write", "+config|get"),
    ("on", "#" + "a" * 64, ">x", "<x", "allkeys", "allchannels", "allcommands", "-@admin"),
    ("+@hash", "-hset", "+select|0", "+select|1"),
    ("+@all", "-@all", "+@geo", "clearselectors", "(-@all +@list %RW~l*)", "(&x resetchannels &y)"),
    ("%RW~k", "~k", "%R~k", "resetkeys", "~a", "skip-sanitize-payload", "off"),
    ("+@all", "-client", "+client|id", "nocommands", "+@pubsub", "-@fast"),
    ("(", "+get", "~x", ")"),
    ("+acl", "-acl|setuser", "+@connection"),
]
BAD_RULES = [
    ("foo",), ("~*", "~x"), ("&*", "&x"), ("+nocmd",), ("-@nocat",), ("+config|get|x",), ("+get|",),
    ("!abc",), ("<abc",), ("#" + "A" * 64,), ("%X~a",), ("%RR~a",), ("(",), ("(+get", "~x"), ("(foo)",),
    ("-select|0",), ("+config|nosub",), ("~a b",),
]


def _single_commands_sorted(reply: object) -> object:
    """Command rules with their single-command part sorted (Redis emits it in random hash order)."""
    if isinstance(reply, list):
        return [_single_commands_sorted(item) for item in reply]
    if isinstance(reply, dict):
        return {key: _single_commands_sorted(value) for key, value in reply.items()}
    if isinstance(reply, bytes) and b"@all" in reply:
        tokens = reply.split(b" ")
        singles = sorted(t for t in tokens if t[:1] in (b"+", b"-") and t[1:2] != b"@" and not t.endswith(b")"))
        return [t for t in tokens if t not in singles], singles
    return reply


def _check_rules(d: Differential, *args: str) -> None:
    """Same bytes, or (with several single-command rules) the same rules in Redis's order but for those."""
    expected, actual = d.both(*args)
    if expected != actual:
        assert expected.count(b"\r\n") == actual.count(b"\r\n"), (expected, actual)
        assert _single_commands_sorted(_parse(expected)) == _single_commands_sorted(_parse(actual))


def _parse(raw: bytes) -> object:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


@pytest.mark.parametrize("rules", RULES, ids=[" ".join(r) for r in RULES])
@pytest.mark.parametrize("resp", [2, 3])
def test_setuser_getuser_list(acl_diff, acl_diff3, rules, resp):
    d = acl_diff if resp == 2 else acl_diff3
    d.check("ACL", "SETUSER", "u1", *rules)
    _check_rules(d, "ACL", "GETUSER", "u1")
    _check_rules(d, "ACL", "LIST")
    d.check("ACL", "USERS")
    d.check("ACL", "SETUSER", "u1", "reset")
    d.check("ACL", "GETUSER", "u1")


@pytest.mark.parametrize("rules", BAD_RULES, ids=[" ".join(r) for r in BAD_RULES])
def test_setuser_errors_change_nothing(acl_diff, rules):
    acl_diff.check("ACL", "SETUSER", "u2", "on", "+get", "~k")
    acl_diff.check("ACL", "SETUSER", "u2", "+set", *rules)
    _check_rules(acl_diff, "ACL", "LIST")


def test_acl_errors_and_misc(acl_diff, acl_diff3):
    for d in (acl_diff, acl_diff3):
        d.check_all([
            ("ACL", "SETUSER", "a b"), ("ACL", "SETUSER", "a\0b"), ("ACL", "GETUSER", "nope"),
            ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "u1", "default"), ("ACL", "DELUSER", "nope"),
            ("ACL", "SETUSER", "u1"), ("ACL", "SETUSER", "u2", "on"), ("ACL", "DELUSER", "u1", "u2", "u3"),
            ("ACL", "WHOAMI"), ("ACL", "CAT"), ("ACL", "CAT", "nope"), ("ACL", "CAT", "a", "b"),
            ("ACL", "GENPASS", "0"), ("ACL", "GENPASS", "4097"), ("ACL", "GENPASS", "x"), ("ACL", "GENPASS", "1", "2"),
            ("ACL", "LOG", "x"), ("ACL", "LOG", "1", "2"), ("ACL", "LOG", "RESET"), ("ACL", "LOG", "-5"),
            ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "HELP"), ("ACL", "NOPE"), ("ACL", "WHOAMI", "x"),
            ("ACL", "DRYRUN", "nope", "get", "a"), ("ACL", "DRYRUN", "default", "nocmd"),
            ("ACL", "DRYRUN", "default", "get", "a"), ("ACL", "SETUSER", "u1", "(+get", "~x"),
            ("ACL", "SETUSER", "u1", "~x", "(+get"), ("ACL", "GETUSER", "u1"),
        ])
    assert len(acl_diff.dynamis.call("ACL", "GENPASS")) == len(b"$64\r\n") + 64 + 2
    assert acl_diff.both("ACL", "GENPASS", "5")[1].startswith(b"$2\r\n")


@pytest.mark.parametrize("category", ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                                      "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
                                      "blocking", "dangerous", "connection", "transaction", "scripting"])
def test_cat_category(redis_oracle_port, server, category):
    expected = set(redis.Redis(port=redis_oracle_port).acl_cat(category))
    actual = set(redis.Redis(port=server.port).acl_cat(category))
    missing = {name for name in expected if lookup_acl_command(name.encode()) is None}  # MIGRATE, LOLWUT...
    assert actual - NEWER == expected - missing


def test_dryrun(acl_diff):
    d = acl_diff
    d.check("ACL", "SETUSER", "u1", "on", ">p", "~foo*", "%R~ro*", "%W~wo*", "&ch*", "+@read", "+@write",
            "+@pubsub", "-spublish", "(+set ~x*)")
    for args in [("get", "foo1"), ("set", "x1", "v"), ("set", "ro1", "v"), ("get", "ro1"), ("set", "wo1", "v"),
                 ("get", "wo1"), ("copy", "wo1", "wo2"), ("lmove", "ro1", "wo1", "left", "right"),
                 ("publish", "ch1", "m"), ("subscribe", "ch1", "ch2"), ("psubscribe", "ch*"),
                 ("psubscribe", "ch1*"), ("subscribe", "x"), ("publish", "x", "m"), ("ping",), ("auth", "a"),
                 ("mset", "foo", "1", "x2", "2"), ("get",)]:
        expected, actual = (_parse(raw) for raw in d.both("ACL", "DRYRUN", "u1", *args))
        if isinstance(expected, bytes):
            expected = expected.replace(b"This user", b"User u1")
        assert repr(actual) == repr(expected), args


def test_denied_raw_bytes(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], keys=["k*"], channels=["c*"],
                      commands=["+get", "+set", "+publish", "+subscribe", "+multi", "+exec"])
    for resp in (2, 3):
        conn = RawConnection(server.port)
        if resp == 3:
            conn.call("HELLO", "3")
        assert conn.call("AUTH", "u1", "p") == b"+OK\r\n"
        assert conn.call("LPUSH", "k", "v") == b"-NOPERM User u1 has no permissions to run the 'lpush' command\r\n"
        assert conn.call("GET", "x") == b"-NOPERM No permissions to access a key\r\n"
        assert conn.call("PUBLISH", "x", "m") == b"-NOPERM No permissions to access a channel\r\n"
        assert conn.call("CONFIG", "GET", "x") == (
            b"-NOPERM User u1 has no permissions to run the 'config|get' command\r\n")
        assert conn.call("SET", "k1", "v") == b"+OK\r\n"
        conn.close()


def test_auth_and_users(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], commands=["+@all"], keys=["*"])
    u1 = _as(server, "u1")
    assert u1.acl_whoami() == "u1"
    assert any(c["user"] == "u1" for c in admin.client_list())
    with pytest.raises(redis.AuthenticationError):
        _as(server, "u1", "bad").ping()
    with pytest.raises(redis.AuthenticationError):
        _as(server, "nope", "p", protocol=2).ping()
    entry = admin.acl_log()[0]
    assert (entry["reason"], entry["object"], entry["username"]) == ("auth", "AUTH", "nope")
    assert {"count", "context", "age-seconds", "client-info", "entry-id", "timestamp-created",
            "timestamp-last-updated"} <= set(entry)
    # HELLO AUTH
    raw = RawConnection(server.port)
    assert raw.call("HELLO", "2", "AUTH", "u1", "bad") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert raw.call("HELLO", "3", "AUTH", "u1", "p").startswith(b"%7\r\n")
    assert raw.call("ACL", "WHOAMI") == b"$2\r\nu1\r\n"
    # a disabled user cannot authenticate; its connection already in keeps working
    admin.acl_setuser("u1", enabled=False)
    with pytest.raises(redis.AuthenticationError):
        _as(server, "u1").ping()
    assert raw.call("PING") == b"+PONG\r\n"
    # deleted: its connections are closed
    assert admin.acl_deluser("u1") == 1
    with pytest.raises(ConnectionError):
        raw.call("PING")
    raw.close()


def test_client_kill_user(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], commands=["+@all"], keys=["*"])
    u1 = _as(server, "u1")
    u1.ping()
    with pytest.raises(redis.ResponseError, match="No such user 'nope'"):
        admin.client_kill_filter(user="nope")
    assert admin.client_kill_filter(user="u1") == 1


def test_requirepass_is_the_default_users_password(server, admin):
    raw = RawConnection(server.port)
    assert raw.call("AUTH", "x") == (b"-ERR AUTH <password> called without any password configured for the default "
                                     b"user. Are you sure your configuration is correct?\r\n")
    admin.config_set("requirepass", "secret")
    assert admin.acl_getuser("default")["passwords"] == [
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"]
    fresh = RawConnection(server.port)
    assert fresh.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    assert fresh.call("AUTH", "secret") == b"+OK\r\n"
    assert fresh.call("AUTH", "default", "secret") == b"+OK\r\n"
    admin.config_set("requirepass", "")
    assert "nopass" in admin.acl_getuser("default")["flags"]
    raw.close()
    fresh.close()


def test_pubsub_channels(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], channels=["news.*"],
                      commands=["+subscribe", "+psubscribe", "+publish", "+ping"])
    u1 = _as(server, "u1")
    assert u1.publish("news.1", "m") == 0
    with pytest.raises(redis.exceptions.NoPermissionError, match="No permissions to access a channel"):
        u1.publish("sport", "m")
    raw = RawConnection(server.port)
    raw.call("AUTH", "u1", "p")
    # a pattern is allowed only as one of the user's patterns, literally
    assert raw.call("PSUBSCRIBE", "news.1*") == b"-NOPERM No permissions to access a channel\r\n"
    assert raw.call("PSUBSCRIBE", "news.*").startswith(b"*3\r\n$10\r\npsubscribe")
    raw.close()
    p = u1.pubsub()
    p.subscribe("news.1")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    # revoking the channel disconnects the subscriber
    admin.acl_setuser("u1", reset_channels=True, channels=["other"])
    time.sleep(0.1)
    with pytest.raises(redis.ConnectionError):
        p.ping()
        p.get_message(timeout=1)
        p.get_message(timeout=1)
    p.close()


def test_multi_and_log(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], keys=["k*"], commands=["+multi", "+exec", "+set"])
    raw = RawConnection(server.port)
    raw.call("AUTH", "u1", "p")
    assert raw.call("MULTI") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"-NOPERM User u1 has no permissions to run the 'get' command\r\n"
    assert raw.call("SET", "x", "v") == b"-NOPERM No permissions to access a key\r\n"
    assert raw.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    log = admin.acl_log()
    assert [(e["reason"], e["context"], e["object"]) for e in log[:2]] == [("key", "multi", "x"),
                                                                           ("command", "multi", "get")]
    raw.call("SET", "x", "v")
    raw.call("SET", "x", "v")
    top = admin.acl_log(count=1)
    assert len(top) == 1 and (top[0]["count"], top[0]["context"]) == (2, "toplevel")
    raw.close()


def test_lua(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], keys=["k*"], commands=["+eval", "+set"])
    u1 = _as(server, "u1")
    with pytest.raises(redis.ResponseError, match=r"^ACL failure in script: User u1 has no permissions to run "
                                                  r"the 'get' command script: "):
        u1.eval("return redis.call('get', 'k')", 0)
    with pytest.raises(redis.ResponseError, match="ACL failure in script: No permissions to access a key"):
        u1.eval("return redis.call('set', 'x', 'v')", 0)
    assert u1.eval("return redis.pcall('get', 'k')['err']", 0) == (
        b"ERR ACL failure in script: User u1 has no permissions to run the 'get' command")
    assert u1.eval("return redis.call('set', 'k', 'v')", 0) == b"OK"
    assert u1.eval("return {redis.acl_check_cmd('set', 'k', 'v'), redis.acl_check_cmd('set', 'x', 'v'),"
                   " redis.acl_check_cmd('get', 'k')}", 0) == [1, None, None]
    assert admin.acl_log()[0]["context"] == "lua"


def test_selectors_and_firstargs(server, admin):
    admin.execute_command("ACL", "SETUSER", "u1", "on", ">p", "-@all", "+select|0", "~a", "(+set ~b*)")
    u1 = _as(server, "u1")
    assert u1.execute_command("SELECT", "0") is True
    with pytest.raises(redis.exceptions.NoPermissionError):
        u1.execute_command("SELECT", "1")
    assert u1.set("b1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError, match="No permissions to access a key"):
        u1.set("a1", "v")


def test_aclfile_save_and_load(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\nuser u1 on >p ~k* +get\n")
    port = free_port()
    proc = start_dynamis(port, "--aclfile", str(path))
    try:
        c = redis.Redis(port=port)
        assert c.acl_users() == ["default", "u1"]
        c.acl_setuser("u2", enabled=True, commands=["+@all"])
        assert c.acl_save()
        text = path.read_text()
        assert "user u2 on resetchannels +@all" in text and text.startswith("user default on nopass ~* &* +@all\n")
        path.write_text("user u3 on ~x +get\nbad line\n")
        with pytest.raises(redis.ResponseError, match=r"should start with user keyword followed by the username. "
                                                      r"WARNING: ACL errors detected, no change"):
            c.acl_load()
        assert c.acl_users() == ["default", "u1", "u2"]
        path.write_text("user u3 on ~x +get\n")
        assert c.acl_load()
        assert c.acl_users() == ["default", "u3"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_user_directives():
    port = free_port()
    proc = start_dynamis(port, "--user", "u1", "on", ">p", "~k*", "(+get", "~x)", "+set",
                         "--user", "default", "on", ">secret", "+@all", "~*")
    try:
        c = redis.Redis(port=port, password="secret")
        assert c.acl_list() == ["user default on sanitize-payload #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b "
                                "~* resetchannels +@all",
                                "user u1 on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~k* "
                                "resetchannels -@all +set (~x resetchannels -@all +get)"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_deleting_own_user_closes_after_reply(server, admin):
    admin.acl_setuser("u1", enabled=True, passwords=["+p"], commands=["+@all"], keys=["*"])
    raw = RawConnection(server.port)
    raw.call("AUTH", "u1", "p")
    assert raw.call("ACL", "DELUSER", "u1") == b":1\r\n"
    with pytest.raises(ConnectionError):
        raw.call("PING")
    raw.close()


@pytest.mark.parametrize("revoke", [("-set",), ("resetkeys", "~other*"), ("resetchannels",)])
def test_exec_checks_the_queued_commands_again(redis_oracle_port, server, acl_diff, revoke):
    """Rules changed between MULTI and EXEC: the commands no longer allowed fail inside EXEC's reply."""
    replies = []
    for port, admin_conn in ((redis_oracle_port, acl_diff.redis), (server.port, acl_diff.dynamis)):
        admin_conn.call("ACL", "SETUSER", "u1", "on", ">p", "~k*", "&ch", "+@all")
        conn = RawConnection(port)
        conn.call("AUTH", "u1", "p")
        got = [conn.call("MULTI"), conn.call("SET", "k1", "v"), conn.call("PUBLISH", "ch", "m"), conn.call("GET", "k1")]
        admin_conn.call("ACL", "SETUSER", "u1", *revoke)
        got.append(conn.call("EXEC"))
        replies.append(got)
        conn.close()
    assert replies[1] == replies[0]
