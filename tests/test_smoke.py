def test_ping(r):
    assert r.ping() is True


def test_set_get_differential(diff):
    diff.check("SET", "k", "v")
    diff.check("GET", "k")
    diff.check("GET", "missing")
    diff.check("NOSUCHCOMMAND", "a")
