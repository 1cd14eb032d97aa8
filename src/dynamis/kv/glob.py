"""Redis's glob-style patterns (util.c `stringmatchlen`) for KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET.

A pattern is translated once into an equivalent regular expression and cached. The translation
follows the C matcher token by token, quirks included: `[...]` ranges compare *signed* chars, an
unterminated `[` runs to the end of the pattern, `\\` escapes inside a class ignore `nocase`, and an
empty subject matches only the empty pattern. Each `*`-separated segment matches a fixed number of
bytes, so taking the first occurrence of every middle segment (an atomic lazy group) is exact and
keeps matching linear-ish, as Redis's skipLongerMatches does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_STAR = None
_ALL = frozenset(range(256))
_CACHE: dict[tuple[bytes, bool], Callable[[bytes], bool]] = {}
_CACHE_MAX = 4096


def _signed(c: int) -> int:
    return c - 256 if c >= 128 else c


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def _class(pattern: bytes, i: int, nocase: bool) -> tuple[frozenset[int], int]:
    """The bytes a `[...]` starting after `[` at `i` accepts, and the index after it."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    literals: set[int] = set()
    exact: set[int] = set()  # escaped bytes compare case-sensitively even with nocase
    ranges: list[tuple[int, int]] = []
    while True:
        left = n - i
        ch = pattern[i] if i < n else 0
        if ch == 0x5C and left >= 2:
            i += 1
            exact.add(pattern[i])
        elif ch == 0x5D:  # ']'
            break
        elif left == 0:
            i -= 1
            break
        elif left >= 3 and pattern[i + 1] == 0x2D:  # 'a-z'
            start, end = _signed(pattern[i]), _signed(pattern[i + 2])
            if start > end:
                start, end = end, start
            if nocase:
                start, end = _lower(start), _lower(end)
            ranges.append((start, end))
            i += 2
        else:
            literals.add(_lower(ch) if nocase else ch)
        i += 1
    accepted = set(exact)
    for c in range(256):
        key = _lower(c) if nocase else c
        if key in literals:
            accepted.add(c)
            continue
        sc = _signed(_lower(c) if nocase else c)
        if any(start <= sc <= end for start, end in ranges):
            accepted.add(c)
    if negate:
        accepted = set(_ALL) - accepted
    return frozenset(accepted), i + 1


def _tokens(pattern: bytes, nocase: bool) -> list[frozenset[int] | None]:
    """One token per subject byte consumed (a set of accepted bytes), or _STAR."""
    out: list[frozenset[int] | None] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == 0x2A:  # '*'
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
            i += 1
        elif ch == 0x3F:  # '?'
            out.append(_ALL)
            i += 1
        elif ch == 0x5B:  # '['
            accepted, i = _class(pattern, i + 1, nocase)
            out.append(accepted)
        else:
            if ch == 0x5C and n - i >= 2:
                i += 1
                ch = pattern[i]
            if nocase and (65 <= ch <= 90 or 97 <= ch <= 122):
                out.append(frozenset((_lower(ch), _lower(ch) - 32)))
            else:
                out.append(frozenset((ch,)))
            i += 1
    return out


def _byte_set_regex(accepted: frozenset[int]) -> bytes:
    if len(accepted) == 256:
        return b"."
    if not accepted:
        return b"(?!)"
    if len(accepted) == 1:
        return re.escape(bytes(accepted))
    parts = []
    values = sorted(accepted)
    start = prev = values[0]
    for c in values[1:] + [-1]:
        if c == prev + 1:
            prev = c
            continue
        parts.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        start = prev = c
    return b"[" + b"".join(parts) + b"]"


def _compile(pattern: bytes, nocase: bool) -> Callable[[bytes], bool]:
    segments: list[bytes] = [b""]
    for token in _tokens(pattern, nocase):
        if token is _STAR:
            segments.append(b"")
        else:
            segments[-1] += _byte_set_regex(token)
    if len(segments) == 1:
        regex = segments[0] + rb"\Z"
    else:
        middle = b"".join(b"(?>.*?" + seg + b")" for seg in segments[1:-1] if seg)
        regex = segments[0] + middle + b".*" + segments[-1] + rb"\Z"
    match = re.compile(regex, re.DOTALL).match
    if not pattern:
        return lambda subject: not subject

    def matcher(subject: bytes) -> bool:
        # stringmatchlen never lets `*` match an empty subject
        return bool(subject) and match(subject) is not None

    return matcher


def glob_matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate `subject -> bool` equivalent to Redis's stringmatchlen(pattern, subject, nocase)."""
    cache_key = (pattern, nocase)
    matcher = _CACHE.get(cache_key)
    if matcher is None:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        matcher = _CACHE[cache_key] = _compile(pattern, nocase)
    return matcher


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """Does `subject` match the glob-style `pattern` (as Redis decides it)?"""
    return glob_matcher(pattern, nocase)(subject)
