"""The append-only action log (DESIGN.md 2.6)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.coltypes import UTCDateTime
from portal.extensions import db


class ActionLog(db.Model):
    """Who did what, in which role and village, to which object, when and from where.

    Rows are never updated or deleted: database triggers refuse both.
    """

    __table_args__ = (sa.Index("ix_action_log_village_at", "village_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"))
    town_id: Mapped[int | None] = mapped_column(sa.ForeignKey("town.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
