"""Village rules 村规民约: documents, versions, articles, comments, the assembly vote.

A document is versioned; each version is an ordered list of articles (条) and moves
draft → consultation 征求意见 → voting → adopted | rejected, and an adopted version
becomes superseded when a newer one is adopted. The vote is a villagers' assembly
村民会议 decision: its roll is frozen when it opens, one ballot per resident is enforced
by a unique constraint, and the result is computed once at close and kept.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db
from portal.villages.models import Household, QuorumMode, Resident, Village

if TYPE_CHECKING:
    from portal.auth.models import User


class VersionState(enum.StrEnum):
    DRAFT = "draft"  # 草案: the committee edits the articles
    CONSULTATION = "consultation"  # 征求意见: villagers comment article by article
    VOTING = "voting"  # 表决: the assembly vote is open, the roll is frozen
    ADOPTED = "adopted"  # 通过: the rules in force
    REJECTED = "rejected"  # 未通过
    SUPERSEDED = "superseded"  # 已废止: replaced by a newer adopted version


class VotePhase(enum.StrEnum):
    """Where a version's vote stands, from its stored decisions and the clock."""

    NONE = "none"  # no vote announced
    ANNOUNCED = "announced"  # announced; the opening time has not come
    OPEN = "open"  # between opening and closing: villagers vote online
    ENDED = "ended"  # the window is over; paper ballots are entered, then it is closed
    CLOSED = "closed"  # the result is frozen


CLOSED_STATES = ("adopted", "rejected", "superseded")


def vote_phase(version: RuleVersion, now: datetime) -> VotePhase:
    """The phase of `version`'s vote at `now`; nothing is written to know it.

    The roll is frozen by the first write that needs it (a ballot, a paper ballot,
    closing) or by `flask tick`, so between the opening time and that write the stored
    state still says consultation: the clock says the vote is open.
    """
    if version.state in CLOSED_STATES and version.vote_opens_at is not None:
        return VotePhase.CLOSED
    if version.vote_announced_at is None or version.vote_opens_at is None:
        return VotePhase.NONE
    if now < version.vote_opens_at:
        return VotePhase.ANNOUNCED
    if now < version.vote_closes_at:
        return VotePhase.OPEN
    return VotePhase.ENDED


class TallyVisibility(enum.StrEnum):
    LIVE = "live"  # yes / no / abstain shown while the vote runs
    HIDDEN = "hidden"  # shown only once the vote has closed


class BallotChoice(enum.StrEnum):
    YES = "yes"  # 同意
    NO = "no"  # 不同意
    ABSTAIN = "abstain"  # 弃权


class BallotChannel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"  # a paper ballot of the assembly, entered by a committee clerk


class FilingState(enum.StrEnum):
    PENDING = "pending"  # sent to the town for 备案
    FILED = "filed"  # 已备案
    RETURNED = "returned"  # returned for correction, with a reason


