"""Attachments of a notice 附件: images and PDFs, checked, cleaned and kept outside static/.

SECURITY.md row 16. An upload is read up to the cap and no further; its type is decided
by its first bytes, never by its name or the Content-Type the browser sent. An image is
decoded by Pillow (a pixel cap first, against decompression bombs), turned upright by
its EXIF orientation, scaled down to at most `MAX_SIDE` pixels and encoded afresh as
JPEG or PNG with no metadata at all (no EXIF with GPS position or camera serial, no
text chunks), so what is served is only pixels this code wrote. A PDF is kept as it
came, after a check of its frame, and is only ever served as a download.

Files live in `ATTACHMENT_DIR` (by default `<instance>/attachments`) under random
names; the uploaded name is cleaned and kept only for display and the download's name.
A file is written before its row, and `files_kept_if_committed` removes what the action
wrote if the transaction does not commit, so a refusal leaves nothing on disk.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.audit.services import record_action
from portal.auth.models import Role, User
from portal.extensions import db
from portal.notices.models import AttachmentKind, Notice, NoticeAttachment
from portal.notices.services import NoticeError, _lock, _require_committee

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2000  # longest side of a stored image, in pixels
MAX_PIXELS = 40_000_000  # refuse to decode anything larger (about 7300 x 5500)
MAX_PER_NOTICE = 10
NAME_MAX = 120
JPEG_QUALITY = 85

# The first bytes of each accepted format, and what it is stored as.
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
PDF_MAGIC = b"%PDF-"


def refused_type() -> str:
    return _("只能上传图片（JPG、PNG、GIF、WebP）或 PDF 文件。")


def too_big(max_bytes: int) -> str:
    return _(
        "文件太大：每个附件不能超过 %(mb)s MB。照片可以先用手机压缩，或拍得小一些再传。",
        mb=_megabytes(max_bytes),
    )


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


class AttachmentError(NoticeError):
    """An upload refused; its message belongs on the attachments field."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message, field="attachments", status=status)


# --- checking one upload ------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The format the first bytes announce: JPEG, PNG, GIF, WEBP or PDF; None for others."""
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(PDF_MAGIC):
        return "PDF"
    return None


def clean_name(name: str | None, default: str | None = None) -> str:
    """The uploaded file's name, fit to show and to offer as a download name.

    Only the last path part (either separator), without control or format characters,
    leading dots or surrounding spaces, at most `NAME_MAX` characters with its extension
    kept. Never used to build a path.
    """
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if ch.isspace() else ("" if unicodedata.category(ch)[0] == "C" else ch) for ch in text
    )
    text = " ".join(text.split()).strip().lstrip(".").strip()
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[: NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:NAME_MAX]
    return text or (default if default is not None else _("附件"))


def _with_extension(name: str, ext: str) -> str:
    stem, dot, old = name.rpartition(".")
    base = stem if dot and stem and len(old) <= 10 else name
    return clean_name(base[: NAME_MAX - len(ext) - 1] + "." + ext)


@dataclass
class Prepared:
    """An upload that passed every check, ready to be written."""

    kind: AttachmentKind
    content_type: str
    extension: str
    data: bytes
    name: str
    width: int | None = None
    height: int | None = None


