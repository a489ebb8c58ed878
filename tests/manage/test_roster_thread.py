"""The roster import as it runs in production: queued in the database with its file kept,
run by the app's import thread outside the upload request, reporting its progress on
the job row as it goes; and a job left queued or interrupted by a server that stopped
is run by `flask tick`."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.villages import roster
from portal.villages.models import RosterImport, RosterImportStatus
from tests.conftest import htmx_headers
from tests.manage.conftest import as_user, log_actions, roster_size
from tests.manage.test_roster import GOOD_ROWS, csv_bytes, upload


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"ROSTER_IMPORT_SYNC": False, "ROSTER_IMPORT_DIR": str(tmp_path / "imports")}


@pytest.fixture(autouse=True)
def _imports_done():
    yield
    roster.wait_for_imports(30)


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


def job_row(job_id: int) -> RosterImport:
    db.session.rollback()
    return db.session.get(RosterImport, job_id)


def kept_files(app) -> list[str]:
    folder = roster.upload_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_import_runs_outside_the_request_and_its_counters_grow_as_it_goes(
    app, client, committee, monkeypatch, db_backend
):
    reached, gate = threading.Event(), threading.Event()
    real_check, real_report = roster.check_rows, roster.report_progress
    seen: list[tuple[str, dict]] = []

    def check_then_wait(rows, columns, progress=None):
        def report(n):
            progress(n)
            if n >= 500 and not reached.is_set():
                reached.set()
                gate.wait(30)

        return real_check(rows, columns, report)

    def report(job_id, **values):
        real_report(job_id, **values)
        with db.engine.connect() as other:  # what any other request sees at this moment
            row = other.execute(
                sa.select(RosterImport.checked_rows, RosterImport.written_rows).where(
                    RosterImport.id == job_id
                )
            ).one()
        seen.append((threading.current_thread().name, row._asdict()))

    monkeypatch.setattr(roster, "check_rows", check_then_wait)
    monkeypatch.setattr(roster, "report_progress", report)
    rows = [[f"{n // 4 + 1}号", "", f"村民{n:04d}", "1970", "女"] for n in range(2000)]
    as_user(client, committee)
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 303  # answered while the import waits at the gate
    url = response.headers["Location"]
    try:
        assert reached.wait(30), "the import thread never reported progress"
        midway = client.get(url, headers=htmx_headers("import-status"))
        assert midway.status_code == 200
        assert "正在检查每一行" in midway.text and 'hx-trigger="every 1s"' in midway.text
        assert 'value="12"' in midway.text  # 500 of 2000 rows checked: 12% of the work
        assert "已检查 500 行" in midway.text
        plain = client.get(url)
        assert '<meta http-equiv="refresh"' in plain.text
        assert roster_size() == (0, 0)
    finally:
        gate.set()
    done = poll(client, url)
    assert "导入完成" in done.text and 'value="100"' in done.text
    job = db.session.scalars(sa.select(RosterImport)).one()
    assert job.status == RosterImportStatus.DONE and job.percent == 100
    assert (job.checked_rows, job.written_rows) == (2000, 2000)
    assert roster_size() == (500, 2000)
    assert log_actions() == ["roster.import"]

    assert {name for name, _row in seen} <= {"roster-import_0"}  # the import thread, always
    checked = sorted({row["checked_rows"] for _name, row in seen})
    assert checked == [0, 500, 1000, 1500, 2000]
    written = sorted({row["written_rows"] for _name, row in seen} - {0})
    if db_backend == "postgres":  # seen by others while the write transaction is open
        assert written == [500, 1000, 1500, 2000]
    else:  # SQLite's one write lock: the written count is seen at the commit
        assert written == []
    assert kept_files(app) == []  # the kept file goes once the job is over


def test_threaded_import_of_a_bad_file_imports_nothing(client, committee):
    as_user(client, committee)
    response = upload(client, csv_bytes([["1号", "", "", "1970", "男"]]))
    done = poll(client, response.headers["Location"])
    assert "文件有错，没有导入" in done.text and "缺少姓名" in done.text
    assert roster_size() == (0, 0)
    assert log_actions() == []


def test_a_job_queued_by_a_server_that_stopped_is_run_by_tick(
    app, client, committee, monkeypatch, runner
):
    monkeypatch.setattr(roster, "_submit", lambda app, job_id: None)  # the server died here
    as_user(client, committee)
    response = upload(client, csv_bytes(GOOD_ROWS))
    assert response.status_code == 303
    job = db.session.scalars(sa.select(RosterImport)).one()
    assert job.status == RosterImportStatus.QUEUED
    assert kept_files(app) == [f"{job.id}.json", f"{job.id}.upload"]
    assert "排队中" in client.get(response.headers["Location"]).text
    assert roster_size() == (0, 0)

    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "roster.imports: 1" in result.output
    job = job_row(job.id)
    assert job.status == RosterImportStatus.DONE and job.result["residents_created"] == 5
    assert roster_size() == (3, 5)
    assert log_actions() == ["roster.import"]
    assert kept_files(app) == []
    assert "roster.imports: 0" in runner.invoke(args=["tick"]).output  # once, and no more


def test_an_import_interrupted_midway_is_run_again_by_tick(app, village, committee):
    stopped = clock.now() - timedelta(hours=1)

    def interrupted_job(filename: str) -> RosterImport:
        job = RosterImport(
            village_id=village.id,
            created_by_id=committee.id,
            filename=filename,
            file_format="csv",
            status=RosterImportStatus.CHECKING,
            total_rows=5,
            checked_rows=3,
            updated_at=stopped,
        )
        db.session.add(job)
        db.session.commit()
        return job

    resumable = interrupted_job("有文件.csv")
    roster._keep_upload(resumable.id, csv_bytes(GOOD_ROWS), "10.0.0.8")
    lost = interrupted_job("文件没了.csv")
    assert roster.run_waiting_imports(clock.now()) == 2
    done = job_row(resumable.id)
    assert done.status == RosterImportStatus.DONE and done.checked_rows == 5
    assert roster_size() == (3, 5)
    failed = job_row(lost.id)
    assert failed.status == RosterImportStatus.FAILED
    assert [e["code"] for e in failed.errors] == ["interrupted"]
    assert kept_files(app) == []


def test_a_job_is_claimed_by_one_runner_only(app, village, committee):
    job = RosterImport(village_id=village.id, filename="a.csv", file_format="csv")
    db.session.add(job)
    db.session.commit()
    assert roster.claim_job(job.id) is True
    assert roster.claim_job(job.id) is False  # running and reporting: not anyone else's
    later = clock.now() + timedelta(seconds=roster.STALE_AFTER_SECONDS + 1)
    assert roster.claim_job(job.id, later) is True  # silent that long: taken up again
