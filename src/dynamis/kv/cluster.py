"""Cluster commands (cluster.c) on a server that is not a cluster node.

dynamis runs standalone (`cluster-enabled no`, immutable), so it answers every CLUSTER subcommand, READONLY,
READWRITE and ASKING as a standalone Redis does: with the error clients read as "not a cluster". They are
declared with Redis's table all the same, so that COMMAND, ACL rules (`+cluster|info`, `-@admin`...) and
cluster-aware clients probing the server see the same commands as on Redis.
"""

from __future__ import annotations

from dynamis.kv.client import Client
from dynamis.kv.commands import command, document_container
from dynamis.kv.protocol import ReplyError

_DISABLED = ReplyError("ERR This instance has cluster support disabled")


def cluster_disabled(client: Client, argv: list[bytes]) -> None:
    raise _DISABLED


_SUBCOMMANDS = (  # name, arity, flags, ACL categories, tips, since, summary, complexity: Redis 7.0's
    ('addslots', -3, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Assign new hash slots to receiving node', 'O(N) where N is the total number of hash slot arguments'),
    ('addslotsrange', -4, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '7.0.0', 'Assign new hash slots to receiving node', 'O(N) where N is the total number of the slots between the start slot and end slot arguments.'),
    ('bumpepoch', 2, 'admin stale no_async_loading', '@admin @slow @dangerous', 'nondeterministic_output', '3.0.0', 'Advance the cluster config epoch', 'O(1)'),
    ('count-failure-reports', 3, 'admin stale', '@admin @slow @dangerous', 'nondeterministic_output', '3.0.0', 'Return the number of failure reports active for a given node', 'O(N) where N is the number of failure reports'),
    ('countkeysinslot', 3, 'stale', '@slow', '', '3.0.0', 'Return the number of local keys in the specified hash slot', 'O(1)'),
    ('delslots', -3, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Set hash slots as unbound in receiving node', 'O(N) where N is the total number of hash slot arguments'),
    ('delslotsrange', -4, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '7.0.0', 'Set hash slots as unbound in receiving node', 'O(N) where N is the total number of the slots between the start slot and end slot arguments.'),
    ('failover', -2, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Forces a replica to perform a manual failover of its master.', 'O(1)'),
    ('flushslots', 2, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', "Delete a node's own slots information", 'O(1)'),
    ('forget', 3, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Remove a node from the nodes table', 'O(1)'),
    ('getkeysinslot', 4, 'stale', '@slow', 'nondeterministic_output', '3.0.0', 'Return local key names in the specified hash slot', 'O(log(N)) where N is the number of requested keys'),
    ('help', 2, 'loading stale', '@slow', '', '5.0.0', 'Show helpful text about the different subcommands', 'O(1)'),
    ('info', 2, 'stale', '@slow', 'nondeterministic_output', '3.0.0', 'Provides info about Redis Cluster node state', 'O(1)'),
    ('keyslot', 3, 'stale', '@slow', '', '3.0.0', 'Returns the hash slot of the specified key', 'O(N) where N is the number of bytes in the key'),
    ('links', 2, 'stale', '@slow', 'nondeterministic_output', '7.0.0', 'Returns a list of all TCP links to and from peer nodes in cluster', 'O(N) where N is the total number of Cluster nodes'),
    ('meet', -4, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Force a node cluster to handshake with another node', 'O(1)'),
    ('myid', 2, 'stale', '@slow', '', '3.0.0', 'Return the node id', 'O(1)'),
    ('nodes', 2, 'stale', '@slow', 'nondeterministic_output', '3.0.0', 'Get Cluster config for the node', 'O(N) where N is the total number of Cluster nodes'),
    ('replicas', 3, 'admin stale', '@admin @slow @dangerous', 'nondeterministic_output', '5.0.0', 'List replica nodes of the specified master node', 'O(1)'),
    ('replicate', 3, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Reconfigure a node as a replica of the specified master node', 'O(1)'),
    ('reset', -2, 'admin noscript stale', '@admin @slow @dangerous', '', '3.0.0', 'Reset a Redis Cluster node', 'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.'),
    ('saveconfig', 2, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Forces the node to save cluster state on disk', 'O(1)'),
    ('set-config-epoch', 3, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Set the configuration epoch in a new node', 'O(1)'),
    ('setslot', -4, 'admin stale no_async_loading', '@admin @slow @dangerous', '', '3.0.0', 'Bind a hash slot to a specific node', 'O(1)'),
    ('shards', 2, 'stale', '@slow', 'nondeterministic_output', '7.0.0', 'Get array of cluster slots to node mappings', 'O(N) where N is the total number of cluster nodes'),
    ('slaves', 3, 'admin stale', '@admin @slow @dangerous', 'nondeterministic_output', '3.0.0', 'List replica nodes of the specified master node', 'O(1)'),
    ('slots', 2, 'stale', '@slow', 'nondeterministic_output', '3.0.0', 'Get array of Cluster slot to node mappings', 'O(N) where N is the total number of Cluster nodes'),
)

for _name, _arity, _flags, _categories, _tips, _since, _summary, _complexity in _SUBCOMMANDS:
    command(_name, _arity, _flags, parent="cluster", categories=_categories, tips=_tips, group="cluster",
            since=_since, summary=_summary, complexity=_complexity)(cluster_disabled)
document_container("cluster", "A container for cluster commands")

for _name, _flags, _summary in (
        ("readonly", "loading stale fast", "Enables read queries for a connection to a cluster replica node"),
        ("readwrite", "loading stale fast", "Disables read queries for a connection to a cluster replica node"),
        ("asking", "fast", "Sent by cluster clients after an -ASK redirect")):
    command(_name, 1, _flags, categories="@connection", group="cluster", since="3.0.0", summary=_summary,
            complexity="O(1)")(cluster_disabled)
