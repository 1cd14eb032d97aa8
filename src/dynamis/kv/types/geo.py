"""Geo commands (geo.c, geohash.c, geohash_helper.c) on sorted sets whose scores are 52-bit geohashes.

A position is stored as a sorted-set score: longitude and latitude (limited to +-85.05112878, the
Web Mercator range) quantized to 26 bits each and interleaved. Searches estimate a geohash step
from the radius, look at the centre cell and its eight neighbours (each a score range of the
sorted set) and keep the points whose haversine distance (Redis's earth radius) is within the
shape. Every step follows Redis 7.0's arithmetic so scores, distances and coordinates match it
to the last digit.
"""

from __future__ import annotations

import math
from typing import Any

from dynamis.kv.args import SYNTAX, float_arg, int_arg
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, Keyword, command
from dynamis.kv.pqsort import by_first_field, pqsort
from dynamis.kv.protocol import NULL_ARRAY, Raw, ReplyError
from dynamis.kv.types.zset import ScoreRange, SortedSet, listpack_limits, store_result, zadd_generic

GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0
GEO_STEP_MAX = 26
D_R = math.pi / 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
MASK64 = 2**64 - 1
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA
_BASE32 = b"0123456789bcdefghjkmnpqrstuvwxyz"
UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


# -- geohash.c -------------------------------------------------------------------------------

def _spread(v: int) -> int:
    """Move the low 32 bits of v to the even bit positions of a 64-bit word."""
    v &= 0xFFFFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    return (v | (v << 1)) & _EVEN


def _squash(v: int) -> int:
    """The inverse of _spread: the even bits of v, packed into 32 bits."""
    v &= _EVEN
    v = (v | (v >> 1)) & 0x3333333333333333
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
    return (v | (v >> 16)) & 0xFFFFFFFF


def geohash_encode(longitude: float, latitude: float, step: int, lat_min: float = GEO_LAT_MIN,
                   lat_max: float = GEO_LAT_MAX) -> int | None:
    """geohashEncode: interleaved bits (latitude even, longitude odd), or None out of range."""
    if not (GEO_LONG_MIN <= longitude <= GEO_LONG_MAX and GEO_LAT_MIN <= latitude <= GEO_LAT_MAX):
        return None
    if not lat_min <= latitude <= lat_max:
        return None
    lat_offset = (latitude - lat_min) / (lat_max - lat_min) * (1 << step)
    long_offset = (longitude - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN) * (1 << step)
    return _spread(int(lat_offset)) | (_spread(int(long_offset)) << 1)


def geohash_area(bits: int, step: int) -> tuple[float, float, float, float]:
    """geohashDecode: (lon_min, lon_max, lat_min, lat_max) of a cell."""
    ilato, ilono = _squash(bits), _squash(bits >> 1)
    cells = float(1 << step)
    lat_scale = GEO_LAT_MAX - GEO_LAT_MIN
    long_scale = GEO_LONG_MAX - GEO_LONG_MIN
    return (GEO_LONG_MIN + (ilono * 1.0 / cells) * long_scale,
            GEO_LONG_MIN + (((ilono + 1) & 0xFFFFFFFF) * 1.0 / cells) * long_scale,
            GEO_LAT_MIN + (ilato * 1.0 / cells) * lat_scale,
            GEO_LAT_MIN + (((ilato + 1) & 0xFFFFFFFF) * 1.0 / cells) * lat_scale)


def _score_bits(score: float) -> int:
    """C's (uint64_t) cast of a double on x86-64, for any score a sorted set may hold."""
    if -(2.0**63) < score < 2.0**63:
        return int(score) & MASK64
    if 2.0**63 <= score < 2.0**64:
        return int(score)
    return 0 if score > 0 else 1 << 63


