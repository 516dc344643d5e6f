"""The digest's chart, decoded with Pillow: size, lane colours from the policy, bar heights, real text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from bot.chart import HEIGHT, WIDTH, dollar_scale, spend_chart_png
from commands.digest import Average, DayBar, Digest, PremiumComparison, Summary
from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from commands.weeks import parse_week

POLICY = load_policy()
TZ = "UTC"
WEEK = parse_week("2026-W10", TZ)
DAYS = ("Mon 2", "Tue 3", "Wed 4", "Thu 5", "Fri 6", "Sat 7", "Sun 8")
LANES = ("cheap", "default", "code", "premium", "max")


def _digest(spend: Sequence[dict[str, int]], *, unknown: int = 0) -> Digest:
    days = tuple(
        DayBar(label, tuple((lane, day.get(lane, 0)) for lane in LANES))
        for label, day in zip(DAYS, spend, strict=True)
    )
    total = sum(d.spend_nanousd for d in days)
    return Digest(
        channel_id="C0123",
        week=WEEK,
        tz=TZ,
        until=WEEK.end,
        summary=Summary(total, unknown, 10, 10, 0),
        lanes=(),
        models=(),
        paths=(),
        reasons=(),
        average=Average(0, at_least=False),
        premium=PremiumComparison(0, 0, 0, 0),
        previous=None,
        days=days,
        users=(),
        suggestion=None,
    )


def _image(digest: Digest, policy: Policy = POLICY, name: str | None = "routing") -> Image.Image:
    png = spend_chart_png(digest, policy, name)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=image.width * image.height) or ()}


def _columns_of(image: Image.Image, colour: tuple[int, int, int]) -> dict[int, int]:
    """x -> how many pixels of exactly this colour the column holds."""
    pixels = image.load()
    assert pixels is not None
    counts: dict[int, int] = {}
    for x in range(image.width):
        n = sum(1 for y in range(image.height) if pixels[x, y] == colour)
        if n:
            counts[x] = n
    return counts


def _bars(columns: dict[int, int]) -> list[int]:
    """The tallest column of each run of adjacent columns holding the colour: one figure per bar."""
    bars: list[int] = []
    last = -2
    for x in sorted(columns):
        if x != last + 1:
            bars.append(0)
        bars[-1] = max(bars[-1], columns[x])
        last = x
    return bars


def test_the_chart_is_a_phone_sized_png_in_the_policys_lane_colours() -> None:
    spend = [{"cheap": 2_000_000_000 * (i % 3), "premium": 1_000_000_000 if i == 4 else 0} for i in range(7)]
    image = _image(_digest(spend))
    assert (image.width, image.height) == (WIDTH, HEIGHT) and WIDTH >= 1200
    colours = _colours(image)
    assert POLICY.lane("cheap").rgb in colours and POLICY.lane("premium").rgb in colours
    assert POLICY.lane("max").rgb not in colours  # no max spend: no max bar, and no max in the legend


def test_a_lanes_colour_comes_from_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace('color = "#2A9D8F"', 'color = "#123456"'))
    policy = load_policy(path)
    image = _image(_digest([{"cheap": 1_000_000_000}] * 7), policy)
    colours = _colours(image)
    assert (0x12, 0x34, 0x56) in colours and POLICY.lane("cheap").rgb not in colours


def test_bars_are_as_tall_as_their_days_spend() -> None:
    spend = [{"default": 5_000_000_000 if i == 2 else 1_000_000_000} for i in range(7)]
    bars = _bars(_columns_of(_image(_digest(spend)), POLICY.lane("default").rgb))
    assert len(bars) == 8  # seven days and the legend's swatch
    swatch, days = bars[0], bars[1:]
    assert swatch < min(days)
    assert days[2] == max(days) and abs(days[2] / days[0] - 5) < 0.2  # edges blend into the background


def test_lanes_stack_in_ladder_order_cheap_at_the_bottom() -> None:
    image = _image(_digest([{"cheap": 3_000_000_000, "premium": 3_000_000_000}] * 7))
    pixels = image.load()
    assert pixels is not None
    columns = _columns_of(image, POLICY.lane("cheap").rgb)
    x = max(columns, key=lambda c: columns[c])  # through a bar, not the legend
    cheap = [y for y in range(image.height) if pixels[x, y] == POLICY.lane("cheap").rgb]
    premium = [y for y in range(image.height) if pixels[x, y] == POLICY.lane("premium").rgb]
    assert cheap and premium and min(cheap) > max(premium)  # y grows downwards


def test_text_is_anti_aliased_from_a_real_font() -> None:
    image = _image(_digest([{"cheap": 1_000_000_000}] * 7))
    title = image.crop((0, 0, WIDTH, 130))  # "Spend per day in #routing"
    greys = {p for p in _colours(title) if p[0] == p[1] == p[2] or max(p) - min(p) < 40} - {(255, 255, 255)}
    assert len(greys) > 30  # a bitmap font has one ink colour; smooth glyph edges have many shades


def test_the_title_names_the_channel() -> None:
    digest = _digest([{"cheap": 1_000_000_000}] * 7)
    assert spend_chart_png(digest, POLICY, "routing") != spend_chart_png(digest, POLICY, "general")
    assert spend_chart_png(digest, POLICY, None) != spend_chart_png(digest, POLICY, "routing")  # the id


def test_a_week_without_spend_draws_empty_axes() -> None:
    image = _image(_digest([{}] * 7))
    assert not _colours(image) & {lane.rgb for lane in POLICY.lanes.values()}


@pytest.mark.parametrize(
    ("highest", "step", "top", "labels"),
    [
        (7_300_000_000, 2_000_000_000, 8_000_000_000, ["$0", "$2", "$4", "$6", "$8"]),
        (5_080_000_000, 1_000_000_000, 6_000_000_000, ["$0", "$1", "$2", "$3", "$4", "$5", "$6"]),
        (
            1_100_000_000,
            200_000_000,
            1_200_000_000,
            ["$0", "$0.20", "$0.40", "$0.60", "$0.80", "$1.00", "$1.20"],
        ),
        (
            1_400_000_000,
            250_000_000,
            1_500_000_000,
            ["$0", "$0.25", "$0.50", "$0.75", "$1.00", "$1.25", "$1.50"],
        ),
        (4_200_000, 1_000_000, 5_000_000, ["$0", "$0.001", "$0.002", "$0.003", "$0.004", "$0.005"]),
        (
            1_234_000_000_000,
            250_000_000_000,
            1_250_000_000_000,
            ["$0", "$250", "$500", "$750", "$1,000", "$1,250"],
        ),
        (3, 1, 3, ["$0", "$0.000000001", "$0.000000002", "$0.000000003"]),
        (0, 250_000_000, 1_000_000_000, ["$0", "$0.25", "$0.50", "$0.75", "$1.00"]),
    ],
)
def test_the_dollar_axis_climbs_in_round_steps(highest: int, step: int, top: int, labels: list[str]) -> None:
    scale = dollar_scale(highest)
    assert (scale.step, scale.top) == (step, top)
    assert [scale.label(t) for t in scale.ticks] == labels
