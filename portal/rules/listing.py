"""The reads behind the public 村规民约 pages and the village home's rules section.

Every query is scoped to one village and bounded, and each page's reads are a fixed
handful of statements, however many articles, comments or ballots there are. The
rules themselves (who may vote, the tally, the turnout) stay in `services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from portal import clock
from portal.extensions import db
from portal.rules import services
from portal.rules.diff import ArticleText
from portal.rules.models import (
    ArticleComment,
    Ballot,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    VersionState,
    VotePhase,
    VoteResult,
)
from portal.villages.models import Village

# States a visitor may see: a draft belongs to the committee until consultation opens.
PUBLIC_STATES = (
    VersionState.CONSULTATION,
    VersionState.VOTING,
    VersionState.ADOPTED,
    VersionState.REJECTED,
    VersionState.SUPERSEDED,
)
RECENT_RESULTS = 5
RECENT_RESULT_DAYS = 365
HOME_LIMIT = 3
THREAD_LIMIT = 200
DOCUMENT_LIMIT = 50

# --- the rules index ----------------------------------------------------------------


@dataclass
class IndexSections:
    in_force: list[tuple[RuleVersion, RuleFiling | None]]
    voting: list[tuple[RuleVersion, services.Turnout]]
    announced: list[RuleVersion]
    consultation: list[RuleVersion]
    results: list[RuleVersion]
    documents: list[RuleDocument]

    @property
    def empty(self) -> bool:
        return not (self.in_force or self.voting or self.announced or self.consultation)


def index_sections(village: Village, now: datetime | None = None) -> IndexSections:
    """The rules in force, the votes and consultations under way, and recent results."""
    now = now or clock.now()
    rows = db.session.execute(
        sa.select(RuleVersion, RuleFiling)
        .join(RuleVersion.document)
        .outerjoin(RuleFiling, RuleFiling.version_id == RuleVersion.id)
        .options(contains_eager(RuleVersion.document))
        .where(
            RuleVersion.village_id == village.id,
            RuleVersion.state.in_(
                [VersionState.CONSULTATION, VersionState.VOTING, VersionState.ADOPTED]
            ),
        )
        .order_by(RuleDocument.created_at, RuleDocument.id, RuleVersion.number)
        .limit(DOCUMENT_LIMIT * 2)
    ).all()
    in_force, voting, announced, consultation = [], [], [], []
    for version, filing in rows:
        if version.state == VersionState.ADOPTED:
            in_force.append((version, filing))
        elif version.vote_phase(now) in (VotePhase.OPEN, VotePhase.ENDED):
            voting.append(version)
        else:
            if version.vote_announced_at is not None:
                announced.append(version)
            if services.consultation_is_open(version, now):
                consultation.append(version)
    results = list(
        db.session.scalars(
            sa.select(RuleVersion)
            .join(VoteResult, VoteResult.version_id == RuleVersion.id)
            .join(RuleVersion.document)
            .options(contains_eager(RuleVersion.result), contains_eager(RuleVersion.document))
            .where(
                RuleVersion.village_id == village.id,
                VoteResult.closed_at >= now - timedelta(days=RECENT_RESULT_DAYS),
            )
            .order_by(VoteResult.closed_at.desc())
            .limit(RECENT_RESULTS)
        )
    )
    documents = list(
        db.session.scalars(
            sa.select(RuleDocument)
            .where(
                RuleDocument.village_id == village.id,
                sa.exists().where(
                    RuleVersion.document_id == RuleDocument.id,
                    RuleVersion.state.in_(PUBLIC_STATES),
                ),
            )
            .order_by(RuleDocument.created_at, RuleDocument.id)
            .limit(DOCUMENT_LIMIT)
        )
    )
    return IndexSections(
        in_force=in_force,
        voting=[(v, services.turnout(v, now)) for v in voting],
        announced=announced,
        consultation=consultation,
        results=results,
        documents=documents,
    )


# --- the village home ---------------------------------------------------------------


@dataclass(frozen=True)
class HomeVote:
    version: RuleVersion
    voted: int

    @property
    def status(self) -> str:
        """announced, open, or ended (its window over, the result not yet out)."""
        return self.version.vote_phase().value


@cache
def _home_votes_statement() -> sa.Select:
    """Built once (the village home runs it on every view), with bound parameters."""
    voted = (
        sa.select(sa.func.count())
        .select_from(Ballot)
        .where(Ballot.version_id == RuleVersion.id)
        .scalar_subquery()
    )
    return (
        sa.select(RuleVersion, voted)
        .join(RuleVersion.document)
        .options(contains_eager(RuleVersion.document))
        .where(
            RuleVersion.village_id == sa.bindparam("village_id", type_=sa.Integer),
            sa.or_(
                RuleVersion.state == VersionState.VOTING,
                sa.and_(
                    RuleVersion.state == VersionState.CONSULTATION,
                    RuleVersion.vote_announced_at.is_not(None),
                ),
            ),
        )
        .order_by(RuleVersion.vote_closes_at, RuleVersion.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def home_votes(village: Village, limit: int = HOME_LIMIT) -> list[HomeVote]:
    """Votes announced or open in the village, with how many have voted: one statement.

    No page writes: an announced vote whose opening time has passed is open by the
    clock (see `vote_phase`), whether its roll has been frozen yet or not.
    """
    rows = db.session.execute(
        _home_votes_statement(), {"village_id": village.id, "limit": limit}
    ).all()
    return [HomeVote(version, n) for version, n in rows]


# --- a document and its versions ---------------------------------------------------------


def document_of(village: Village, document_id: int) -> RuleDocument | None:
    return db.session.scalar(
        sa.select(RuleDocument).where(
            RuleDocument.id == document_id, RuleDocument.village_id == village.id
        )
    )


def public_versions(document: RuleDocument) -> list[RuleVersion]:
    """The document's versions a visitor may see, oldest first, with their results."""
    return list(
        db.session.scalars(
            sa.select(RuleVersion)
            .options(joinedload(RuleVersion.result))
            .where(
                RuleVersion.document_id == document.id,
                RuleVersion.state.in_(PUBLIC_STATES),
            )
            .order_by(RuleVersion.number)
        ).unique()
    )


