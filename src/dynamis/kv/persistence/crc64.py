"""CRC-64 as Redis computes it (crc64.c): the Jones polynomial, reflected, initial value 0, no final xor.

DUMP payloads end with this checksum of everything before it, little endian; RDB files end with it too."""

from __future__ import annotations

_POLY = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 reflected


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc64(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC-64/Jones of `data`, continuing from `crc` (0 to start)."""
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc
