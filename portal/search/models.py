"""The search index: one row per searchable text of a village (a notice, a rule article).

Chinese has no spaces between words, so the text is indexed as overlapping character
pairs (bigrams) in `tokens`; a two-character word such as 垃圾 is one token, and a longer
phrase is its bigrams in sequence. PostgreSQL keeps a GIN index over
(village_id, to_tsvector('simple', tokens)); SQLite searches the village's rows directly.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db


class SearchSource(enum.StrEnum):
    NOTICE = "notice"
    RULE_ARTICLE = "rule_article"


class SearchEntry(db.Model):
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        # village_id first: a lookup reads only that village's postings, so it costs
        # the same in a city of 1,500 villages as in one (btree_gin makes the integer
        # column indexable by GIN).
        sa.Index(
            "ix_search_entry_village_tokens",
            "village_id",
            sa.text("to_tsvector('simple', tokens)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    source: Mapped[SearchSource] = mapped_column(str_enum(SearchSource))
    source_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    tokens: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
