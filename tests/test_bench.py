"""The bench's own set-up: the cookies and write requests `bench/prepare.py` makes
in-process must be the ones the portal accepts, or `make bench` measures refusals."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from bench import prepare
from portal.extensions import db
from portal.nominations.models import Endorsement
from portal.points.models import EntryState, LedgerEntry, LedgerKind, PointsEntry
from portal.rules.models import Ballot

pytestmark = pytest.mark.demo


def send(client, line: str):
    """One line of a write file, sent as bench/writes.lua sends it."""
    method, path, cookie, body, target = line.rstrip("\n").split("\t")
    assert method == "POST"
    client.set_cookie(*cookie.split("=", 1), domain="localhost")
    return client.post(
        path,
        data=dict(parse_qsl(body)),
        headers={"HX-Request": "true", "HX-Target": target},
        csrf=False,
    )


def test_role_cookies_log_each_role_in(app, client, tmp_path):
    roles = prepare.role_cookies(prepare.Signer(app))
    assert set(roles) == set(prepare.ROLE_PHONES)
    client.set_cookie(*roles["committee"]["cookie"].split("=", 1), domain="localhost")
    response = client.get("/v/hubin/manage/")
    assert response.status_code == 200


def test_each_write_line_is_accepted_and_writes(app, client, tmp_path):
    signer = prepare.Signer(app)
    roles = prepare.role_cookies(signer)
    summary = prepare.prepare_writes(signer, roles, tmp_path, count=8, pending=4, households_max=6)
    assert summary["voters"] == 8
    lines = {
        name: (tmp_path / f"{name}.txt").read_text(encoding="utf-8").splitlines()
        for name in ("ballot", "endorse", "approve", "redeem")
    }
    before = prepare.count_writes()
    for name in lines:
        for line in lines[name][:2]:
            response = send(client, line)
            assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
    db.session.expire_all()
    after = prepare.count_writes()
    assert after["ballots"] - before["ballots"] == 2
    assert after["endorsements"] - before["endorsements"] == 2
    assert after["approvals"] - before["approvals"] == 2
    assert after["redemptions"] - before["redemptions"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Endorsement)) >= 2
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PointsEntry)
            .where(PointsEntry.note == "压测", PointsEntry.state == EntryState.APPROVED)
        )
        == 2
    )
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == LedgerKind.REDEMPTION)
    )
