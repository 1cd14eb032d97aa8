"""Sets (t_set.c): SADD, SMEMBERS and the other set commands."""

from __future__ import annotations

from dynamis.config import Config
from dynamis.kv.types import register_type


class SetValue(dict):
    """A Redis set."""

    __slots__ = ("intset",)

    def __init__(self) -> None:
        super().__init__()
        self.intset = True


def _encoding(value: SetValue, config: Config) -> str:
    return "intset" if value.intset else "hashtable"


register_type(SetValue, "set", _encoding)
