"""Hashes (t_hash.c): HSET, HGET and the other hash commands."""

from __future__ import annotations

from dynamis.config import Config
from dynamis.kv.types import register_type


class HashValue(dict):
    """A Redis hash: field -> value in insertion order (what a listpack keeps); `big` once it
    has outgrown the listpack thresholds (Redis converts to a hashtable and never back)."""

    __slots__ = ("big",)

    def __init__(self) -> None:
        super().__init__()
        self.big = False


def _encoding(value: HashValue, config: Config) -> str:
    return "hashtable" if value.big else "listpack"


register_type(HashValue, "hash", _encoding)
