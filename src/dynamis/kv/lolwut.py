"""LOLWUT: some computer art and the Redis version, as Redis 7.4's lolwut.c, lolwut5.c and lolwut6.c draw them.

`LOLWUT [VERSION v] [args...]` picks the art of version v (of REDIS_VERSION without VERSION): Schotter for 5,
the skyline for 6, and for every other version (7.4 itself included) just the version line. The drawing is
Redis's, down to its float (32-bit) arithmetic, so the parts that do not depend on rand() come out byte for
byte; rand() is Python's random here.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from dynamis import REDIS_VERSION
from dynamis.kv.args import int_arg
from dynamis.kv.commands import command
from dynamis.kv.protocol import Verbatim

if TYPE_CHECKING:
    from dynamis.kv.client import Client

_FLOAT = struct.Struct("f")


def _f32(value: float) -> float:
    """`value` stored in a C float."""
    return _FLOAT.unpack(_FLOAT.pack(value))[0]


def _c_round(value: float) -> float:
    """C's round(): halfway cases away from zero (Python's round() goes to even)."""
    whole = float(math.trunc(value))
    if abs(value - whole) >= 0.5:
        whole += math.copysign(1.0, value)
    return whole


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _long_args(args: list[bytes], defaults: tuple[int, ...]) -> list[int]:
    """The version's optional numeric arguments, parsed as getLongFromObjectOrReply does, the rest defaulted."""
    return [int_arg(arg) for arg in args[:len(defaults)]] + list(defaults[len(args):])


