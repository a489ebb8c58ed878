"""A date, a time and a count with its unit stay on one line (portal/typesetting.py)."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from portal.typesetting import keep_together
from tests.rules import factories as rf

NOWRAP = '<span class="nowrap">{}</span>'


def test_dates_times_and_counts_are_kept_whole():
    text = keep_together("2026年12月6日 23:59 截止，已有 9 人投票（30%），第 2 版，共 12 条")
    for run in ("2026年12月6日", "23:59", "9 人", "30%", "第 2 版", "12 条"):
        assert NOWRAP.format(run) in text, run
    english = keep_together("closes 6 Dec 2026 23:59; 9 votes, Version 2")
    for run in ("6 Dec 2026", "23:59", "9 votes", "Version 2"):
        assert NOWRAP.format(run) in english, run


def test_markup_tags_attributes_and_textareas_are_left_alone():
    html = Markup('<a href="/v/x/rules/1/versions/2" title="3 人">有 3 人</a>')
    kept = keep_together(html)
    assert '<a href="/v/x/rules/1/versions/2" title="3 人">' in kept
    assert "有 " + NOWRAP.format("3 人") + "</a>" in kept
    area = Markup("<textarea>超过 10 桌，3 人</textarea>")
    assert keep_together(area) == area
    assert keep_together("<b>5 人</b>") == "&lt;b&gt;" + NOWRAP.format("5 人") + "&lt;/b&gt;"


def test_the_village_home_keeps_the_vote_date_and_its_count_whole(client, app, at):
    """Once split at 320 px: "2026年12 / 月6日" and "已有 9 / 人投票"."""
    from portal import clock
    from portal.auth.models import Role
    from tests.factories import VillageFactory, official

    village = VillageFactory(name="湖滨村", slug="hubin")
    version = rf.voting(village, official(Role.COMMITTEE, village=village))
    at(rf.during(version))
    page = client.get("/v/hubin/").text
    closes = clock.local_date(version.vote_closes_at)
    assert NOWRAP.format(f"{closes.year}年{closes.month}月{closes.day}日") + " 截止" in page
    assert "已有 " + NOWRAP.format("0 人") + "投票" in page
    css = (Path(app.static_folder) / "css" / "site.css").read_text(encoding="utf-8")
    assert ".nowrap { white-space: nowrap; }" in css
