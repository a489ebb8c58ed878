"""Small horizontal bar charts for a vote's result, drawn as SVG on the server.

The geometry is computed here and drawn by templates/rules/_chart.html, so every text
goes through the template's escaping. Each row is a caption line ("赞成 14 票，82%")
over a bar on a full-width track; a row may carry a threshold mark (the half that
passing needs, the two thirds of households a quorum needs). The viewBox is about
as wide as a 320 px screen, so at that width the text is drawn at its own size;
wider screens scale the chart up to the size the stylesheet allows. SVG text does not
wrap, so a caption or note too long for the track (English runs longer than Chinese)
is broken into lines here, by an estimate of its width that errs wide. Colour is never
the only carrier: every bar is named and numbered in its caption, and the same
figures stand in a table beside the chart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

WIDTH = 300
PAD = 2
ROW = 64  # caption line + bar + gap
CAPTION_Y = 18  # caption baseline within a row
BAR_Y = 28
BAR_HEIGHT = 22
NOTE_HEIGHT = 22  # a row's threshold note line, under its bar
CAPTION_SIZE = 16  # font sizes in the chart's units, as static/css/site.css sets them
NOTE_SIZE = 15
LINE_GAP = 4  # between two lines of one caption or note


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
    caption_lines: tuple[str, ...] = ()
    note_lines: tuple[str, ...] = ()
    caption_step: int = CAPTION_SIZE + LINE_GAP
    note_step: int = NOTE_SIZE + LINE_GAP


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    track_x: int
    track_width: int
    bar_height: int
    rows: list[DrawnRow]


# Characters a line may break between: each Chinese character and full-width mark is a
# token of its own, a run of anything else (a word, a number) is one.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKENS = re.compile(f"\\s+|[{_WIDE}]|[^\\s{_WIDE}]+")
# Marks that stay at the end of the line before them.
_NO_BREAK_BEFORE = set("，。、；：！？）》」』%,.;:!?)")


def text_width(text: str, size: float) -> float:
    """An estimate that errs wide: a Chinese character is a full em, anything else 0.6."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def wrap(text: str, size: float, width: float = WIDTH - 2 * PAD) -> tuple[str, ...]:
    """`text` in lines that fit `width` at `size`: words stay whole, Chinese breaks
    between characters, and a closing mark goes down with the character before it
    rather than start a line."""
    lines: list[str] = []
    line: list[str] = []
    for token in _TOKENS.findall(text):
        if token.isspace():
            if line:
                line.append(" ")
            continue
        if line and text_width("".join(line) + token, size) > width:
            carry = []
            if token[0] in _NO_BREAK_BEFORE:
                while line and line[-1] == " ":
                    line.pop()
                if len(line) > 1:
                    carry = [line.pop()]
            lines.append("".join(line).rstrip())
            line = carry
        line.append(token)
    if "".join(line).strip():
        lines.append("".join(line).rstrip())
    return tuple(lines) or ("",)


def bar_chart(title: str, rows: list[Row]) -> Chart:
    track = WIDTH - 2 * PAD
    drawn: list[DrawnRow] = []
    y = 0
    for row in rows:
        share = Fraction(row.value, row.total) if row.total > 0 else Fraction(0)
        share = min(max(share, Fraction(0)), Fraction(1))
        mark_x = PAD + float(row.mark) * track if row.mark is not None else None
        caption_lines = wrap(row.caption, CAPTION_SIZE, track)
        note_lines = wrap(row.mark_note, NOTE_SIZE, track) if row.mark_note else ()
        extra_caption = (len(caption_lines) - 1) * (CAPTION_SIZE + LINE_GAP)
        bar_y = y + BAR_Y + extra_caption
        note_y = bar_y + BAR_HEIGHT + 18 if row.mark_note else None
        drawn.append(
            DrawnRow(
                caption=row.caption,
                kind=row.kind,
                caption_y=y + CAPTION_Y,
                bar_y=bar_y,
                bar_width=round(float(share) * track, 1),
                mark_x=round(mark_x, 1) if mark_x is not None else None,
                note=row.mark_note,
                note_y=note_y,
                caption_lines=caption_lines,
                note_lines=note_lines,
            )
        )
        extra_note = max(len(note_lines) - 1, 0) * (NOTE_SIZE + LINE_GAP)
        y += ROW + extra_caption + (NOTE_HEIGHT + extra_note if row.mark_note else 0)
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
