"""EVAL / FUNCTION replies and error texts, byte for byte against real redis-server 7.0."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dynamis.kv.persistence import rdb
from tests.helpers import Differential, with_rdb_version

SCRIPTS = [
    "return 1",
    "return 'hello'",
    "return 3.99",
    "return -3.99",
    "return -0.5",
    "return 2^53+1",
    "return 1e20",
    "return 0/0",
    "return true",
    "return false",
    "return nil",
    "return {}",
    "return {1, 2, 3.99, 'x', false, true, nil, 5}",
    "return {1, {2, {3}}, {ok='S'}, {err='E x'}}",
    "return {ok='multi\\r\\nline'}",
    "return {err='bar'}",
    "return {err='FOO bar'}",
    "return redis.error_reply('FOO bar')",
    "return redis.error_reply('bar')",
    "return redis.error_reply('-X y')",
    "return redis.error_reply(1)",
    "return redis.status_reply('FINE')",
    "return redis.status_reply()",
    "return {double=1.5}",
    "return {map={a=1}}",
    "return {set={a=true}}",
    "return {big_number='123'}",
    "return type(debug)",
    "x = 1",
    "return x",
    "local t = {} return t.x.y",
    "error('boom')",
    "error({err='MY boom'})",
    "error({err='MY boom'}, 0)",
    "error()",
    "string.x = 1",
    "return rawset(_G, 'x', 1)",
    "return rawset({}, 'a', 1).a",
    "return rawset({})",
    "return setmetatable(_G, {})",
    "return setmetatable({}, 1)",
    "redis = 1",
    "local function f() y = 1 end f()",
    "syntax error here",
    "return 'unterminated",
    "return redis.call('nosuch')",
    "return redis.call('get')",
    "return redis.pcall('get')",
    "return redis.call()",
    "return redis.pcall()",
    "return redis.call('get', {})",
    "return redis.call('eval', 'return 1', 0)",
    "return redis.call('script', 'load', 'return 1')",
    "return {pcall(redis.call, 'nosuch')}",
    "return {pcall(error, {err='X y'})}",
    "return {pcall(error, 'plain')}",
    "local r = redis.pcall('nosuch') return r.err",
    "return {redis.call('set', 'dk', 'v'), redis.call('get', 'dk'), redis.call('get', 'nokey')}",
    "return redis.call('set', 'dk', 1.5)",
    "return redis.call('set', 'dk', 0.1)",
    "redis.call('set', 'dk', 'str') return redis.call('incr', 'dk')",
    "redis.call('set', 'dk', 'str') return redis.pcall('incr', 'dk')",
    "redis.call('set', 'dk', 'str') return redis.pcall('incr', 'dk').err",
    "redis.call('set', 'dk', 'str') return redis.call('hget', 'dk', 'f')",
    "return redis.call('ping')",
    "return redis.call('blpop', 'empty', 0)",
    "return redis.call('xread', 'BLOCK', 0, 'STREAMS', 'nostream', '$')",
    "return redis.call('xread', 'STREAMS', 'nostream', '0')",
    "return redis.call('ping', 'x')",
    "return redis.sha1hex('')",
    "return redis.sha1hex(1)",
    "return redis.sha1hex()",
    "return {type(redis.REDIS_VERSION), type(redis.REDIS_VERSION_NUM)}",  # the values: test_scripting.py
    "return redis.replicate_commands()",
    "return {redis.breakpoint(), redis.debug('x')}",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    "return redis.log(redis.LOG_DEBUG, 'from a test')",
    "return redis.log(1)",
    "return redis.log('x', 'y')",
    "return redis.log(9, 'y')",
    "return redis.setresp(4)",
    "return redis.setresp()",
    "return redis.set_repl(redis.REPL_ALL)",
    "return redis.set_repl(5)",
    "return redis.set_repl()",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return redis.acl_check_cmd('get', 'x')",
    "return redis.acl_check_cmd('nosuch')",
    "return type(os)",
    "return type(io)",
    "return type(loadfile)",
    "return type(dofile)",
    "return type(require)",
    "return type(print)",
    "return type(python)",
    "return {type(gcinfo), type(load), type(loadstring), type(coroutine), type(collectgarbage)}",
    "return type(newproxy)",
    "return type(setfenv)",
    "return type(getfenv)",
    "return struct.size('c0')",
    "return struct.pack('i33', 1)",
    "return _VERSION",
    "return tostring(1/3)",
    "math.randomseed(42) return {tostring(math.random()), math.random(10), math.random(5, 8)}",
    "return math.random(0)",
    "return math.random(1, 2, 3)",
    "return string.format('%05.2f', 3.14159)",
    "return table.concat({'a', 'b'}, ',')",
    "return cjson.encode({1, 2, 3, {a=1}})",
    "return cjson.encode({a='x/y', b=1.5, c=true, d=cjson.null, e={}})",
    "return cjson.encode(0.1)",
    "return cjson.encode(1e100)",
    "return cjson.encode(123456789012345)",
    "return cjson.encode({[1]=1, [3]=3})",
    "return cjson.encode({[1]=1, [20]=3})",
    "return cjson.encode({[1]=1, [2]=2, x=3})",
    "return cjson.encode('a\"\\\\\\n\\t\\1\\127')",
    "return cjson.encode(function() end)",
    "return cjson.encode(1/0)",
    "return cjson.encode({[true]=1})",
    "return cjson.encode()",
    "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":1.5,\"d\":\"x\"}') "
    "return {t.a[1], t.a[3].b == cjson.null, tostring(t.c), t.d, type(t.a[3].b)}",
    "return cjson.decode('[1,2')",
    "return cjson.decode('{\"a\" 1}')",
    "return cjson.decode('{1:2}')",
    "return cjson.decode('[1] x')",
    "return cjson.decode('')",
    "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')",
    "return cjson.decode('[true,false,-1.5e3]')",
    "return cmsgpack.pack({1, 2, 'a', {x=1}}, 3.5, true, nil)",
    "return cmsgpack.pack({}, {[1]=1, [3]=3}, {a=1})",
    "return cmsgpack.pack(1.5, 0.1, -1, -33, 128, 256, 70000, 2^32, -2^40, 2^63)",
    "return cmsgpack.pack(string.rep('a', 40), string.rep('b', 300))",
    "return {cmsgpack.unpack(cmsgpack.pack({1, 2, 'a'}, 5, 'z', -7, 1.25))}",
    "return {cmsgpack.unpack('')}",
    "return cmsgpack.pack()",
    "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.bnot(0), bit.lshift(1, 31), "
    "bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tobit(2^32+5), bit.tohex(255), bit.tohex(-1, -4), "
    "bit.tohex(255, 2), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678), bit.band(1.5), bit.band(2.5)}",
    "return bit.band('x')",
    "return bit.band()",
    "return {struct.pack('>I2', 258), struct.unpack('<i4', struct.pack('<i4', -5)), struct.size('>I2bd')}",
    "return {struct.unpack('BBc2', 'ABCD')}",
    "return {struct.pack('<hHlLbB', -2, 65535, -3, 4, -1, 255)}",
    "return {struct.unpack('>d', struct.pack('>d', 1.5))}",
    "return struct.pack('s', 'abc')",
    "return {struct.unpack('s', 'ab\\0cd')}",
    "return struct.unpack('>I4', 'ab')",
    "return struct.pack('y', 1)",
    "return struct.size('s')",
    "return {struct.unpack('B c0', '\\3abc')}",
    "return loadstring(string.dump(function() return 1 end))()",
    "return select(2, loadstring(string.dump(function() return 1 end)))",
    "return select(2, loadstring('\\27' .. string.rep('a', 70)))",
    "return select(2, loadstring('\\27abc', '=name'))",
    "return select(2, load(function() return nil end))",
    "local f = loadstring('return 5') return f()",
    "local f = loadstring('x = 5') f() return 1",
    "local f = loadstring('string.upper = nil') f() return 1",
    "return loadstring('return os')()",
    "return getmetatable('').__index == string",
    "getmetatable('').__index.upper = nil return 1",
    "getmetatable('').x = 1 return 1",
    "return ('abc'):upper()",
    "return tostring(coroutine.create(function() end)):sub(1, 6)",
    "return {pcall(cjson.decode, '[')}",
    "return {pcall(function() return cjson.decode('[') end)}",
    "return {pcall(bit.band, {})}",
    "return select('#', redis.call('get', 'x'))",
    "return pcall(string.rep)",
    "local function f() f() end f()",
    "local t = {} local c = t for i = 1, 1100 do c[1] = {} c = c[1] end return cjson.encode(t)",
    "local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)",
    "return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))",
    "return type(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))",
    "local t = cmsgpack.unpack(string.rep('\\145', 1500) .. '\\1') local d = 0 "
    "while type(t) == 'table' do d = d + 1 t = t[1] end return {d, t}",
    "local t = {} local c = t for i = 1, 30 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
    "error({err=5})",
    "error(5)",
    "error(true)",
    "error(nil)",
    "return {err=5}",
    "return {ok=5}",
    "return {map={[1]=true, x={1, 2}}}",
    "return redis.error_reply('')",
    "return redis.error_reply('- x')",
    "return {err='\\r\\nx'}",
    "return redis.call('set', 'a\\0b', 'c\\0d')",
    "return cjson.encode('a\\0b')",
    "return {math.huge, -math.huge, 9007199254740993, 9223372036854775807, 2^63}",
    "redis.call('set', 'n', 0/0) return redis.call('get', 'n')",
    "redis.call('set', 'n', 1e300) return redis.call('get', 'n')",
    "return #KEYS + #ARGV",
    "return KEYS",
    "return ARGV",
    "KEYS[1] = 'x' return KEYS[1]",
    "return {string.len('abc'), ('abc'):upper()}",
    "#!lua\nreturn redis.call('set', 'dk', 'v')",
    "#!lua flags=no-writes\nreturn redis.call('set', 'dk', 'v')",
    "#!lua flags=no-writes,allow-oom\nreturn redis.call('get', 'dk')",
    "#!lua flags=bad\nreturn 1",
    "#!luax\nreturn 1",
    "#!lua foo=bar\nreturn 1",
    "#!lua",
    "#!lua\nreturn error('line two')",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_eval_resp2(diff, script):
    diff.check("EVAL", script, 2, "k1", "k2", "a1")


RESP3_SCRIPTS = [
    "redis.setresp(3) return redis.call('hgetall', 'h')",
    "redis.setresp(3) return redis.call('get', 'nokey')",
    "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f",
    "redis.setresp(3) local r = redis.call('hgetall', 'h') return type(r.map)",
    "redis.setresp(2) return redis.call('hgetall', 'h')",
    "return redis.call('hgetall', 'h')",
    "redis.setresp(3) return redis.call('spop', 'nokey', 100)",
    "redis.setresp(3) return redis.call('smembers', 'nokey')",
    "redis.setresp(3) return true",
    "redis.setresp(3) return false",
    "return true",
    "return false",
    "return {double=3.5}",
    "return {double=1/0}",
    "return {map={a=1}}",
    "return {set={a=true}}",
    "return {big_number='1234567890123456789012'}",
    "return {verbatim_string={format='txt', string='hi'}}",
    "return {1, nil, 2}",
    "return {{map={x={1, 2}}}}",
]


@pytest.mark.parametrize("script", RESP3_SCRIPTS)
def test_eval_resp3(diff, diff3, script):
    for d in (diff, diff3):
        d.check("HSET", "h", "f", "v")
        d.check("EVAL", script, 0)


def test_numkeys_and_evalsha_errors(diff):
    diff.check("EVAL", "return 1", -1)
    diff.check("EVAL", "return 1", "x")
    diff.check("EVAL", "return 1", 2, "a")
    diff.check("EVAL", "return KEYS[1]..ARGV[1]", 1, "k", "a")
    diff.check("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0)
    diff.check("EVALSHA", "abc", 0)
    diff.check("EVAL")
    diff.check("EVALSHA", "x")
    sha = diff.check("SCRIPT", "LOAD", "return 'loaded'")
    sha_text = sha.split(b"\r\n")[1].decode()
    diff.check("EVALSHA", sha_text, 0)
    diff.check("EVALSHA", sha_text.upper(), 0)
    diff.check("EVALSHA_RO", sha_text, 0)
    diff.check("SCRIPT", "EXISTS", sha_text.upper(), "0" * 40)
    diff.check("SCRIPT", "LOAD", "return +")
    diff.check("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1")
    diff.check("SCRIPT", "HELP")
    diff.check("SCRIPT", "FLUSH", "foo")
    diff.check("SCRIPT", "FLUSH", "SYNC", "x")
    diff.check("SCRIPT", "NOSUCH")
    diff.check("SCRIPT", "KILL")
    diff.check("FUNCTION", "KILL")


def test_read_only_variants(diff):
    diff.check("EVAL_RO", "return redis.call('set', 'x', 'y')", 0)
    diff.check("EVAL_RO", "return redis.call('get', 'x')", 0)
    diff.check("EVAL_RO", "#!lua\nreturn 1", 0)
    diff.check("EVAL_RO", "#!lua flags=no-writes\nreturn 1", 0)
    diff.check("EVAL_RO", "return redis.pcall('publish', 'ch', 'x')", 0)


FUNCTION_CASES = [
    ("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"),
    ("FCALL", "myfunc", 0, "hello"),
    ("FCALL_RO", "myfunc", 0, "hello"),
    ("FUNCTION", "LOAD", "#!lua name=rolib\nredis.register_function{function_name='ro', callback=function(keys, args) "
     "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}"),
    ("SET", "s", "foo"),
    ("FCALL_RO", "ro", 1, "s"),
    ("FUNCTION", "LIST", "LIBRARYNAME", "roli*", "WITHCODE"),
    ("FUNCTION", "LIST", "LIBRARYNAME", "nothing"),
    ("FUNCTION", "LIST", "LIBRARYNAME"),
    ("FUNCTION", "LIST", "foo"),
    ("FUNCTION", "STATS"),
    ("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)"),
    ("FUNCTION", "LOAD", "REPLACE", "#!lua name=mylib\nredis.register_function('myfunc', function() return 2 end)"),
    ("FCALL", "myfunc", 0),
    ("FUNCTION", "LOAD", "return 1"),
    ("FUNCTION", "LOAD", "#!lua\nreturn 1"),
    ("FUNCTION", "LOAD", "#!lua name=x\nreturn 1"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a b', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=x-y\nredis.register_function('ab', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=x foo=bar\nredis.register_function('ab', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('ab', function() end, 'x')"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='ab', callback=function() end, "
     "flags={'bad'}}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nx = 1"),
    ("FUNCTION", "LOAD", "#!lua name=x\nlocal a = 1 +"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('myfunc', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f1', function() end)\n"
     "redis.register_function('f1', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f2', callback=function() end, foo=1}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{callback=function() end}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f3'}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f4', 1)"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f5', callback=function() end, "
     "flags='no-writes'}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f5', callback=1}"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function()"),
    ("FUNCTION", "LOAD", "#!lua name=x\nlocal t = cjson"),
    ("FUNCTION", "LOAD", "#!lua name=x\nlocal t = redis.setresp"),
    ("FUNCTION", "LOAD", "#!lua name=x\nredis.log(redis.LOG_DEBUG, redis.REDIS_VERSION)\n"
     "redis.register_function(1, function() return 'numeric' end)"),
    ("FCALL", "1", 0),
    ("FUNCTION", "LOAD", "#!LUA name=x2\nredis.register_function('f6', function() return redis.call('set', 'k', 'v') "
     "end)"),
    ("FUNCTION", "LOAD", "#!foo name=x9\nredis.register_function('f7', function() end)"),
    ("FUNCTION", "LOAD", "REPLACE"),
    ("FUNCTION", "LOAD", "FOO", "#!lua name=x\n"),
    ("FCALL", "f6", 0),
    ("FCALL_RO", "f6", 0),
    ("FCALL", "nosuch", 0),
    ("FCALL", "nosuch", "x"),
    ("FCALL", "myfunc", 5),
    ("FCALL", "myfunc", -1),
    ("FCALL", "myfunc", "x"),
    ("FUNCTION", "DELETE", "nosuch"),
    ("FUNCTION", "DELETE", "x2"),
    ("FUNCTION", "FLUSH", "foo"),
    ("FUNCTION", "LOAD", "#!lua name=x3\nredis.register_function('f8', function(k, a) error('boom') end)\n"
     "redis.register_function('f9', function(k, a) return KEYS end)\n"
     "redis.register_function('f10', function(k, a) return redis.call('nosuch') end)\n"
     "redis.register_function('f11', function(k, a) return {k, a} end)"),
    ("FCALL", "f8", 0),
    ("FCALL", "f9", 0),
    ("FCALL", "f10", 0),
    ("FCALL", "f11", 2, "a", "b", "c"),
    ("FUNCTION", "RESTORE", "bad"),
    ("FUNCTION", "RESTORE", "bad", "foo"),
    ("FUNCTION", "HELP"),
    ("FUNCTION", "FLUSH", "ASYNC"),
    ("FUNCTION", "STATS"),
    ("FUNCTION", "DUMP"),
    ("FUNCTION", "LIST"),
]


def check_function_dump(d: Differential) -> bytes:
    """FUNCTION DUMP: Redis 7.0's bytes once the trailer says RDB 10 (dynamis writes 7.4's RDB 12, with its
    own valid CRC); returns dynamis's payload."""
    expected, actual = (conn.call("FUNCTION", "DUMP").split(b"\r\n", 1)[1][:-2] for conn in (d.redis, d.dynamis))
    assert rdb.verify_payload(actual) and actual[-10:-8] == rdb.RDB_VERSION.to_bytes(2, "little")
    assert with_rdb_version(actual, 10) == expected
    return actual


