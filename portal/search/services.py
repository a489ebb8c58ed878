"""Search over a village's public notices and rule articles.

The index (`SearchEntry`) holds one row per searchable text that anyone may read:

- each published or archived notice (an archived one is still public at its address);
  drafts never;
- each article of a rule version that is public and current: under consultation
  征求意见, being voted on, or adopted and in force. A draft is not public; a rejected
  version and a superseded one are no longer what the village is asked about or lives
  by, so their entries are removed (their pages stay, reached from the rules pages).

Keeping it in step: the services that change what is public call `index_notice` or
`index_rule_document` in the same transaction as the change (notices: publish,
publish_correction, post_assembly_decision, archive; rules: open_consultation and
close_vote, which adopts, rejects and supersedes). Explicit calls rather than a
session event: a flush listener would have to write rows during a flush, and a reader
of a service sees where the index changes. Announcing or opening a vote changes
nothing that is searched, so neither calls it. `reindex_village` rebuilds a village
from scratch (`flask search reindex`, the demo seed).

Matching (tokens.py has the why): on PostgreSQL, to_tsvector('simple', tokens) @@
to_tsquery('simple', :q) with the tsquery string bound as a parameter, served within
the village by the GIN index ix_search_entry_village_tokens (or, for a small village, by
ix_search_entry_village_id and a filter: either way only the village's rows are read,
so a search costs the same at city scale); on SQLite the same conditions as LIKE patterns over
the tokens of the village's rows. Both then check each CJK run of the query as a
substring of the title or text, so the two databases return the same rows.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup, escape

from portal import clock
from portal.extensions import db
from portal.notices.models import Notice, NoticeState
from portal.rules.labels import article_label, cn_number
from portal.rules.models import RuleArticle, RuleDocument, RuleVersion, VersionState
from portal.search.models import SearchEntry, SearchSource
from portal.search.tokens import Query, escape_like, index_tokens, parse_query
from portal.villages.models import Village

PER_PAGE = 20
PUBLIC_NOTICE_STATES = (NoticeState.PUBLISHED, NoticeState.ARCHIVED)
PUBLIC_VERSION_STATES = (VersionState.CONSULTATION, VersionState.VOTING, VersionState.ADOPTED)
TITLE_MAX = 200
SNIPPET_CHARS = 80


# --- text -------------------------------------------------------------------------


class _TextOf(HTMLParser):
    BLOCKS = {"p", "br", "li", "h3", "h4", "blockquote", "tr", "pre", "ul", "ol", "table"}
    CELLS = {"td", "th"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in self.CELLS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(body_html: str) -> str:
    """The words of a sanitized notice body: blocks on their own lines, cells spaced."""
    parser = _TextOf()
    parser.feed(body_html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


# --- keeping the index in step ----------------------------------------------------


def _entries(source: SearchSource, ids: list[int]) -> dict[int, SearchEntry]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(SearchEntry).where(SearchEntry.source == source, SearchEntry.source_id.in_(ids))
    )
    return {row.source_id: row for row in rows}


def _put(
    existing: SearchEntry | None,
    *,
    village_id: int,
    source: SearchSource,
    source_id: int,
    title: str,
    text: str,
    at: datetime | None,
    also: str = "",
) -> None:
    """Add or update one entry; `also` is more words it is found by, not shown."""
    title = title[:TITLE_MAX]
    tokens = index_tokens("\n".join(part for part in (title, text, also) if part))
    at = at or clock.now()
    if existing is None:
        db.session.add(
            SearchEntry(
                village_id=village_id,
                source=source,
                source_id=source_id,
                title=title,
                text=text,
                tokens=tokens,
                updated_at=at,
            )
        )
    elif (existing.title, existing.text, existing.updated_at) != (title, text, at):
        existing.title, existing.text, existing.tokens, existing.updated_at = (
            title,
            text,
            tokens,
            at,
        )


def index_notice(notice: Notice) -> None:
    """Make the index agree with `notice`: an entry while it is public, none otherwise."""
    if notice.id is None:
        db.session.flush()
    existing = _entries(SearchSource.NOTICE, [notice.id]).get(notice.id)
    if notice.state not in PUBLIC_NOTICE_STATES:
        if existing is not None:
            db.session.delete(existing)
        return
    _put(
        existing,
        village_id=notice.village_id,
        source=SearchSource.NOTICE,
        source_id=notice.id,
        title=notice.title,
        text=html_to_text(notice.body_html),
        at=notice.published_at,
    )


def article_title(document_title: str, position: int, title: str | None) -> str:
    """What an article's entry is found by: 湖滨村村规民约 第三条 (its title), as the pages
    number it (portal/rules/labels.py)."""
    return f"{document_title} 第{cn_number(position)}条" + (f" {title}" if title else "")


def _version_time(version: RuleVersion) -> datetime | None:
    return version.adopted_at or version.vote_opened_at or version.consultation_opened_at


def index_rule_document(document: RuleDocument) -> None:
    """Make the index agree with every version of `document`: entries for the articles
    of public versions (consultation, voting, adopted), none for the others."""
    db.session.flush()
    versions = db.session.scalars(
        sa.select(RuleVersion).where(RuleVersion.document_id == document.id)
    ).all()
    articles = db.session.scalars(
        sa.select(RuleArticle)
        .join(RuleVersion)
        .where(RuleVersion.document_id == document.id)
        .order_by(RuleArticle.id)
    ).all()
    by_version = {v.id: v for v in versions}
    existing = _entries(SearchSource.RULE_ARTICLE, [a.id for a in articles])
    for article in articles:
        version = by_version[article.version_id]
        entry = existing.get(article.id)
        if version.state not in PUBLIC_VERSION_STATES:
            if entry is not None:
                db.session.delete(entry)
            continue
        _put(
            entry,
            village_id=version.village_id,
            source=SearchSource.RULE_ARTICLE,
            source_id=article.id,
            title=article_title(document.title, article.position, article.title),
            text=article.body,
            at=_version_time(version),
            also=f"第{article.position}条",  # 第3条 finds 第三条
        )


def reindex_village(village: Village) -> int:
    """Rebuild the village's entries from its notices and rules; returns how many it has."""
    db.session.flush()
    db.session.execute(sa.delete(SearchEntry).where(SearchEntry.village_id == village.id))
    notices = db.session.scalars(
        sa.select(Notice).where(
            Notice.village_id == village.id, Notice.state.in_(PUBLIC_NOTICE_STATES)
        )
    )
    for notice in notices:
        index_notice(notice)
    documents = db.session.scalars(
        sa.select(RuleDocument).where(RuleDocument.village_id == village.id)
    )
    for document in documents:
        index_rule_document(document)
    db.session.flush()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SearchEntry)
        .where(SearchEntry.village_id == village.id)
    )


