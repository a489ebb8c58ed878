"""Compare two versions of a 村规民约 article by article, and inside an article by character.

Chinese has no spaces between words, so a word diff would see a whole sentence as one
word: the text is compared character by character (difflib.SequenceMatcher), except
that a run of digits (a number: 15, 3.5, 2026) and a run of Latin letters (a word:
WiFi) each count as one unit, so "15桌" → "12桌" strikes 15 and inserts 12 instead of
keeping a shared "1" that invites reading 15 as 12. Left as it is, a character diff
gives a confetti of one-character changes around the few characters two different
phrases happen to share ("不燃放大型烟花" → "不燃放烟花爆竹" would keep a lone "烟" or
"花"). `char_diff` therefore folds an equal run shorter than `min_equal` characters,
lying between two changes, into the change.

Articles are paired by lineage where the versions have one: an article copied into an
amendment keeps `copied_from_id`, so an article that moved down because a new one was
inserted above it is still compared with itself, not with its new neighbour. Where
the two versions share no lineage (texts drafted from scratch), articles are paired
by position (第N条 with 第N条). An article with no partner is shown whole, as added or
removed. Pure functions: the views load the articles and the lineage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

EQUAL, DELETE, INSERT = "equal", "delete", "insert"
UNCHANGED, CHANGED, ADDED, REMOVED = "unchanged", "changed", "added", "removed"
MIN_EQUAL = 3
# The units a text is compared in: a number, a Latin word, or any other one character.
UNIT = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z\u00c0-\u024f]+|.", re.DOTALL)


def units(text: str) -> list[str]:
    """`text` cut into the units a diff compares: "超过15桌" → 超, 过, 15, 桌."""
    return UNIT.findall(text)


@dataclass(frozen=True)
class Segment:
    op: str  # EQUAL, DELETE or INSERT
    text: str


@dataclass(frozen=True)
class ArticleText:
    """What a diff needs of an article: its identity, its number (position) and its text."""

    id: int
    number: int
    title: str | None
    body: str


@dataclass(frozen=True)
class ArticleChange:
    kind: str  # UNCHANGED, CHANGED, ADDED or REMOVED
    old: ArticleText | None
    new: ArticleText | None
    title: list[Segment] = field(default_factory=list)
    body: list[Segment] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return self.old is not None and self.new is not None and self.old.number != self.new.number

    @property
    def title_changed(self) -> bool:
        return any(s.op != EQUAL for s in self.title)


@dataclass(frozen=True)
class Comparison:
    changes: list[ArticleChange]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def identical(self) -> bool:
        return all(c.kind == UNCHANGED and not c.moved for c in self.changes)


def char_diff(old: str, new: str, min_equal: int = MIN_EQUAL) -> list[Segment]:
    """The edit from `old` to `new`, by character (a number or a Latin word whole), in
    segments that read as phrases.

    Within a run of changes, deletions come before insertions, so a replaced phrase
    reads "<del>old</del><ins>new</ins>". An equal run shorter than `min_equal`
    characters between two changes becomes part of both; equal runs at either end stay.
    """
    if old == new:
        return [Segment(EQUAL, old)] if old else []
    old_units, new_units = units(old), units(new)
    matcher = SequenceMatcher(None, old_units, new_units, autojunk=False)
    # (old text, new text) pieces: equal pieces have both the same.
    pieces: list[tuple[str, str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pieces.append(("".join(old_units[i1:i2]), "".join(new_units[j1:j2]), tag == "equal"))
    # Fold short equal runs that sit between two changes.
    folded: list[tuple[str, str, bool]] = []
    for index, (a, b, equal) in enumerate(pieces):
        inner = 0 < index < len(pieces) - 1
        if equal and inner and len(a) < min_equal:
            equal = False
        if folded and not equal and not folded[-1][2]:
            prev_a, prev_b, _ = folded[-1]
            folded[-1] = (prev_a + a, prev_b + b, False)
        else:
            folded.append((a, b, equal))
    segments: list[Segment] = []
    for a, b, equal in folded:
        if equal:
            segments.append(Segment(EQUAL, a))
            continue
        if a:
            segments.append(Segment(DELETE, a))
        if b:
            segments.append(Segment(INSERT, b))
    return segments


def lineage_pairs(
    older: Iterable[int], newer: Iterable[int], parent_of: Mapping[int, int | None]
) -> dict[int, int]:
    """Pair each article of the newer version with its ancestor in the older one.

    `parent_of` maps an article id to the id it was copied from (any version of the
    document); the chain is followed until it reaches an article of the older version.
    Returns {newer article id: older article id}; an ancestor is paired once at most.
    """
    older_ids = set(older)
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for article_id in newer:
        seen: set[int] = set()
        current = parent_of.get(article_id)
        while current is not None and current not in older_ids and current not in seen:
            seen.add(current)
            current = parent_of.get(current)
        if current is not None and current in older_ids and current not in taken:
            pairs[article_id] = current
            taken.add(current)
    return pairs


def compare(
    old: Sequence[ArticleText],
    new: Sequence[ArticleText],
    pairs: Mapping[int, int] | None = None,
    min_equal: int = MIN_EQUAL,
) -> Comparison:
    """Compare two versions' articles, in the order of the new version.

    `pairs` maps a new article's id to its old article's id (see `lineage_pairs`);
    when it is empty or None, articles are paired by number. A removed article is
    shown where it stood: before the first new article whose partner came after it.
    """
    old = sorted(old, key=lambda a: a.number)
    new = sorted(new, key=lambda a: a.number)
    old_by_id = {a.id: a for a in old}
    if pairs:
        partner = {n: old_by_id[o] for n, o in pairs.items() if o in old_by_id}
    else:
        by_number = {a.number: a for a in old}
        partner = {a.id: by_number[a.number] for a in new if a.number in by_number}
    paired_old = {a.id for a in partner.values()}
    changes: list[ArticleChange] = []
    shown: set[int] = set()

    def removed_before(number: int | None) -> None:
        for article in old:
            if article.id in paired_old or article.id in shown:
                continue
            if number is not None and article.number >= number:
                break
            shown.add(article.id)
            changes.append(
                ArticleChange(
                    REMOVED,
                    article,
                    None,
                    title=[Segment(DELETE, article.title)] if article.title else [],
                    body=[Segment(DELETE, article.body)],
                )
            )

    for article in new:
        before = partner.get(article.id)
        if before is None:
            changes.append(
                ArticleChange(
                    ADDED,
                    None,
                    article,
                    title=[Segment(INSERT, article.title)] if article.title else [],
                    body=[Segment(INSERT, article.body)],
                )
            )
            continue
        removed_before(before.number)
        same = before.body == article.body and (before.title or "") == (article.title or "")
        changes.append(
            ArticleChange(
                UNCHANGED if same else CHANGED,
                before,
                article,
                title=char_diff(before.title or "", article.title or "", min_equal),
                body=char_diff(before.body, article.body, min_equal),
            )
        )
    removed_before(None)
    return Comparison(changes)