def test_functions(diff, diff3):
    for d in (diff, diff3):
        d.check("FUNCTION", "FLUSH")
        for case in FUNCTION_CASES:
            if case == ("FUNCTION", "DUMP"):
                check_function_dump(d)
            else:
                d.check(*case)
        d.check("FUNCTION", "FLUSH")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["x", "ab", "return ", "redis.call('get', KEYS[1]) ", "yyyyyyyyyyyyyyyy", "\u00e9",
                                 "\t", "0123456789"]), max_size=200))
def test_function_dump_bytes(diff, pieces):
    """FUNCTION DUMP is byte-exact: same RDB string encoding and LZF compression as Redis."""
    diff.check("FUNCTION", "FLUSH")
    diff.check("FUNCTION", "LOAD", "#!lua name=gen\nredis.register_function('gen_fn', function() return 1 end) -- "
               + "".join(pieces))
    check_function_dump(diff)
    diff.check("FUNCTION", "FLUSH")


def test_function_dump_restore_both_ways(diff):
    """A dump taken on either server restores on the other."""
    diff.check("FUNCTION", "FLUSH")
    code = ("#!lua name=dumped\nredis.register_function('dumped_fn', function(keys, args) "
            "return 'a rather long body so that redis compresses it: ' .. string.rep('x', 10) end)")
    diff.check("FUNCTION", "LOAD", code)
    real_dump = diff.redis.call("FUNCTION", "DUMP").split(b"\r\n", 1)[1][:-2]
    our_dump = check_function_dump(diff)
    diff.check("FUNCTION", "FLUSH")
    assert diff.dynamis.call("FUNCTION", "RESTORE", our_dump) == b"+OK\r\n"  # RDB 12: the 7.0 oracle refuses it
    for dump in (real_dump, with_rdb_version(our_dump, 10)):
        diff.check("FUNCTION", "FLUSH")
        diff.check("FUNCTION", "RESTORE", dump)
        diff.check("FCALL", "dumped_fn", 0)
        diff.check("FUNCTION", "RESTORE", dump)
        diff.check("FUNCTION", "RESTORE", dump, "REPLACE")
        diff.check("FUNCTION", "RESTORE", dump, "FLUSH")
        diff.check("FUNCTION", "RESTORE", dump[:-1] + b"\x00")
    diff.check("FUNCTION", "FLUSH")


