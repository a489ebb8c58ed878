"""A 360 px phone is sent a photo the size it shows (templates/macros/photo.html).

A published notice of 湖滨村 gets a 1600 px photo for this test; Chromium at 360 px
wide (one device pixel a CSS pixel, as a cheap phone) picks the 480 px rendition from
the srcset and never asks for the original.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.extensions import db
from portal.notices.attachments import ATTACHMENTS
from portal.notices.models import AttachmentKind, Notice, NoticeAttachment, NoticeState
from portal.uploads import NewFiles
from portal.villages.models import Village

pytestmark = pytest.mark.browser

CAPTION = "修好的村口水渠"


@pytest.fixture
def notice_with_photo(live_app, tmp_path):
    """(notice id, attachment id) of a published notice given a stored 1600 x 1200 photo,
    taken off again afterwards so the other browser tests see the demo as it was."""
    before = live_app.config.get("ATTACHMENT_DIR")
    live_app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    image = Image.merge(
        "RGB",
        [Image.linear_gradient("L").resize((1600, 1200))] * 2 + [Image.new("L", (1600, 1200))],
    )
    out = io.BytesIO()
    image.save(out, format="JPEG")
    with live_app.test_request_context():
        notice = db.session.scalars(
            sa.select(Notice)
            .join(Village, Village.id == Notice.village_id)
            .where(Village.slug == "hubin", Notice.state == NoticeState.PUBLISHED)
            .order_by(Notice.id)
        ).first()
        prepared = ATTACHMENTS.prepare(out.getvalue(), "水渠.jpg")
        row = NoticeAttachment(
            notice_id=notice.id,
            village_id=notice.village_id,
            kind=AttachmentKind.IMAGE,
            content_type=prepared.content_type,
            stored_name=ATTACHMENTS.store(prepared, NewFiles()),
            original_name=prepared.name,
            caption=CAPTION,
            size_bytes=len(prepared.data),
            width=prepared.width,
            height=prepared.height,
            created_by_id=notice.created_by_id,
        )
        db.session.add(row)
        db.session.commit()
        ids = (notice.id, row.id)
        db.session.remove()
    yield ids
    with live_app.app_context():
        db.session.execute(sa.delete(NoticeAttachment).where(NoticeAttachment.id == ids[1]))
        db.session.commit()
        db.session.remove()
    live_app.config["ATTACHMENT_DIR"] = before


def test_a_360px_phone_fetches_the_480px_rendition(page, notice_with_photo):
    notice_id, attachment_id = notice_with_photo
    photo = f"/v/hubin/notices/{notice_id}/attachments/{attachment_id}"
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.set_viewport_size({"width": 360, "height": 740})
    # A query of its own: the page cache may hold this notice as it was without the photo.
    page.goto(f"/v/hubin/notices/{notice_id}?photo-sizes")
    image = page.get_by_role("img", name=CAPTION)
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "(alt) => [...document.images].some((i) => i.alt === alt && i.complete && i.naturalWidth)",
        arg=CAPTION,
    )
    current = page.evaluate(
        "(alt) => [...document.images].find((i) => i.alt === alt).currentSrc", CAPTION
    )
    assert current.endswith(f"{photo}?w=480"), current
    photo_requests = [url for url in asked if photo in url]
    assert photo_requests and all(url.endswith("?w=480") for url in photo_requests), asked