def decode_score(score: float) -> tuple[float, float]:
    """The centre (longitude, latitude) of the 52-bit cell a score names, clamped to the valid range."""
    lon_min, lon_max, lat_min, lat_max = geohash_area(_score_bits(score), GEO_STEP_MAX)
    lon = min(max((lon_min + lon_max) / 2, GEO_LONG_MIN), GEO_LONG_MAX)
    lat = min(max((lat_min + lat_max) / 2, GEO_LAT_MIN), GEO_LAT_MAX)
    return lon, lat


def _move(bits: int, step: int, d: int, moving: int, keep: int) -> int:
    """geohash_move_x / geohash_move_y: step one cell along the bits selected by `moving`."""
    if d == 0:
        return bits
    x = bits & moving
    y = bits & keep
    zz = (keep >> (64 - step * 2)) & MASK64
    if d > 0:
        x = (x + zz + 1) & MASK64
    else:
        x = ((x | zz) - (zz + 1)) & MASK64
    x &= moving >> (64 - step * 2)
    return x | y


def _neighbor(bits: int, step: int, dx: int, dy: int) -> int:
    return _move(_move(bits, step, dx, _ODD, _EVEN), step, dy, _EVEN, _ODD)


# -- geohash_helper.c ------------------------------------------------------------------------

def geo_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in meters, as Redis 7.0's geohashGetDistance."""
    lat1r = lat1 * D_R
    lon1r = lon1 * D_R
    lat2r = lat2 * D_R
    lon2r = lon2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r) * v * v))


def _estimate_steps(range_meters: float, lat: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


class GeoShape:
    """The search area: a circle (radius) or a box (width, height), in `conversion` units from a centre."""

    __slots__ = ("lon", "lat", "radius", "width", "height", "conversion")

    def __init__(self) -> None:
        self.lon = self.lat = 0.0
        self.radius: float | None = None
        self.width = self.height = 0.0
        self.conversion = 1.0

    def bounds(self) -> tuple[float, float, float, float]:
        """geohashBoundingBox: (min lon, min lat, max lon, max lat)."""
        if self.radius is not None:
            height = width = self.conversion * self.radius
        else:
            height = self.conversion * (self.height / 2)
            width = self.conversion * (self.width / 2)
        lat_delta = (height / EARTH_RADIUS_IN_METERS) / D_R
        long_delta_top = (width / EARTH_RADIUS_IN_METERS / math.cos((self.lat + lat_delta) * D_R)) / D_R
        long_delta_bottom = (width / EARTH_RADIUS_IN_METERS / math.cos((self.lat - lat_delta) * D_R)) / D_R
        delta = long_delta_bottom if self.lat < 0 else long_delta_top
        return self.lon - delta, self.lat - lat_delta, self.lon + delta, self.lat + lat_delta

    def distance_if_inside(self, lon: float, lat: float) -> float | None:
        """geoWithinShape: the distance from the centre in meters, or None when outside."""
        if self.radius is not None:
            distance = geo_distance(self.lon, self.lat, lon, lat)
            return None if distance > self.radius * self.conversion else distance
        lon_distance = geo_distance(lon, lat, self.lon, lat)
        lat_distance = geo_distance(lon, lat, lon, self.lat)
        if lon_distance > self.width * self.conversion / 2 or lat_distance > self.height * self.conversion / 2:
            return None
        return geo_distance(self.lon, self.lat, lon, lat)

    def search_cells(self) -> list[tuple[int, int]]:
        """geohashCalculateAreasByShapeWGS84: the centre cell and its useful neighbours as (bits, step),
        in Redis's order (centre, N, S, E, W, NE, NW, SE, SW); (0, 0) marks a skipped cell."""
        min_lon, min_lat, max_lon, max_lat = self.bounds()
        if self.radius is not None:
            radius_meters = self.radius
        else:
            radius_meters = math.sqrt((self.width / 2) * (self.width / 2) + (self.height / 2) * (self.height / 2))
        radius_meters *= self.conversion
        steps = _estimate_steps(radius_meters, self.lat)
        bits = geohash_encode(self.lon, self.lat, steps) or 0
        north = geohash_area(_neighbor(bits, steps, 0, 1), steps)
        south = geohash_area(_neighbor(bits, steps, 0, -1), steps)
        east = geohash_area(_neighbor(bits, steps, 1, 0), steps)
        west = geohash_area(_neighbor(bits, steps, -1, 0), steps)
        if steps > 1 and (north[3] < max_lat or south[2] > min_lat or east[1] < max_lon or west[0] > min_lon):
            steps -= 1
            bits = geohash_encode(self.lon, self.lat, steps) or 0
        area = geohash_area(bits, steps)
        directions = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]
        cells = [(bits, steps) if (dx, dy) == (0, 0) else (_neighbor(bits, steps, dx, dy), steps)
                 for dx, dy in directions]
        if steps >= 2:
            drop = set()
            if area[2] < min_lat:
                drop.update({(0, -1), (-1, -1), (1, -1)})
            if area[3] > max_lat:
                drop.update({(0, 1), (1, 1), (-1, 1)})
            if area[0] < min_lon:
                drop.update({(-1, 0), (-1, -1), (-1, 1)})
            if area[1] > max_lon:
                drop.update({(1, 0), (1, -1), (1, 1)})
            cells = [(0, 0) if d in drop else cell for d, cell in zip(directions, cells, strict=True)]
        return cells