class RuleDocument(db.Model):
    __table_args__ = (sa.Index("ix_rule_document_village_created", "village_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    title: Mapped[str] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    village: Mapped[Village] = relationship()
    created_by: Mapped[User | None] = relationship("User")
    versions: Mapped[list[RuleVersion]] = relationship(
        back_populates="document", order_by="RuleVersion.number"
    )

    def __str__(self) -> str:
        return self.title


class RuleVersion(db.Model):
    """One version of a rule document, and its consultation and vote.

    The village is kept on the row too, so "votes open in this village" and "rules
    in force" are one indexed query. The vote's settings are fixed as it goes:
    `tally_visibility` when it is announced (and never changed after), the quorum
    mode and the roll's sizes when it opens.
    """

    __table_args__ = (
        sa.UniqueConstraint("document_id", "number"),
        sa.Index("ix_rule_version_village_state", "village_id", "state"),
        sa.Index("ix_rule_version_document_state", "document_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_document.id"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    number: Mapped[int]
    state: Mapped[VersionState] = mapped_column(str_enum(VersionState), default=VersionState.DRAFT)
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rule_version.id"), index=True)
    # 征求意见 consultation.
    consultation_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consultation_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The assembly vote: announced, then open from opens_at until closes_at.
    vote_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vote_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vote_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tally_visibility: Mapped[TallyVisibility | None] = mapped_column(str_enum(TallyVisibility))
    # Written when the vote opens and the roll is frozen.
    vote_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quorum_mode: Mapped[QuorumMode | None] = mapped_column(str_enum(QuorumMode))
    roll_eligible_count: Mapped[int | None]
    roll_household_count: Mapped[int | None]
    # Residents with only a birth year, born 18 years before the opening year: they may
    # have turned 18 after the opening day, so the roll leaves them out.
    roll_year_rule_left_out: Mapped[int | None]
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    document: Mapped[RuleDocument] = relationship(back_populates="versions")
    village: Mapped[Village] = relationship()
    based_on: Mapped[RuleVersion | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship("User")
    articles: Mapped[list[RuleArticle]] = relationship(
        back_populates="version", order_by="RuleArticle.position"
    )
    result: Mapped[VoteResult | None] = relationship(back_populates="version")

    @property
    def vote_announced(self) -> bool:
        return self.vote_announced_at is not None

    @property
    def vote_opened(self) -> bool:
        """Whether the vote's time has come (the roll frozen or not yet)."""
        return self.vote_phase() not in (VotePhase.NONE, VotePhase.ANNOUNCED)

    @property
    def roll_frozen(self) -> bool:
        return self.vote_opened_at is not None

    def vote_phase(self, now: datetime | None = None) -> VotePhase:
        return vote_phase(self, now if now is not None else clock.now())

    @property
    def shown_state(self) -> VersionState:
        """The state as the clock has it: a vote whose opening time has come is voting."""
        if self.state == VersionState.CONSULTATION and self.vote_phase() in (
            VotePhase.OPEN,
            VotePhase.ENDED,
        ):
            return VersionState.VOTING
        return self.state

    def __str__(self) -> str:
        return f"{self.document.title} #{self.number}"


class RuleArticle(db.Model):
    """An article 条; positions run 1..n within a version."""

    __table_args__ = (sa.Index("ix_rule_article_version_position", "version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"))
    position: Mapped[int]
    title: Mapped[str | None] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.Text)
    # The article of the earlier version this one was copied from, so a diff can pair
    # an article with its predecessor even after articles were moved.
    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rule_article.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    version: Mapped[RuleVersion] = relationship(back_populates="articles")
    copied_from: Mapped[RuleArticle | None] = relationship(remote_side=[id])


class ArticleComment(db.Model):
    """A villager's comment on a draft article; the committee may hide it, never delete it."""

    __table_args__ = (
        sa.Index("ix_article_comment_article_created", "article_id", "created_at"),
        sa.Index("ix_article_comment_version", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_article.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(200))

    article: Mapped[RuleArticle] = relationship()
    version: Mapped[RuleVersion] = relationship()
    author: Mapped[User] = relationship("User", foreign_keys=[author_id])
    hidden_by: Mapped[User | None] = relationship("User", foreign_keys=[hidden_by_id])

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class VoteEligibility(db.Model):
    """The frozen roll: one row per resident who may vote, written when the vote opens."""

    __table_args__ = (
        sa.UniqueConstraint("version_id", "resident_id"),
        sa.Index("ix_vote_eligibility_version_household", "version_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))

    version: Mapped[RuleVersion] = relationship()
    resident: Mapped[Resident] = relationship()
    household: Mapped[Household] = relationship()


class Ballot(db.Model):
    """One ballot per resident per version, whatever the channel: the database enforces it."""

    __table_args__ = (
        # uq_ballot_version_id_resident_id: the one-ballot rule, held by the database.
        sa.UniqueConstraint("version_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    choice: Mapped[BallotChoice] = mapped_column(str_enum(BallotChoice, 10))
    channel: Mapped[BallotChannel] = mapped_column(str_enum(BallotChannel, 10))
    # The villager themselves, or the clerk who entered a paper ballot.
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[RuleVersion] = relationship()
    resident: Mapped[Resident] = relationship()
    cast_by: Mapped[User | None] = relationship("User")


class VoteResult(db.Model):
    """The assembly's decision, computed once at close and never recomputed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"), unique=True)
    quorum_mode: Mapped[QuorumMode] = mapped_column(str_enum(QuorumMode))
    eligible_count: Mapped[int]
    household_count: Mapped[int]
    households_represented: Mapped[int]
    yes_count: Mapped[int]
    no_count: Mapped[int]
    abstain_count: Mapped[int]
    online_count: Mapped[int]
    paper_count: Mapped[int]
    quorum_met: Mapped[bool]
    passed: Mapped[bool]
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    version: Mapped[RuleVersion] = relationship(back_populates="result")
    closed_by: Mapped[User | None] = relationship("User")

    @property
    def turnout(self) -> int:
        return self.yes_count + self.no_count + self.abstain_count


class RuleFiling(db.Model):
    """备案: an adopted version sent to the town, filed or returned for correction."""

    __table_args__ = (
        sa.Index("ix_rule_filing_village_state", "village_id", "state"),
        sa.Index("ix_rule_filing_town_state", "town_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_version.id"), unique=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    # The town that receives it: a town office lists its pending filings by one index.
    town_id: Mapped[int] = mapped_column(sa.ForeignKey("town.id"))
    state: Mapped[FilingState] = mapped_column(str_enum(FilingState), default=FilingState.PENDING)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[RuleVersion] = relationship()
    village: Mapped[Village] = relationship()
    submitted_by: Mapped[User | None] = relationship("User", foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])
