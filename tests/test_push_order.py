"""Out-of-band pushes keep their place among a connection's replies, as in Redis's output buffer."""

from tests.helpers import RawConnection, encode_command


def test_publish_to_own_channel_in_a_pipeline_differential(redis_oracle_port, server):
    outputs = []
    for port in (redis_oracle_port, server.port):
        conn = RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("SUBSCRIBE", "self")
        conn.send(encode_command(["ECHO", "before"]) + encode_command(["PUBLISH", "self", "m"])
                  + encode_command(["ECHO", "after"]))
        outputs.append([conn.read_reply()[0] for _ in range(4)])
        conn.close()
    assert outputs[0] == outputs[1]
    assert outputs[1][1].startswith(b">3\r\n$7\r\nmessage")


def test_many_publishes_reach_every_subscriber_in_order(server):
    subscribers = []
    for _ in range(20):
        conn = RawConnection(server.port)
        conn.call("SUBSCRIBE", "fan")
        subscribers.append(conn)
    publisher = RawConnection(server.port)
    publisher.send(b"".join(encode_command(["PUBLISH", "fan", str(i)]) for i in range(200)))
    for _ in range(200):
        assert publisher.read_reply()[1] == 20
    for conn in subscribers:
        assert [conn.read_reply()[1][2] for _ in range(200)] == [str(i).encode() for i in range(200)]
        conn.close()
    publisher.close()