lua_scalars = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: repr(f)),
    st.sampled_from(["true", "false", "nil", "'s'", "''", "{ok='fine'}", "{err='ERR bad'}", "{double=2.5}",
                     "redis.call('get', 'nokey')", "redis.call('ping')", "redis.pcall('incr', 'str')"]),
)
lua_values = st.recursive(lua_scalars, lambda inner: st.lists(inner, max_size=4).map(
    lambda items: "{" + ", ".join(items) + "}"), max_leaves=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lua_values)
def test_generated_return_values(diff, diff3, expression):
    for d in (diff, diff3):
        d.check("SET", "str", "abc")
        d.check("EVAL", f"return {expression}", 0)
        d.check("EVAL", f"redis.setresp(3) return {expression}", 0)


keys = st.sampled_from(["sk1", "sk2", "sh", "sl"])
values = st.sampled_from(["1", "-2", "3.5", "abc", ""])
commands = st.one_of(
    st.tuples(st.sampled_from(["SET", "APPEND", "GETSET"]), keys, values),
    st.tuples(st.sampled_from(["GET", "INCR", "DECR", "STRLEN", "DEL", "EXISTS", "TYPE", "LLEN", "HGETALL",
                               "LPOP", "HKEYS", "TTL"]), keys),
    st.tuples(st.sampled_from(["INCRBY", "INCRBYFLOAT"]), keys, values),
    st.tuples(st.just("HSET"), keys, values, values),
    st.tuples(st.just("HINCRBYFLOAT"), keys, values, values),
    st.tuples(st.sampled_from(["RPUSH", "LPUSH"]), keys, values, values),
    st.tuples(st.just("LRANGE"), keys, st.just("0"), st.just("-1")),
    st.tuples(st.just("MGET"), keys, keys),
    st.tuples(st.just("NOSUCH"), keys),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(commands, min_size=1, max_size=8), st.booleans())
