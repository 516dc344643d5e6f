"""The digest's chart: a week's spend per day, stacked by lane, drawn with Pillow to be read on a phone.

Pillow is imported when a chart is drawn, not when routebot starts: only the digest job draws one. Text is
Pillow's built-in scalable font (Aileron, ImageFont.load_default(size=...), Pillow 10.1+), so there is no
font file to find or fetch; it lacks a few glyphs (en dash, arrows), so labels keep to ASCII and "·".
The picture is drawn at twice its size and scaled down, which smooths the bars' rounded corners.
Lane colours come from the policy's lanes (commands/policy.toml).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from commands.digest import Digest
from commands.policy import DEFAULT_LANE_COLOR, Policy
from commands.pricing import NANO_PER_USD, usd

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

Color = tuple[int, int, int]
WIDTH, HEIGHT = 1600, 1000
_SS = 2  # supersampling factor
_BACKGROUND, _INK, _MUTED, _GRID, _AXIS = (
    (255, 255, 255),
    (33, 37, 41),
    (108, 117, 125),
    (230, 233, 237),
    (173, 181, 189),
)
_MARGIN_X, _PLOT_BOTTOM = (
    72,
    870,
)  # the plot's left margin and baseline, at final size; its top follows the legend
_AXIS_WIDTH = 120  # room for the dollar labels left of the plot
_STEPS = (1, 2, 25, 5)  # round axis steps: 1, 2, 2.5 and 5 times a power of ten (25 is 2.5 x 10)


@dataclass(frozen=True)
class Scale:
    """The dollar axis: from $0 to `top` in `step`s, both in nano-dollars."""

    step: int
    top: int

    @property
    def ticks(self) -> tuple[int, ...]:
        return tuple(range(0, self.top + 1, self.step))

    def label(self, nanousd: int) -> str:
        if nanousd == 0:
            return "$0"
        places = 0
        while places < 9 and (self.step * 10**places) % NANO_PER_USD:
            places += 1
        places = 2 if places == 1 else places  # cents as people write them: $0.20, not $0.2
        return f"${nanousd / NANO_PER_USD:,.{places}f}"


def dollar_scale(highest_nanousd: int, *, ticks: int = 6) -> Scale:
    """The smallest round step that covers `highest` in at most `ticks` steps (an empty week: $0 to $1)."""
    if highest_nanousd <= 0:
        return Scale(NANO_PER_USD // 4, NANO_PER_USD)
    power = 1
    while True:
        for m in _STEPS:
            if m == 25 and power < 10:
                continue  # 2.5 nano-dollars is not a whole number
            step = m * power // 10 if m == 25 else m * power
            if -(-highest_nanousd // step) <= ticks:
                return Scale(step, -(-highest_nanousd // step) * step)
        power *= 10


def spend_chart_png(digest: Digest, policy: Policy, channel_name: str | None = None) -> bytes:
    """The chart as PNG bytes, titled with the channel (its name when known, else its id) and the week."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH * _SS, HEIGHT * _SS), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    _Painter(draw, digest, policy).paint(f"#{channel_name}" if channel_name else digest.channel_id)
    out = io.BytesIO()
    # reduce() averages each 2x2 block: the supersampling, ten times quicker than a LANCZOS resize.
    image.reduce(_SS).save(out, format="PNG")
    return out.getvalue()