def read_capped(stream, max_bytes: int) -> bytes:
    """At most `max_bytes` of the upload; one byte more means it is too big."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AttachmentError(too_big(max_bytes), status=413)
    return data


def prepare(data: bytes, original_name: str | None) -> Prepared:
    """Check an upload by its content and return what will be stored, or refuse it."""
    name = clean_name(original_name)
    if not data:
        raise AttachmentError(_("上传的文件是空的，请重新选择。"))
    found = sniff(data[:16])
    if found is None:
        raise AttachmentError(refused_type())
    if found == "PDF":
        return _prepare_pdf(data, name)
    return _prepare_image(data, name, found)


def _prepare_pdf(data: bytes, name: str) -> Prepared:
    # A PDF ends with %%EOF (a little trailing whitespace or padding is common).
    if b"%%EOF" not in data[-2048:]:
        raise AttachmentError(_("这个 PDF 文件不完整或已损坏，请重新导出后再传。"))
    return Prepared(
        kind=AttachmentKind.PDF,
        content_type="application/pdf",
        extension="pdf",
        data=data,
        name=_with_extension(name, "pdf"),
    )


def _prepare_image(data: bytes, name: str, found: str) -> Prepared:
    unreadable = _("这张图片打不开，可能已损坏，请换一张再传。")
    too_many_pixels = _(
        "图片的像素太多了（最多 %(mp)s 万像素），请缩小后再传。", mp=MAX_PIXELS // 10_000
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != found:
                    raise AttachmentError(refused_type())
                width, height = probe.size
                if width < 1 or height < 1:
                    raise AttachmentError(unreadable)
                if width * height > MAX_PIXELS:
                    raise AttachmentError(too_many_pixels)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode it.
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)  # an animated GIF or WebP keeps its first frame
                image.load()
                clean = _clean_pixels(image, found)
    except AttachmentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard, met before ours when the header alone is enormous.
        raise AttachmentError(too_many_pixels) from None
    except (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError):
        raise AttachmentError(unreadable) from None
    as_png = clean.mode in ("RGBA", "LA") or found in ("PNG", "GIF")
    out = io.BytesIO()
    clean.info = {}
    if as_png:
        clean.save(out, format="PNG", optimize=True)
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    ext = "png" if as_png else "jpg"
    return Prepared(
        kind=AttachmentKind.IMAGE,
        content_type="image/png" if as_png else "image/jpeg",
        extension=ext,
        data=out.getvalue(),
        name=_with_extension(name, ext),
        width=clean.width,
        height=clean.height,
    )


def _clean_pixels(image: Image.Image, found: str) -> Image.Image:
    """Upright, at most MAX_SIDE a side, in a mode the encoder takes, nothing but pixels."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    if has_alpha:
        pixels = upright.convert("RGBA")
    elif upright.mode in ("L", "RGB"):
        pixels = upright.copy()
    elif upright.mode == "1":
        pixels = upright.convert("L")
    else:
        pixels = upright.convert("RGB")
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pixels.info = {}
    return pixels


# --- files on disk ------------------------------------------------------------------


