"""The roster import as it runs in production: in a background thread, reporting its
progress on the job row, which the job page shows while the thread works."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.villages import roster
from portal.villages.models import RosterImport, RosterImportStatus
from tests.conftest import htmx_headers
from tests.manage.conftest import as_user, log_actions, roster_size
from tests.manage.test_roster import csv_bytes, upload


@pytest.fixture
def app_config() -> dict:
    return {"ROSTER_IMPORT_SYNC": False}


def poll(client, url: str, timeout: float = 60.0):
    """Poll the job's status region as htmx does, until the server says stop (286)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot, as a new request on a real server has
        response = client.get(url, headers=htmx_headers("import-status"))
        if response.status_code == 286:
            return response
        assert response.status_code == 200
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_threaded_import_reports_progress_and_finishes(client, committee, monkeypatch):
    reached, gate = threading.Event(), threading.Event()
    real_check = roster.check_rows

    def check_then_wait(rows, columns, progress=None):
        def report(n):
            progress(n)
            if n >= 500 and not reached.is_set():
                reached.set()
                gate.wait(30)

        return real_check(rows, columns, report)

    monkeypatch.setattr(roster, "check_rows", check_then_wait)
    rows = [[f"{n // 4 + 1}号", "", f"村民{n:04d}", "1970", "女"] for n in range(2000)]
    as_user(client, committee)
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 303
    url = response.headers["Location"]
    try:
        assert reached.wait(30), "the import thread never reported progress"
        db.session.rollback()
        midway = client.get(url, headers=htmx_headers("import-status"))
        assert midway.status_code == 200
        assert "正在检查每一行" in midway.text and 'hx-trigger="every 1s"' in midway.text
        assert 'value="12"' in midway.text  # 500 of 2000 rows checked: 12% of the work
        plain = client.get(url)
        assert '<meta http-equiv="refresh"' in plain.text
        assert roster_size() == (0, 0)
    finally:
        gate.set()
    done = poll(client, url)
    assert "导入完成" in done.text and 'value="100"' in done.text
    db.session.rollback()
    job = db.session.scalars(sa.select(RosterImport)).one()
    assert job.status == RosterImportStatus.DONE and job.percent == 100
    assert (job.checked_rows, job.written_rows) == (2000, 2000)
    assert roster_size() == (500, 2000)
    assert log_actions() == ["roster.import"]
    thread = roster._threads.get(job.id)
    if thread is not None:
        thread.join(10)


def test_threaded_import_of_a_bad_file_imports_nothing(client, committee):
    as_user(client, committee)
    response = upload(client, csv_bytes([["1号", "", "", "1970", "男"]]))
    done = poll(client, response.headers["Location"])
    assert "文件有错，没有导入" in done.text and "缺少姓名" in done.text
    assert roster_size() == (0, 0)
    assert log_actions() == []