# --- searching --------------------------------------------------------------------


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def tsquery_match(query: Query):
    """to_tsvector('simple', tokens) @@ to_tsquery('simple', :tsquery): the expression
    in the GIN index ix_search_entry_village_tokens, verbatim, with the query string bound."""
    tsquery = query.tsquery()
    if tsquery is None:
        return None
    simple = sa.literal_column("'simple'")
    return sa.func.to_tsvector(simple, SearchEntry.tokens).op("@@")(
        sa.func.to_tsquery(simple, sa.bindparam("tsquery", tsquery, sa.Text))
    )


def _contains(column, text: str):
    return column.like(f"%{escape_like(text)}%", escape="\\")


def _first_of_its_text(village: Village):
    """An article the same in several public versions (in force, and again in the one
    under consultation or vote) is one result: its first entry stands for the rest."""
    entry, same = SearchEntry, sa.orm.aliased(SearchEntry)
    earlier = (
        sa.select(same.id)
        .where(
            same.village_id == village.id,
            same.source == SearchSource.RULE_ARTICLE,
            same.title == entry.title,
            same.text == entry.text,
            same.source_id < entry.source_id,
        )
        .exists()
    )
    return sa.or_(entry.source != SearchSource.RULE_ARTICLE, ~earlier)


def search_select(village: Village, query: Query) -> sa.Select:
    """The village's entries that match `query`, best first: title hits, then newest."""
    entry = SearchEntry
    stmt = sa.select(entry).where(entry.village_id == village.id, _first_of_its_text(village))
    if _is_postgres():
        match = tsquery_match(query)
        if match is not None:
            stmt = stmt.where(match)
    else:
        padded = sa.literal(" ") + entry.tokens + sa.literal(" ")
        for pattern in query.token_patterns():
            stmt = stmt.where(padded.like(pattern, escape="\\"))
    title_hits = []
    for term in query.terms:
        for literal in term.literals:
            found = sa.or_(_contains(entry.title, literal), _contains(entry.text, literal))
            stmt = stmt.where(found)
        title_hits.extend(_contains(sa.func.lower(entry.title), word) for word in term.words)
    rank = sa.case((sa.and_(*title_hits), 0), else_=1) if title_hits else sa.literal(1)
    return stmt.order_by(rank, entry.updated_at.desc(), entry.id.desc())


