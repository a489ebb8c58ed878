"""A household's balance at the end of each month of a book year, as a small column
chart drawn on the server (DESIGN.md 5a: the figures people would rather see than
read, with the same numbers in a table beside it).

The geometry is computed here and drawn by templates/points/household.html, so every
text goes through the template's escaping; the chart has no script and no style
attribute. Its viewBox is about as wide as a 320 px screen. Each month is a column
over a baseline, labelled with the month's number below it; the highest balance and
the last month's are written above their columns (the highest only where the two
do not run into each other), and the table beside the chart has
every figure, so colour or height are never the only carriers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 300
HEIGHT = 170
LEFT = 4
TOP = 24  # room for a value above the highest column
BASELINE = 140
LABEL_Y = 160  # the month numbers, under the baseline
SLOT = (WIDTH - 2 * LEFT) / 12
COLUMN = 16
# The font size in the chart's units of its texts (.chart-note in static/css/site.css).
TEXT_SIZE = 15


@dataclass(frozen=True)
class Column:
    month: int
    balance: int
    x: float
    y: float
    height: float
    label_x: float
    show_value: bool


@dataclass(frozen=True)
class BalanceChart:
    width: int
    height: int
    baseline: int
    left: int
    right: int
    column_width: int
    label_y: int
    value_gap: int
    columns: list[Column]

    @property
    def empty(self) -> bool:
        return not self.columns


def balance_chart(months: Sequence) -> BalanceChart:
    """The columns of `months` (objects with `month` and `balance`, as
    `services.statement` gives them), scaled to the highest balance."""
    highest = max((m.balance for m in months), default=0)
    scale = (BASELINE - TOP) / highest if highest > 0 else 0
    last = months[-1].month if months else None
    shown_max = False
    columns = []
    for point in months:
        centre = LEFT + (point.month - 0.5) * SLOT
        height = round(max(point.balance, 0) * scale, 1)
        # The highest balance is written above its column unless the last month's
        # figure (always written) would run into it.
        is_max = (
            point.balance == highest
            and highest > 0
            and not shown_max
            and (last is None or point.month < last - 1)
        )
        shown_max = shown_max or point.balance == highest
        columns.append(
            Column(
                month=point.month,
                balance=point.balance,
                x=round(centre - COLUMN / 2, 1),
                y=round(BASELINE - height, 1),
                height=height,
                label_x=round(centre, 1),
                show_value=is_max or point.month == last,
            )
        )
    return BalanceChart(
        width=WIDTH,
        height=HEIGHT,
        baseline=BASELINE,
        left=LEFT,
        right=WIDTH - LEFT,
        column_width=COLUMN,
        label_y=LABEL_Y,
        value_gap=5,
        columns=columns,
    )