def test_generated_command_sequences_through_scripts(diff, diff3, sequence, resp3_script):
    """Sequences of commands run by redis.pcall: the Lua conversion of every reply type, both ways."""
    prefix = "redis.setresp(3) " if resp3_script else ""
    for d in (diff, diff3):
        d.check("DEL", "sk1", "sk2", "sh", "sl")
        for cmd in sequence:
            d.check("EVAL", prefix + "return redis.pcall(unpack(ARGV))", 0, *cmd)
            d.check("EVAL", prefix + "local r = redis.pcall(unpack(ARGV)) return {type(r), r}", 0, *cmd)


lua_numbers = st.one_of(st.integers(-2**40, 2**40), st.floats(-1e12, 1e12, allow_nan=False)).map(repr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "tohex"]),
       lua_numbers, st.integers(-40, 40))
def test_generated_bit_operations(diff, op, x, n):
    diff.check("EVAL", f"return {{bit.{op}({x}, {n}), bit.tobit({x}), bit.bnot({x}), bit.bswap({x})}}", 0)


json_values = st.recursive(
    # (-0.0 is left out: lupa hands Lua's -0 to Python as the integer 0, so cjson prints "0" where Redis prints "-0")
    st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15),
              st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != 0 or str(f) == "0.0"),
              st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values)
