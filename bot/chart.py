"""A small PNG chart of a week's spend per day, stacked by lane, with no imaging dependency.

The digest reads fine without it; it is attached where the workspace allows uploads. PNG is written by hand
(zlib + struct: https://www.w3.org/TR/png/#5DataRep), and labels use a 5x7 bitmap font, upper case only.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

from commands.digest import DayBar
from commands.pricing import usd

Color = tuple[int, int, int]
WIDTH, HEIGHT = 560, 300
LANE_COLORS: dict[str, Color] = {
    "cheap": (67, 160, 71),
    "default": (30, 136, 229),
    "code": (0, 137, 123),
    "premium": (251, 140, 0),
    "max": (216, 27, 96),
}
OTHER: Color = (120, 120, 120)
_WHITE, _INK, _GRID = (255, 255, 255), (55, 55, 55), (225, 225, 225)
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 44, 30

# 5x7 glyphs, one 5-bit row each (bit 4 is the left column).
_FONT: dict[str, tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 12, 12),
    "$": (4, 15, 20, 14, 5, 30, 4),
    "-": (0, 0, 0, 31, 0, 0, 0),
    ",": (0, 0, 0, 0, 12, 4, 8),
    "/": (1, 1, 2, 4, 8, 16, 16),
    "0": (14, 17, 19, 21, 25, 17, 14),
    "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31),
    "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2),
    "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14),
    "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14),
    "9": (14, 17, 17, 15, 1, 2, 12),
    "A": (14, 17, 17, 31, 17, 17, 17),
    "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14),
    "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31),
    "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15),
    "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14),
    "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17),
    "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17),
    "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14),
    "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13),
    "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30),
    "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14),
    "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10),
    "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 10, 4, 4, 4, 4),
    "Z": (31, 1, 2, 4, 8, 16, 31),
}


class Canvas:
    def __init__(self, width: int, height: int, background: Color = _WHITE) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 <= x0:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(max(0, y0), min(self.height, y1)):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, color: Color = _INK, scale: int = 1) -> int:
        """Draw text with its top-left corner at (x, y); returns the x after it."""
        for char in text.upper():
            for row, bits in enumerate(_FONT.get(char, _FONT[" "])):
                for col in range(5):
                    if bits & (16 >> col):
                        left, top = x + col * scale, y + row * scale
                        self.rect(left, top, left + scale, top + scale, color)
            x += 6 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3])
            for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
        return b"\x89PNG\r\n\x1a\n" + chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def text_width(text: str, scale: int = 1) -> int:
    return len(text) * 6 * scale


def spend_chart_png(days: Sequence[DayBar]) -> bytes:
    """Stacked bars of known spend per day by lane, a legend on top and the scale on the left."""
    canvas = Canvas(WIDTH, HEIGHT)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = max((d.spend_nanousd for d in days), default=0)
    lanes = [lane for lane, _ in days[0].lanes] if days else []
    x = _LEFT
    for lane in lanes:  # legend
        canvas.rect(x, 14, x + 10, 24, LANE_COLORS.get(lane, OTHER))
        x = canvas.text(x + 14, 16, lane) + 14
    for fraction in (0.0, 0.5, 1.0):  # grid lines, labelled with their amount
        y = _TOP + plot_h - round(plot_h * fraction)
        canvas.rect(_LEFT, y, WIDTH - _RIGHT, y + 1, _GRID)
        amount = round(top * fraction)
        label = usd(amount)
        canvas.text(max(2, _LEFT - 6 - text_width(label)), y - 3, label)
    slot = plot_w // max(1, len(days))
    bar = max(4, slot * 3 // 5)
    for i, day in enumerate(days):
        left = _LEFT + i * slot + (slot - bar) // 2
        base = _TOP + plot_h
        for lane, cost in day.lanes:
            height = round(plot_h * cost / top) if top else 0
            canvas.rect(left, base - height, left + bar, base, LANE_COLORS.get(lane, OTHER))
            base -= height
        label = day.label
        canvas.text(left + (bar - text_width(label)) // 2, HEIGHT - _BOTTOM + 10, label)
    return canvas.png()