def _points_in_shape(zs: SortedSet, shape: GeoShape, limit: int) -> list[tuple[float, float, float, float, bytes]]:
    """membersOfAllNeighbors: (distance, score, lon, lat, member) of the points inside the shape,
    in the order Redis finds them; with `limit` (ANY) the search stops after that many."""
    found: list[tuple[float, float, float, float, bytes]] = []
    last: tuple[int, int] | None = None
    for index, (bits, step) in enumerate(shape.search_cells()):
        if bits == 0 and step == 0:
            continue
        if last is not None and (bits, step) == last:
            continue  # huge radii make neighbours repeat (Redis compares with the last one but the centre)
        if found and limit and len(found) >= limit:
            break
        shift = 52 - step * 2
        spec = ScoreRange(float(bits << shift), float((bits + 1) << shift), False, True)
        lo, hi = zs.score_span(spec)
        for score, member in zs.order.islice(lo, hi):
            lon, lat = decode_score(score)
            distance = shape.distance_if_inside(lon, lat)
            if distance is not None:
                found.append((distance, score, lon, lat, member))
            if found and limit and len(found) >= limit:
                break
        if index:
            last = (bits, step)
    return found


# -- argument helpers ------------------------------------------------------------------------

def _lonlat(lon_arg: bytes, lat_arg: bytes) -> tuple[float, float]:
    lon, lat = float_arg(lon_arg), float_arg(lat_arg)
    if not (GEO_LONG_MIN <= lon <= GEO_LONG_MAX and GEO_LAT_MIN <= lat <= GEO_LAT_MAX):
        raise ReplyError(f"ERR invalid longitude,latitude pair {lon:f},{lat:f}")
    return lon, lat


def _unit(arg: bytes) -> float:
    conversion = UNITS.get(arg.lower())
    if conversion is None:
        raise ReplyError("ERR unsupported unit provided. please use M, KM, FT, MI")
    return conversion


def _distance_arg(argv: list[bytes], i: int, shape: GeoShape) -> None:
    radius = float_arg(argv[i], ReplyError("ERR need numeric radius"))
    if radius < 0:
        raise ReplyError("ERR radius cannot be negative")
    shape.radius = radius
    shape.conversion = _unit(argv[i + 1])


def _box_arg(argv: list[bytes], i: int, shape: GeoShape) -> None:
    width = float_arg(argv[i], ReplyError("ERR need numeric width"))
    height = float_arg(argv[i + 1], ReplyError("ERR need numeric height"))
    if height < 0 or width < 0:
        raise ReplyError("ERR height or width cannot be negative")
    shape.radius = None
    shape.width, shape.height = width, height
    shape.conversion = _unit(argv[i + 2])


