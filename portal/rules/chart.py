"""Small horizontal bar charts for a vote's result, drawn as SVG on the server.

The geometry is computed here and drawn by templates/rules/_chart.html, so every text
goes through the template's escaping. Each row is a caption line ("赞成 14 票，82%")
over a bar on a full-width track; a row may carry a threshold mark (the half that
passing needs, the two thirds of households a quorum needs). The viewBox is about
as wide as a 320 px screen, so at that width the text is drawn at its own size;
wider screens scale the chart up to the size the stylesheet allows. Colour is never
the only carrier: every bar is named and numbered in its caption, and the same
figures stand in a table beside the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

WIDTH = 300
PAD = 2
ROW = 64  # caption line + bar + gap
CAPTION_Y = 18  # caption baseline within a row
BAR_Y = 28
BAR_HEIGHT = 22
NOTE_HEIGHT = 22  # a row's threshold note line, under its bar


@dataclass(frozen=True)
class Row:
    """One bar: `value` out of `total`, with an optional threshold at `mark` (a fraction)."""

    caption: str
    value: int
    total: int
    kind: str  # a CSS class suffix: yes, no, abstain, part, online, paper
    mark: Fraction | None = None
    mark_note: str | None = None


@dataclass(frozen=True)
class DrawnRow:
    caption: str
    kind: str
    caption_y: int
    bar_y: int
    bar_width: float
    mark_x: float | None
    note: str | None
    note_y: int | None


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    track_x: int
    track_width: int
    bar_height: int
    rows: list[DrawnRow]


def bar_chart(title: str, rows: list[Row]) -> Chart:
    track = WIDTH - 2 * PAD
    drawn: list[DrawnRow] = []
    y = 0
    for row in rows:
        share = Fraction(row.value, row.total) if row.total > 0 else Fraction(0)
        share = min(max(share, Fraction(0)), Fraction(1))
        mark_x = PAD + float(row.mark) * track if row.mark is not None else None
        note_y = y + BAR_Y + BAR_HEIGHT + 18 if row.mark_note else None
        drawn.append(
            DrawnRow(
                caption=row.caption,
                kind=row.kind,
                caption_y=y + CAPTION_Y,
                bar_y=y + BAR_Y,
                bar_width=round(float(share) * track, 1),
                mark_x=round(mark_x, 1) if mark_x is not None else None,
                note=row.mark_note,
                note_y=note_y,
            )
        )
        y += ROW + (NOTE_HEIGHT if row.mark_note else 0)
    return Chart(
        title=title,
        width=WIDTH,
        height=max(y - (ROW - BAR_Y - BAR_HEIGHT) + 6, 1),
        track_x=PAD,
        track_width=track,
        bar_height=BAR_HEIGHT,
        rows=drawn,
    )


def percent(part: int, whole: int) -> int:
    """A whole percentage, rounded half up; 0 of nothing is 0."""
    if whole <= 0:
        return 0
    return int(Fraction(part * 100, whole) + Fraction(1, 2))
