"""Search over a village's notices and rule articles: what it finds, what it never shows,
hostile queries, the page plain and with htmx, its cost, and its plan on PostgreSQL."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services as notices
from portal.rules import services as rules
from portal.rules.models import VersionState
from portal.search import services
from portal.search.models import SearchEntry, SearchSource
from portal.villages.models import Village
from tests.conftest import htmx_headers
from tests.factories import VillageFactory, official, villager
from tests.notices.conftest import make_notice
from tests.rules import factories as rf
from tests.search.conftest import titles
from tests.statements import statements
from tests.text import unwrapped

RULE = "湖滨村村规民约"


# --- what it finds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # two characters
        ("垃圾", {"关于垃圾分类的通知", f"{RULE} 第一条"}),
        ("彩礼", {"移风易俗倡议书"}),
        # three
        ("红白理", {"移风易俗倡议书", f"{RULE} 第二条"}),
        # four
        ("垃圾分类", {"关于垃圾分类的通知", f"{RULE} 第一条"}),
        ("赡养父母", {f"{RULE} 第三条"}),
        # mixed Chinese and Latin, any width and case
        ("WiFi密码", {"村委会便民服务"}),
        ("wifi密码", {"村委会便民服务"}),
        ("ＷＩＦＩ密码", {"村委会便民服务"}),
        ("hubin2026", {"村委会便民服务"}),
        ("2026年", {"2026年度工作计划"}),
        # one character, and several terms (all must match)
        ("狗", {"2026年度工作计划"}),
        ("垃圾 彩礼", set()),
        ("彩礼 红白", {"移风易俗倡议书"}),
        ("厨余 绿色桶", {"关于垃圾分类的通知"}),
        # the title counts too; table cells are text
        ("倡议书", {"移风易俗倡议书"}),
        ("办证", {"村委会便民服务"}),
    ],
)
def test_finds(village, corpus, q, expected):
    assert set(titles(village, q)) == expected


@pytest.mark.parametrize("q", ["圾类分", "分类垃圾", "wifi码", "2025年", "村委会大厅wifi密码错"])
def test_does_not_find_what_is_not_there(village, corpus, q):
    assert titles(village, q) == []


def test_a_phrase_does_not_match_across_punctuation(village, committee):
    """垃圾，圾分 stores 垃圾 and 圾分 as neighbours; the phrase 垃圾分 is still not there."""
    make_notice(committee, village, title="标点", body="扔的是垃圾，圾分开放。")
    assert titles(village, "垃圾分") == []
    assert titles(village, "垃圾") == ["标点"]


def test_other_villages_and_drafts_are_never_found(village, corpus, committee):
    other = VillageFactory(name="东岗村", slug="donggang")
    make_notice(official(Role.COMMITTEE, village=other), other, title="东岗村垃圾清运")
    assert "东岗村垃圾清运" not in titles(village, "垃圾")
    assert titles(other, "垃圾") == ["东岗村垃圾清运"]
    assert titles(village, "春耕") == []
    assert titles(village, "草稿") == []


def test_order_is_title_hits_first_then_newest(village, committee):
    now = notices.clock.now()
    older = make_notice(committee, village, title="通知一", body="村里清理垃圾。")
    newer = make_notice(committee, village, title="通知二", body="垃圾车每天来。")
    titled = make_notice(committee, village, title="垃圾清运时间", body="每天早上七点。")
    for n, notice in enumerate((older, newer, titled)):
        notice.published_at = now - timedelta(days=10 - n)
        services.index_notice(notice)
    older.published_at = now - timedelta(days=1)  # newest of all, but no title hit
    services.index_notice(older)
    db.session.commit()
    first = titles(village, "垃圾")
    assert first == ["垃圾清运时间", "通知一", "通知二"]
    assert titles(village, "垃圾") == first


# --- keeping the index in step ------------------------------------------------------


def entries(village) -> dict[tuple[str, int], SearchEntry]:
    rows = db.session.scalars(sa.select(SearchEntry).where(SearchEntry.village_id == village.id))
    return {(row.source.value, row.source_id): row for row in rows}


def test_notice_states_and_corrections_are_indexed(village, committee):
    draft = make_notice(committee, village, publish=False, title="草稿")
    assert entries(village) == {}
    notices.publish(committee, draft)
    db.session.commit()
    assert ("notice", draft.id) in entries(village)
    notices.archive(committee, draft)
    db.session.commit()
    assert ("notice", draft.id) in entries(village)  # archived: still public
    correction = notices.publish_correction(committee, draft, title="更正：草稿", body="改正后")
    decision = notices.post_assembly_decision(village, "会议决定：修路", "同意修路。")
    db.session.commit()
    assert {("notice", correction.id), ("notice", decision.id)} <= set(entries(village))
    assert titles(village, "修路") == ["会议决定：修路"]


def test_rule_versions_are_indexed_while_public(village, committee):
    version = rf.draft(village, committee)
    assert entries(village) == {}
    rules.open_consultation(committee, version)
    db.session.commit()
    assert len(entries(village)) == 3
    rules.announce_vote(
        committee,
        version,
        opens_at=rules.clock.now() + timedelta(days=10),
        closes_at=rules.clock.now() + timedelta(days=17),
        tally_visibility="live",
    )
    db.session.commit()
    rules.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    assert len(entries(village)) == 3  # voting: still asked about
    rules.close_vote(committee, version, rf.after(version))  # nobody voted: rejected
    db.session.commit()
    assert version.state == VersionState.REJECTED
    assert all(key[0] == "notice" for key in entries(village))  # only the decision notice
    assert titles(village, "垃圾分类") == []


def test_adoption_replaces_the_superseded_version(village, committee):
    voters = [villager(village) for _ in range(2)]
    first = rf.voting(village, committee)
    for voter in voters:
        rules.cast_ballot(first, voter, "yes", rf.during(first))
    rules.close_vote(committee, first, rf.after(first))
    db.session.commit()
    assert [r.state for r in services.search(village, "红白理事会").results] == ["adopted"]

    now = rf.after(first)
    second = rules.new_draft(committee, first.document, now=now)
    db.session.commit()
    rules.edit_article(committee, second.articles[1], "红白理事会引导婚事新办。", now=now)
    rules.open_consultation(committee, second, now=now)
    db.session.commit()
    both = services.search(village, "红白理事会").results
    assert sorted(r.state for r in both) == ["adopted", "consultation"]
    opens, closes = now + timedelta(days=10), now + timedelta(days=12)
    rules.announce_vote(committee, second, opens, closes, "live", now=now)
    db.session.commit()
    for voter in voters:
        rules.cast_ballot(second, voter, "yes", now + timedelta(days=11))
    rules.close_vote(committee, second, now + timedelta(days=13))
    db.session.commit()
    found = services.search(village, "红白理事会").results
    assert [(r.state, r.number) for r in found if r.kind == "rule_article"] == [("adopted", 2)]
    assert titles(village, "婚事新办") == [f"{RULE} 第二条"]


def test_an_article_the_same_in_two_versions_is_found_once_with_both(client, village, committee):
    """In force in version 1 and unchanged in version 2 under consultation: one result,
    named as every page names it (第一条), linking to each version it stands in."""
    voters = [villager(village) for _ in range(2)]
    first = rf.voting(village, committee)
    for voter in voters:
        rules.cast_ballot(first, voter, "yes", rf.during(first))
    rules.close_vote(committee, first, rf.after(first))
    db.session.commit()
    now = rf.after(first)
    second = rules.new_draft(committee, first.document, now=now)
    db.session.commit()
    rules.edit_article(committee, second.articles[1], "红白理事会引导婚事新办。", now=now)
    rules.open_consultation(committee, second, now=now)
    db.session.commit()

    found = services.search(village, "垃圾分类")
    rule_results = [r for r in found.results if r.kind == "rule_article"]
    assert found.pagination.total == len(found.results) == 1
    assert [r.title for r in rule_results] == [f"{RULE} 第一条"]
    assert rule_results[0].versions == ((1, "adopted"), (2, "consultation"))
    changed = services.search(village, "红白理事会").results
    assert sorted(r.versions for r in changed) == [((1, "adopted"),), ((2, "consultation"),)]
    assert titles(village, "第1条") == titles(village, "第一条") == [f"{RULE} 第一条"]

    page = unwrapped(client.get("/v/hubin/search?q=垃圾分类").text)
    assert page.count('class="notice-item"') == 1 and "第一条" in page
    base = f"/v/hubin/rules/{first.document_id}/versions"
    assert f'href="{base}/1#article-1">第 1 版</a>' in page
    assert f'href="{base}/2#article-1">第 2 版</a>' in page
    assert 'class="state-tag state-adopted"' in page
    assert 'class="state-tag state-consultation"' in page


def test_reindex_command_rebuilds_a_village(app, runner, village, corpus):
    db.session.execute(sa.delete(SearchEntry))
    db.session.commit()
    assert titles(village, "垃圾") == []
    result = runner.invoke(args=["search", "reindex", "--village", "hubin"])
    assert result.exit_code == 0, result.output
    assert "7 entries" in result.output  # four published notices, three articles
    assert len(titles(village, "垃圾")) == 2
    assert runner.invoke(args=["search", "reindex", "--village", "nowhere"]).exit_code != 0
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0


# --- hostile queries ----------------------------------------------------------------

HOSTILE = [
    "'",
    "''",
    "垃圾'",
    "'垃圾' | '彩礼'",
    "垃圾 & 彩礼",
    "垃圾 | 彩礼",
    "!垃圾",
    "垃圾:*",
    "垃圾 <-> 分类",
    "(垃圾",
    "垃圾)",
    "\\",
    "垃圾\\",
    "%",
    "_",
    "%垃圾%",
    "'; DROP TABLE search_entry; --",
    "a" * 500,
    "垃" * 500,
    "\x00",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_do_not_error(client, village, corpus, q):
    page = client.get("/v/hubin/search", query_string={"q": q})
    assert page.status_code == 200
    partial = client.get(
        "/v/hubin/search", query_string={"q": q}, headers=htmx_headers("search-results")
    )
    assert partial.status_code == 200


def test_like_wildcards_are_literal(village, corpus, committee):
    make_notice(committee, village, title="百分之百", body="完成率100%。")
    assert titles(village, "%") == []
    assert titles(village, "_") == []
    assert titles(village, "100") == ["百分之百"]


def test_operators_in_a_query_are_only_separators(village, corpus):
    assert set(titles(village, "垃圾 | 彩礼")) == set(titles(village, "垃圾 彩礼"))
    assert titles(village, "'垃圾分类'") == titles(village, "垃圾分类")


# --- the page -----------------------------------------------------------------------


def test_page_plain(client, village, corpus):
    page = client.get("/v/hubin/search?q=垃圾分类")
    assert page.status_code == 200
    assert "<html" in page.text
    assert '<form class="search" method="get"' in page.text
    assert '<label for="q">' in page.text and 'type="search"' in page.text
    assert 'value="垃圾分类"' in page.text
    assert "<mark>垃圾分类</mark>" in page.text
    assert f'href="/v/hubin/notices/{corpus["notices"]["garbage"].id}"' in page.text
    version = corpus["version"]
    assert f"/v/hubin/rules/{version.document_id}/versions/{version.number}#article-1" in page.text
    assert "HX-Request" in page.headers["Vary"]


def test_page_htmx_gets_the_results_block(client, village, corpus):
    partial = client.get("/v/hubin/search?q=彩礼", headers=htmx_headers("search-results"))
    assert partial.status_code == 200
    assert "<html" not in partial.text and "<form" not in partial.text
    assert "<mark>彩礼</mark>" in partial.text
    assert "HX-Request" in partial.headers["Vary"]
    assert len(partial.data) < 4096


def test_empty_query_gives_a_hint_and_no_result_a_message(client, village, corpus):
    assert "输入字词后" in client.get("/v/hubin/search").text
    assert "没有可以查找的字" in client.get("/v/hubin/search?q=!!!").text
    for headers in ({}, htmx_headers("search-results")):
        page = client.get("/v/hubin/search?q=拖拉机", headers=headers)
        assert "没有找到包含“拖拉机”" in page.text


def test_pages_of_twenty(client, village, committee):
    for i in range(25):
        make_notice(committee, village, title=f"垃圾清运第{i:02d}次", body="清运。")
    first = client.get("/v/hubin/search?q=清运")
    assert first.text.count('class="notice-item"') == 20
    assert "找到 25 条" in unwrapped(first.text)
    assert 'rel="next"' in first.text
    full = client.get("/v/hubin/search?q=清运", headers=htmx_headers("search-results"))
    assert full.text.count('class="notice-item"') == 20
    assert len(gzip.compress(full.data)) < 4096  # as sent: the site compresses its answers
    second = client.get("/v/hubin/search?q=清运&page=2", headers=htmx_headers("search-results"))
    assert second.text.count('class="notice-item"') == 5
    assert 'rel="prev"' in second.text
    for page in ("0", "-1", "abc", "99999999"):
        assert client.get(f"/v/hubin/search?q=清运&page={page}").status_code == 200


def test_unknown_village_is_404(client, village):
    assert client.get("/v/nowhere/search?q=垃圾").status_code == 404


def test_escapes_what_it_shows(client, village, committee):
    make_notice(committee, village, title="<b>垃圾</b>", body="<script>垃圾</script> 垃圾 <i>x</i>")
    page = client.get("/v/hubin/search?q=垃圾")
    assert "<b>垃圾</b>" not in page.text and "<script>垃圾" not in page.text
    assert "&lt;b&gt;" in page.text


def cost(client, path: str) -> int:
    client.get(path)
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_statement_count_does_not_grow_with_results(client, village, corpus, committee):
    few = cost(client, "/v/hubin/search?q=垃圾")
    for i in range(25):
        notice = make_notice(committee, village, title=f"清运第{i}次", body="垃圾清运。")
        notice.published_at -= timedelta(days=1)  # after the rule article, on the same page
        services.index_notice(notice)
    db.session.commit()
    page = client.get("/v/hubin/search?q=垃圾").text
    assert page.count('class="notice-item"') == 20 and "#article-1" in page
    assert cost(client, "/v/hubin/search?q=垃圾") == few
    # village, count, page, the rule articles' places
    assert few <= 4


# --- PostgreSQL: the GIN index serves the match -------------------------------------

FILLER = "村民道路硬化工程预算资金财务收支公开党员活动会议决定环境卫生保洁湖塘河道养殖鱼塘承包"


def explain(stmt, without: str | None = None, **settings) -> str:
    """The plan of `stmt`; `without` names an index dropped for this one transaction
    (rolled back), to show what the planner does in its absence."""
    compiled = stmt.compile(dialect=db.engine.dialect)
    with db.engine.connect() as conn:
        if without:
            conn.execute(sa.text(f"DROP INDEX {without}"))
        for name, value in settings.items():
            conn.execute(sa.text(f"SET LOCAL {name} = {value}"))
        rows = conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + str(compiled), compiled.params).all()
    return "\n".join(row[0] for row in rows)


def test_postgres_plan_uses_the_gin_index(db_backend, village, corpus):
    """The match is the GIN index's own expression, so PostgreSQL can answer the
    village-scoped search from ix_search_entry_village_tokens, which leads with the
    village: no plan reads the table or another village's postings.

    (On 225,000 entries over 1,500 villages of 150 each, the planner reads the village's
    rows by ix_search_entry_village_id and filters them, 2 ms; the composite GIN index
    answers the same search in 0.4 ms. Both read only the village.)
    """
    if db_backend != "postgres":
        pytest.skip("the GIN index exists only on PostgreSQL")
    from random import Random

    from portal.search.tokens import index_tokens, parse_query

    rng = Random(5)
    others = [Village(town=village.town, name=f"村{n}", slug=f"v{n}") for n in range(199)]
    db.session.add_all(others)
    db.session.flush()
    villages = [village, *others]
    rows = []
    for n in range(4000):
        start = rng.randrange(len(FILLER) - 30)
        text = FILLER[start : start + 30] + ("，垃圾分类" if n % 7 == 0 else "")
        rows.append(
            {
                "village_id": villages[n % 200].id,
                "source": SearchSource.NOTICE,
                "source_id": 100_000 + n,
                "title": "通知",
                "text": text,
                "tokens": index_tokens("通知\n" + text),
            }
        )
    db.session.execute(sa.insert(SearchEntry), rows)
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE search_entry"))
        conn.commit()
    for q in ("垃圾", "垃圾分类", "拖拉机", "WiFi密码 2026年"):
        query = parse_query(q)
        stmt = services.search_select(village, query)
        # A table this small is read whole unless told otherwise.
        plan = explain(stmt, without="ix_search_entry_village_id", enable_seqscan="off")
        assert "Bitmap Index Scan on ix_search_entry_village_tokens" in plan, plan
        assert "Index Cond: ((village_id = " in plan and "@@" in plan, plan
        plan = explain(stmt, enable_seqscan="off")
        assert "Seq Scan" not in plan and "village_id = " in plan, plan
    ours = sum(1 for row in rows if row["village_id"] == village.id and "垃圾分类" in row["text"])
    assert services.search(village, "垃圾分类").pagination.total == 2 + ours


def test_the_notices_list_has_a_search_box(client, village, corpus):
    page = client.get("/v/hubin/notices")
    assert 'action="/v/hubin/search"' in page.text and 'name="q"' in page.text