def test_generated_json_round_trips(diff, value):
    import json

    text = json.dumps(value)
    diff.check("EVAL", "return cjson.encode(cjson.decode(ARGV[1]))", 0, text)
    diff.check("EVAL", "return cmsgpack.pack(cjson.decode(ARGV[1]))", 0, text)
    diff.check("EVAL", "return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.decode(ARGV[1])))})", 0, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["b", "B", "h", "H", "i", "I", "l", "L", "i3", "I5", "<", ">", "!4", "x", "f", "d"]),
                min_size=1, max_size=6), st.integers(-300, 300))
def test_generated_struct_formats(diff, options, number):
    fmt = "".join(options)
    count = sum(1 for o in options if o[0] not in "<>!x")
    args = ", ".join([str(number)] * count)
    diff.check("EVAL", f"local s = struct.pack('{fmt}'{', ' if args else ''}{args}) "
               f"return {{s, struct.size('{fmt}'), struct.unpack('{fmt}', s)}}", 0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet='{}[]:,"\\ 01-+.eExE5tfalsenuiINp\\x01é', max_size=14))
def test_generated_json_decode_errors(diff, text):
    assume("-0" not in text)  # Lua's -0 reaches Python as the integer 0 through lupa (see above)
    diff.check("EVAL", "local ok, v = pcall(cjson.decode, ARGV[1]) "
               "if ok then return cjson.encode(v) end return v", 0, text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=12))
