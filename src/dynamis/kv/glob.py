"""Glob-style matching exactly as Redis's stringmatchlen (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET...).

Patterns are translated once into a compiled bytes regex and cached.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _byte(b: int) -> bytes:
    return re.escape(bytes([b]))


@lru_cache(maxsize=4096)
def compile_glob(pattern: bytes, nocase: bool = False) -> re.Pattern[bytes]:
    """Translate a Redis glob into a regex: `*`, `?`, `[...]` with `^`, ranges and `\\` escapes."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 42:  # '*'
            while i + 1 < n and pattern[i + 1] == 42:
                i += 1
            out.append(b".*")
        elif c == 63:  # '?'
            out.append(b".")
        elif c == 91:  # '['
            i += 1
            negate = i < n and pattern[i] == 94
            if negate:
                i += 1
            members = []
            while i < n:
                p = pattern[i]
                if p == 92 and i + 1 < n:  # escaped member
                    i += 1
                    members.append(_byte(pattern[i]))
                elif p == 93:  # ']'
                    break
                elif i + 2 < n and pattern[i + 1] == 45:  # range a-z (reversed ranges allowed)
                    lo, hi = sorted((p, pattern[i + 2]))
                    members.append(_byte(lo) + b"-" + _byte(hi))
                    i += 2
                else:
                    members.append(_byte(p))
                i += 1
            if members:
                out.append(b"[" + (b"^" if negate else b"") + b"".join(members) + b"]")
            else:
                out.append(b"." if negate else b"(?!)")
        elif c == 92 and i + 1 < n:  # '\x' matches x literally
            i += 1
            out.append(_byte(pattern[i]))
        else:
            out.append(_byte(c))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(b"".join(out) + b"\\Z", flags)


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """True when `subject` matches the Redis glob `pattern`."""
    if pattern == b"*":
        return True
    return compile_glob(pattern, nocase).match(subject) is not None
