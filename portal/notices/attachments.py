"""Attachments of a notice 附件: images and PDFs, at most ten a notice, on drafts only.

Checking, cleaning and storing the files is `portal.uploads` (SECURITY.md row 16):
sniffed by content, capped, images re-encoded without metadata, random names in
`ATTACHMENT_DIR` (by default `<instance>/attachments`), and nothing left on disk by an
action that does not commit. This module is what is about notices: the attachment rows,
the per-notice limit, and attaching or removing with their action-log rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import flask
import sqlalchemy as sa
from flask_babel import gettext as _

from portal import uploads as upload_rules
from portal.audit.services import record_action
from portal.auth.models import Role, User
from portal.extensions import db
from portal.notices.models import CAPTION_MAX, AttachmentKind, Notice, NoticeAttachment
from portal.notices.services import NoticeError, _lock, _require_committee

# NAME_MAX, content_disposition, files_kept_if_committed, sniff and `uploads` (the files
# chosen in a form) are read from here by the notices views and tests.
from portal.uploads import (  # noqa: F401
    NAME_MAX,
    NewFiles,
    Prepared,
    UploadPolicy,
    UploadRefused,
    content_disposition,
    files_kept_if_committed,
    sniff,
)
from portal.uploads import chosen_files as uploads  # noqa: F401

MAX_PER_NOTICE = 10


def too_big(max_bytes: int) -> str:
    return _(
        "文件太大：每个附件不能超过 %(mb)s MB。照片可以先用手机压缩，或拍得小一些再传。",
        mb=upload_rules.megabytes(max_bytes),
    )


ATTACHMENTS = UploadPolicy(
    field="attachments",
    folder="attachments",
    accepts_pdf=True,
    dir_setting="ATTACHMENT_DIR",
    max_bytes_setting="ATTACHMENT_MAX_BYTES",
    default_name=lambda: _("附件"),
    too_big_message=too_big,
)


class AttachmentError(UploadRefused, NoticeError):
    """An upload refused; its message belongs on the attachments field.

    An `UploadRefused` like every refused upload, and a `NoticeError`, so that code
    catching the notices' refusals (by either name) shows it beside the field. `slot` is
    the form's file slot it is about (0 for the first), and `part` whether the file or
    its caption is at fault; both None for the notice's attachments as a whole.
    """

    def __init__(
        self, message: str, status: int = 422, slot: int | None = None, part: str | None = None
    ):
        UploadRefused.__init__(self, message, status=status, field=ATTACHMENTS.field)
        self.slot = slot
        self.part = part


@dataclass(frozen=True)
class Upload:
    """One file chosen in a form, what the committee wrote it shows, and its place."""

    file: object
    caption: str | None = None
    slot: int | None = None


def chosen(slots) -> list[Upload]:
    """The files actually chosen among a form's (file, caption) slots, in order.

    A caption written for a slot without a file is refused rather than dropped: after a
    refusal the browser forgets the chosen files but the page keeps the captions.
    """
    found = []
    for index, (file, caption) in enumerate(slots):
        caption = (caption or "").strip() or None
        if uploads([file]):
            found.append(Upload(file, caption, index))
        elif caption:
            raise AttachmentError(
                _("写了说明，请再选一次它的文件（页面重新打开后，浏览器不会留着已选的文件）。"),
                slot=index,
                part="file",
            )
    return found


@contextmanager
def _notice_refusals() -> Iterator[None]:
    """An upload refused by `portal.uploads`, raised again as the notices' own refusal."""
    try:
        yield
    except AttachmentError:
        raise
    except UploadRefused as refused:
        raise AttachmentError(refused.message, status=refused.status) from None


def refused_type() -> str:
    return upload_rules.refused_type(ATTACHMENTS.accepts_pdf)


def _megabytes(n: int) -> str:
    return upload_rules.megabytes(n)


def clean_name(name: str | None, default: str | None = None) -> str:
    return upload_rules.clean_name(name, default if default is not None else _("附件"))


def read_capped(stream) -> bytes:
    """At most the attachment cap of an upload; one byte more is refused as too big."""
    with _notice_refusals():
        return ATTACHMENTS.read_capped(stream)


def prepare(data: bytes, original_name: str | None) -> Prepared:
    """Check an upload by its content and return what will be stored, or refuse it."""
    with _notice_refusals():
        return ATTACHMENTS.prepare(data, original_name)


def attachment_dir() -> Path:
    return ATTACHMENTS.directory()


def max_bytes() -> int:
    return ATTACHMENTS.max_bytes()


def stored_path(attachment: NoticeAttachment) -> Path:
    return ATTACHMENTS.path(attachment.stored_name)