class Canvas:
    """Redis's lwCanvas: width x height pixels of one color each; drawing outside of it is ignored."""

    def __init__(self, width: int, height: int, bgcolor: int = 0) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray([bgcolor]) * (width * height)

    def draw_pixel(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get_pixel(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def draw_line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham, from x1,y1 to x2,y2 both included."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw_pixel(x1, y1, color)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def draw_square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """A square centered at x,y with side `size`, rotated by `angle`: its corners are on the circle of
        radius size/sqrt(2), starting at 45 degrees plus the angle."""
        radius = _f32(_c_round(_f32(size / 1.4142135623)))
        k = _f32(math.pi / 4 + angle)
        corners = []
        for _ in range(4):
            corners.append((int(_c_round(math.sin(k) * radius + x)), int(_c_round(math.cos(k) * radius + y))))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.draw_line(*corners[j], *corners[(j + 1) % 4], color)


# The bit of each pixel of a 2x4 braille cell, by [y % 4][x % 2] (U+2800 + bits is the character).
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE = {byte: 0x2800 + byte for byte in range(256)}


class BrailleCanvas(Canvas):
    """A canvas that only draws dots, kept as the braille cells it renders to: a byte per 2x4 pixels, not per
    pixel, since Schotter's canvas reaches 2000 x 399204 pixels."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.cells_per_row = (width + 1) // 2
        self.cells = bytearray(self.cells_per_row * ((height + 3) // 4))

    def draw_pixel(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.cells[(y >> 2) * self.cells_per_row + (x >> 1)] |= _BRAILLE_BITS[y & 3][x & 1]

    def render(self) -> str:
        """A line of braille characters per 4 pixel rows; like Redis, a newline after each line but the one
        starting on the last pixel row."""
        lines = []
        for y in range(0, self.height, 4):
            start = (y >> 2) * self.cells_per_row
            line = self.cells[start:start + self.cells_per_row].decode("latin-1").translate(_BRAILLE)
            lines.append(line if y == self.height - 1 else line + "\n")
        return "".join(lines)


def _schotter(cols: int, squares_per_row: int, squares_per_col: int) -> BrailleCanvas:
    """Georg Nees's Schotter: rows of squares, rotated and moved more and more at random going down."""
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32((width - padding * 2) / squares_per_row)
    canvas = BrailleCanvas(width, int(_f32(_f32(side * squares_per_col) + padding * 2)))
    half = _f32(side / 2)
    for y in range(squares_per_col):
        for x in range(squares_per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:  # the first two rows stay in order
                r1, r2, r3 = (_f32(random.random() / squares_per_col * y) * random.choice((1, -1))
                              for _ in range(3))
                angle = r1
                sx = int(_f32(sx + _f32(_f32(r2 * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r3 * side) / 3)))
            canvas.draw_square(sx, sy, side, angle, 1)
    return canvas


def lolwut5(args: list[bytes]) -> Verbatim:
    """LOLWUT 5 [columns] [squares-per-row] [squares-per-col]"""
    cols, squares_per_row, squares_per_col = _long_args(args, (66, 8, 12))
    # Limits that keep LOLWUT fast and cheap, as Redis's.
    canvas = _schotter(_clamp(cols, 1, 1000), _clamp(squares_per_row, 1, 200), _clamp(squares_per_col, 1, 200))
    return Verbatim(canvas.render() + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. "
                    + REDIS_VERSION + "\n")


def _skyscraper(canvas: Canvas, xoff: int, width: int, height: int, color: int, windows: bool) -> None:
    """A skyscraper standing on the bottom row, its roof 4 pixels narrower; windows (of the other gray) two
    pixels wide and one tall, every other pair of columns and every other row, away from the walls."""
    starty = canvas.height - 1
    endy = starty - height + 1
    left, right = max(xoff, 0), min(xoff + width, canvas.width)
    for y in range(starty, endy - 1, -1):
        row = y * canvas.width
        if y == endy:
            left, right = max(xoff + 2, 0), min(xoff + width - 2, canvas.width)
        if left < right:
            canvas.pixels[row + left:row + right] = bytes([color]) * (right - left)
        if not windows or not endy + 1 < y < starty - 1 or (y - endy - 1) % 2 == 0:
            continue
        for x in range(xoff + 2, xoff + width - 2):
            relx = x - xoff - 1
            if relx // 2 % 2:
                # The second pixel of a window takes the first one's color (0 when that one is off canvas).
                canvas.draw_pixel(x, y, canvas.get_pixel(x - 1, y) if relx % 2 else random.choice((1, 2)))


def _skyline(canvas: Canvas) -> None:
    """A skyline like the parallax backgrounds of 8 bit games: two rows of windowless skyscrapers, the lighter
    gray behind, then the black ones with windows in front."""
    h = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += random.randrange(8)
            width = 10 + random.randrange(9)
            height = h // 2 + random.randrange(h) // (2 if color == 2 else 3)
            _skyscraper(canvas, offset, width, height, color, False)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += random.randrange(8)
        width = 5 + random.randrange(14)
        if width % 4:
            width += width % 3
        _skyscraper(canvas, offset, width, h // 3 + random.randrange(h) // 2, 0, True)
        offset += width + 5


# The four grays of a color terminal, as foreground and background, one space per pixel.
_GRAYS = [f"\033[{escape} \033[0m" for escape in ("0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m")]


def lolwut6(args: list[bytes]) -> Verbatim:
    """LOLWUT 6 [columns] [rows]"""
    cols, rows = _long_args(args, (80, 20))
    canvas = Canvas(_clamp(cols, 1, 1000), _clamp(rows, 1, 1000), 3)
    _skyline(canvas)
    lines = ("".join(map(_GRAYS.__getitem__, canvas.pixels[y * canvas.width:(y + 1) * canvas.width]))
             for y in range(canvas.height))
    return Verbatim("\n".join(lines) + "\nDedicated to the 8 bit game developers of past and present.\n"
                    "Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + REDIS_VERSION + "\n")


def lolwut_for(version: str) -> Callable[[list[bytes]], Verbatim] | None:
    """The art of a version, chosen on its "major.minor" text as Redis does: x.9 is a preview of x+1."""
    major, dot, minor = version[0], version[1:2], version[2:3]
    if dot == "." and ((major == "5" and minor != "9") or (major == "4" and minor == "9")):
        return lolwut5
    if dot == "." and ((major == "6" and minor != "9") or (major == "5" and minor == "9")):
        return lolwut6
    return None


@command("lolwut", -1, "readonly fast", group="server", since="5.0.0",
         summary="Display some computer art and the Redis version")
def lolwut_command(client: Client, argv: list[bytes]) -> Verbatim:
    version, args = REDIS_VERSION, argv[1:]
    if len(argv) >= 3 and argv[1].lower() == b"version":
        # Redis prints the number as an unsigned int: VERSION -1 is 4294967295.0.0, 4294967301 is 5.0.0.
        version, args = f"{int_arg(argv[2]) & 0xFFFFFFFF}.0.0", argv[3:]
    art = lolwut_for(version)
    if art is None:
        return Verbatim("Redis ver. " + REDIS_VERSION + "\n")
    return art(args)
