"""LOLWUT against real Redis 7.0 (its art is 7.4's): the version dispatch, Schotter without its random rows byte
for byte, the shape of the random parts, the argument errors. The oracle says 7.0.15 where dynamis says 7.4.0.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHOTTER = b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.4.0\n"
SKYLINE = (b"\nDedicated to the 8 bit game developers of past and present.\n"
           b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.4.0\n")
PIXEL_END = b"\033[0m"


def text(raw: bytes) -> bytes:
    """The text of a bulk (RESP2) or txt verbatim (RESP3) reply, checking its declared length."""
    header, _, rest = raw.partition(b"\r\n")
    assert header[:1] in b"$=" and rest.endswith(b"\r\n") and int(header[1:]) == len(rest) - 2, raw[:100]
    body = rest[:-2]
    if header[:1] == b"=":
        assert body[:4] == b"txt:"
        return body[4:]
    return body


def texts(diff, *args) -> tuple[bytes, bytes]:
    """(Redis's text with its version replaced by dynamis's, dynamis's text)."""
    expected, actual = diff.both("LOLWUT", *args)
    return text(expected).replace(b"7.0.15", b"7.4.0"), text(actual)


@pytest.mark.parametrize("args", [(), ("1", "2", "3"), ("foo",), ("VERSION",), ("version", "7"), ("VERSION", "8"),
                                  ("VERSION", "4"), ("VERSION", "-1"), ("VERSION", "0"), ("VERSION", "55", "1"),
                                  ("VERSION", "9223372036854775807"), ("VERSION", "-9223372036854775808")])
def test_version_line(diff, args):
    """7.4.0 and every version without art of its own reply just the version, ignoring the other arguments."""
    expected, actual = texts(diff, *args)
    assert actual == expected == b"Redis ver. 7.4.0\n"


@pytest.mark.parametrize("args", [("VERSION", "abc"), ("VERSION", "5.0"), ("VERSION", " 5"), ("VERSION", "+5"),
                                  ("VERSION", "9223372036854775808"), ("VERSION", "5", "x"),
                                  ("VERSION", "5", "10", "1.5"), ("VERSION", "5", "10", "3", "a"),
                                  ("VERSION", "6", "x"), ("VERSION", "6", "10", "09"),
                                  ("VERSION", "5", "VERSION", "6")])
def test_argument_errors(diff, args):
    expected, actual = diff.both("LOLWUT", *args)
    assert actual == expected == b"-ERR value is not an integer or out of range\r\n"


@pytest.mark.parametrize("cols", ["1", "2", "3", "4", "5", "7", "33", "66", "100", "1000", "5000", "0", "-7"])
@pytest.mark.parametrize("per_row", ["1", "3", "8", "200", "201", "0", "-3"])
@pytest.mark.parametrize("per_col", ["1", "2", "0", "-1"])
def test_schotter_ordered_rows_byte_for_byte(diff, cols, per_row, per_col):
    """The first two rows of squares are never moved: with at most two of them the art is Redis's exactly
    (the canvas size, the float rounding of the squares, the newlines, the limits)."""
    expected, actual = texts(diff, "VERSION", "5", cols, per_row, per_col)
    assert actual == expected
    assert actual.endswith(SCHOTTER)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cols=st.integers(-2, 400), per_row=st.integers(-2, 210), per_col=st.integers(-2, 2),
       version=st.sampled_from(["5", "4294967301", "-4294967291"]))
def test_schotter_ordered_rows_fuzz(diff, cols, per_row, per_col, version):
    """VERSION wraps as an unsigned int, so 2^32+5 and -(2^32-5) are 5 too."""
    expected, actual = texts(diff, "VERSION", version, str(cols), str(per_row), str(per_col))
    assert actual == expected


def shape(art: bytes, pixel: bytes | None = None) -> list[int]:
    """The width of each line: in characters, or in pixels ending with `pixel`."""
    lines = art.split(b"\n")
    return [line.count(pixel) if pixel else len(line.decode()) for line in lines]


@pytest.mark.parametrize("args", [(), ("66",), ("40", "5"), ("10", "4", "30"), ("1000", "200", "5"), ("3", "1", "7"),
                                  ("80", "8", "12", "extra")])
def test_schotter_random_rows_shape(diff, args):
    """The random rows move and turn squares inside the same canvas."""
    expected, actual = texts(diff, "VERSION", "5", *args)
    assert actual.endswith(SCHOTTER) and expected.endswith(SCHOTTER)
    assert shape(actual[:-len(SCHOTTER)]) == shape(expected[:-len(SCHOTTER)])
    assert set(actual.decode()) - {"\n"} <= {chr(c) for c in range(0x2800, 0x2900)} | set(SCHOTTER.decode())


@pytest.mark.parametrize("args", [(), ("10",), ("1", "1"), ("5", "3"), ("0", "-4"), ("2000", "2"), ("3", "1001"),
                                  ("80", "20", "ignored")])
def test_skyline_shape(diff, args):
    expected, actual = texts(diff, "VERSION", "6", *args)
    assert actual.endswith(SKYLINE) and expected.endswith(SKYLINE)
    assert shape(actual[:-len(SKYLINE)], PIXEL_END) == shape(expected[:-len(SKYLINE)], PIXEL_END)
    # every pixel is one space in one of the four grays, set as both foreground and background
    pixels = actual[:-len(SKYLINE)].replace(b"\n", b"").split(PIXEL_END)
    assert pixels[-1] == b""
    assert set(pixels[:-1]) <= {b"\033[0;30;40m ", b"\033[0;90;100m ", b"\033[0;37;47m ", b"\033[0;97;107m "}


@pytest.mark.parametrize("cols", ["1", "30", "1000"])
def test_skyline_one_row_byte_for_byte(diff, cols):
    """On a single row every skyscraper is 0 pixels tall: only the white sky is left."""
    expected, actual = texts(diff, "VERSION", "6", cols, "1")
    assert actual == expected == b"\033[0;97;107m \033[0m" * int(cols) + SKYLINE


def test_resp3_verbatim(diff3):
    """A txt verbatim string in RESP3 (text() checks the form)."""
    for args in [(), ("VERSION", "5", "10", "2", "2"), ("VERSION", "6", "5", "3")]:
        expected, actual = texts(diff3, *args)
        assert actual.split(b"\n")[-2] == expected.split(b"\n")[-2]
    expected, actual = texts(diff3, "VERSION", "5", "10", "2", "2")
    assert actual == expected


def test_redis_py(r):
    assert b"Redis ver." in r.lolwut()
    assert b"Redis ver." in r.lolwut(5, 6, 7, 8)
    assert r.lolwut(5, 6, 7, 8).endswith(b"Redis ver. 7.4.0\n")
    assert b"Redis ver. 7.4.0" in r.lolwut(6, 12, 6)
