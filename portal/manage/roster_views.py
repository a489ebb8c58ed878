"""Roster import 花名册导入: upload, then a job page that shows the progress.

The job page refreshes itself: with htmx it polls its status region every second
and is told to stop (HTTP 286) once the job is over; without JavaScript a
<noscript> meta refresh reloads the page until then, and a plain link reloads it too.
A job interrupted by a server that stopped is still not over: `flask tick` runs it
again, so its page keeps watching, and says so.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import village_role
from portal.extensions import db
from portal.htmx import htmx_target, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, bp
from portal.manage.forms import RosterUploadForm
from portal.villages import roster
from portal.villages.models import RosterImport

SHOWN_ERRORS = 200


def _import_page(village, form: RosterUploadForm | None = None, status: int = 200):
    return render(
        "manage/roster_import.html",
        status=status,
        village=village,
        form=form or RosterUploadForm(formdata=None),
        jobs=roster.recent_imports(village),
        columns=roster.COLUMNS,
        birth_date_column=roster.BIRTH_DATE,
        max_mb=roster.MAX_BYTES // (1024 * 1024),
    )


@bp.get("/roster/import")
@village_role(*READERS)
def roster_import(village):
    return _import_page(village)


@bp.post("/roster/import")
@village_role(*EDITORS)
def upload_roster(village):
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _import_page(village, form, 422)
    upload = form.file.data
    try:
        data = roster.read_upload(upload.stream)
        file_format = roster.detect_format(data)
        job_id = roster.start_import(village, current_user, data, upload.filename, file_format)
    except roster.RosterFileError as exc:
        form.file.errors = [*form.file.errors, str(exc)]
        return _import_page(village, form, 422)
    return redirect_after_post(url_for("manage.roster_job", village=village.slug, job_id=job_id))


@bp.get("/roster/imports/<int:job_id>")
@village_role(*READERS)
def roster_job(village, job_id: int):
    job = db.session.scalar(
        sa.select(RosterImport)
        .where(RosterImport.id == job_id, RosterImport.village_id == village.id)
        .execution_options(populate_existing=True)
    )
    if job is None:
        abort(404)
    interrupted = roster.is_interrupted(job)
    over = job.finished
    errors = [
        {"line": e.get("line", 0), "reason": roster.describe(e.get("code", ""), e.get("params"))}
        for e in (job.errors or [])[:SHOWN_ERRORS]
    ]
    response = render(
        "manage/roster_job.html",
        blocks={"import-status": "status"},
        village=village,
        job=job,
        over=over,
        interrupted=interrupted,
        errors=errors,
        interrupted_reason=_(
            "导入停了下来，还没有导入任何数据。系统会重新开始这份导入；"
            "如果一直没有动静，可以重新上传文件。"
        ),
    )
    if over and htmx_target() == "import-status":
        response.status_code = 286  # htmx: stop polling
    return response