def filings_of(versions: list[RuleVersion]) -> dict[int, RuleFiling]:
    if not versions:
        return {}
    filings = db.session.scalars(
        sa.select(RuleFiling).where(RuleFiling.version_id.in_([v.id for v in versions]))
    )
    return {f.version_id: f for f in filings}


# A version page's statements, built once with bound parameters (see _home_votes_statement).
_PUBLIC_VERSION = (
    sa.select(RuleVersion)
    .join(RuleVersion.document)
    .options(contains_eager(RuleVersion.document), joinedload(RuleVersion.result))
    .where(
        RuleDocument.id == sa.bindparam("document_id", type_=sa.Integer),
        RuleDocument.village_id == sa.bindparam("village_id", type_=sa.Integer),
        RuleVersion.number == sa.bindparam("number", type_=sa.Integer),
        RuleVersion.state.in_(PUBLIC_STATES),
    )
)
_ARTICLES_OF = (
    sa.select(RuleArticle)
    .where(RuleArticle.version_id == sa.bindparam("version_id", type_=sa.Integer))
    .order_by(RuleArticle.position, RuleArticle.id)
)
_COMMENT_COUNTS = (
    sa.select(ArticleComment.article_id, sa.func.count())
    .where(ArticleComment.version_id == sa.bindparam("version_id", type_=sa.Integer))
    .group_by(ArticleComment.article_id)
)


def public_version(village: Village, document_id: int, number: int) -> RuleVersion | None:
    """A version of one of the village's documents, with its document and result."""
    params = {"document_id": document_id, "village_id": village.id, "number": number}
    return db.session.scalar(_PUBLIC_VERSION, params)


def articles_of(version: RuleVersion) -> list[RuleArticle]:
    return list(db.session.scalars(_ARTICLES_OF, {"version_id": version.id}))


def article_at(version: RuleVersion, position: int) -> RuleArticle | None:
    return db.session.scalar(
        sa.select(RuleArticle).where(
            RuleArticle.version_id == version.id, RuleArticle.position == position
        )
    )


def comment_counts(version: RuleVersion) -> dict[int, int]:
    """{article id: comments on it}, hidden ones included (they show as hidden)."""
    return dict(db.session.execute(_COMMENT_COUNTS, {"version_id": version.id}).all())


def thread(article: RuleArticle, limit: int = THREAD_LIMIT) -> list[ArticleComment]:
    """An article's comments, oldest first, with their authors."""
    return list(
        db.session.scalars(
            sa.select(ArticleComment)
            .options(joinedload(ArticleComment.author))
            .where(ArticleComment.article_id == article.id)
            .order_by(ArticleComment.created_at, ArticleComment.id)
            .limit(limit)
        )
    )


# --- diffs ----------------------------------------------------------------------------


def diff_inputs(
    document: RuleDocument, older: RuleVersion, newer: RuleVersion
) -> tuple[list[ArticleText], list[ArticleText], dict[int, int]]:
    """Both versions' articles, and the lineage of every article of the document.

    Two statements: the two versions' articles, then (id, copied_from_id) of the
    document's articles, whose chains lead from one version back to the other.
    """
    rows = db.session.scalars(
        sa.select(RuleArticle)
        .where(RuleArticle.version_id.in_([older.id, newer.id]))
        .order_by(RuleArticle.position, RuleArticle.id)
    ).all()
    texts = {
        version_id: [
            ArticleText(a.id, a.position, a.title, a.body)
            for a in rows
            if a.version_id == version_id
        ]
        for version_id in (older.id, newer.id)
    }
    parent_of = dict(
        db.session.execute(
            sa.select(RuleArticle.id, RuleArticle.copied_from_id)
            .join(RuleVersion, RuleVersion.id == RuleArticle.version_id)
            .where(
                RuleVersion.document_id == document.id,
                RuleVersion.number > older.number,
                RuleVersion.number <= newer.number,
                RuleArticle.copied_from_id.is_not(None),
            )
        ).all()
    )
    return texts[older.id], texts[newer.id], parent_of
