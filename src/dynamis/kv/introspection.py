"""COMMAND and its subcommands: the command table as clients see it."""

from __future__ import annotations
