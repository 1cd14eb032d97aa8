"""Lua scripting (Redis's eval.c, function_lua.c, script_lua.c, script.c): EVAL, SCRIPT, FUNCTION, FCALL.

Scripts run on Lua 5.1 through lupa, in two Lua states as in Redis: one for EVAL scripts (the
script cache) and one for function libraries. Each state gets Redis's sandbox: only the globals
Redis allows, read-only library tables and globals ("Attempt to modify a readonly table"), an
error on reading a missing global, the `redis` API, Redis's math.random and the libraries of
`scripting_libs`. `redis.call` runs commands through `RedisServer.call` as a fake client, with
scriptCall's checks (unknown command, arity, noscript, writes from read-only scripts).

Where a script runs: on the event loop thread, like every other command, so a script is atomic
without locks. The Lua count hook (every 100000 instructions, as Redis's) checks the clock; past
`busy-reply-threshold` the server turns busy (`RedisServer.busy_script`) and the hook, still inside
the script, reads and answers the other clients itself (Redis's processEventsWhileBlocked, through
each connection's `poll_input`): they get -BUSY, except SCRIPT KILL / FUNCTION KILL (which flag the
script; the hook then raises "Script killed by user...") and SHUTDOWN NOSAVE. Connections opened
meanwhile (the redis-cli that sends SCRIPT KILL) are accepted on duplicates of the listening sockets
and served the same way, then handed to the event loop with their session. The script's own
client is not read, so its pipelined requests keep their order. A first version ran scripts on a
dedicated thread with the loop thread waiting up to the threshold; bench/script_bench.py measured
the two thread switches per script at about twice the server CPU per EVALSHA (47 vs 24 us), and
inline execution keeps pub/sub writes and keyspace work on the loop thread, so inline it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import select
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from lupa.lua51 import LuaError, LuaRuntime, lua_type

from dynamis import REDIS_VERSION
from dynamis.kv import commands as cmdtable
from dynamis.kv.args import NOT_INTEGER, int_arg
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, Keynum, KeySpec, command, document_container, numkeys_getkeys
from dynamis.kv.glob import glob_match
from dynamis.kv.persistence import rdb
from dynamis.kv.protocol import (
    NULL_ARRAY,
    OK,
    BigNumber,
    ProtocolError,
    Raw,
    ReplyError,
    RequestParser,
    SetReply,
    Verbatim,
    encode_reply,
    format_double,
    split_inline,
)
from dynamis.kv.scripting_libs import LibError, LibRuntimeError, RedisRand48, call_deep, library_functions

if TYPE_CHECKING:
    from dynamis.kv.server import RedisServer

log = logging.getLogger("dynamis")

INT64_MIN = -(2**63)
_VERSION_NUM = (lambda p: (p[0] << 16) | (p[1] << 8) | p[2])([int(x) for x in REDIS_VERSION.split(".")[:3]])
_LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.INFO, 3: logging.WARNING}
SCRIPT_FLAGS = {b"no-writes": "no_writes", b"allow-oom": "allow_oom", b"allow-stale": "allow_stale",
                b"no-cluster": "no_cluster", b"allow-cross-slot-keys": "allow_cross_slot_keys"}
_FLAG_ORDER = list(SCRIPT_FLAGS)
BUSY_EVAL = ReplyError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
BUSY_FUNCTION = ReplyError("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
NOTBUSY = ReplyError("NOTBUSY No scripts in execution right now.")
UNKILLABLE = ReplyError(
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the "
    "script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
NOSCRIPT = ReplyError("NOSCRIPT No matching script. Please use EVAL.")
_COMMANDS = cmdtable.COMMANDS

# The sandbox and the redis API, run once per Lua state. `py` holds the Python side.
_PRELUDE = r"""
local py = ...
local G = _G
local dbg = debug
local INTERNAL = dbg.getinfo(1, 'S').source
local error, type, tostring, setmetatable, rawget, rawset, select, unpack, xpcall, loadstring, setfenv, pairs =
      error, type, tostring, setmetatable, rawget, rawset, select, unpack, xpcall, loadstring, setfenv, pairs
local pcall = pcall

local allowed = {}
for name in string.gmatch('string cjson bit cmsgpack math table struct redis xpcall tostring ' ..
    'setmetatable next assert tonumber rawequal collectgarbage getmetatable rawset pcall coroutine type _G ' ..
    'select unpack gcinfo pairs rawget loadstring ipairs _VERSION load error', '%S+') do
  allowed[name] = true
end
for name in pairs(G) do
  if not allowed[name] then G[name] = nil end
end

local function readonly_error() error('Attempt to modify a readonly table', 2) end
local protected = setmetatable({}, {__mode = 'k'})
local function protect(t)
  local proxy = setmetatable({}, {__index = t, __newindex = readonly_error})
  protected[proxy] = true
  return proxy