def attachment_dir() -> Path:
    configured = current_app.config.get("ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


@dataclass
class NewFiles:
    """Files one user action wrote, and files it will remove once it has committed."""

    written: list[Path] = field(default_factory=list)
    to_remove: list[Path] = field(default_factory=list)

    def discard_written(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()

    def remove_unlinked(self) -> None:
        for path in self.to_remove:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                current_app.logger.warning("could not remove attachment file %s", path.name)
        self.to_remove.clear()


@contextmanager
def files_kept_if_committed() -> Iterator[NewFiles]:
    """Wrap one user action that commits inside the block.

    If the block raises (a refusal, a failed commit), the files it wrote are removed;
    if it ends normally, the files of removed attachments are deleted from disk.
    """
    files = NewFiles()
    try:
        yield files
    except BaseException:
        files.discard_written()
        raise
    files.remove_unlinked()


def _write(prepared: Prepared, files: NewFiles) -> str:
    directory = attachment_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{prepared.extension}"
    path = directory / stored_name
    # "x": never overwrite, should two random names ever meet.
    with open(path, "xb") as out:
        out.write(prepared.data)
        out.flush()
        os.fsync(out.fileno())
    files.written.append(path)
    return stored_name


def content_disposition(disposition: str, name: str) -> str:
    """`inline` or `attachment` with the name as RFC 6266/5987 put it: an ASCII fallback
    of safe characters only, and the real name percent-encoded in UTF-8."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    safe_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "attachment"
    safe_ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:10]
    fallback = f"{safe_stem}.{safe_ext}" if safe_ext else safe_stem
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def stored_path(attachment: NoticeAttachment) -> Path:
    return attachment_dir() / attachment.stored_name


# --- the committee's actions --------------------------------------------------------


def uploads(file_list) -> list:
    """The files actually chosen in a file input. An input left empty sends one part with
    no name and no content; a part with content is kept even if its name got lost."""
    return [f for f in (file_list or []) if f is not None and _chosen(f)]


def _chosen(upload) -> bool:
    if (upload.filename or "").strip():
        return True
    head = upload.stream.read(1)
    upload.stream.seek(0)
    return bool(head)


def add_attachments(actor: User, notice: Notice, file_list, files: NewFiles) -> list:
    """Attach uploads to a draft. A published notice is never changed (publish a correction)."""
    _require_committee(actor, notice.village_id)
    _lock(notice)
    if not notice.is_draft:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    return _attach(actor, notice, file_list, files)


def attach_to_correction(actor: User, correction: Notice, file_list, files: NewFiles) -> list:
    """The attachments of a correction, in the transaction that publishes it: a correction
    is published as soon as it is written, so it carries its attachments from the start."""
    _require_committee(actor, correction.village_id)
    if correction.corrects_id is None and correction.corrects is None:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    return _attach(actor, correction, file_list, files)


def _attach(actor: User, notice: Notice, file_list, files: NewFiles) -> list:
    chosen = uploads(file_list)
    if not chosen:
        return []
    db.session.flush()
    already = db.session.scalar(
        sa.select(sa.func.count(NoticeAttachment.id)).where(NoticeAttachment.notice_id == notice.id)
    )
    if already + len(chosen) > MAX_PER_NOTICE:
        raise AttachmentError(
            _("一条公告最多 %(max)d 个附件，这条已有 %(n)d 个。", max=MAX_PER_NOTICE, n=already)
        )
    cap = max_bytes()
    added = []
    for upload in chosen:
        prepared = prepare(read_capped(upload.stream, cap), upload.filename)
        attachment = NoticeAttachment(
            notice_id=notice.id,
            village_id=notice.village_id,
            kind=prepared.kind,
            content_type=prepared.content_type,
            stored_name=_write(prepared, files),
            original_name=prepared.name,
            size_bytes=len(prepared.data),
            width=prepared.width,
            height=prepared.height,
            created_by_id=actor.id,
        )
        db.session.add(attachment)
        added.append(attachment)
    db.session.flush()
    for attachment in added:
        record_action(
            actor,
            Role.COMMITTEE,
            "notice.attach",
            notice,
            village=notice.village,
            after={
                "attachment": attachment.id,
                "name": attachment.original_name,
                "kind": attachment.kind.value,
                "bytes": attachment.size_bytes,
            },
        )
    return added


def remove_attachment(
    actor: User, notice: Notice, attachment_id: int, files: NewFiles
) -> NoticeAttachment:
    """Take an attachment off a draft; its file goes once the removal is committed."""
    _require_committee(actor, notice.village_id)
    _lock(notice)
    if not notice.is_draft:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    attachment = db.session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice.id:
        raise NoticeError(_("这个附件已经不在了。"), status=404)
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.detach",
        notice,
        village=notice.village,
        before={"attachment": attachment.id, "name": attachment.original_name},
    )
    files.to_remove.append(stored_path(attachment))
    db.session.delete(attachment)
    return attachment


# --- what the pages show ------------------------------------------------------------


def attachments_of(notice: Notice) -> list[NoticeAttachment]:
    """A notice's attachments, images first, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(NoticeAttachment)
            .where(NoticeAttachment.notice_id == notice.id)
            .order_by(NoticeAttachment.kind, NoticeAttachment.id)
        )
    )


def get_attachment(notice: Notice, attachment_id: int) -> NoticeAttachment | None:
    attachment = db.session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice.id:
        return None
    return attachment