class _Painter:
    """Everything is laid out in final-size pixels; `_px` scales to the supersampled canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, digest: Digest, policy: Policy) -> None:
        self.draw, self.digest, self.policy = draw, digest, policy
        self.top = 300  # the plot's top, below the legend

    def paint(self, channel: str) -> None:
        days = self.digest.days
        lanes = [lane for lane in _lanes(days) if sum(dict(d.lanes).get(lane, 0) for d in days)]
        self._text((_MARGIN_X, 56), f"Spend per day in {channel}", 58, _INK)
        self._text((_MARGIN_X, 138), self._subtitle(), 34, _MUTED)
        self.top = self._legend(lanes, 212) + 64
        scale = dollar_scale(max((d.spend_nanousd for d in days), default=0))
        self._axis(scale)
        self._bars(days, lanes, scale)
        if not lanes:
            middle, note = (WIDTH // 2, (self.top + _PLOT_BOTTOM) // 2), "No spend this week"
            half = self._width(note, 40) // 2 + 24
            self._box(
                (middle[0] - half, middle[1] - 40, middle[0] + half, middle[1] + 40), _BACKGROUND, radius=0
            )
            self._text(middle, note, 40, _MUTED, anchor="mm")
        self._footer()

    # --- parts -----------------------------------------------------------------------------------------
    def _subtitle(self) -> str:
        d, zone = self.digest, ZoneInfo(self.digest.tz)
        first = datetime.fromtimestamp(d.week.start, zone)
        last = datetime.fromtimestamp(d.week.end - 1, zone)
        if (first.year, first.month) == (last.year, last.month):
            span = f"{first.day} to {last.day} {last:%B %Y}"
        else:
            span = f"{first.day} {first:%b}" + (f" {first.year}" if first.year != last.year else "")
            span += f" to {last.day} {last:%b %Y}"
        week = f"Week {int(d.week.label.split('-W')[1])}, {span}" + (" (so far)" if d.so_far else "")
        return f"{week} · {usd(d.summary.spend_nanousd)} in total"

    def _legend(self, lanes: Sequence[str], y: int) -> int:
        """A swatch, the lane's title and its week's spend; a second row when one would not fit."""
        x = _MARGIN_X
        totals = {lane: sum(dict(day.lanes).get(lane, 0) for day in self.digest.days) for lane in lanes}
        for lane in lanes:
            label = f"{self._title(lane)}  {usd(totals[lane])}"
            width = 44 + self._width(label, 30)
            if x > _MARGIN_X and x + width > WIDTH - _MARGIN_X:
                x, y = _MARGIN_X, y + 44
            self._box((x, y, x + 30, y + 30), self._color(lane), radius=7)
            self._text((x + 44, y + 15), label, 30, _INK, anchor="lm")
            x += width + 48
        return y + 30

    def _axis(self, scale: Scale) -> None:
        left, right = self._plot_left(), WIDTH - _MARGIN_X
        for tick in scale.ticks:
            y = self._y(tick, scale)
            self._line((left, y, right, y), _AXIS if tick == 0 else _GRID, 3 if tick == 0 else 2)
            self._text((left - 18, y), scale.label(tick), 28, _MUTED, anchor="rm")

    def _bars(self, days: Sequence[Any], lanes: Sequence[str], scale: Scale) -> None:
        left, right = self._plot_left(), WIDTH - _MARGIN_X
        slot = (right - left) / max(len(days), 1)
        width = slot * 0.58
        for i, day in enumerate(days):
            centre = left + slot * (i + 0.5)
            x0, x1 = centre - width / 2, centre + width / 2
            spend = dict(day.lanes)
            stacked = [(lane, spend.get(lane, 0)) for lane in lanes if spend.get(lane, 0) > 0]
            base = 0
            for n, (lane, cost) in enumerate(stacked):
                y0, y1 = self._y(base + cost, scale), self._y(base, scale)
                top = n == len(stacked) - 1
                gap = 0 if n == 0 else 1.5  # a thin white line between a day's lanes
                self._box(
                    (x0, y0, x1, y1 - gap), self._color(lane), radius=10 if top else 0, square_bottom=True
                )
                base += cost
            if day.spend_nanousd:
                self._text((centre, self._y(base, scale) - 14), usd(day.spend_nanousd), 28, _INK, anchor="md")
            self._text((centre, _PLOT_BOTTOM + 22), day.label, 30, _INK, anchor="mt")

    def _footer(self) -> None:
        unknown = self.digest.summary.unknown_runs
        note = "routebot weekly digest"
        if unknown:
            note += f" · {unknown} run{'s' if unknown != 1 else ''} of unknown price not included"
        self._text((_MARGIN_X, HEIGHT - 40), note, 26, _MUTED, anchor="ls")

    # --- helpers ---------------------------------------------------------------------------------------
    def _plot_left(self) -> int:
        return _MARGIN_X + _AXIS_WIDTH

    def _y(self, nanousd: int, scale: Scale) -> float:
        return _PLOT_BOTTOM - (_PLOT_BOTTOM - self.top) * nanousd / scale.top

    def _color(self, lane: str) -> Color:
        spec = self.policy.lanes.get(lane)
        if spec is not None:
            return spec.rgb
        grey = DEFAULT_LANE_COLOR
        return (int(grey[1:3], 16), int(grey[3:5], 16), int(grey[5:7], 16))

    def _title(self, lane: str) -> str:
        spec = self.policy.lanes.get(lane)
        return spec.title if spec is not None else lane

    def _text(self, xy: tuple[float, float], text: str, size: int, fill: Color, anchor: str = "la") -> None:
        self.draw.text(_px(xy), text, font=_font(size * _SS), fill=fill, anchor=anchor)

    def _width(self, text: str, size: int) -> int:
        return int(_font(size * _SS).getlength(text) / _SS)

    def _line(self, box: tuple[float, float, float, float], fill: Color, width: int) -> None:
        self.draw.line(_px(box), fill=fill, width=width * _SS)

    def _box(
        self, box: tuple[float, float, float, float], fill: Color, *, radius: int, square_bottom: bool = False
    ) -> None:
        x0, y0, x1, y1 = _px(box)
        if y1 - y0 < 1:
            return
        r = min(radius * _SS, int((y1 - y0) / 2), int((x1 - x0) / 2))
        corners = (True, True, not square_bottom, not square_bottom)
        self.draw.rounded_rectangle((x0, y0, x1, y1), radius=r, fill=fill, corners=corners)


def _lanes(days: Sequence[Any]) -> list[str]:
    """The lanes in the bars' order (the ladder's, as commands.digest lists them)."""
    return [lane for lane, _ in days[0].lanes] if days else []


def _px(values: tuple[float, ...]) -> Any:
    return tuple(round(v * _SS) for v in values)


_FONTS: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    if size not in _FONTS:
        _FONTS[size] = ImageFont.load_default(size=size)
    return _FONTS[size]