def test_generated_msgpack_unpack(diff, data):
    diff.check("EVAL", "local r = {pcall(cmsgpack.unpack, ARGV[1])} return cjson.encode(r)", 0, data)


def test_msgpack_map_with_nil_or_nan_key(diff):
    """lua_settable's own error, without a position, pcall'd or not (found by the generated test)."""
    for data in (b"\x81\xc0\x00", b"\x81\xc0\xc0", b"\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01"):
        diff.check("EVAL", "local r = {pcall(cmsgpack.unpack, ARGV[1])} return cjson.encode(r)", 0, data)
        diff.check("EVAL", "return cmsgpack.unpack(ARGV[1])", 0, data)


lua_keys = st.one_of(st.integers(-3, 25).map(lambda n: f"[{n}]"), st.sampled_from(["a", "b", "key", "x1"]),
                     st.sampled_from(["[1.5]", "[true]", "['s p']"]))
lua_leaf = st.sampled_from(["1", "-2.5", "'v'", "true", "false", "cjson.null", "1e300", "0.1", "{}"])
lua_tables = st.recursive(
    lua_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(lambda items: "{" + ", ".join(items) + "}"),
        st.lists(st.tuples(lua_keys, inner), max_size=5).map(
            lambda pairs: "{" + ", ".join(f"{k if k.startswith('[') else k} = {v}" for k, v in pairs) + "}")),
    max_leaves=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lua_tables)
def test_generated_cjson_and_cmsgpack_encode(diff, table):
    diff.check("EVAL", f"return {{pcall(cjson.encode, {table})}}", 0)
    diff.check("EVAL", f"return cmsgpack.pack({table})", 0)
