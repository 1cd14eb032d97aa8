"""Geo commands through redis-py: the documented Sicily examples, stores, and the geohash arithmetic."""

from __future__ import annotations

import pytest
import redis

from dynamis.kv.types.geo import decode_score, geo_distance, geohash_encode, human_double


@pytest.fixture
def sicily(r):
    r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
    return r


def test_documented_examples(sicily):
    r = sicily
    assert r.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert r.geohash("Sicily", "Palermo", "Catania") == ["sqc8b49rny0", "sqdtr74hyu0"]
    lon, lat = r.geopos("Sicily", "Palermo")[0]
    assert (lon, lat) == (13.36138933897018433, 38.11555639549629859)
    assert r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km", withdist=True,
                       sort="ASC") == [[b"Catania", 56.4413], [b"Palermo", 190.4424]]
    assert r.georadiusbymember("Sicily", "Palermo", 100, "km") == [b"Palermo"]


def test_stores_and_scores(sicily):
    r = sicily
    assert r.zscore("Sicily", "Palermo") == 3479099956230698
    assert r.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=200, unit="km", storedist=True) == 2
    assert r.zrange("near", 0, -1, withscores=True) == [(b"Catania", 56.441257870158204),
                                                        (b"Palermo", 190.44242984775784)]
    assert r.georadius("Sicily", 15, 37, 1, "km", store="near") == 0
    assert r.exists("near") == 0


def test_errors(sicily):
    r = sicily
    with pytest.raises(redis.ResponseError, match="invalid longitude,latitude pair 200.000000,100.000000"):
        r.geoadd("Sicily", [200, 100, "x"])
    with pytest.raises(redis.ResponseError, match="exactly one of BYRADIUS and BYBOX"):
        r.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "COUNT", 1, "ASC")
    with pytest.raises(redis.ResponseError, match="could not decode requested zset member"):
        r.geosearch("Sicily", member="nope", radius=1, unit="km")


def test_geohash_arithmetic():
    bits = geohash_encode(13.361389, 38.115556, 26)
    assert bits == 3479099956230698
    lon, lat = decode_score(float(bits))
    assert human_double(lon) == b"13.36138933897018433"
    assert human_double(lat) == b"38.11555639549629859"
    assert round(geo_distance(*decode_score(float(bits)), 15.087269, 37.502669) / 1000, 1) == 166.3
    assert human_double(-0.0) == b"0"