@dataclass(frozen=True)
class Result:
    kind: SearchSource
    source_id: int
    title: str
    snippet: Markup
    at: datetime
    # A rule article's place, for its link: .../rules/<document_id>/versions/<number>#article-<k>
    document_id: int | None = None
    number: int | None = None
    position: int | None = None
    state: VersionState | None = None
    # Every public version with this very article, oldest first: (number, state).
    versions: tuple[tuple[int, VersionState], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    q: str
    query: Query
    pagination: Pagination | None
    results: list[Result]


def search(village: Village, q: str | None, page: int = 1) -> SearchPage:
    """A page of results for `q` in `village`. Costs at most three statements: the
    count, the page, and the rule articles' versions for their links. An article the same
    in several public versions is one result, with each version it belongs to."""
    q = (q or "").strip()
    query = parse_query(q)
    if not query:
        return SearchPage(q, query, None, [])
    pagination = db.paginate(
        search_select(village, query), page=page, per_page=PER_PAGE, error_out=False
    )
    entries = list(pagination.items)
    article_ids = [e.source_id for e in entries if e.source == SearchSource.RULE_ARTICLE]
    where = _article_places(article_ids)
    words = query.words
    results = []
    for e in entries:
        found = Result(e.source, e.source_id, e.title, snippet(e.text, words), e.updated_at)
        if e.source == SearchSource.RULE_ARTICLE:
            places = where.get(e.source_id)
            if not places:  # gone since the page was counted
                continue
            place = next((p for p in places if p.is_self), places[0])
            found = dataclasses.replace(
                found,
                title=place.document_title
                + " "
                + article_label(place.position)
                + (f" {place.title}" if place.title else ""),
                document_id=place.document_id,
                number=place.number,
                position=place.position,
                state=place.state,
                versions=tuple((p.number, p.state) for p in places),
            )
        results.append(found)
    return SearchPage(q, query, pagination, results)


def _article_places(article_ids: list[int]) -> dict[int, list]:
    """For each found article: where it stands (document, number, position) and every
    public version of its document that has the same article, oldest first. One statement."""
    if not article_ids:
        return {}
    found, version = sa.orm.aliased(RuleArticle), sa.orm.aliased(RuleVersion)
    same, holder = sa.orm.aliased(RuleArticle), sa.orm.aliased(RuleVersion)
    rows = db.session.execute(
        sa.select(
            found.id,
            found.position,
            found.title,
            RuleDocument.title.label("document_title"),
            holder.document_id,
            holder.number,
            holder.state,
            (same.id == found.id).label("is_self"),
        )
        .join(version, found.version_id == version.id)
        .join(RuleDocument, RuleDocument.id == version.document_id)
        .join(holder, holder.document_id == version.document_id)
        .join(
            same,
            sa.and_(
                same.version_id == holder.id,
                same.position == found.position,
                same.body == found.body,
                same.title.is_not_distinct_from(found.title),
            ),
        )
        .where(found.id.in_(article_ids), holder.state.in_(PUBLIC_VERSION_STATES))
        .order_by(found.id, holder.number)
    )
    places: dict[int, list] = {}
    for row in rows:
        places.setdefault(row.id, []).append(row)
    return places


# --- snippets ---------------------------------------------------------------------


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """`text` normalized as queries are, and for each of its characters the index of the
    character of `text` it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        norm = unicodedata.normalize("NFKC", char).lower()
        out.append(norm)
        origin.extend([i] * len(norm))
    return "".join(out), origin


def snippet(text: str, words: list[str], size: int = SNIPPET_CHARS) -> Markup:
    """About `size` characters of `text` around the first match, every match in <mark>."""
    norm, origin = _normalized_with_map(text)
    spans: list[tuple[int, int]] = []
    for word in sorted(set(words), key=len, reverse=True):
        start = norm.find(word)
        while start != -1:
            a, b = origin[start], origin[start + len(word) - 1] + 1
            if not any(a < y and x < b for x, y in spans):
                spans.append((a, b))
            start = norm.find(word, start + len(word))
    spans.sort()
    first = spans[0][0] if spans else 0
    begin = max(0, min(first - size // 4, len(text) - size))
    end = min(len(text), begin + size)
    pieces: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for a, b in spans:
        if b <= begin or a >= end:
            continue
        a, b = max(a, begin), min(b, end)
        if a < cursor:
            continue
        pieces.append(str(escape(text[cursor:a])))
        pieces.append(f"<mark>{escape(text[a:b])}</mark>")
        cursor = b
    pieces.append(str(escape(text[cursor:end])))
    if end < len(text):
        pieces.append("…")
    return Markup("".join(pieces).replace("\n", " "))
