"""Notice attachments 附件: checked by content, cleaned, stored under random names outside
static/, served with safe headers; every refusal clear and leaving nothing behind."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from portal.notices import attachments, services
from portal.notices.models import Notice, NoticeAttachment, NoticeCategory, NoticeState
from tests.conftest import htmx_headers, login_as
from tests.factories import UserFactory, VillageFactory, official, villager
from tests.notices.conftest import make_notice
from tests.notices.html_check import elements

MANAGE = "/v/hubin/manage/notices"


NOT_ACCEPTED = "只能上传图片（JPG、PNG、GIF、WebP）或 PDF 文件"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app_config(tmp_path):
    return {"ATTACHMENT_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def store(app):
    return attachments.attachment_dir()


def stored_files(store) -> list[str]:
    return sorted(p.name for p in store.iterdir()) if store.exists() else []


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def image_bytes(fmt="PNG", size=(40, 30), mode="RGB", exif=None, color=(200, 30, 30)) -> bytes:
    image = Image.new(mode, size, color if mode != "1" else 1)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def exif_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; display rotated 90°
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 30.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS
    return exif.tobytes()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(data: bytes, name: str, content_type: str = "application/octet-stream"):
    return (io.BytesIO(data), name, content_type)


def slots(*files, captions=None) -> dict:
    """The form's file slots, one file each, with its caption (by default every file has
    one; a PDF may, a photo must)."""
    data = {}
    for i, file in enumerate(files):
        data[f"attachments-{i}-file"] = file
        data[f"attachments-{i}-caption"] = (
            captions[i] if captions is not None else f"第 {i + 1} 张照片：修好的村道"
        )
    return data


def new_notice_data(*files, captions=None, **extra) -> dict:
    data = {"category": "affairs", "title": "村道修缮完工", "body": "见附图。", **extra}
    data.update(slots(*files, captions=captions))
    return data


# --- checking an upload, without a request --------------------------------------------


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"GIF89a\x01\x00", "GIF"),
        (b"GIF87a\x01\x00", "GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"%PDF-1.7\n", "PDF"),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
        (b"<svg xmlns=", None),
        (b"", None),
    ],
)
def test_sniff_reads_the_first_bytes(head, found):
    assert attachments.sniff(head) == found


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\config.png", "config.png"),
        ("/var/www/static/evil.png", "evil.png"),
        ("村道\x00照片\x1b.jpg", "村道照片.jpg"),
        ("  .hidden.png  ", "hidden.png"),
        ("a\u202egnp.exe", "agnp.exe"),  # a right-to-left override would disguise the name
        ("line\nbreak.pdf", "line break.pdf"),
        ("..", "附件"),
        ("", "附件"),
        (None, "附件"),
    ],
)
def test_clean_name_keeps_only_a_harmless_last_part(app, name, cleaned):
    with app.test_request_context():
        assert attachments.clean_name(name) == cleaned


def test_clean_name_cuts_long_names_but_keeps_the_extension(app):
    with app.test_request_context():
        cleaned = attachments.clean_name("长" * 300 + ".pdf")
    assert len(cleaned) == attachments.NAME_MAX and cleaned.endswith(".pdf")


def test_images_are_reencoded_upright_small_and_without_metadata(app):
    big = image_bytes("JPEG", size=(4000, 1000), exif=exif_with_gps_and_rotation())
    assert b"PhoneMaker" in big
    with app.test_request_context():
        prepared = attachments.prepare(big, "IMG_0001.JPG")
    assert prepared.content_type == "image/jpeg" and prepared.name == "IMG_0001.jpg"
    # Turned upright by its orientation, then scaled to at most 2000 px a side.
    assert (prepared.width, prepared.height) == (500, 2000)
    with Image.open(io.BytesIO(prepared.data)) as stored:
        assert stored.format == "JPEG" and stored.size == (500, 2000)
        assert not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"PhoneMaker" not in prepared.data and b"Exif" not in prepared.data


def test_png_with_text_chunks_and_transparency_stays_png_without_them(app):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author")
    image = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    with app.test_request_context():
        prepared = attachments.prepare(out.getvalue(), "logo.png")
    assert prepared.content_type == "image/png"
    assert b"secret-author" not in prepared.data
    with Image.open(io.BytesIO(prepared.data)) as stored:
        assert stored.mode == "RGBA" and not stored.text


def test_webp_and_gif_are_accepted_and_stored_as_jpeg_or_png(app):
    with app.test_request_context():
        webp = attachments.prepare(image_bytes("WEBP"), "photo.webp")
        gif = attachments.prepare(image_bytes("GIF", mode="P"), "chart.gif")
    assert webp.content_type == "image/jpeg" and webp.name == "photo.jpg"
    assert gif.content_type == "image/png" and gif.name == "chart.png"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", NOT_ACCEPTED),
        (b"MZ\x90\x00" + b"\x00" * 100, NOT_ACCEPTED),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "只能上传图片"),
        (b"", "上传的文件是空的"),
        (image_bytes("PNG")[:40], "这张图片打不开"),
        (b"\x89PNG\r\n\x1a\n" + b"<script>evil()</script>" * 10, "这张图片打不开"),
        (b"%PDF-1.4\n<html>not finished", "这个 PDF 文件不完整"),
    ],
)
def test_disguised_and_broken_files_are_refused(app, data, message):
    with app.test_request_context(), pytest.raises(attachments.AttachmentError) as refused:
        attachments.prepare(data, "photo.jpg")
    assert message in refused.value.message


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app):
    bomb = image_bytes("PNG", size=(12_000, 12_000), mode="1")  # 144 Mpx in a few KB
    assert len(bomb) < 100_000
    with app.test_request_context(), pytest.raises(attachments.AttachmentError) as refused:
        attachments.prepare(bomb, "bomb.png")
    assert "像素太多" in refused.value.message


def test_a_pdf_is_kept_byte_for_byte(app):
    with app.test_request_context():
        prepared = attachments.prepare(PDF, "2026年财务.PDF")
    assert prepared.data == PDF and prepared.content_type == "application/pdf"
    assert prepared.name == "2026年财务.pdf"


# --- uploading with the notice form ----------------------------------------------------


def test_create_a_draft_with_an_image_and_a_pdf(client, committee, store):
    login_as(client, committee)
    response = client.post(
        f"{MANAGE}/new",
        data=new_notice_data(
            upload(image_bytes("JPEG", size=(3000, 2000)), "../../村道.jpg", "image/jpeg"),
            upload(PDF, "验收单.pdf", "application/pdf"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    notice = db.session.scalar(sa.select(Notice))
    rows = db.session.scalars(sa.select(NoticeAttachment).order_by(NoticeAttachment.id)).all()
    assert [(r.kind.value, r.original_name) for r in rows] == [
        ("image", "村道.jpg"),
        ("pdf", "验收单.pdf"),
    ]
    image = rows[0]
    assert (image.width, image.height) == (2000, 1333)
    assert image.village_id == notice.village_id and image.created_by_id == committee.id
    files = stored_files(store)
    # The photo's renditions lie beside it (portal.uploads.RENDITION_WIDTHS).
    stem = image.stored_name.removesuffix(".jpg")
    renditions = [f"{stem}.w480.jpg", f"{stem}.w960.jpg"]
    assert sorted([*(r.stored_name for r in rows), *renditions]) == files
    for name in files:
        assert re.fullmatch(r"[0-9a-f]{32}(\.w(480|960))?\.(jpg|pdf)", name)
        assert "村道" not in name
    assert (store / image.stored_name).stat().st_size == image.size_bytes
    actions = db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)).all()
    assert actions == ["notice.create", "notice.attach", "notice.attach"]


def test_the_form_and_the_draft_page_upload_as_multipart_without_javascript(
    client, committee, draft
):
    """Three slots a submission, each a file and its caption, tied to their labels."""
    login_as(client, committee)
    for url in (f"{MANAGE}/new", f"{MANAGE}/{draft.id}/edit", f"{MANAGE}/{draft.id}"):
        page = client.get(url).text
        assert 'enctype="multipart/form-data"' in page, url
        inputs = [a for tag, a in elements(page) if tag == "input"]
        files = [a for a in inputs if a.get("type") == "file"]
        assert [a["name"] for a in files] == [f"attachments-{i}-file" for i in range(3)], url
        assert not any("multiple" in a for a in files), url
        captions = [a for a in inputs if a.get("name", "").endswith("-caption")]
        assert [a["maxlength"] for a in captions] == ["100"] * 3, url
        for a in files + captions:
            assert f'<label for="{a["id"]}">' in page, (url, a["id"])
        assert "说明（照片必填）" in page and "读给看不见照片的人听" in page, url


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (b"<html><body><script>alert('x')</script></body></html>", "photo.jpg", "image/jpeg"),
        (b"<?php system($_GET['c']); ?>", "shell.png", "image/png"),
        (b"MZ\x90\x00" + b"\x00" * 64, "report.pdf", "application/pdf"),
    ],
)
def test_a_disguised_upload_is_refused_and_nothing_is_written(
    client, committee, store, data, name, declared
):
    login_as(client, committee)
    for headers in (None, htmx_headers()):
        response = client.post(
            f"{MANAGE}/new",
            data=new_notice_data(upload(data, name, declared)),
            content_type="multipart/form-data",
            headers=headers,
        )
        assert response.status_code == 422
        assert NOT_ACCEPTED in response.text
        assert 'aria-invalid="true"' in response.text
    assert count(Notice) == 0 and count(NoticeAttachment) == 0 and count(ActionLog) == 0
    assert stored_files(store) == []


@pytest.mark.parametrize("where", ["new notice", "draft page"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_photo_needs_its_caption_at_upload(client, committee, draft, store, where, htmx):
    """Its caption is the photo's alt text and figcaption: refused without one, beside the
    caption of its own slot; a PDF needs none."""
    login_as(client, committee)
    url = f"{MANAGE}/new" if where == "new notice" else f"{MANAGE}/{draft.id}/attachments"

    def form(*captions):
        files = (
            upload(PDF, "验收单.pdf", "application/pdf"),
            upload(image_bytes(), "IMG_0001.png", "image/png"),
        )
        if where == "new notice":
            return new_notice_data(*files, captions=captions)
        return slots(*files, captions=captions)

    data = form("", "  ")
    before = (count(Notice), count(NoticeAttachment), count(ActionLog))
    response = client.post(
        url, data=data, content_type="multipart/form-data", headers=htmx_headers() if htmx else None
    )
    assert response.status_code == 422
    text = response.text
    assert "请为这张照片写一句说明" in text
    caption = re.search(r'<input[^>]*id="attachments-1-caption"[^>]*>', text).group(0)
    assert 'aria-invalid="true"' in caption and "attachments-1-caption-error" in caption
    assert '<p class="error" id="attachments-1-caption-error">' in text
    assert 'id="attachments-0-caption-error"' not in text  # the PDF's is fine empty
    assert (count(Notice), count(NoticeAttachment), count(ActionLog)) == before
    assert stored_files(store) == []
    done = client.post(url, data=form("", "验收现场"), content_type="multipart/form-data")
    assert done.status_code == 303
    rows = db.session.scalars(sa.select(NoticeAttachment).order_by(NoticeAttachment.id)).all()
    assert [(r.kind.value, r.caption) for r in rows] == [("pdf", None), ("image", "验收现场")]


@pytest.mark.parametrize(
    ("caption", "file", "field", "message"),
    [
        ("长" * 101, True, "caption", "说明最多 100 个字。"),
        ("村口的新路灯", False, "file", "写了说明，请再选一次它的文件"),
    ],
)
def test_a_caption_too_long_or_without_its_file_is_refused(
    client, committee, draft, store, caption, file, field, message
):
    login_as(client, committee)
    for url, extra in (
        (f"{MANAGE}/new", new_notice_data()),
        (f"{MANAGE}/{draft.id}/attachments", {}),
    ):
        data = {**extra, "attachments-0-caption": caption}
        if file:
            data["attachments-0-file"] = upload(image_bytes(), "a.png", "image/png")
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 422, url
        assert message in response.text, url
        tag = re.search(rf'<input[^>]*id="attachments-0-{field}"[^>]*>', response.text).group(0)
        assert 'aria-invalid="true"' in tag, url
    assert count(NoticeAttachment) == 0 and count(Notice) == 1 and stored_files(store) == []


def test_a_good_file_then_a_bad_one_writes_neither(client, committee, store):
    login_as(client, committee)
    response = client.post(
        f"{MANAGE}/new",
        data=new_notice_data(
            upload(image_bytes(), "ok.png", "image/png"),
            upload(b"<html></html>", "bad.png", "image/png"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert count(Notice) == 0 and count(NoticeAttachment) == 0
    assert stored_files(store) == []


def test_a_request_over_the_limit_is_refused_early_with_a_clear_message(client, committee, store):
    login_as(client, committee)
    huge = b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)
    for headers in (None, htmx_headers()):
        response = client.post(
            f"{MANAGE}/new",
            data=new_notice_data(upload(huge, "big.jpg", "image/jpeg")),
            content_type="multipart/form-data",
            headers=headers,
        )
        assert response.status_code == 413
        assert "文件太大：每个附件不能超过 5 MB" in response.text
    assert count(Notice) == 0 and stored_files(store) == []


def test_a_file_over_the_attachment_cap_but_under_the_request_limit(client, committee, store):
    login_as(client, committee)
    big = image_bytes() + b"\x00" * (6 * 1024 * 1024)
    response = client.post(
        f"{MANAGE}/new",
        data=new_notice_data(upload(big, "big.png", "image/png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "每个附件不能超过 5 MB" in response.text and 'name="title"' in response.text
    assert count(Notice) == 0 and stored_files(store) == []


def test_a_failed_transaction_leaves_no_file(client, committee, store, monkeypatch):
    login_as(client, committee)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(attachments, "record_action", broken)
    with pytest.raises(RuntimeError):
        client.post(
            f"{MANAGE}/new",
            data=new_notice_data(upload(image_bytes(), "ok.png", "image/png")),
            content_type="multipart/form-data",
        )
    db.session.rollback()
    assert count(Notice) == 0 and count(NoticeAttachment) == 0
    assert stored_files(store) == []


# --- a draft's attachments on its console page -------------------------------------


def attach(client, notice_id: int, *files, captions=None, headers=None):
    return client.post(
        f"{MANAGE}/{notice_id}/attachments",
        data=slots(*files, captions=captions),
        content_type="multipart/form-data",
        headers=headers,
    )


def test_add_and_remove_attachments_of_a_draft(client, committee, draft, store):
    login_as(client, committee)
    response = attach(client, draft.id, upload(image_bytes(), "公示栏.png", "image/png"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{MANAGE}/{draft.id}#attachments")
    row = db.session.scalar(sa.select(NoticeAttachment))
    row_id, row_file = row.id, row.stored_name
    page = client.get(f"{MANAGE}/{draft.id}").text
    assert "公示栏.png" in page and f"attachments/{row.id}/delete" in page
    htmx = attach(client, draft.id, upload(PDF, "b.pdf", "application/pdf"), headers=htmx_headers())
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"].endswith("#attachments")
    assert len(stored_files(store)) == 2

    removed = client.post(f"{MANAGE}/{draft.id}/attachments/{row_id}/delete")
    assert removed.status_code == 303
    assert count(NoticeAttachment) == 1
    assert row_file not in stored_files(store) and len(stored_files(store)) == 1
    actions = db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)).all()
    assert actions[-3:] == ["notice.attach", "notice.attach", "notice.detach"]


def test_adding_nothing_or_too_many_is_refused(client, committee, draft, store):
    login_as(client, committee)
    empty = attach(client, draft.id, upload(b"", "", "application/octet-stream"), captions=[""])
    assert empty.status_code == 422 and "请先选择要上传的图片或 PDF 文件" in empty.text
    for first in range(0, 10, 3):
        files = [
            upload(image_bytes(), f"{i}.png", "image/png") for i in range(first, min(first + 3, 10))
        ]
        assert attach(client, draft.id, *files).status_code == 303
    eleventh = attach(client, draft.id, upload(image_bytes(), "11.png", "image/png"))
    assert eleventh.status_code == 422 and "一条公告最多 10 个附件" in eleventh.text
    assert count(NoticeAttachment) == 10 and len(stored_files(store)) == 10


def test_a_published_notice_takes_no_attachment_and_loses_none(client, committee, village, store):
    login_as(client, committee)
    draft = make_notice(committee, village, publish=False)
    attach(client, draft.id, upload(image_bytes(), "a.png", "image/png"))
    row = db.session.scalar(sa.select(NoticeAttachment))
    services.publish(committee, draft)
    db.session.commit()
    for headers in (None, htmx_headers()):
        added = attach(
            client, draft.id, upload(image_bytes(), "b.png", "image/png"), headers=headers
        )
        assert added.status_code == 409
        assert "已发布的公告不能修改；如有错误，请发布更正公告。" in added.text
        removed = client.post(f"{MANAGE}/{draft.id}/attachments/{row.id}/delete", headers=headers)
        assert removed.status_code == 409 and "更正" in removed.text
    assert count(NoticeAttachment) == 1 and stored_files(store) == [row.stored_name]
    page = client.get(f"{MANAGE}/{draft.id}").text
    assert f"attachments/{row.id}/delete" not in page and 'type="file"' not in page


def test_another_notices_or_villages_attachment_is_404(client, committee, village, draft):
    login_as(client, committee)
    other_draft = make_notice(committee, village, publish=False, title="另一条")
    attach(client, other_draft.id, upload(image_bytes(), "a.png", "image/png"))
    row = db.session.scalar(sa.select(NoticeAttachment))
    assert client.post(f"{MANAGE}/{draft.id}/attachments/{row.id}/delete").status_code == 404
    assert client.get(f"/v/hubin/notices/{draft.id}/attachments/{row.id}").status_code == 404
    other = VillageFactory(slug="other")
    assert client.get(f"/v/other/notices/{other_draft.id}/attachments/{row.id}").status_code == 404
    assert other.id != village.id
    assert count(NoticeAttachment) == 1


@pytest.mark.parametrize("who", ["supervisor", "villager", "foreign_committee"])
def test_only_the_villages_committee_uploads_or_removes(
    client, village, committee, draft, store, who
):
    login_as(client, committee)
    attach(client, draft.id, upload(image_bytes(), "a.png", "image/png"))
    row = db.session.scalar(sa.select(NoticeAttachment))
    user = {
        "supervisor": lambda: official(Role.SUPERVISOR, village=village),
        "villager": lambda: villager(village),
        "foreign_committee": lambda: official(Role.COMMITTEE, village=VillageFactory()),
    }[who]()
    login_as(client, user)
    assert attach(client, draft.id, upload(image_bytes(), "b.png", "image/png")).status_code == 403
    assert client.post(f"{MANAGE}/{draft.id}/attachments/{row.id}/delete").status_code == 403
    assert count(NoticeAttachment) == 1 and len(stored_files(store)) == 1


# --- serving -----------------------------------------------------------------------


@pytest.fixture
def with_files(client, committee, village):
    """A published notice with an image and a PDF; the client logged out."""
    login_as(client, committee)
    client.post(
        f"{MANAGE}/new",
        data=new_notice_data(
            upload(image_bytes("PNG", size=(800, 600)), "村道照片.png", "image/png"),
            upload(PDF, "验收单 2026.pdf", "application/pdf"),
            captions=["三组村道修好后的路面", ""],
        ),
        content_type="multipart/form-data",
    )
    notice = db.session.scalar(sa.select(Notice))
    client.post(f"{MANAGE}/{notice.id}/publish", data={"confirm": "1"})
    client.post("/logout")
    image, pdf = db.session.scalars(sa.select(NoticeAttachment).order_by(NoticeAttachment.id))
    return notice, image, pdf


def test_the_notice_page_shows_images_and_offers_pdfs(client, with_files):
    notice, image, pdf = with_files
    page = client.get(f"/v/hubin/notices/{notice.id}").text
    src = f"/v/hubin/notices/{notice.id}/attachments/{image.id}"
    tag = re.search(r"<img [^>]*>", page).group(0)
    for attribute in (
        f'src="{src}"',
        'width="800"',
        'height="600"',
        'alt="三组村道修好后的路面"',
        'loading="lazy"',
    ):
        assert attribute in tag, attribute
    # The caption is the photo's alt text and its figcaption; the file's name is neither.
    assert "<figcaption>三组村道修好后的路面（点图片看大图）</figcaption>" in page
    assert "村道照片.png" not in page
    assert (image.caption, pdf.caption) == ("三组村道修好后的路面", None)
    pdf_link = re.search(rf'<a href="[^"]*/attachments/{pdf.id}"[^>]*>', page).group(0)
    assert "download" in pdf_link and 'hx-boost="false"' in pdf_link


def test_an_image_is_served_inline_with_safe_headers(client, with_files):
    notice, image, _pdf = with_files
    response = client.get(f"/v/hubin/notices/{notice.id}/attachments/{image.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline")
    assert disposition == (
        'inline; filename="attachment.png"; '
        "filename*=UTF-8''%E6%9D%91%E9%81%93%E7%85%A7%E7%89%87.png"
    )
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert response.headers.get("ETag")
    with Image.open(io.BytesIO(response.data)) as served:
        assert served.size == (800, 600)
    again = client.get(
        f"/v/hubin/notices/{notice.id}/attachments/{image.id}",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_a_pdf_is_served_as_a_download_never_inline(client, with_files):
    notice, _image, pdf = with_files
    response = client.get(f"/v/hubin/notices/{notice.id}/attachments/{pdf.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        "attachment; filename=\"2026.pdf\"; filename*=UTF-8''%E9%AA%8C%E6%94%B6%E5%8D%95%202026.pdf"
    )
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_drafts_attachments_are_for_the_committee_and_supervisors(
    client, committee, village, draft
):
    login_as(client, committee)
    attach(client, draft.id, upload(image_bytes(), "a.png", "image/png"))
    row = db.session.scalar(sa.select(NoticeAttachment))
    url = f"/v/hubin/notices/{draft.id}/attachments/{row.id}"
    assert client.get(url).status_code == 200
    assert client.get(url).headers["Cache-Control"] == "no-store"
    login_as(client, official(Role.SUPERVISOR, village=village))
    assert client.get(url).status_code == 200
    for user in (
        villager(village),
        official(Role.COMMITTEE, village=VillageFactory()),
        UserFactory(village=village, status=RegistrationStatus.PENDING),
    ):
        login_as(client, user)
        assert client.get(url).status_code == 404
    client.post("/logout")
    assert client.get(url).status_code == 404


def test_a_missing_file_is_404_not_500(client, with_files, store):
    notice, image, _pdf = with_files
    (store / image.stored_name).unlink()
    assert client.get(f"/v/hubin/notices/{notice.id}/attachments/{image.id}").status_code == 404


# --- corrections ---------------------------------------------------------------------


def test_a_correction_carries_its_own_attachments(client, committee, notice, store):
    login_as(client, committee)
    response = client.post(
        f"{MANAGE}/{notice.id}/correct",
        data=new_notice_data(
            upload(image_bytes(), "更正后的图.png", "image/png"), title="更正：村道"
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    correction = db.session.scalar(sa.select(Notice).where(Notice.corrects_id == notice.id))
    assert correction.state == NoticeState.PUBLISHED
    row = db.session.scalar(sa.select(NoticeAttachment))
    assert row.notice_id == correction.id
    assert "第 1 张照片：修好的村道" in client.get(f"/v/hubin/notices/{correction.id}").text
    assert row.caption == "第 1 张照片：修好的村道"
    bad = client.post(
        f"{MANAGE}/{notice.id}/correct",
        data=new_notice_data(upload(b"<html>", "x.png", "image/png"), title="更正二"),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "只能上传图片" in bad.text
    assert count(Notice) == 2 and len(stored_files(store)) == 1


def test_a_correction_of_an_assembly_decision_keeps_its_category(client, committee, village):
    decision = services.post_assembly_decision(village, "村民会议决定", "通过。", actor=committee)
    db.session.commit()
    login_as(client, committee)
    form = client.get(f"{MANAGE}/{decision.id}/correct").text
    assert re.search(
        r'<option[^>]*selected[^>]*value="decision"|<option[^>]*value="decision"[^>]*selected', form
    )
    response = client.post(
        f"{MANAGE}/{decision.id}/correct",
        data={"category": "decision", "title": "更正：村民会议决定", "body": "更正后的票数。"},
    )
    assert response.status_code == 303
    correction = db.session.scalar(sa.select(Notice).where(Notice.corrects_id == decision.id))
    assert correction.category == NoticeCategory.DECISION
    # Other notices' corrections and new notices still cannot pick 会议决定.
    other = make_notice(committee, village)
    refused = client.post(
        f"{MANAGE}/{other.id}/correct",
        data={"category": "decision", "title": "更正", "body": "x"},
    )
    assert refused.status_code == 422 and "请选择公开的类别。" in refused.text


def test_hostile_file_names_are_shown_as_text_only(client, committee, village):
    from tests.notices.html_check import injected

    login_as(client, committee)
    hostile = '"><script>evil()</script><img src=x onerror=evil() hx-get="/evil">.png'
    created = client.post(
        f"{MANAGE}/new",
        data=new_notice_data(
            upload(image_bytes(), hostile, "image/png"),
            upload(image_bytes(), "<img src=x onerror=evil() hx-get=evil>.png", "image/png"),
            captions=['"><img src=x onerror=evil() hx-get="/evil">', "村道"],
        ),
        content_type="multipart/form-data",
    )
    assert created.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', created.text)
    notice = db.session.scalar(sa.select(Notice))
    row, second = db.session.scalars(sa.select(NoticeAttachment).order_by(NoticeAttachment.id))
    assert "/" not in row.original_name and second.original_name.startswith("<img")
    pages = {"console page": client.get(f"{MANAGE}/{notice.id}")}
    pages["edit form"] = client.get(f"{MANAGE}/{notice.id}/edit")
    pages["preview"] = client.get(f"{MANAGE}/{notice.id}/publish")
    client.post(f"{MANAGE}/{notice.id}/publish", data={"confirm": "1"})
    pages["notice page"] = client.get(f"/v/hubin/notices/{notice.id}")
    pages["poster"] = client.get(f"/v/hubin/notices/{notice.id}/poster")
    pages["questions partial"] = client.get(
        f"/v/hubin/notices/{notice.id}", headers=htmx_headers("questions")
    )
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert injected(page.text) == [], name
    assert "&lt;img src=x onerror=evil() hx-get=evil&gt;.png" in pages["console page"].text
    assert 'alt="&#34;&gt;&lt;img src=x onerror=evil() hx-get=&#34;/evil&#34;&gt;"' in (
        pages["notice page"].text
    )
    feed = client.get("/v/hubin/notices.atom").text
    content = ET.fromstring(feed).find(f"{ATOM}entry/{ATOM}content").text
    assert injected(content) == [] and "&lt;img src=x" in content
    for attachment in (row, second):
        served = client.get(f"/v/hubin/notices/{notice.id}/attachments/{attachment.id}")
        assert served.status_code == 200
        disposition = served.headers["Content-Disposition"]
        assert "\n" not in disposition and "<" not in disposition


def test_the_poster_and_the_feed_show_the_first_photo_with_its_caption(
    client, committee, village, notice
):
    login_as(client, committee)
    client.post(
        f"{MANAGE}/new",
        data=new_notice_data(
            upload(PDF, "预算.pdf", "application/pdf"),
            upload(image_bytes(size=(600, 400)), "1.png", "image/png"),
            upload(image_bytes(size=(300, 200)), "2.png", "image/png"),
            captions=["", "新修的村口路灯", "路灯开关箱"],
            title="路灯修好了",
        ),
        content_type="multipart/form-data",
    )
    lit = db.session.scalar(sa.select(Notice).where(Notice.title == "路灯修好了"))
    preview = client.get(f"{MANAGE}/{lit.id}/publish").text  # as the notice page will show it
    assert 'alt="新修的村口路灯"' in preview and "新修的村口路灯（点图片看大图）" in preview
    client.post(f"{MANAGE}/{lit.id}/publish", data={"confirm": "1"})
    client.post("/logout")
    first = db.session.scalar(
        sa.select(NoticeAttachment).where(NoticeAttachment.caption == "新修的村口路灯")
    )
    src = f"/v/hubin/notices/{lit.id}/attachments/{first.id}"
    poster = client.get(f"/v/hubin/notices/{lit.id}/poster").text
    figure = re.search(r'<figure class="poster-photo">.*?</figure>', poster, re.S).group(0)
    assert f'src="{src}"' in figure and 'alt="新修的村口路灯"' in figure
    assert "<figcaption>新修的村口路灯</figcaption>" in figure
    assert "路灯开关箱" not in poster and poster.count("<img") == 1
    plain = client.get(f"/v/hubin/notices/{notice.id}/poster").text
    assert "poster-photo" not in plain
    root = ET.fromstring(client.get("/v/hubin/notices.atom").data)
    entries = {e.findtext(f"{ATOM}title"): e for e in root.findall(f"{ATOM}entry")}
    entry = entries["路灯修好了"]
    enclosure = [lk for lk in entry.findall(f"{ATOM}link") if lk.get("rel") == "enclosure"]
    assert [(lk.get("href"), lk.get("type"), lk.get("length")) for lk in enclosure] == [
        (f"http://localhost{src}", first.content_type, str(first.size_bytes))
    ]
    content = entry.findtext(f"{ATOM}content")
    assert content.startswith(f'<figure><img src="http://localhost{src}" alt="新修的村口路灯">')
    assert "<figcaption>新修的村口路灯</figcaption>" in content and "见附图。" in content
    other = entries[notice.title]
    assert not [lk for lk in other.findall(f"{ATOM}link") if lk.get("rel") == "enclosure"]
    assert "<figure>" not in other.findtext(f"{ATOM}content")
