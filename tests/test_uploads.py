"""portal.uploads on its own (SECURITY.md row 16): what any feature's upload goes through.

Oversized, disguised and hostile files are refused cleanly with a message on the
policy's field; what is kept is only pixels re-encoded here, under a random name in the
policy's folder; and an action that does not commit leaves no file behind.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from portal import uploads
from portal.actions import Refusal, unit_of_work
from portal.extensions import db
from portal.notices.attachments import ATTACHMENTS
from portal.uploads import UploadPolicy, UploadRefused, files_kept_if_committed
from portal.villages.models import Town
from tests.factories import TownFactory

PHOTOS = UploadPolicy(field="photo", folder="photos/boards", max_side=100)
DOCUMENTS = UploadPolicy(field="file", folder="documents", accepts_pdf=True)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def jpeg_with_exif(size=(400, 100)) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: shown turned by 90°
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "CameraApp 1.0"  # Software
    exif[0x8825] = {1: "N", 2: (31.0, 30.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces `width` x `height` pixels and holds none: a few dozen bytes
    that would ask a decoder for gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def refusal(policy: UploadPolicy, data: bytes, name: str = "photo.jpg") -> UploadRefused:
    with pytest.raises(UploadRefused) as refused:
        policy.prepare(data, name)
    return refused.value


# --- size --------------------------------------------------------------------------


def test_a_20_mb_file_is_refused_after_reading_no_more_than_the_cap(request_context):
    stream = io.BytesIO(b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024))
    with pytest.raises(UploadRefused) as refused:
        PHOTOS.read_capped(stream)
    assert refused.value.status == 413 and refused.value.field == "photo"
    assert "文件太大：每个文件不能超过 5 MB" in refused.value.message
    assert stream.tell() == uploads.DEFAULT_MAX_BYTES + 1


def test_the_cap_is_read_from_the_policys_setting(app, request_context):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024 * 1024 * 5 // 2
    assert ATTACHMENTS.max_bytes() == 2_621_440
    with pytest.raises(UploadRefused) as refused:
        ATTACHMENTS.read_capped(io.BytesIO(b"\x00" * (3 * 1024 * 1024)))
    assert "每个附件不能超过 2.5 MB" in refused.value.message
    assert ATTACHMENTS.read_capped(io.BytesIO(b"small")) == b"small"


# --- type, by content ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"MZ\x90\x00" + b"\x00" * 64,
    ],
)
def test_an_html_file_named_jpg_is_refused_as_not_an_image(request_context, data):
    refused = refusal(PHOTOS, data, "photo.jpg")
    assert refused.status == 422 and refused.field == "photo"
    assert refused.message == "只能上传图片（JPG、PNG、GIF、WebP）。"
    assert isinstance(refused, Refusal)


def test_html_behind_an_image_signature_is_refused_as_unreadable(request_context):
    refused = refusal(PHOTOS, b"\xff\xd8\xff\xe0" + b"<script>evil()</script>" * 20)
    assert "这张图片打不开" in refused.message


def test_pdfs_only_where_the_policy_takes_them(request_context):
    assert refusal(PHOTOS, PDF, "a.pdf").message == "只能上传图片（JPG、PNG、GIF、WebP）。"
    prepared = DOCUMENTS.prepare(PDF, "决议.PDF")
    assert prepared.kind == uploads.FileKind.PDF and prepared.data == PDF
    assert prepared.name == "决议.pdf" and prepared.content_type == "application/pdf"
    assert "或 PDF 文件" in refusal(DOCUMENTS, b"<html>").message


def test_an_empty_file_is_refused(request_context):
    assert "上传的文件是空的" in refusal(PHOTOS, b"").message


# --- names and paths ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg", "/var/www/static/x.jpg", "..."],
)
def test_a_path_traversal_name_never_reaches_the_disk(app, request_context, tmp_path, name):
    prepared = PHOTOS.prepare(jpeg_with_exif(), name)
    assert "/" not in prepared.name and "\\" not in prepared.name
    assert not prepared.name.startswith(".")
    with files_kept_if_committed() as files:
        stored = PHOTOS.store(prepared, files)
    directory = tmp_path / "uploads" / "photos" / "boards"
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", stored)
    assert files_in(directory) == [stored]
    written = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert written == [directory / stored]


@pytest.mark.parametrize("stored_name", ["../secret", "a/b.jpg", "/etc/passwd", ".hidden", ""])
def test_only_a_plain_stored_name_is_a_path(request_context, stored_name):
    with pytest.raises(ValueError):
        PHOTOS.path(stored_name)


@pytest.mark.parametrize("folder", ["../elsewhere", "/etc", "", "photos/../../x"])
def test_a_policys_folder_stays_inside_the_upload_directory(folder):
    with pytest.raises(ValueError):
        UploadPolicy(field="photo", folder=folder)


def test_where_each_policy_keeps_its_files(app, request_context, tmp_path):
    assert PHOTOS.directory() == tmp_path / "uploads" / "photos" / "boards"
    app.config["UPLOAD_DIR"] = None
    assert PHOTOS.directory() == Path(app.instance_path) / "photos" / "boards"
    # Notice attachments keep their own setting and their old default place.
    app.config["ATTACHMENT_DIR"] = None
    assert ATTACHMENTS.directory() == Path(app.instance_path) / "attachments"
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "elsewhere")
    assert ATTACHMENTS.directory() == tmp_path / "elsewhere"


def test_content_disposition_offers_only_safe_ascii_besides_the_encoded_name():
    header = uploads.content_disposition("attachment", '村务"; filename=evil.html\r\n.pdf')
    assert "\r" not in header and "\n" not in header
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", fallback) and fallback.endswith(".pdf")
    assert "filename*=UTF-8''%E6%9D%91%E5%8A%A1%22%3B%20filename%3Devil.html%0D%0A.pdf" in header


# --- images --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (7_000, 7_000),  # over our cap of 40 Mpx, under Pillow's warning
        (12_000, 12_000),  # over Pillow's warning
        (100_000, 100_000),  # over Pillow's own error
    ],
)
def test_a_decompression_bomb_header_is_refused_before_any_decoding(request_context, width, height):
    bomb = png_header_only(width, height)
    assert len(bomb) < 100
    refused = refusal(PHOTOS, bomb, "bomb.png")
    # The file has no pixel data at all: had it been decoded, it would be "unreadable".
    assert "图片的像素太多了" in refused.message and refused.field == "photo"


def test_exif_is_stripped_and_the_image_turned_upright_and_scaled(request_context):
    data = jpeg_with_exif(size=(400, 100))
    assert b"PhoneMaker" in data and b"CameraApp" in data
    prepared = PHOTOS.prepare(data, "IMG_0001.JPG")
    assert prepared.kind == uploads.FileKind.IMAGE
    assert prepared.content_type == "image/jpeg" and prepared.name == "IMG_0001.jpg"
    # Orientation 6 turns 400 x 100 into 100 x 400; the policy allows 100 px a side.
    assert (prepared.width, prepared.height) == (25, 100)
    for marker in (b"PhoneMaker", b"CameraApp", b"Exif"):
        assert marker not in prepared.data
    with Image.open(io.BytesIO(prepared.data)) as stored:
        assert stored.size == (25, 100) and not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info


# --- files and the transaction -------------------------------------------------------


def test_a_rolled_back_action_leaves_no_file(app, request_context, tmp_path):
    directory = tmp_path / "uploads" / "photos" / "boards"
    prepared = PHOTOS.prepare(jpeg_with_exif(), "a.jpg")
    with pytest.raises(Refusal), files_kept_if_committed() as files, unit_of_work():
        PHOTOS.store(prepared, files)
        db.session.add(Town(name="写了一半的镇", slug="half"))
        db.session.flush()
        raise Refusal("refused after the file was written")
    assert files_in(directory) == []
    assert db.session.scalar(sa.select(sa.func.count(Town.id))) == 0


def test_a_commit_that_fails_leaves_no_file(app, request_context, tmp_path):
    directory = tmp_path / "uploads" / "photos" / "boards"
    TownFactory(slug="taken")
    prepared = PHOTOS.prepare(jpeg_with_exif(), "a.jpg")
    # The unique slug is broken at commit: unit_of_work turns it into a Refusal.
    with pytest.raises(Refusal), files_kept_if_committed() as files, unit_of_work():
        PHOTOS.store(prepared, files)
        db.session.add(Town(name="重名", slug="taken"))
    assert files_in(directory) == []


def test_a_committed_action_keeps_its_file_and_removes_the_ones_it_let_go(
    app, request_context, tmp_path
):
    directory = tmp_path / "uploads" / "photos" / "boards"
    with files_kept_if_committed() as files, unit_of_work():
        old = PHOTOS.store(PHOTOS.prepare(jpeg_with_exif(), "old.jpg"), files)
    with files_kept_if_committed() as files, unit_of_work():
        new = PHOTOS.store(PHOTOS.prepare(jpeg_with_exif(), "new.jpg"), files)
        files.to_remove.append(PHOTOS.path(old))
        # Not yet committed: the old file is still there for anyone reading it.
        assert files_in(directory) == sorted([old, new])
    assert files_in(directory) == [new]
    # A removal in an action that fails removes nothing.
    with pytest.raises(Refusal), files_kept_if_committed() as files, unit_of_work():
        files.to_remove.append(PHOTOS.path(new))
        raise Refusal("no")
    assert files_in(directory) == [new]
