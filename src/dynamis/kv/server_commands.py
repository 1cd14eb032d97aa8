"""Server commands: INFO CONFIG DEBUG SLOWLOG LATENCY MONITOR SHUTDOWN TIME FLUSHALL ..."""

from __future__ import annotations
