"""Valid HTML (DESIGN.md 6): the Nu HTML checker over a sample of the demo's pages.

About twenty pages, as a visitor, a villager and the committee see them, in Chinese and
in English, with two htmx partials (wrapped in a bare document, as a browser shows them
inside the page), are saved to files and checked in one run of the checker (the
`vnu-jar` npm package, on Java). The sample includes what the UI itself writes (a
question asked through the form, a notice drafted and published with a `###` heading,
timestamps with microseconds) and the forms whose markup was once invalid (the login
phone, the appointment's required select, a draft's attachments). Only the messages
about htmx's own `hx-*` attributes, which HTML does not know, are ignored. Every whole
page also says what it is in a `<meta name="description">`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import clock, demo
from portal.auth.models import User
from portal.extensions import db
from portal.notices import services as notices
from portal.notices.models import NoticeCategory, NoticeQuestion
from portal.rules.models import RuleDocument
from portal.villages.models import Village
from tests.conftest import htmx_headers, login_as

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
HTMX_ATTRIBUTE = re.compile(r"^Attribute “(data-)?hx-[a-z-]+” (is )?not allowed")
PARTIAL = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
    "<title>htmx</title></head><body>{}</body></html>"
)


def java() -> str:
    path = shutil.which("java")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("java is missing under CI=true (.ci/run installs a JRE)", pytrace=False)
        pytest.skip("the Nu HTML checker needs java (apt-get install default-jre-headless)")
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `make setup` (npm ci) first", pytrace=False)
    return path


def nu_errors(files: list[Path]) -> list[str]:
    """The checker's errors, one line each, in one run over all the files."""
    run = subprocess.run(
        [
            java(),
            "-jar",
            str(VNU),
            "--errors-only",
            "--no-langdetect",
            "--format",
            "json",
            "--exit-zero-always",
        ]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = []
    for message in json.loads(run.stderr)["messages"]:
        if HTMX_ATTRIBUTE.match(message.get("message", "")):
            continue
        where = Path(message.get("url", "")).name
        errors.append(f"{where}:{message.get('lastLine')}: {message.get('message')}")
    return errors


def user(phone: str) -> User:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


@pytest.fixture
def sample(app, client, at, tmp_path):
    """The demo, with what people add through the site, and the pages to check."""
    demo.seed_demo()
    at(clock.now().replace(microsecond=123456))
    village = db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))
    committee = user(demo.COMMITTEE_PHONE)
    body = "### 说明\n\n湖滨村今年修路的情况。\n\n#### 进度\n\n- 一组已完工"
    fresh = notices.create_draft(
        committee, village, category=NoticeCategory.AFFAIRS, title="修路进度", body=body
    )
    notices.publish(committee, fresh)
    draft = notices.create_draft(
        committee, village, category=NoticeCategory.FINANCE, title="草稿", body="## 草稿正文"
    )
    db.session.commit()
    document = db.session.scalar(sa.select(RuleDocument).where(RuleDocument.village == village))
    v, d = f"/v/{village.slug}", document.id
    notice, console = f"{v}/notices/{fresh.id}", f"{v}/manage"
    visitor = [
        "/",
        f"{v}/",
        f"{v}/notices",
        notice,
        f"{v}/rules",
        f"{v}/rules/{d}/versions/2",
        f"{v}/rules/{d}/versions/1/result",
        "/login",
        "/register",
    ]
    pages = [("visitor", path, None) for path in visitor]
    pages += [
        ("visitor", "/?q=湖", htmx_headers("village-results")),
        ("visitor", notice, htmx_headers("questions")),
        ("villager", notice, None),
        ("villager", "/account", None),
        ("committee", f"{console}/roles", None),
        ("committee", f"{console}/notices/{draft.id}", None),
        ("committee", f"{console}/rules/{d}/versions/2", None),
        ("committee", f"{console}/log", None),
        ("english villager", notice, None),
        ("english villager", f"{v}/rules/{d}/versions/1/result", None),
    ]
    # A question asked through the form: its time has microseconds.
    login_as(client, user(demo.VILLAGER_PHONES[0]))
    asked = client.post(f"{notice}/questions", data={"body": "哪天修到三组？"})
    assert asked.status_code in (200, 303), asked.status_code
    question = db.session.scalar(
        sa.select(NoticeQuestion).where(NoticeQuestion.notice_id == fresh.id)
    )
    assert question.created_at.microsecond == 123456
    return pages, tmp_path


def fetch(app, pages, folder: Path) -> tuple[list[Path], list[str]]:
    """Each page saved to a file; the whole pages' descriptions checked on the way."""
    files, undescribed = [], []
    phones = {"villager": demo.VILLAGER_PHONES[0], "committee": demo.COMMITTEE_PHONE}
    for number, (role, path, headers) in enumerate(pages):
        client = app.test_client()
        if role != "visitor":
            login_as(client, user(phones[role.split()[-1]]))
        if role.startswith("english"):
            client.set_cookie("lang", "en")
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (role, path, headers, response.status_code)
        html = response.text
        if headers:
            assert "<html" not in html, (path, "a partial was asked for")
            html = PARTIAL.format(html)
        else:
            description = re.search(r'<meta name="description" content="([^"]*)">', html)
            if not description or not description.group(1).strip():
                undescribed.append(path)
        name = re.sub(r"[^a-z0-9]+", "-", f"{number}-{role}-{path}".lower()).strip("-")
        file = folder / f"{name}.html"
        file.write_text(html, encoding="utf-8")
        files.append(file)
    return files, undescribed


# The defects the sample's pages once had, written out by hand: the run must find each of
# them here (so it reads its files and reports their errors), and none in the sample.
CANARY = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>x</title>'
    '</head><body hx-boost="true"><h1>标题</h1><h3>跳级</h3>'
    '<time datetime="2026-06-16T02:00:00.123456+00:00">6月16日</time>'
    '<input type="tel" name="phone" autocomplete="username">'
    '<select name="role" required><option value="a">甲</option></select>'
    '<label for="files">附件</label><section id="files"></section>'
    '<input type="file" id="files"></body></html>'
)


@pytest.mark.demo
def test_a_sample_of_pages_is_valid_html(app, sample):
    pages, folder = sample
    files, undescribed = fetch(app, pages, folder)
    assert undescribed == [], f"pages without a description: {undescribed}"
    canary = folder / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    errors = nu_errors([*files, canary])
    found = "\n".join(e for e in errors if e.startswith("canary.html:"))
    assert "hx-boost" not in found
    for expected in ("skipping", "datetime", "autocomplete", "option", "Duplicate ID"):
        assert expected in found, (expected, found)
    errors = [e for e in errors if not e.startswith("canary.html:")]
    assert errors == [], "\n".join(errors)