def _member_position(zs: SortedSet, member: bytes) -> tuple[float, float]:
    score = zs.scores.get(member)
    if score is None:
        raise ReplyError("ERR could not decode requested zset member")
    return decode_score(score)


def human_double(value: float) -> bytes:
    """ld2string's LD_STR_HUMAN: %.17Lf without trailing zeros (what GEOPOS prints)."""
    text = b"%.17f" % value
    if b"." in text:
        text = text.rstrip(b"0").rstrip(b".")
    return b"0" if text == b"-0" else text


def _coordinate(client: Client, value: float) -> Any:
    text = human_double(value)
    return Raw(b",%s\r\n" % text) if client.resp == 3 else text


# -- commands --------------------------------------------------------------------------------

@command("geoadd", -5, "write denyoom", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.0",
         summary="Add one or more geospatial items in the geospatial index represented using "
                 "a sorted set",
         complexity="O(log(N)) for each item added, where N is the number of elements in the "
                    "sorted set.")
def geoadd_command(client: Client, argv: list[bytes]) -> Any:
    flags = {b"nx": False, b"xx": False, b"ch": False}
    idx = 2
    while idx < len(argv) and argv[idx].lower() in flags:
        flags[argv[idx].lower()] = True
        idx += 1
    rest = len(argv) - idx
    if rest % 3 or (flags[b"nx"] and flags[b"xx"]) or not rest:
        raise SYNTAX
    scores: list[float] = []
    members: list[bytes] = []
    for i in range(idx, len(argv), 3):
        lon, lat = _lonlat(argv[i], argv[i + 1])
        scores.append(float(geohash_encode(lon, lat, GEO_STEP_MAX)))
        members.append(argv[i + 2])
    return zadd_generic(client, argv[1], scores, members, nx=flags[b"nx"], xx=flags[b"xx"], ch=flags[b"ch"])


RADIUS_COORDS, RADIUS_MEMBER, NOSTORE, SEARCH, SEARCHSTORE = 1, 2, 4, 8, 16