def served_file(attachment: NoticeAttachment) -> tuple[Path, str, str]:
    """The file an attachment's address names, its type and the name it is offered under.

    A photo's `?w=480` is its rendition that wide when there is one (else the photo
    itself), named with the rendition's extension; a width not made, or any `?w=` on a
    PDF, is 404 (`portal.uploads.served_file`)."""
    if attachment.kind != AttachmentKind.IMAGE:
        if flask.request.args.get("w") is not None:
            flask.abort(404)
        return stored_path(attachment), attachment.content_type, attachment.original_name
    path, content_type = upload_rules.served_file(
        ATTACHMENTS, attachment.stored_name, attachment.content_type
    )
    name = attachment.original_name
    if path.name != attachment.stored_name:
        name = upload_rules._with_extension(name, path.suffix.lstrip("."))
    return path, content_type, name


# --- the committee's actions --------------------------------------------------------


def add_attachments(actor: User, notice: Notice, slots, files: NewFiles) -> list:
    """Attach uploads to a draft. A published notice is never changed (publish a correction).

    `slots` are the form's (file, caption) pairs; a photo needs its caption, which is what
    the notice page shows under it and reads out in its place (its alt text).
    """
    _require_committee(actor, notice.village_id)
    _lock(notice)
    if not notice.is_draft:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    return _attach(actor, notice, slots, files)


def attach_to_correction(actor: User, correction: Notice, slots, files: NewFiles) -> list:
    """The attachments of a correction, in the transaction that publishes it: a correction
    is published as soon as it is written, so it carries its attachments from the start."""
    _require_committee(actor, correction.village_id)
    if correction.corrects_id is None and correction.corrects is None:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    return _attach(actor, correction, slots, files)


def clean_caption(caption: str | None, kind: AttachmentKind, slot: int | None = None) -> str | None:
    """The caption as kept: required for a photo, optional for a PDF, at most CAPTION_MAX."""
    text = " ".join((caption or "").split())
    if len(text) > CAPTION_MAX:
        raise AttachmentError(
            _("说明最多 %(max)d 个字。", max=CAPTION_MAX), slot=slot, part="caption"
        )
    if not text and kind == AttachmentKind.IMAGE:
        raise AttachmentError(
            _(
                "请为这张照片写一句说明，例如“修好的村口路灯”：它显示在照片下面，也会读给看不见照片的人听。"
            ),
            slot=slot,
            part="caption",
        )
    return text or None


def _attach(actor: User, notice: Notice, slots, files: NewFiles) -> list:
    picked = chosen(slots)
    if not picked:
        return []
    db.session.flush()
    already = db.session.scalar(
        sa.select(sa.func.count(NoticeAttachment.id)).where(NoticeAttachment.notice_id == notice.id)
    )
    if already + len(picked) > MAX_PER_NOTICE:
        raise AttachmentError(
            _("一条公告最多 %(max)d 个附件，这条已有 %(n)d 个。", max=MAX_PER_NOTICE, n=already)
        )
    added = []
    for upload in picked:
        try:
            prepared = prepare(read_capped(upload.file.stream), upload.file.filename)
        except AttachmentError as refused:
            raise AttachmentError(
                refused.message, status=refused.status, slot=upload.slot, part="file"
            ) from None
        kind = AttachmentKind(prepared.kind.value)
        caption = clean_caption(upload.caption, kind, upload.slot)
        attachment = NoticeAttachment(
            notice_id=notice.id,
            village_id=notice.village_id,
            kind=kind,
            content_type=prepared.content_type,
            stored_name=ATTACHMENTS.store(prepared, files),
            original_name=prepared.name,
            caption=caption,
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
                "caption": attachment.caption,
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


def first_photos(notice_ids) -> dict[int, NoticeAttachment]:
    """The first photo of each of these notices, for the feed: one statement."""
    ids = list(notice_ids)
    if not ids:
        return {}
    first = (
        sa.select(sa.func.min(NoticeAttachment.id))
        .where(
            NoticeAttachment.notice_id.in_(ids),
            NoticeAttachment.kind == AttachmentKind.IMAGE,
        )
        .group_by(NoticeAttachment.notice_id)
    )
    return {
        a.notice_id: a
        for a in db.session.scalars(
            sa.select(NoticeAttachment).where(NoticeAttachment.id.in_(first))
        )
    }


def first_photo(attachments: list[NoticeAttachment]) -> NoticeAttachment | None:
    """The first photo among a notice's attachments (images come first), if any."""
    return next((a for a in attachments if a.kind == AttachmentKind.IMAGE), None)
