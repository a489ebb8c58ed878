"""Bigram tokens for Chinese text, and the search query they answer.

Chinese is written without spaces, and a dictionary segmenter would need a dictionary
that knows village words (彩礼, 红白理事会, 门前三包) and would still split some of them
differently at index time and at query time. Overlapping character pairs need nothing:

- the text is normalized (NFKC: full-width letters and digits become ASCII; lower case)
  and cut into runs of CJK characters and runs of other letters and digits; everything
  else (spaces, punctuation) only separates runs;
- a CJK run becomes its overlapping bigrams (垃圾分类 → 垃圾 圾分 分类); a run of one
  character stays one token; a Latin or digit run stays one whole word (wifi, 2026);
- the stored tokens are these, space-separated, in order, so PostgreSQL's
  to_tsvector('simple', tokens) gives each its position.

A query is cut the same way. Runs that touch (no space or punctuation between them:
WiFi密码, 2026年) form one term, matched as a phrase: its tokens must be adjacent
(`<->`). Terms are ANDed. So 垃圾 is one token, and 垃圾分类 is 垃圾 & 圾分 & 分类 in
the index plus the substring 垃圾分类 in the text (below): the same rows as the phrase
垃圾 <-> 圾分 <-> 分类, but PostgreSQL's GIN index answers `&` exactly, whereas a phrase
makes it re-parse the tokens of every candidate row (measured: 4,541 candidates, 587 ms
with `<->`, 81 ms with `&`). `<->` stays between the runs of a mixed term (WiFi密码),
which no substring check covers.

One character is the hard case: 狗 may be stored as the first half of a bigram (狗绳),
the second half (养狗) or alone. tsquery has a prefix match (`'狗':*`) but no suffix
match, so:

- a single CJK character *after* another run of its term (2026年) is the start of the
  next stored token: a prefix match, exact (in the middle of a term, between two
  Latin runs, it is a one-character run in the text too: an exact unigram);
- a single character at the *start* of a term (第3条) or alone (狗) is left out of the
  phrase, and every CJK run of the query is also checked as a plain substring of the
  row's text (`literals`). A one-character query therefore has no index condition at
  all and is a LIKE over the village's own rows, which are hundreds, not millions;
  storing unigrams as well would double the index for a query that a village-scoped
  scan answers at once.

The substring check is what makes a run's ANDed bigrams a phrase, and it also removes
the one false match a bigram phrase allows: 垃圾，圾分 stores 垃圾 圾分 as neighbours,
which even 垃圾 <-> 圾分 (for 垃圾分) would match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Han ideographs (with extensions and compatibility forms), 〇, kana and hangul: scripts
# written without spaces between words.
CJK = (
    "\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
RUN = re.compile(rf"(?P<cjk>[{CJK}]+)|(?P<word>(?:(?![{CJK}])[^\W_])+)")

MAX_WORD = 40  # a longer Latin run (a pasted hash, a URL part) is cut to this
MAX_QUERY = 100  # characters of a query that count
MAX_TERMS = 8


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Run:
    text: str
    cjk: bool
    start: int
    end: int

    @property
    def tokens(self) -> list[str]:
        if not self.cjk:
            return [self.text[:MAX_WORD]]
        if len(self.text) == 1:
            return [self.text]
        return [self.text[i : i + 2] for i in range(len(self.text) - 1)]


def runs(text: str) -> list[Run]:
    """The runs of `text`, already normalized."""
    return [Run(m.group(), m.lastgroup == "cjk", m.start(), m.end()) for m in RUN.finditer(text)]


def index_tokens(text: str) -> str:
    """What SearchEntry.tokens stores for `text`."""
    return " ".join(token for run in runs(normalize(text)) for token in run.tokens)


@dataclass(frozen=True)
class Term:
    """One query term: runs with nothing between them, matched as a phrase."""

    phrase: tuple[str, ...]  # tokens that must be adjacent, in order; may be empty
    prefix_last: bool  # the last token of the phrase matches any token it begins
    literals: tuple[str, ...]  # CJK runs that must also appear verbatim in the text
    words: tuple[str, ...]  # every run of the term, for highlighting and ranking


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> list[str]:
        return [word for term in self.terms for word in term.words]

    def tsquery(self) -> str | None:
        """The to_tsquery('simple', ...) input: quoted tokens, `<->` within a term, `&`
        between terms; None if no term has an index part. Every token is quoted (with
        quotes and backslashes doubled), so no query text is ever tsquery syntax."""
        parts = []
        for term in self.terms:
            if not term.phrase:
                continue
            quoted = [_quote(token) for token in term.phrase]
            if term.prefix_last:
                quoted[-1] += ":*"
            # One CJK run: its bigrams ANDed, which the GIN index answers exactly; the
            # literal check makes them a phrase. `<->` would make PostgreSQL re-parse
            # every candidate row's tokens (GIN keeps no positions).
            joiner = " & " if len(term.words) == 1 else " <-> "
            parts.append("(" + joiner.join(quoted) + ")")
        return " & ".join(parts) or None

    def token_patterns(self) -> list[str]:
        """The same conditions as LIKE patterns over ' ' || tokens || ' ' (for SQLite),
        with LIKE's wildcards escaped by a backslash."""
        patterns = []
        for term in self.terms:
            if not term.phrase:
                continue
            body = " ".join(escape_like(token) for token in term.phrase)
            patterns.append(f"% {body}%" if term.prefix_last else f"% {body} %")
        return patterns


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_query(q: str | None) -> Query:
    text = normalize((q or "")[:MAX_QUERY])
    groups: list[list[Run]] = []
    for run in runs(text):
        if groups and groups[-1][-1].end == run.start:
            groups[-1].append(run)
        else:
            groups.append([run])
    terms: list[Term] = []
    for group in groups:
        term = _term(group)
        if term not in terms:
            terms.append(term)
    return Query(tuple(terms[:MAX_TERMS]))


def _term(group: list[Run]) -> Term:
    phrase: list[str] = []
    prefix_last = False
    for i, run in enumerate(group):
        if run.cjk and len(run.text) == 1:
            if i == 0:
                continue  # the end of a stored run: a bigram's second half, or alone
            phrase.append(run.text)
            prefix_last = i == len(group) - 1  # the start of the next stored token
        else:
            phrase.extend(run.tokens)
    return Term(
        phrase=tuple(phrase),
        prefix_last=prefix_last,
        literals=tuple(run.text for run in group if run.cjk),
        words=tuple(run.text for run in group),
    )