def _georadius(client: Client, argv: list[bytes], src_index: int, flags: int) -> Any:
    """georadiusGeneric: GEORADIUS*, GEOSEARCH and GEOSEARCHSTORE, with Redis's checks in Redis's order."""
    zs = client.db.lookup_typed(argv[src_index], SortedSet)
    shape = GeoShape()
    store_key: bytes | None = None
    store_dist = False
    if flags & RADIUS_COORDS:
        base = 6
        shape.lon, shape.lat = _lonlat(argv[2], argv[3])
        _distance_arg(argv, 4, shape)
    elif flags & RADIUS_MEMBER:
        base = 5
        if zs is not None:
            shape.lon, shape.lat = _member_position(zs, argv[2])
            _distance_arg(argv, 3, shape)
    else:
        base = 2
        if flags & SEARCHSTORE:
            base = 3
            store_key = argv[1]
    withdist = withhash = withcoord = frommember = fromloc = byradius = bybox = anyhit = False
    sort = None
    count = 0
    remaining = len(argv) - base
    i = 0
    while i < remaining:
        arg = argv[base + i].lower()
        at = base + i
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            anyhit = True
        elif arg in (b"asc", b"desc"):
            sort = arg
        elif arg == b"count" and i + 1 < remaining:
            count = int_arg(argv[at + 1])
            if count <= 0:
                raise ReplyError("ERR COUNT must be > 0")
            i += 1
        elif arg in (b"store", b"storedist") and i + 1 < remaining and not flags & (NOSTORE | SEARCH):
            store_key = argv[at + 1]
            store_dist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & SEARCH and flags & SEARCHSTORE:
            store_dist = True
        elif arg == b"frommember" and i + 1 < remaining and flags & SEARCH and not fromloc:
            if zs is not None:
                shape.lon, shape.lat = _member_position(zs, argv[at + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and i + 2 < remaining and flags & SEARCH and not frommember:
            shape.lon, shape.lat = _lonlat(argv[at + 1], argv[at + 2])
            fromloc = True
            i += 2
        elif arg == b"byradius" and i + 2 < remaining and flags & SEARCH and not bybox:
            _distance_arg(argv, at + 1, shape)
            byradius = True
            i += 2
        elif arg == b"bybox" and i + 3 < remaining and flags & SEARCH and not byradius:
            _box_arg(argv, at + 1, shape)
            bybox = True
            i += 3
        else:
            raise SYNTAX
        i += 1
    if store_key is not None and (withdist or withhash or withcoord):
        what = "GEOSEARCHSTORE" if flags & SEARCHSTORE else "STORE option in GEORADIUS"
        raise ReplyError(f"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    name = argv[0].decode("utf-8", "replace")
    if flags & SEARCH and not (frommember or fromloc):
        raise ReplyError(f"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
    if flags & SEARCH and not (byradius or bybox):
        raise ReplyError(f"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")
    if anyhit and not count:
        raise ReplyError("ERR the ANY argument requires COUNT argument")
    if zs is None:
        return store_result(client, store_key, None, "") if store_key is not None else []
    if count and sort is None and not anyhit:
        sort = b"asc"
    points = _points_in_shape(zs, shape, count if anyhit else 0)
    if not points and store_key is None:
        return []
    if sort is not None:
        returned = min(count, len(points)) if count else len(points)
        if returned == len(points):
            points.sort(key=lambda p: p[0], reverse=sort == b"desc")  # glibc's qsort is a stable merge sort
        else:
            pqsort(points, by_first_field(sort == b"desc"), 0, returned - 1)
    if count:
        points = points[:count]
    if store_key is not None:
        pairs = [(dist / shape.conversion if store_dist else score, member) for dist, score, _, _, member in points]
        result = SortedSet.build(pairs, listpack_limits(client)) if pairs else None
        event = "geosearchstore" if flags & SEARCH else "georadiusstore"
        return store_result(client, store_key, result, event, len(pairs))
    replies: list[Any] = []
    for dist, score, lon, lat, member in points:
        if not (withdist or withhash or withcoord):
            replies.append(member)
            continue
        item: list[Any] = [member]
        if withdist:
            item.append(b"%.4f" % (dist / shape.conversion))
        if withhash:
            item.append(int(score))
        if withcoord:
            item.append([_coordinate(client, lon), _coordinate(client, lat)])
        replies.append(item)
    return replies


@command("georadius", -6, "write denyoom", categories="@geo", group="geo",
         since="3.2.0",
         key_specs=(KeySpec("RO access", Index(1)), KeySpec("OW update", Keyword("STORE", 6)),
                    KeySpec("OW update", Keyword("STOREDIST", 6))),
         summary="Query a sorted set representing a geospatial index to fetch members "
                 "matching a given maximum distance from a point",
         complexity="O(N+log(M)) where N is the number of elements inside the bounding box of"
                    " the circular area delimited by center and radius and M is the number of"
                    " items inside the index.")
def georadius_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 1, RADIUS_COORDS)


@command("georadiusbymember", -5, "write denyoom", categories="@geo", group="geo",
         since="3.2.0",
         key_specs=(KeySpec("RO access", Index(1)), KeySpec("OW update", Keyword("STORE", 5)),
                    KeySpec("OW update", Keyword("STOREDIST", 5))),
         summary="Query a sorted set representing a geospatial index to fetch members "
                 "matching a given maximum distance from a member",
         complexity="O(N+log(M)) where N is the number of elements inside the bounding box of"
                    " the circular area delimited by center and radius and M is the number of"
                    " items inside the index.")
def georadiusbymember_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 1, RADIUS_MEMBER)


@command("georadius_ro", -6, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.10",
         summary="A read-only variant for GEORADIUS",
         complexity="O(N+log(M)) where N is the number of elements inside the bounding box of"
                    " the circular area delimited by center and radius and M is the number of"
                    " items inside the index.")
def georadius_ro_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 1, RADIUS_COORDS | NOSTORE)


@command("georadiusbymember_ro", -5, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.10",
         summary="A read-only variant for GEORADIUSBYMEMBER",
         complexity="O(N+log(M)) where N is the number of elements inside the bounding box of"
                    " the circular area delimited by center and radius and M is the number of"
                    " items inside the index.")
def georadiusbymember_ro_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 1, RADIUS_MEMBER | NOSTORE)


