"""CLUSTER, READONLY, READWRITE and ASKING on a standalone server: the errors Redis gives when it is not a
cluster node, byte for byte in RESP2 and RESP3 (COMMAND INFO/DOCS are in test_command_table.py)."""

from __future__ import annotations

import pytest

from dynamis.kv.cluster import _SUBCOMMANDS

_ARGS = {"addslots": ["1"], "addslotsrange": ["1", "2"], "count-failure-reports": ["id"], "countkeysinslot": ["1"],
         "delslots": ["1"], "delslotsrange": ["1", "2"], "forget": ["id"], "getkeysinslot": ["1", "10"],
         "keyslot": ["key"], "meet": ["127.0.0.1", "7000"], "replicas": ["id"], "replicate": ["id"],
         "set-config-epoch": ["1"], "setslot": ["1", "STABLE"], "slaves": ["id"]}


@pytest.mark.parametrize("name", [row[0] for row in _SUBCOMMANDS])
def test_every_subcommand_says_cluster_support_is_disabled(diff, diff3, name):
    for d in (diff, diff3):
        d.check("CLUSTER", name, *_ARGS.get(name, []))
        d.check("CLUSTER", name.upper(), *_ARGS.get(name, []), "extra", "args")  # arity first where it is fixed


@pytest.mark.parametrize("args", [("CLUSTER",), ("CLUSTER", "nosuch"), ("READONLY",), ("READWRITE",), ("ASKING",),
                                  ("READONLY", "x"), ("COMMAND", "GETKEYS", "CLUSTER", "INFO")])
def test_standalone_answers(diff, diff3, args):
    diff.check(*args)
    diff3.check(*args)


def test_acl_rules_can_name_cluster_commands(diff):
    """ACL rules that name cluster commands (redis-py's own tests use `+cluster`) are accepted as Redis accepts them."""
    for rules, allowed in ((("+cluster",), "INFO"), (("+cluster|info", "+readonly"), "INFO"),
                           (("-@all", "+cluster|nodes", "-asking"), "NODES")):
        diff.check("ACL", "SETUSER", "clusteruser", "reset", *rules)
        diff.check("ACL", "DRYRUN", "clusteruser", "CLUSTER", allowed)
    diff.check("ACL", "DELUSER", "clusteruser")