end
local function missing_global(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end
local function pack(...) return {n = select('#', ...), ...} end
local function raise(msg) error({err = msg}, 0) end

-- luaL_where(1) for a Python library function: the position of its caller ('' for a C caller)
function py.caller_where()
  local info = dbg.getinfo(3, 'Sl')
  if info and info.what ~= 'C' and info.currentline > 0 then return info.short_src .. ':' .. info.currentline .. ': ' end
  return ''
end

-- Python functions are C functions to Lua: a `return redis.call(...)` keeps the script's frame
-- (no Lua tail call), so errors point at the script's line as in Redis. They raise Python
-- exceptions, which error_object turns into Redis's error values.
local error_object = py.error_object
local null = py.null
local libs = {}
for libname, funcs in pairs(py.libs) do
  local lib = {}
  for fname, f in pairs(funcs) do lib[fname] = f end
  libs[libname] = lib
end
libs.cjson.null = null
local math_t = {}
for k, v in pairs(math) do math_t[k] = v end
math_t.random, math_t.randomseed = libs.math.random, libs.math.randomseed

local redis = {}
redis.call = py.call
redis.pcall = py.pcall
redis.log = py.log
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = py.version, py.version_num
redis.setresp = py.setresp
redis.sha1hex = py.sha1hex
redis.error_reply = py.error_reply
redis.status_reply = function(...)
  if select('#', ...) ~= 1 or type((...)) ~= 'string' then return {err = 'ERR wrong number or type of arguments'} end
  return {ok = (...)}
end
redis.set_repl = py.set_repl
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = py.acl_check_cmd

-- Redis's pcall hands back the message of an error table rather than the table
local V_pcall = function(f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then
    if type(r[2]) == 'userdata' then r[2] = error_object(r[2]) end
    if type(r[2]) == 'table' and type(rawget(r[2], 'err')) == 'string' then r[2] = r[2].err end
  end
  return unpack(r, 1, r.n)
end
-- rawset/setmetatable refuse the read-only tables; Python functions (C functions to Lua) so that
-- the error points at the script's line even after `return rawset(...)`
local V_rawset = py.guard(rawset, 'rawset', function(t) return protected[t] end, py.caller_where)
local V_setmetatable = py.guard(setmetatable, 'setmetatable', function(t) return protected[t] end, py.caller_where)

-- V: the globals scripts see (the real G stays plain, lupa looks things up there)
local V = {}
for k, v in pairs(G) do V[k] = v end
V.redis = protect(redis)
V.cjson, V.bit, V.struct, V.cmsgpack = protect(libs.cjson), protect(libs.bit), protect(libs.struct),
    protect(libs.cmsgpack)
V.math, V.string, V.table, V.coroutine = protect(math_t), protect(string), protect(table), protect(coroutine)
-- strings index the read-only string table; getmetatable('') hands out a read-only view
local string_mt = dbg.getmetatable('')
string_mt.__index = V.string
string_mt.__metatable = protect({__index = V.string})
-- the metatable lupa gives Python objects (redis.call...) stays out of the scripts' reach
dbg.getmetatable(py.call).__metatable = false

local function err_handler(err)
  local level = 2
  local info = dbg.getinfo(level, 'Sl')
  while info and (info.what == 'C' or info.source == INTERNAL) do
    level = level + 1
    info = dbg.getinfo(level, 'Sl')
  end
  if type(err) == 'userdata' then err = error_object(err) end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if info then err.source, err.line = info.source, info.currentline end
  return err
end

-- hooks raise only in user code: our own frames (the error handler, finish) must run to the end
local interrupted = py.interrupted
local kill_message
local function kill_hook()
  if dbg.getinfo(2, 'S').source ~= INTERNAL then raise(kill_message) end
end
local function count_hook()
  local why = interrupted()
  if why and dbg.getinfo(2, 'S').source ~= INTERNAL then
    kill_message = why
    -- from now on every line raises, so that a pcall in the script cannot swallow the kill
    dbg.sethook(kill_hook, 'l')
    raise(why)
  end
end

local env_mt = {__index = V, __newindex = readonly_error}
local env = setmetatable({}, env_mt)
protected[env] = true

-- loadstring/load: code runs in the sandbox, and binary chunks are refused (they can crash Lua);
-- Redis's Lua parses them as text and fails with this message
local function chunkid(source)  -- luaO_chunkid
  local kind = source:sub(1, 1)
  if kind == '=' or kind == '@' then return source:sub(2, 60) end
  local text = source:match('^[^%z]*')
  local len = math.min(#text:match('^[^\n\r]*'), 63)
  if len < #text then return '[string "' .. text:sub(1, len) .. '..."]' end
  return '[string "' .. text .. '"]'
end
local function sandbox_loadstring(code, name)
  if type(code) == 'string' and code:byte(1) == 27 then
    return nil, chunkid(name or code) .. ":1: unexpected symbol near 'char(27)'"
  end
  local f, err = loadstring(code, name)
  if f then setfenv(f, env) end
  return f, err
end
local function sandbox_load(reader, name)
  local parts = {}
  while true do
    local part = reader()
    if part == nil or part == '' then break end
    if type(part) ~= 'string' then return nil, 'reader function must return a string' end
    parts[#parts + 1] = part
  end
  return sandbox_loadstring(table.concat(parts), name or '=(load)')
end

V.pcall, V.rawset, V.setmetatable, V.loadstring, V.load = V_pcall, V_rawset, V_setmetatable, sandbox_loadstring,
    sandbox_load
V._G = env
setmetatable(V, {__index = missing_global, __newindex = readonly_error})

local api = {}
function api.compile(body, chunkname)
  local f, err = loadstring(body, chunkname)
  if not f then return nil, err end
  setfenv(f, env)
  return f
end

-- the count hook stays armed (scripts are the only Lua that runs long); a kill or a load swaps it
local function arm() dbg.sethook(count_hook, '', 100000) end
arm()
local function finish(ok, result)
  if kill_message then
    kill_message = nil
    arm()
  end
  return ok, result
end

function api.run_eval(f, nkeys, ...)
  local keys, args = {...}, {}
  for i = nkeys + 1, select('#', ...) do
    args[i - nkeys] = keys[i]
    keys[i] = nil
  end
  rawset(V, 'KEYS', keys)
  rawset(V, 'ARGV', args)
  return finish(xpcall(f, err_handler))
end

function api.run_function(f, nkeys, ...)
  local argv = {...}
  local keys, args = {}, {}
  for i = 1, nkeys do keys[i] = argv[i] end
  for i = nkeys + 1, #argv do args[i - nkeys] = argv[i] end
  return finish(xpcall(function() return f(keys, args) end, err_handler))
end

-- FUNCTION LOAD: the library code sees a `redis` that only registers functions and logs
local load_redis = setmetatable({
  register_function = py.register,
  log = redis.log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}, {__index = missing_global, __newindex = readonly_error})
local load_env = setmetatable({redis = protect(load_redis)}, {__index = missing_global, __newindex = readonly_error})

local function load_hook()
  if py.load_timed_out() and dbg.getinfo(2, 'S').source ~= INTERNAL then
    kill_message = 'ERR FUNCTION LOAD timeout'
    dbg.sethook(kill_hook, 'l')
    raise(kill_message)
  end
end

function api.load_library(f)
  env_mt.__index = load_env
  dbg.sethook(load_hook, '', 100000)
  local ok, err = pcall(f)
  kill_message = nil
  arm()
  env_mt.__index = V
  if not ok then
    if type(err) == 'userdata' then err = error_object(err) end
    if type(err) == 'table' then return false, rawget(err, 'err') end
    return false, 'ERR ' .. tostring(err)
  end
  return true
end

return api
"""


class ScriptCallError(Exception):
    """redis.call failed: raise the command's error table in the script."""

    def __init__(self, table: Any) -> None:
        super().__init__("script call error")
        self.table = table


class CountedError(ReplyError):
    """A script's error reply that the error statistics already counted (the failed command's own
    error: Redis's ignore_error_stats_update). `RedisServer.call` counts only plain ReplyErrors."""

    __slots__ = ()


class ApiError(Exception):
    """A redis.* API function refused its arguments (Redis's luaPushError + luaError)."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode())
        self.message = message


def sha1hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _to_int64(n: int | float) -> int:
    """(long long) of a Lua number, as x86 converts it (out of range and NaN become LLONG_MIN)."""
    if isinstance(n, float):
        if not math.isfinite(n) or not -(2.0**63) <= n < 2.0**63:
            return INT64_MIN
        return int(n)
    return n if -(2**63) <= n < 2**63 else INT64_MIN


def _number_arg(n: int | float) -> bytes:
    """A Lua number as a command argument: C's %.17g (0/0 is -nan on x86)."""
    if n != n and math.copysign(1.0, n) < 0:
        return b"-nan"
    return b"%.17g" % n


def _command_args(args: tuple[Any, ...]) -> list[bytes] | None:
    """redis.call's arguments as a command's: numbers as their text; None when one is neither."""
    argv = []
    for a in args:
        t = type(a)
        if t is bytes:
            argv.append(a)
        elif t is int or t is float:
            argv.append(_number_arg(a))
        else:
            return None
    return argv


def _error_table_message(message: str) -> str:
    """luaPushErrorBuff: an error reply as the `err` field Lua sees ("CODE message")."""
    if message.startswith("-"):
        code, sep, rest = message[1:].partition(" ")
        if not sep:
            code, rest = "ERR", message[1:]
    else:
        code, rest = "ERR", message
    return f"{code} {rest.strip(chr(13) + chr(10))}"


class RunContext:
    """The script execution in progress (Redis's scriptRunCtx). Scripts do not nest: Scripting keeps one,
    which Scripting.run fills in for each run (a new one per run cost ~2.5% of a small EVALSHA)."""

    __slots__ = ("caller", "fake", "is_eval", "read_only", "name", "argv", "start", "wrote", "killed")

    def __init__(self, fake: Client) -> None:
        self.fake = fake  # the client the script's commands run as
        self.caller = fake  # the client that runs the script: set by each run
        self.is_eval = True
        self.read_only = False
        self.name = ""
        self.argv: list[bytes] = []
        self.start = 0.0
        self.wrote = False
        self.killed: str | None = None

    @property
    def resp3(self) -> bool:
        """Whether the script asked for RESP3 replies (redis.setresp(3)): its client speaks RESP3."""
        return self.fake.resp == 3


class LuaEngine:
    """One sandboxed Lua state with the redis API (the EVAL one or the FUNCTION one)."""

    def __init__(self, scripting: Scripting) -> None:
        self.scripting = scripting
        self.server = scripting.server
        self.lua = lua = LuaRuntime(encoding=None, register_eval=False, register_builtins=False,
                                    unpack_returned_tuples=True, attribute_filter=_deny_attributes)
        self.ctx: RunContext | None = None
        self.registering: list[dict[str, Any]] | None = None
        self.load_deadline = 0.0
        null = lua.eval("newproxy()")
        callbacks = {
            "null": null, "libs": self._libs(null),
            # partials of the plain function, not wrapper methods: no Python frame and no bound method
            # between lupa and _call on each redis.call
            "call": partial(LuaEngine._call, self, True), "pcall": partial(LuaEngine._call, self, False),
            "error_object": self._error_object, "guard": _guard, "log": _lua_log, "setresp": self._setresp,
            "sha1hex": _lua_sha1hex, "error_reply": self._error_reply, "set_repl": _set_repl,
            "acl_check_cmd": self._acl_check_cmd, "interrupted": self._interrupted, "register": self._register,
            "load_timed_out": lambda: time.monotonic() > self.load_deadline,
            "version": REDIS_VERSION.encode(), "version_num": _VERSION_NUM,
        }
        py_table = lua.table_from({k.encode(): v for k, v in callbacks.items()})
        api = lua.execute(_PRELUDE, py_table)
        self._compile = api[b"compile"]
        self.run_eval = api[b"run_eval"]
        self.run_function = api[b"run_function"]
        self._load_library = api[b"load_library"]
        self._caller_where = py_table[b"caller_where"]
        self._table_from = lua.table_from

    # -- Python side of the Lua API -----------------------------------------------------------

    def _libs(self, null: Any) -> Any:
        funcs = library_functions(self.lua, null, self.scripting.rand)

        table_from = self.lua.table_from
        return table_from({lib.encode(): table_from({name.encode(): self._positioned(fn) for name, fn in table.items()})
                           for lib, table in funcs.items()})

    def _positioned(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """A library function whose errors carry the caller's position, as luaL_error's."""
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except LibError as exc:
                where = b"" if isinstance(exc, LibRuntimeError) else self._caller_where()
                message = str(exc)
                if not where and message.startswith("bad argument"):
                    message = re.sub("to '[^']*'", "to '?'", message, count=1)  # called from C: no name
                raise _PlainError(where + message.encode("utf-8", "surrogateescape")) from None
        return call

    def _error_object(self, error: Any) -> Any:
        """What a Python exception raised into Lua stands for: an error table, or a message."""
        if isinstance(error, ScriptCallError):
            return error.table
        if isinstance(error, ApiError):
            return self._table_from({b"err": error.message})
        if isinstance(error, _PlainError):
            return error.message
        if isinstance(error, BaseException):
            log.error("error in a script callback: %r", error)
            return f"internal error: {type(error).__name__}: {error}".encode()
        return error

    def _interrupted(self) -> bytes | None:
        ctx = self.ctx
        return self.scripting.check_interrupt(ctx) if ctx is not None else None

    def _setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise ApiError(b"ERR redis.setresp() requires one argument.")
        value = args[0]
        resp = _to_int64(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
        if resp not in (2, 3):
            raise ApiError(b"ERR RESP version must be 2 or 3.")
        if self.ctx is not None:
            self.ctx.fake.resp = resp

    def _error_reply(self, *args: Any) -> Any:
        if len(args) != 1 or type(args[0]) is not bytes:
            return self._table_from({b"err": b"ERR wrong number or type of arguments"})
        text = args[0].decode("utf-8", "surrogateescape")
        message = _error_table_message(text if text.startswith("-") else "-" + text)
        return self._table_from({b"err": message.encode("utf-8", "surrogateescape")})

    def _register(self, *args: Any) -> None:
        if self.registering is None:
            raise ApiError(b"ERR redis.register_function can only be called on FUNCTION LOAD command")
        try:
            registered = _parse_register(args)
        except ReplyError as exc:
            raise ApiError(exc.message.encode()) from None
        if any(previous["name"] == registered["name"] for previous in self.registering):
            raise ApiError(b"ERR Function already exists in the library")
        self.registering.append(registered)

    def _acl_check_cmd(self, *args: Any) -> bool:
        """redis.acl_check_cmd: whether the script's caller may run the command with these arguments."""
        argv = [a if isinstance(a, bytes) else b"%.17g" % a for a in args
                if isinstance(a, (bytes, int, float)) and not isinstance(a, bool)]
        if len(argv) != len(args) or not argv:
            raise ApiError(b"ERR Please specify at least one argument for this redis lib call")
        cmd = cmdtable.lookup(argv)
        if cmd is None or cmd.handler is None:
            raise ApiError(b"ERR Invalid command passed to redis.acl_check_cmd()")
        ctx = self.ctx
        return ctx is None or not ctx.caller.user.check(cmd, argv)[0]

    def _call(self, raise_error: bool, *args: Any) -> Any:
        """redis.call (raise_error) / redis.pcall: the reply as a Lua value; a failed redis.call raises
        ScriptCallError, which the script sees as the error table."""
        ctx = self.ctx
        if not args:
            return self._error("Please specify at least one argument for this redis lib call", raise_error)
        for a in args:
            if type(a) is not bytes:
                argv = _command_args(args)
                if argv is None:
                    return self._error("Lua redis lib command arguments must be strings or integers", raise_error)
                break
        else:  # all strings, the usual case: no conversion
            argv = list(args)
        if ctx is None:
            return self._error("redis.call/pcall can only be called inside a script invocation", raise_error)
        cmd = _COMMANDS.get(argv[0])  # the usual lowercase name without a subcommand: one dict lookup
        if cmd is None or cmd.handler is None:
            cmd = cmdtable.lookup(argv)
            if cmd is None or cmd.handler is None:  # a container alone (OBJECT) lacks its subcommand
                wrong_arity = cmd is not None and len(argv) == 1
                return self._error("Wrong number of args calling Redis command from script" if wrong_arity else
                                   "Unknown Redis command called from script", raise_error)
        arity = cmd.arity
        if arity != len(argv) and (arity > 0 or len(argv) < -arity):
            return self._error("Wrong number of args calling Redis command from script", raise_error)
        if "noscript" in cmd.flags:
            return self._error("This Redis command is not allowed from script", raise_error)
        if ctx.caller.user.restricted:
            denied = self.server.acl.denied(ctx.caller, cmd, argv, "lua")
            if denied is not None:
                return self._error("ACL failure in script: " + denied, raise_error)
        if cmd.may_replicate:
            if ctx.read_only:
                return self._error("Write commands are not allowed from read-only scripts.", raise_error)
            if cmd.is_write:
                ctx.wrote = True
        server = self.server
        reply = server.call(ctx.fake, cmd, argv)
        caller = ctx.caller
        if caller.tracking and cmd.readonly:
            # a read makes the caller track the keys the script declared (Redis 7.0's call() remembers the
            # caller's own command: EVAL/FCALL and its KEYS), not the read's; CLIENT CACHING covers the script
            caching = caller.tracking_caching
            server.tracking.remember(caller, cmdtable.lookup(ctx.argv), ctx.argv)
            caller.tracking_caching = caching
        t = type(reply)
        if t is bytes or t is int:
            return reply
        if isinstance(reply, ReplyError):
            table = self._table_from({b"err": _error_table_message("-" + reply.message).encode(
                "utf-8", "surrogateescape"), b"ignore_error_stats_update": True})
            if raise_error:
                raise ScriptCallError(table)
            return table
        return call_deep(self._to_lua, reply, ctx.resp3)

    def _error(self, message: str, raise_error: bool) -> Any:
        """scriptCall refused the command: counted as an error reply now, as Redis does."""
        self.server.count_error(ReplyError("ERR " + message))
        table = self._table_from({b"err": ("ERR " + message).encode(), b"ignore_error_stats_update": True})
        if raise_error:
            raise ScriptCallError(table)
        return table

    def _to_lua(self, reply: Any, resp3: bool) -> Any:
        """A command's reply as the Lua value Redis's redisProtocolToLuaType makes of it."""
        t = type(reply)
        if t is bytes or t is int:
            return reply
        if t is str:
            return self._table_from({b"ok": reply.encode()})
        if reply is None or reply is NULL_ARRAY:
            return None if resp3 else False
        if t is list or t is tuple:
            return self._table_from([self._to_lua(item, resp3) for item in reply])
        if t is dict:
            if resp3:
                inner = self._table_from({})
                for k, v in reply.items():
                    inner[self._to_lua(k, resp3)] = self._to_lua(v, resp3)
                return self._table_from({b"map": inner})
            flat = []
            for k, v in reply.items():
                flat.append(self._to_lua(k, resp3))
                flat.append(self._to_lua(v, resp3))
            return self._table_from(flat)
        if t is set or t is frozenset or t is SetReply:
            if resp3:
                inner = self._table_from({})
                for item in reply:
                    inner[self._to_lua(item, resp3)] = True
                return self._table_from({b"set": inner})
            return self._table_from([self._to_lua(item, resp3) for item in reply])
        if t is float:
            return self._table_from({b"double": reply}) if resp3 else format_double(reply)
        if t is bool:
            return reply if resp3 else int(reply)
        if t is BigNumber:
            return self._table_from({b"big_number": str(int(reply)).encode()}) if resp3 else str(int(reply)).encode()
        if t is Verbatim:
            if resp3:
                return self._table_from({b"verbatim_string": self._table_from(
                    {b"format": b"txt", b"string": reply.encode()})})
            return reply.encode()
        if isinstance(reply, ReplyError):
            return self._table_from({b"err": _error_table_message("-" + reply.message).encode()})
        if t is Raw:
            return self._to_lua(_parse_resp(bytes(reply)), resp3)
        if isinstance(reply, str):
            return self._table_from({b"ok": reply.encode()})
        if isinstance(reply, list):
            return self._table_from([self._to_lua(item, resp3) for item in reply])
        if isinstance(reply, int):
            return int(reply)
        raise TypeError(f"cannot convert reply of type {t.__name__} for Lua")

    # -- compiling and running ----------------------------------------------------------------

    def compile(self, body: bytes, chunkname: bytes) -> Any:
        result = self._compile(body, chunkname)
        if type(result) is tuple:
            raise _CompileError(result[1].decode("utf-8", "replace"))
        return result

    def load_library(self, function: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
        self.registering = []
        self.load_deadline = time.monotonic() + 0.5  # Redis's LOAD_TIMEOUT_MS
        try:
            result = self._load_library(function)
        finally:
            registered, self.registering = self.registering, None
        if type(result) is tuple:
            message = result[1]
            return None, message.decode("utf-8", "replace") if isinstance(message, bytes) else "ERR unknown error"
        return registered, None

    def reply_of(self, ok: bool, result: Any, ctx: RunContext) -> Any:
        """Convert what the script returned (or raised) into the caller's reply."""
        if ok:
            t = type(result)
            if t is bytes or t is int:  # lupa gives an int only for a number that fits a C long
                return result
            if t is float:
                return _to_int64(result)
            if t is bool:
                return result if ctx.resp3 else (1 if result else None)
            if result is None:
                return None
            out: list[bytes] = []
            error = call_deep(self._encode_reply, result, out, ctx.caller.resp == 3, ctx.resp3, True)
            return error if error is not None else Raw(b"".join(out))
        if lua_type(result) == "table":
            message = result[b"err"]
            if isinstance(message, (int, float)) and not isinstance(message, bool):
                message = f"{message:.14g}".encode()  # lua_isstring holds for numbers
            text = _bulk_text(message) if isinstance(message, bytes) else ""
            source, line = result[b"source"], result[b"line"]
            if not text.startswith("-"):
                text = "-" + text
            if isinstance(source, bytes) and line is not None:
                text += f" script: {ctx.name}, on {_bulk_text(source)}:{_number_text(line)}."
            return _reply_error(text, result[b"ignore_error_stats_update"] is True)
        return ReplyError(f"ERR Error running script {ctx.name}, {_bulk_text(result)[:100]}")

    def _encode_reply(self, value: Any, out: list[bytes], client_resp3: bool, script_resp3: bool,
                      top: bool = False) -> ReplyError | None:
        """luaReplyToRedisReply: append the RESP of a Lua value (a top-level error is returned)."""
        t = type(value)
        if t is bytes:
            out.append(b"$%d\r\n%s\r\n" % (len(value), value))
        elif t is bool:
            if script_resp3:
                out.append(encode_reply(value, client_resp3))
            else:
                out.append(b":1\r\n" if value else (b"_\r\n" if client_resp3 else b"$-1\r\n"))
        elif t is int or t is float:
            out.append(b":%d\r\n" % _to_int64(value))
        elif value is not None and lua_type(value) == "table":
            err = value[b"err"]
            if type(err) is bytes:
                error = _reply_error("-" + _bulk_text(err), value[b"ignore_error_stats_update"] is True)
                if top:
                    return error
                out.append(encode_reply(error, client_resp3))
                return None
            ok = value[b"ok"]
            if type(ok) is bytes:
                out.append(b"+%s\r\n" % ok.replace(b"\r", b" ").replace(b"\n", b" "))
                return None
            double = value[b"double"]
            if type(double) in (int, float):
                out.append(encode_reply(float(double), client_resp3))
                return None
            big = value[b"big_number"]
            if type(big) is bytes:
                big = big.replace(b"\r", b" ").replace(b"\n", b" ")
                out.append(b"(%s\r\n" % big if client_resp3 else b"$%d\r\n%s\r\n" % (len(big), big))
                return None
            verbatim = value[b"verbatim_string"]
            if verbatim is not None and lua_type(verbatim) == "table":
                fmt, text = verbatim[b"format"], verbatim[b"string"]
                if type(fmt) is bytes and type(text) is bytes:
                    if client_resp3:
                        out.append(b"=%d\r\n%s:%s\r\n" % (len(text) + 4, fmt[:3], text))
                    else:
                        out.append(b"$%d\r\n%s\r\n" % (len(text), text))
                    return None
            mapping = value[b"map"]
            if mapping is not None and lua_type(mapping) == "table":
                items = list(mapping.items())
                out.append(b"%%%d\r\n" % len(items) if client_resp3 else b"*%d\r\n" % (2 * len(items)))
                for k, v in items:
                    self._encode_reply(k, out, client_resp3, script_resp3)
                    self._encode_reply(v, out, client_resp3, script_resp3)
                return None
            members = value[b"set"]
            if members is not None and lua_type(members) == "table":
                keys = list(members.keys())
                out.append(b"~%d\r\n" % len(keys) if client_resp3 else b"*%d\r\n" % len(keys))
                for k in keys:
                    self._encode_reply(k, out, client_resp3, script_resp3)
                return None
            header = len(out)
            out.append(b"")
            i = 1
            while True:
                item = value[i]
                if item is None:
                    break
                self._encode_reply(item, out, client_resp3, script_resp3)
                i += 1
            out[header] = b"*%d\r\n" % (i - 1)
        else:
            out.append(b"_\r\n" if client_resp3 else b"$-1\r\n")
        return None


class _CompileError(Exception):
    pass


class _PlainError(Exception):
    """A Lua error with a plain message (as lua_error from a C function)."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message


def _guard(function: Any, name: bytes, is_protected: Any, where: Callable[[], bytes]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        if args and is_protected(args[0]):
            raise _PlainError(b"Attempt to modify a readonly table")
        try:
            return function(*args)
        except LuaError as exc:  # its own argument errors, named as Lua would name it
            raise _PlainError(where() + str(exc).replace("'?'", f"'{name.decode()}'", 1).encode()) from None
    return guarded


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise _PlainError(b"attempt to index a function value")


def _bulk_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reply_error(text: str, counted: bool = False) -> ReplyError:
    """addReplyErrorFormat: '-' dropped, no newlines, "ERR " only if the text had no leading '-'."""
    text = text.replace("\r", " ").replace("\n", " ")
    return (CountedError if counted else ReplyError)(text[1:] if text.startswith("-") else "ERR " + text)


def _lua_log(*args: Any) -> None:
    if len(args) < 2:
        raise ApiError(b"ERR redis.log() requires two arguments or more.")
    level = args[0]
    if isinstance(level, bytes):
        try:
            level = float(level)
        except ValueError:
            level = None
    if isinstance(level, bool) or not isinstance(level, (int, float)):
        raise ApiError(b"ERR First argument must be a number (log level).")
    level = int(level)
    if level not in _LOG_LEVELS:
        raise ApiError(b"ERR Invalid debug level.")
    parts = [a if isinstance(a, bytes) else f"{a:.14g}".encode() for a in args[1:]
             if isinstance(a, (bytes, int, float)) and not isinstance(a, bool)]
    log.log(_LOG_LEVELS[level], "%s", b" ".join(parts).decode("utf-8", "replace"))


def _lua_sha1hex(*args: Any) -> bytes:
    if len(args) != 1:
        raise ApiError(b"ERR wrong number of arguments")
    value = args[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value:.14g}".encode()
    return sha1hex(value if isinstance(value, bytes) else b"").encode()


def _set_repl(*args: Any) -> None:
    if len(args) != 1:
        raise ApiError(b"ERR redis.set_repl() requires two arguments.")
    flags = args[0]
    value = _to_int64(flags) if isinstance(flags, (int, float)) and not isinstance(flags, bool) else 0
    if value & ~3:
        raise ApiError(b"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
    return None  # no effect to have: scripts are replicated by their effects


def _parse_register(args: tuple[Any, ...]) -> dict[str, Any]:
    """redis.register_function(name, callback) or redis.register_function{...} (function_lua.c)."""
    if len(args) == 2:
        name, callback, flags, description = args[0], args[1], None, None
    elif len(args) == 1 and lua_type(args[0]) == "table":
        name = callback = flags = description = None
        for key, value in args[0].items():
            if not isinstance(key, bytes):
                raise ReplyError("ERR named argument key given to redis.register_function is not a string")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key != b"callback":
                value = f"{value:.14g}".encode()  # lua_isstring holds for numbers
            if key == b"function_name":
                if not isinstance(value, bytes):
                    raise ReplyError("ERR function_name argument given to redis.register_function must be a string")
                name = value
            elif key == b"description":
                if not isinstance(value, bytes):
                    raise ReplyError("ERR description argument given to redis.register_function must be a string")
                description = value
            elif key == b"callback":
                if lua_type(value) != "function":
                    raise ReplyError("ERR callback argument given to redis.register_function must be a function")
                callback = value
            elif key == b"flags":
                if lua_type(value) != "table":
                    raise ReplyError("ERR flags argument to redis.register_function must be a table representing "
                                     "function flags")
                flags = value
            else:
                raise ReplyError("ERR unknown argument given to redis.register_function")
        if name is None:
            raise ReplyError("ERR redis.register_function must get a function name argument")
        if callback is None:
            raise ReplyError("ERR redis.register_function must get a callback argument")
    else:
        raise ReplyError("ERR wrong number of arguments to redis.register_function")
    if len(args) == 2:
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = f"{name:.14g}".encode()
        if not isinstance(name, bytes):
            raise ReplyError("ERR first argument to redis.register_function must be a string")
        if lua_type(callback) != "function":
            raise ReplyError("ERR second argument to redis.register_function must be a function")
    parsed_flags: list[bytes] = []
    if flags is not None:
        for _, flag in flags.items():
            if not isinstance(flag, bytes) or flag not in SCRIPT_FLAGS:
                raise ReplyError("ERR unknown flag given")
            if flag not in parsed_flags:
                parsed_flags.append(flag)
    if not _valid_name(name):
        raise ReplyError("ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
                         "least one character long")
    # run_flags and title: what each FCALL needs, worked out once here
    return {"name": name, "callback": callback, "flags": sorted(parsed_flags, key=_FLAG_ORDER.index),
            "description": description, "run_flags": frozenset(SCRIPT_FLAGS[f] for f in parsed_flags),
            "title": name.decode("utf-8", "replace")}


def _valid_name(name: bytes) -> bool:
    return bool(name) and all(c == 95 or 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 for c in name)


def _parse_resp(data: bytes) -> Any:
    """A Raw reply back into reply values (for redis.call of a command that pre-encodes)."""
    value, _ = _parse_resp_at(data, 0)
    return value


def _parse_resp_at(data: bytes, pos: int) -> tuple[Any, int]:
    end = data.index(b"\r\n", pos)
    kind, line = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return line.decode("utf-8", "surrogateescape"), pos
    if kind == b"-":
        return ReplyError(line.decode("utf-8", "surrogateescape")), pos
    if kind == b":":
        return int(line), pos
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, pos
        body = data[pos:pos + n]
        return (body[4:] if kind == b"=" else body), pos + n + 2
    if kind in (b"*", b"~", b">"):
        n = int(line)
        if n < 0:
            return NULL_ARRAY, pos
        items = []
        for _ in range(n):
            item, pos = _parse_resp_at(data, pos)
            items.append(item)
        return (set(items) if kind == b"~" else items), pos
    if kind == b"%":
        result = {}
        for _ in range(int(line)):
            k, pos = _parse_resp_at(data, pos)
            v, pos = _parse_resp_at(data, pos)
            result[k] = v
        return result, pos
    if kind == b"_":
        return None, pos
    if kind == b",":
        return float(line), pos
    if kind == b"#":
        return line == b"t", pos
    if kind == b"(":
        return BigNumber(int(line)), pos
    raise ValueError(f"unexpected RESP type {kind!r}")


class Library:
    """A FUNCTION library: its code and the functions it registered."""

    __slots__ = ("name", "code", "functions")

    def __init__(self, name: str, code: bytes, functions: dict[bytes, dict[str, Any]]) -> None:
        self.name = name
        self.code = code
        self.functions = functions


class _BusyConnection:
    """A connection accepted while a script is busy: answered here (-BUSY, SCRIPT KILL...) with a
    client of its own until the script ends, then handed to the event loop as a RespConnection
    that takes over its session (protocol, name, auth, db) and its parser."""

    def __init__(self, server: RedisServer, sock: socket.socket, peer: Any) -> None:
        self.server = server
        self.sock = sock
        self.closed = False
        local = sock.getsockname()
        self.client = Client(server, 0, _format_addr(peer), _format_addr(local), sock.fileno())
        self.parser = RequestParser(server.proto_limits)

    def poll_input(self) -> None:
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        error = None
        try:
            requests = self.parser.feed(data)
        except ProtocolError as exc:
            requests, error = exc.requests, exc
        client = self.client
        out = []
        for argv in requests:
            reply = self.server.execute(client, argv)
            if client.reply_mode == "on":
                out.append(encode_reply(reply, client.resp == 3))
            if client.close_after_reply:
                break
        if error is not None:
            out.append(b"-ERR Protocol error: %s\r\n" % str(error).encode())
            client.close_after_reply = True
        try:
            self.sock.sendall(b"".join(out))
        except OSError:
            client.close_after_reply = True
        if client.close_after_reply:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()

    async def hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        from dynamis.kv.connection import RespConnection

        _, protocol = await loop.connect_accepted_socket(lambda: RespConnection(self.server), self.sock)
        old, new = self.client, protocol.client
        new.resp, new.name, new.lib_name, new.lib_ver = old.resp, old.name, old.lib_name, old.lib_ver
        new.authenticated, new.user, new.db = old.authenticated, old.user, old.db
        protocol.parser = self.parser  # with whatever partial request it holds
        self.parser.authenticated = new.authenticated


def _format_addr(addr: Any) -> str:
    return f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr or "")


class Scripting:
    """Scripting state of one server: the two Lua engines, the script cache, the libraries, the runner."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.rand = RedisRand48()
        self._eval_engine: LuaEngine | None = None
        self._function_engine: LuaEngine | None = None
        # lowercase hex sha (bytes, as EVALSHA gets it) -> (body, function, shebang flags, sha as str)
        self.scripts: dict[bytes, tuple[bytes, Any, frozenset[str] | None, str]] = {}
        self.libraries: dict[str, Library] = {}
        self.functions: dict[bytes, tuple[Library, dict[str, Any]]] = {}
        self.running: RunContext | None = None
        self._listeners: list[socket.socket] | None = None  # while busy: duplicates of the listening sockets
        self._busy_connections: list[_BusyConnection] = []  # accepted while busy
        # the client scripts run their commands as; always authenticated (AUTH, HELLO are noscript)
        fake = Client(server, 0)
        fake.deny_blocking = True
        fake.authenticated = True
        self.context = RunContext(fake)

    @property
    def eval_engine(self) -> LuaEngine:
        if self._eval_engine is None:
            self._eval_engine = LuaEngine(self)
        return self._eval_engine

    @property
    def function_engine(self) -> LuaEngine:
        if self._function_engine is None:
            self._function_engine = LuaEngine(self)
        return self._function_engine

    def flush_scripts(self) -> None:
        self.scripts.clear()
        self._eval_engine = None

    # -- EVAL ---------------------------------------------------------------------------------

    def script_for(self, body: bytes) -> tuple[str, Any, frozenset[str] | None]:
        """Compile `body` into the cache (if needed); return (sha, function, shebang flags or None)."""
        sha = sha1hex(body)
        cached = self.scripts.get(sha.encode())
        if cached is not None:
            return sha, cached[1], cached[2]
        flags, shebang_len = _shebang_flags(body)
        try:
            function = self.eval_engine.compile(body[shebang_len:], b"@user_script")
        except _CompileError as exc:
            raise ReplyError(f"ERR Error compiling script (new function): {exc}") from None
        self.scripts[sha.encode()] = (body, function, flags, sha)
        return sha, function, flags

    # -- FUNCTION -----------------------------------------------------------------------------

    def load_library(self, code: bytes, replace: bool, into: dict[str, Library] | None = None) -> str:
        """functionsCreateWithLibraryCtx: compile and register a library; returns its name."""
        libraries = self.libraries if into is None else into
        name, body = _library_metadata(code)
        existing = libraries.get(name)
        if existing is not None and not replace:
            raise ReplyError(f"ERR Library '{name}' already exists")
        engine = self.function_engine
        try:
            function = engine.compile(body, b"@user_function")
        except _CompileError as exc:
            raise ReplyError(f"ERR Error compiling function: {exc}") from None
        registered, error = engine.load_library(function)
        if error is not None:
            raise ReplyError(f"ERR Error registering functions: {error}")
        if not registered:
            raise ReplyError("ERR No functions registered")
        library = Library(name, code, {f["name"]: f for f in registered})
        for fname in library.functions:
            for other in libraries.values():
                if other is not existing and fname in other.functions:
                    raise ReplyError(f"ERR Function {fname.decode('utf-8', 'replace')} already exists")
        if existing is not None:
            del libraries[name]
        libraries[name] = library
        if into is None:
            self._index_functions()
        return name

    def _index_functions(self) -> None:
        self.functions = {fname: (lib, f) for lib in self.libraries.values() for fname, f in lib.functions.items()}

    def flush_functions(self) -> None:
        self.libraries.clear()
        self.functions.clear()
        self._function_engine = None

    # -- running ------------------------------------------------------------------------------

    def run(self, client: Client, function: Any, argv: list[bytes], nkeys: int, is_eval: bool, read_only: bool,
            name: str) -> Any:
        """Run a script for `client` on the loop thread and return its reply."""
        # the engine exists: `function` was compiled in it
        engine = self._eval_engine if is_eval else self._function_engine
        assert engine is not None
        ctx = self.context
        fake = ctx.fake  # each run starts on the caller's db and user, in RESP2
        fake.db, fake.resp, fake.user = client.db, 2, client.user
        ctx.caller = client
        ctx.is_eval = is_eval
        ctx.read_only = read_only
        ctx.name = name
        ctx.argv = argv
        ctx.start = time.monotonic()
        ctx.wrote = False
        ctx.killed = None
        runner = engine.run_eval if is_eval else engine.run_function
        self.running = engine.ctx = ctx
        try:
            ok, result = runner(function, nkeys, *argv[3:])
            reply = engine.reply_of(ok, result, ctx)
            if type(reply) is CountedError:
                cmdtable.lookup(argv).failed_calls += 1  # still a failed call of EVAL / FCALL
            return reply
        except LuaError as exc:  # an error in the error handler itself (e.g. out of memory)
            return ReplyError(f"ERR Error running script {name}, {str(exc)[:100]}")
        finally:
            engine.ctx = None
            self.running = None
            if self.server.busy_script is ctx:
                self.server.busy_script = None
                self._end_busy()

    def check_interrupt(self, ctx: RunContext) -> bytes | None:
        """The Lua count hook (every 100000 instructions): past busy-reply-threshold, serve the other
        clients; return the error to raise when the script was killed."""
        # the threshold is read here, not when the script starts: a script that ends before the first
        # hook (most do) never pays for it, and nothing can change it while the script runs
        threshold = self.server.config["busy-reply-threshold"]
        if ctx.killed is None and threshold > 0 and time.monotonic() - ctx.start > threshold / 1000.0:
            server = self.server
            if server.busy_script is None:
                server.busy_script = ctx
                log.warning("Slow script detected: still in execution after %d milliseconds. You can try killing "
                            "the script using the %s command. Script name is: %s.",
                            int((time.monotonic() - ctx.start) * 1000),
                            "SCRIPT KILL" if ctx.is_eval else "FUNCTION KILL", ctx.name)
            try:
                self._serve_while_busy(ctx.caller)
            except Exception:  # serving the others must never break the script
                log.exception("error while serving clients during a busy script")
        return ctx.killed.encode() if ctx.killed is not None else None

    def _serve_while_busy(self, runner: Client) -> None:
        """Redis's processEventsWhileBlocked: read what other clients sent and answer it (-BUSY, or
        SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE and the allow_busy commands). The script's own
        client is left alone: its pipelined requests wait, in order, until the script ends."""
        server = self.server
        if self._listeners is None:
            # new connections are accepted here too (redis-cli opened to send SCRIPT KILL...):
            # on duplicates of the listening sockets, handed to the event loop when the script ends
            self._listeners = []
            for listening in getattr(server, "listen_sockets", ()):
                sock = listening.dup()
                sock.setblocking(False)
                self._listeners.append(sock)
        pollers: dict[int, Callable[[], None]] = {}
        for client in server.clients.values():
            poll_input = getattr(client, "poll_input", None)
            if client is not runner and client.fd >= 0 and poll_input is not None:
                pollers[client.fd] = poll_input
        self._busy_connections = [conn for conn in self._busy_connections if not conn.closed]
        for conn in self._busy_connections:
            pollers[conn.sock.fileno()] = conn.poll_input
        for sock in self._listeners:
            pollers[sock.fileno()] = lambda sock=sock: self._accept_while_busy(sock)
        if not pollers:
            return
        poller = select.poll()
        for fd in pollers:
            poller.register(fd, select.POLLIN)
        for fd, _ in poller.poll(0):
            pollers[fd]()

    def _accept_while_busy(self, listening: socket.socket) -> None:
        try:
            sock, peer = listening.accept()
        except OSError:
            return
        self._busy_connections.append(_BusyConnection(self.server, sock, peer))

    def _end_busy(self) -> None:
        """The busy script ended: the connections accepted meanwhile join the event loop."""
        for sock in self._listeners or ():
            sock.close()
        self._listeners = None
        connections, self._busy_connections = self._busy_connections, []
        if connections:
            loop = asyncio.get_running_loop()
            for conn in connections:
                if not conn.closed:
                    loop.create_task(conn.hand_over(loop))

    def kill(self, is_eval: bool) -> Any:
        """SCRIPT KILL / FUNCTION KILL."""
        ctx = self.running
        if ctx is None or self.server.busy_script is None:
            return NOTBUSY
        if ctx.wrote:
            return UNKILLABLE
        if ctx.is_eval != is_eval:  # SCRIPT KILL cannot stop a function, nor FUNCTION KILL a script
            return BUSY_FUNCTION if is_eval else BUSY_EVAL
        ctx.killed = "ERR Script killed by user with SCRIPT KILL..."
        log.warning("Lua script killed by user with SCRIPT KILL.")
        return OK


def busy_reply(server: RedisServer, cmd: cmdtable.Command, argv: list[bytes]) -> ReplyError | None:
    """While a script is past busy-reply-threshold: the -BUSY reply for `cmd`, or None to let it run."""
    ctx = server.busy_script
    error = BUSY_EVAL if ctx.is_eval else BUSY_FUNCTION
    if cmd.name == "shutdown" and cmd.parent is None:
        if not any(a.lower() == b"nosave" for a in argv[1:]):
            return error
        ctx.killed = "ERR Script killed by user with SHUTDOWN NOSAVE..."  # the server goes down; stop the script
        return None
    if "allow_busy" in cmd.flags:
        return None
    return error


def _shebang_flags(body: bytes) -> tuple[frozenset[str] | None, int]:
    """evalExtractShebangFlags: (flags, or None without a shebang (compat mode); shebang length)."""
    if not body.startswith(b"#!"):
        return None, 0
    end = body.find(b"\n")
    if end < 0:
        raise ReplyError("ERR Invalid script shebang")
    try:
        parts = split_inline(body[:end])
    except ProtocolError:
        parts = []
    if not parts:
        raise ReplyError("ERR Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise ReplyError(f"ERR Unexpected engine in script shebang: {_bulk_text(parts[0])}")
    flags = set()
    for part in parts[1:]:
        if part.startswith(b"flags="):
            for flag in part[6:].split(b","):
                if flag not in SCRIPT_FLAGS:
                    raise ReplyError(f"ERR Unexpected flag in script shebang: {_bulk_text(flag)}")
                flags.add(SCRIPT_FLAGS[flag])
        else:
            raise ReplyError(f"ERR Unknown lua shebang option: {_bulk_text(part)}")
    return frozenset(flags), end


def _library_metadata(code: bytes) -> tuple[str, bytes]:
    """functionExtractLibMetaData: the library name and the code after the shebang line."""
    if not code.startswith(b"#!"):
        raise ReplyError("ERR Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise ReplyError("ERR Invalid library metadata")
    try:
        parts = split_inline(code[:end])
    except ProtocolError:
        parts = []
    if not parts:
        raise ReplyError("ERR Invalid library metadata")
    engine = parts[0][2:]
    name = None
    for part in parts[1:]:
        if part.startswith(b"name="):
            name = part[5:]
        else:
            raise ReplyError(f"ERR Invalid metadata value given: {_bulk_text(part)}")
    if name is None:
        raise ReplyError("ERR Library name was not given")
    if engine.lower() != b"lua":
        raise ReplyError(f"ERR Engine '{_bulk_text(engine)}' not found")
    if not _valid_name(name):
        raise ReplyError("ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
                         "least one character long")
    return name.decode(), code[end:]


def scripting(server: RedisServer) -> Scripting:
    state = getattr(server, "scripting", None)
    if state is None:
        state = server.scripting = Scripting(server)
    return state


# numkeys is nearly always a small number: one dict lookup instead of parsing it
_SMALL_NUMKEYS = {str(n).encode(): n for n in range(100)}


def _numkeys(argv: list[bytes], error: str | None = None) -> int:
    """numkeys of EVAL/FCALL; `error` replaces NOT_INTEGER's text (FCALL's)."""
    nkeys = _SMALL_NUMKEYS.get(argv[2])
    if nkeys is None:  # anything else takes string2ll's rules
        nkeys = int_arg(argv[2], NOT_INTEGER if error is None else ReplyError(error))
    if nkeys > len(argv) - 3:
        raise ReplyError("ERR Number of keys can't be greater than number of args")
    if nkeys < 0:
        raise ReplyError("ERR Number of keys can't be negative")
    return nkeys


def _check_flags(flags: frozenset[str], is_ro: bool) -> bool:
    """scriptPrepareForRun: refuse a writing script on *_RO; return whether the run is read-only."""
    if "no_writes" not in flags and is_ro:
        raise ReplyError("ERR Can not execute a script with write flag using *_ro command.")
    return is_ro or "no_writes" in flags


def _eval(client: Client, argv: list[bytes], by_sha: bool, is_ro: bool) -> Any:
    server = client.server
    if server.monitors:  # scripts are skip_monitor: fed here, before running, so that their commands follow them
        server._feed_monitors(client, argv)
    state = scripting(server)
    nkeys = _numkeys(argv)
    if by_sha:
        # clients send the lowercase sha SCRIPT LOAD gave them: lower() only when that misses
        cached = state.scripts.get(argv[1]) or state.scripts.get(argv[1].lower())
        if cached is None:
            raise NOSCRIPT
        _, function, flags, sha = cached
    else:
        sha, function, flags = state.script_for(argv[1])
    read_only = is_ro if flags is None else _check_flags(flags, is_ro)  # no shebang: as the command says
    return state.run(client, function, argv, nkeys, True, read_only, sha)


_SCRIPT_SPEC = dict(categories="@scripting", group="scripting", key_spec=numkeys_getkeys(2, 3))
# the keys follow numkeys; Redis notes on EVAL and FCALL (not on the *SHA forms) why it assumes the worst
_RW_KEYS = KeySpec("RW access update", Index(2), Keynum())
_RO_KEYS = KeySpec("RO access", Index(2), Keynum())
_RW_KEYS_NOTED = KeySpec("RW access update", Index(2), Keynum(),
                         notes="We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")
_RO_KEYS_NOTED = KeySpec("RO access", Index(2), Keynum(),
                         notes="We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")


@command("eval", -3, "noscript stale skip_monitor no_mandatory_keys", since="2.6.0",
         **_SCRIPT_SPEC, key_specs=(_RW_KEYS_NOTED,),
         summary="Execute a Lua script server side",
         complexity="Depends on the script that is executed.")
def eval_command(client: Client, argv: list[bytes]) -> Any:
    return _eval(client, argv, False, False)


@command("evalsha", -3, "noscript stale skip_monitor no_mandatory_keys", since="2.6.0",
         **_SCRIPT_SPEC, key_specs=(_RW_KEYS,),
         summary="Execute a Lua script server side",
         complexity="Depends on the script that is executed.")
def evalsha_command(client: Client, argv: list[bytes]) -> Any:
    return _eval(client, argv, True, False)


@command("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", since="7.0.0",
         **_SCRIPT_SPEC, key_specs=(_RO_KEYS_NOTED,),
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.")
def eval_ro_command(client: Client, argv: list[bytes]) -> Any:
    return _eval(client, argv, False, True)


@command("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", since="7.0.0",
         **_SCRIPT_SPEC, key_specs=(_RO_KEYS,),
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.")
def evalsha_ro_command(client: Client, argv: list[bytes]) -> Any:
    return _eval(client, argv, True, True)


def _fcall(client: Client, argv: list[bytes], is_ro: bool) -> Any:
    server = client.server
    if server.monitors:  # as _eval
        server._feed_monitors(client, argv)
    state = scripting(server)
    found = state.functions.get(argv[1])
    if found is None:
        raise ReplyError("ERR Function not found")
    nkeys = _numkeys(argv, "ERR Bad number of keys provided")
    _, function = found
    read_only = _check_flags(function["run_flags"], is_ro)
    return state.run(client, function["callback"], argv, nkeys, False, read_only, function["title"])


@command("fcall", -3, "noscript stale skip_monitor no_mandatory_keys", since="7.0.0",
         **_SCRIPT_SPEC, key_specs=(_RW_KEYS_NOTED,),
         summary="Invoke a function",
         complexity="Depends on the function that is executed.")
def fcall_command(client: Client, argv: list[bytes]) -> Any:
    return _fcall(client, argv, False)


@command("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", since="7.0.0",
         **_SCRIPT_SPEC, key_specs=(_RO_KEYS_NOTED,),
         summary="Invoke a read-only function",
         complexity="Depends on the function that is executed.")
def fcall_ro_command(client: Client, argv: list[bytes]) -> Any:
    return _fcall(client, argv, True)


# -- SCRIPT ---------------------------------------------------------------------------------------

_SCRIPT_HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]


@command("load", 3, "noscript stale", parent="script", tips="request_policy:all_nodes response_policy:all_succeeded",
         categories="@scripting", group="scripting", since="2.6.0",
         summary="Load the specified Lua script into the script cache.",
         complexity="O(N) with N being the length in bytes of the script body.")
def script_load_command(client: Client, argv: list[bytes]) -> bytes:
    sha, _, _ = scripting(client.server).script_for(argv[2])
    return sha.encode()


@command("exists", -3, "noscript", parent="script", tips="request_policy:all_shards response_policy:agg_logical_and",
         categories="@scripting", group="scripting", since="2.6.0",
         summary="Check existence of scripts in the script cache.",
         complexity="O(N) with N being the number of scripts to check (so checking a single "
                    "script is an O(1) operation).")
def script_exists_command(client: Client, argv: list[bytes]) -> list[int]:
    scripts = scripting(client.server).scripts
    return [1 if a.lower() in scripts else 0 for a in argv[2:]]


@command("flush", -2, "noscript", parent="script", tips="request_policy:all_nodes response_policy:all_succeeded",
         categories="@scripting", group="scripting", since="2.6.0",
         summary="Remove all the scripts from the script cache.",
         complexity="O(N) with N being the number of scripts in cache")
def script_flush_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise ReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    scripting(client.server).flush_scripts()
    return OK


@command("kill", 2, "noscript allow_busy", parent="script", tips="request_policy:all_shards response_policy:one_succeeded",
         categories="@scripting", group="scripting",
         since="2.6.0",
         summary="Kill the script currently in execution.",
         complexity="O(1)")
def script_kill_command(client: Client, argv: list[bytes]) -> Any:
    return scripting(client.server).kill(True)


@command("help", 2, "loading stale", parent="script", categories="@scripting", group="scripting", since="5.0.0",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def script_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return _SCRIPT_HELP


# -- FUNCTION -------------------------------------------------------------------------------------

_FUNCTION_HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
    "RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]


@command("load", -3, "write denyoom noscript", parent="function", tips="request_policy:all_shards response_policy:all_succeeded",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Create a function with the given arguments (name, code, description)",
         complexity="O(1) (considering compilation time is redundant)")
def function_load_command(client: Client, argv: list[bytes]) -> bytes:
    replace = False
    i = 2
    while i < len(argv) - 1:
        if argv[i].lower() == b"replace":
            replace = True
        else:
            raise ReplyError(f"ERR Unknown option given: {_bulk_text(argv[i])}")
        i += 1
    if i != len(argv) - 1:
        raise ReplyError("ERR Function code was not given")
    name = scripting(client.server).load_library(argv[-1], replace)
    client.server.keyspace.dirty += 1
    return name.encode()


@command("delete", 3, "write noscript", parent="function", tips="request_policy:all_shards response_policy:all_succeeded",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Delete a function by name",
         complexity="O(1)")
def function_delete_command(client: Client, argv: list[bytes]) -> str:
    state = scripting(client.server)
    name = argv[2].decode("utf-8", "surrogateescape")
    if name not in state.libraries:
        raise ReplyError("ERR Library not found")
    del state.libraries[name]
    state._index_functions()
    client.server.keyspace.dirty += 1
    return OK


@command("flush", -2, "write noscript", parent="function", tips="request_policy:all_shards response_policy:all_succeeded",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Deleting all functions",
         complexity="O(N) where N is the number of functions deleted")
def function_flush_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    scripting(client.server).flush_functions()
    client.server.keyspace.dirty += 1
    return OK


@command("list", -2, "noscript", parent="function", tips="nondeterministic_output_order",
         categories="@scripting", group="scripting", since="7.0.0",
         summary="List information about all the functions",
         complexity="O(N) where N is the number of functions")
def function_list_command(client: Client, argv: list[bytes]) -> Any:
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        arg = argv[i].lower()
        if not with_code and arg == b"withcode":
            with_code = True
        elif pattern is None and arg == b"libraryname":
            if i >= len(argv) - 1:
                raise ReplyError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise ReplyError(f"ERR Unknown argument {_bulk_text(argv[i])}")
        i += 1
    reply = []
    for lib in scripting(client.server).libraries.values():
        if pattern is not None and not glob_match(pattern, lib.name.encode(), nocase=True):
            continue
        fields: dict[bytes, Any] = {b"library_name": lib.name.encode(), b"engine": b"LUA"}
        fields[b"functions"] = [{b"name": f["name"], b"description": f["description"],
                                 b"flags": SetReply(flag.decode() for flag in f["flags"])}  # status replies
                                for f in lib.functions.values()]
        if with_code:
            fields[b"library_code"] = lib.code
        reply.append(fields)
    return reply


@command("stats", 2, "noscript allow_busy", parent="function", tips="nondeterministic_output request_policy:all_shards response_policy:special",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Return information about the function currently running (name, description,"
                 " duration)",
         complexity="O(1)")
def function_stats_command(client: Client, argv: list[bytes]) -> Any:
    state = scripting(client.server)
    ctx = state.running if client.server.busy_script is not None else None
    if ctx is not None and ctx.is_eval:
        return BUSY_EVAL
    running = None
    if ctx is not None:
        running = {b"name": ctx.name.encode(), b"command": list(ctx.argv),
                   b"duration_ms": int((time.monotonic() - ctx.start) * 1000)}
    nfunctions = sum(len(lib.functions) for lib in state.libraries.values())
    return {b"running_script": running,
            b"engines": {b"LUA": {b"libraries_count": len(state.libraries), b"functions_count": nfunctions}}}


@command("kill", 2, "noscript allow_busy", parent="function", tips="request_policy:all_shards response_policy:one_succeeded",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Kill the function currently in execution.",
         complexity="O(1)")
def function_kill_command(client: Client, argv: list[bytes]) -> Any:
    return scripting(client.server).kill(False)


@command("help", 2, "loading stale", parent="function", categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def function_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return _FUNCTION_HELP


# FUNCTION DUMP / RESTORE payloads: RDB_OPCODE_FUNCTION2 + the code as an RDB string per library, sealed
# with the RDB version and CRC-64 as DUMP's (kv/persistence/rdb.py)
_RDB_OPCODE_FUNCTION = 0xF6  # pre-7.0-GA libraries: name, engine, description, code
_RDB_OPCODE_FUNCTION2 = 0xF5


@command("dump", 2, "noscript", parent="function", categories="@scripting", group="scripting", since="7.0.0",
         summary="Dump all functions into a serialized binary payload",
         complexity="O(N) where N is the number of functions")
def function_dump_command(client: Client, argv: list[bytes]) -> bytes:
    body = bytearray()
    compress = client.server.config["rdbcompression"]
    for lib in scripting(client.server).libraries.values():
        body.append(_RDB_OPCODE_FUNCTION2)
        rdb.save_string(body, lib.code, compress)
    return rdb.seal(body)


@command("restore", -3, "write denyoom noscript", parent="function", tips="request_policy:all_shards response_policy:all_succeeded",
         categories="@scripting", group="scripting",
         since="7.0.0",
         summary="Restore all the functions on the given payload",
         complexity="O(N) where N is the number of functions on the payload")
def function_restore_command(client: Client, argv: list[bytes]) -> str:
    policy = b"append"
    if len(argv) > 4:
        raise ReplyError("ERR syntax error")
    if len(argv) == 4:
        policy = argv[3].lower()
        if policy not in (b"flush", b"append", b"replace"):
            raise ReplyError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    data = argv[2]
    if not rdb.verify_payload(data):
        raise ReplyError("ERR DUMP payload version or checksum are wrong")
    state = scripting(client.server)
    restored: dict[str, Library] = {}
    reader = rdb.Reader(data[:-10])
    try:
        while reader.pos < len(reader.data):
            opcode = reader.byte()
            if opcode == _RDB_OPCODE_FUNCTION:
                for _ in range(3):  # name, engine, description precede the code in the old format
                    reader.string()
            elif opcode != _RDB_OPCODE_FUNCTION2:
                raise ReplyError("ERR given type is not a function")
            state.load_library(reader.string(), False, restored)
    except rdb.RdbError:
        raise ReplyError("ERR failed loading the given functions payload") from None
    if policy == b"flush":
        state.libraries.clear()
    else:
        for name in restored:
            if name in state.libraries and policy != b"replace":
                raise ReplyError(f"ERR Library {name} already exists")
        for name, lib in restored.items():
            for fname in lib.functions:
                owner = state.functions.get(fname)
                if owner is not None and owner[0].name != name:
                    raise ReplyError(f"ERR Function {fname.decode('utf-8', 'replace')} already exists")
    state.libraries.update(restored)
    state._index_functions()
    client.server.keyspace.dirty += 1
    return OK


document_container("script", "A container for Lua scripts management commands")
document_container("function", "A container for function commands")