@command("geosearch", -7, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="6.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members inside "
                 "an area of a box or a circle.",
         complexity="O(N+log(M)) where N is the number of elements in the grid-aligned "
                    "bounding box area around the shape provided as the filter and M is the "
                    "number of items inside the shape")
def geosearch_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 1, SEARCH)


@command("geosearchstore", -8, "write denyoom", categories="@geo", group="geo", since="6.2.0",
         key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2))),
         summary="Query a sorted set representing a geospatial index to fetch members inside "
                 "an area of a box or a circle, and store the result in another key.",
         complexity="O(N+log(M)) where N is the number of elements in the grid-aligned "
                    "bounding box area around the shape provided as the filter and M is the "
                    "number of items inside the shape")
def geosearchstore_command(client: Client, argv: list[bytes]) -> Any:
    return _georadius(client, argv, 2, SEARCH | SEARCHSTORE)


@command("geopos", -2, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.0",
         summary="Returns longitude and latitude of members of a geospatial index",
         complexity="O(N) where N is the number of members requested.")
def geopos_command(client: Client, argv: list[bytes]) -> list[Any]:
    zs = client.db.lookup_typed(argv[1], SortedSet)
    out: list[Any] = []
    for member in argv[2:]:
        score = zs.scores.get(member) if zs is not None else None
        if score is None:
            out.append(NULL_ARRAY)
        else:
            lon, lat = decode_score(score)
            out.append([_coordinate(client, lon), _coordinate(client, lat)])
    return out


@command("geodist", -4, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.0",
         summary="Returns the distance between two members of a geospatial index",
         complexity="O(log(N))")
def geodist_command(client: Client, argv: list[bytes]) -> bytes | None:
    if len(argv) > 5:
        raise SYNTAX
    conversion = _unit(argv[4]) if len(argv) == 5 else 1.0
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return None
    a, b = zs.scores.get(argv[2]), zs.scores.get(argv[3])
    if a is None or b is None:
        return None
    (lon1, lat1), (lon2, lat2) = decode_score(a), decode_score(b)
    return b"%.4f" % (geo_distance(lon1, lat1, lon2, lat2) / conversion)


@command("geohash", -2, "readonly", keys=(1, 1, 1), categories="@geo", group="geo", since="3.2.0",
         summary="Returns members of a geospatial index as standard geohash strings",
         complexity="O(log(N)) for each member requested, where N is the number of elements "
                    "in the sorted set.")
def geohash_command(client: Client, argv: list[bytes]) -> list[bytes | None]:
    zs = client.db.lookup_typed(argv[1], SortedSet)
    out: list[bytes | None] = []
    for member in argv[2:]:
        score = zs.scores.get(member) if zs is not None else None
        if score is None:
            out.append(None)
            continue
        # stored hashes use latitudes +-85.05; the standard geohash uses +-90, so re-encode
        lon, lat = decode_score(score)
        bits = geohash_encode(lon, lat, GEO_STEP_MAX, -90.0, 90.0) or 0
        chars = bytes(_BASE32[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10))
        out.append(chars + b"0")
    return out
