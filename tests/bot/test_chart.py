"""The digest's chart: a valid PNG, bars stacked in lane colours, drawn with no imaging library."""

from __future__ import annotations

import struct
import zlib

from bot.chart import HEIGHT, LANE_COLORS, WIDTH, spend_chart_png
from commands.digest import DayBar

DAYS = ("Mon 2", "Tue 3", "Wed 4", "Thu 5", "Fri 6", "Sat 7", "Sun 8")


def _decode(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB PNG with filter 0 rows, checking every chunk's CRC."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, size = 8, b"", (0, 0)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x02"  # 8 bits, RGB
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    width, height = size
    raw = zlib.decompress(data)
    stride = 1 + width * 3
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def _colours(rows: list[bytes]) -> set[tuple[int, int, int]]:
    return {tuple(row[i : i + 3]) for row in rows for i in range(0, len(row), 3)}  # type: ignore[misc]


def test_the_chart_is_a_png_with_a_bar_per_lane_colour_present() -> None:
    days = [
        DayBar(label, (("cheap", 2_000_000_000 * (i % 3)), ("premium", 1_000_000_000 if i == 4 else 0)))
        for i, label in enumerate(DAYS)
    ]
    width, height, rows = _decode(spend_chart_png(days))
    assert (width, height) == (WIDTH, HEIGHT)
    colours = _colours(rows)
    assert LANE_COLORS["cheap"] in colours and LANE_COLORS["premium"] in colours
    assert LANE_COLORS["max"] not in colours  # no max spend, no max in the legend either


def test_the_tallest_days_bar_reaches_the_top_of_the_scale() -> None:
    days = [DayBar(label, (("default", 5_000 if i == 2 else 1_000),)) for i, label in enumerate(DAYS)]
    _, _, rows = _decode(spend_chart_png(days))
    blue = bytes(LANE_COLORS["default"])
    heights = []
    for day in range(7):  # sample each bar's middle column
        x = 64 + day * ((WIDTH - 80) // 7) + ((WIDTH - 80) // 7) // 2
        heights.append(sum(1 for row in rows if row[x * 3 : x * 3 + 3] == blue))
    assert heights[2] == max(heights) and heights[2] > 4 * heights[0] > 0


def test_a_week_without_spend_draws_empty_axes() -> None:
    _, _, rows = _decode(spend_chart_png([DayBar(label, ()) for label in DAYS]))
    assert not _colours(rows) & set(LANE_COLORS.values())
