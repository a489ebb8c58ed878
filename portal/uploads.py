"""Uploaded files: checked by their content, cleaned, and kept outside static/.

SECURITY.md row 16. An upload is read up to its cap and no further; its type is decided
by its first bytes, never by its name or the Content-Type the browser sent. An image is
decoded by Pillow (a pixel cap first, against decompression bombs), turned upright by
its EXIF orientation, scaled down to at most `max_side` pixels and encoded afresh as
JPEG or PNG with no metadata at all (no EXIF with GPS position or camera serial, no
text chunks), so what is served is only pixels this code wrote. A PDF, where a feature
accepts one, is kept as it came after a check of its frame, and is only ever served as
a download.

Beside each stored image, smaller renditions (`RENDITION_WIDTHS` wide, never wider than
the image nor heavier in bytes) are written from the same clean pixels, named after it
(`<stem>.w480.jpg`), so that a phone is sent a photo the size it shows. They are files of
the same unit of work as the image; a photo stored before they existed is served whole
until `flask photos renditions` has written them. Pages offer them in a `srcset`
(templates/macros/photo.html) and `send_photo` serves one for `?w=<width>`.

Each feature describes what it takes with one `UploadPolicy`: the form field its
refusals belong beside, whether PDFs are accepted, its folder and its cap. Files are
stored under random names in the policy's folder; the uploaded name is cleaned and kept
only for display and as the download's name, never used to build a path.

A file is written before the row that names it, inside the action's transaction;
`files_kept_if_committed` removes what the action wrote if the transaction does not
commit, and deletes the files of removed rows only once it has, so a refused or
rolled-back action leaves the disk as it found it.
"""

from __future__ import annotations

import enum
import io
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from flask import Response, abort, current_app, request, send_from_directory
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.actions import Refusal

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2000  # longest side of a stored image, in pixels
MAX_PIXELS = 40_000_000  # refuse to decode anything larger (about 7300 x 5500)
NAME_MAX = 120
JPEG_QUALITY = 85
# The widths of the smaller copies kept beside a stored image: a phone's column (480) and
# a phone's column at twice the pixels, or a desktop's (960). templates/macros/photo.html
# offers the same widths.
RENDITION_WIDTHS = (480, 960)
RENDITION_QUALITY = 80  # a reduced photo shown small: 80 is indistinguishable from 85
_STORED_IMAGE = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")

# The first bytes of each accepted image format, and Pillow's name for it.
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
PDF_MAGIC = b"%PDF-"


class FileKind(enum.StrEnum):
    IMAGE = "image"  # re-encoded here: only pixels, no metadata
    PDF = "pdf"  # kept byte for byte, served only as a download


class UploadRefused(Refusal):
    """An upload refused: its message belongs beside the form's file field."""

    status = 422


# --- messages -----------------------------------------------------------------------


def refused_type(accepts_pdf: bool = True) -> str:
    if accepts_pdf:
        return _("只能上传图片（JPG、PNG、GIF、WebP）或 PDF 文件。")
    return _("只能上传图片（JPG、PNG、GIF、WebP）。")


def too_big(max_bytes: int) -> str:
    return _(
        "文件太大：每个文件不能超过 %(mb)s MB。照片可以先用手机压缩，或拍得小一些再传。",
        mb=megabytes(max_bytes),
    )


def megabytes(n: int) -> str:
    """`n` bytes in MB as a person reads it: "5", or "2.5"."""
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


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
    return text or (default if default is not None else _("文件"))


def _with_extension(name: str, ext: str) -> str:
    stem, dot, old = name.rpartition(".")
    base = stem if dot and stem and len(old) <= 10 else name
    return clean_name(base[: NAME_MAX - len(ext) - 1] + "." + ext)


@dataclass
class Prepared:
    """An upload that passed every check, ready to be written."""

    kind: FileKind
    content_type: str
    extension: str
    data: bytes
    name: str
    width: int | None = None
    height: int | None = None
    # The clean pixels `data` encodes, for the renditions `store` writes beside it.
    pixels: Image.Image | None = field(default=None, repr=False, compare=False)


def chosen_files(file_list) -> list:
    """The files actually chosen in a file input. An input left empty sends one part with
    no name and no content; a part with content is kept even if its name got lost."""
    return [f for f in (file_list or []) if f is not None and _chosen(f)]


def _chosen(upload) -> bool:
    if (upload.filename or "").strip():
        return True
    head = upload.stream.read(1)
    upload.stream.seek(0)
    return bool(head)


@dataclass(frozen=True)
class UploadPolicy:
    """What one feature accepts, how big, and where it keeps it.

    `folder` is a folder under `UPLOAD_DIR` (by default the instance folder), unless the
    setting named by `dir_setting` names a directory outright: notice attachments keep
    `ATTACHMENT_DIR`, by default `<instance>/attachments`; a board or nomination photo
    takes a folder of its own, such as "photos/boards".
    """

    field: str
    folder: str
    accepts_pdf: bool = False
    dir_setting: str | None = None
    max_bytes_setting: str | None = None
    default_max_bytes: int = DEFAULT_MAX_BYTES
    max_side: int = MAX_SIDE
    default_name: Callable[[], str] | None = None
    too_big_message: Callable[[int], str] = too_big
    rendition_widths: tuple[int, ...] = RENDITION_WIDTHS

    def __post_init__(self):
        parts = Path(self.folder).parts
        if not parts or Path(self.folder).is_absolute() or ".." in parts:
            raise ValueError(
                f"an upload folder is a relative path inside UPLOAD_DIR: {self.folder}"
            )

    # --- settings ---

    def directory(self) -> Path:
        configured = current_app.config.get(self.dir_setting) if self.dir_setting else None
        if configured:
            return Path(configured)
        root = current_app.config.get("UPLOAD_DIR") or current_app.instance_path
        return Path(root) / self.folder

    def max_bytes(self) -> int:
        configured = (
            current_app.config.get(self.max_bytes_setting) if self.max_bytes_setting else None
        )
        return int(configured or self.default_max_bytes)

    def refused(self, message: str, status: int | None = None) -> UploadRefused:
        return UploadRefused(message, status=status, field=self.field)

    # --- checking ---

    def read_capped(self, stream) -> bytes:
        """At most `max_bytes()` of the upload; one byte more means it is too big."""
        cap = self.max_bytes()
        data = stream.read(cap + 1)
        if len(data) > cap:
            raise self.refused(self.too_big_message(cap), status=413)
        return data

    def prepare(self, data: bytes, original_name: str | None) -> Prepared:
        """Check an upload by its content and return what will be stored, or refuse it."""
        default = self.default_name() if self.default_name else None
        name = clean_name(original_name, default)
        if not data:
            raise self.refused(_("上传的文件是空的，请重新选择。"))
        found = sniff(data[:16])
        if found is None or (found == "PDF" and not self.accepts_pdf):
            raise self.refused(refused_type(self.accepts_pdf))
        if found == "PDF":
            return self._prepare_pdf(data, name)
        return self._prepare_image(data, name, found)

    def _prepare_pdf(self, data: bytes, name: str) -> Prepared:
        # A PDF ends with %%EOF (a little trailing whitespace or padding is common).
        if b"%%EOF" not in data[-2048:]:
            raise self.refused(_("这个 PDF 文件不完整或已损坏，请重新导出后再传。"))
        return Prepared(
            kind=FileKind.PDF,
            content_type="application/pdf",
            extension="pdf",
            data=data,
            name=_with_extension(name, "pdf"),
        )

    def _prepare_image(self, data: bytes, name: str, found: str) -> Prepared:
        unreadable = _("这张图片打不开，可能已损坏，请换一张再传。")
        too_many_pixels = _(
            "图片的像素太多了（最多 %(mp)s 万像素），请缩小后再传。", mp=MAX_PIXELS // 10_000
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as probe:
                    if probe.format != found:
                        raise self.refused(refused_type(self.accepts_pdf))
                    width, height = probe.size
                    if width < 1 or height < 1:
                        raise self.refused(unreadable)
                    if width * height > MAX_PIXELS:
                        raise self.refused(too_many_pixels)
                    probe.verify()
                # verify() leaves the image unusable: open it again to decode it.
                with Image.open(io.BytesIO(data)) as image:
                    image.seek(0)  # an animated GIF or WebP keeps its first frame
                    image.load()
                    clean = _clean_pixels(image, self.max_side)
        except UploadRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Pillow's own guard, met before ours when the header alone is enormous.
            raise self.refused(too_many_pixels) from None
        except (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError):
            raise self.refused(unreadable) from None
        as_png = clean.mode in ("RGBA", "LA") or found in ("PNG", "GIF")
        out = io.BytesIO()
        clean.info = {}
        if as_png:
            clean.save(out, format="PNG", optimize=True)
        else:
            clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        ext = "png" if as_png else "jpg"
        return Prepared(
            kind=FileKind.IMAGE,
            content_type="image/png" if as_png else "image/jpeg",
            extension=ext,
            data=out.getvalue(),
            name=_with_extension(name, ext),
            width=clean.width,
            height=clean.height,
            pixels=clean,
        )

    # --- files on disk ---

    def store(self, prepared: Prepared, files: NewFiles) -> str:
        """Write `prepared` under a new random name and return the name; `files` removes
        it again should the action not commit."""
        directory = self.directory()
        directory.mkdir(parents=True, exist_ok=True)
        stored_name = f"{secrets.token_hex(16)}.{prepared.extension}"
        _write_new(directory / stored_name, prepared.data, files)
        if prepared.kind == FileKind.IMAGE and self.rendition_widths:
            pixels = prepared.pixels
            if pixels is None:
                with Image.open(io.BytesIO(prepared.data)) as image:
                    pixels = image.copy()
            for rendition in renditions(pixels, self.rendition_widths, len(prepared.data)):
                name = rendition_name(stored_name, rendition.width, rendition.extension)
                _write_new(directory / name, rendition.data, files)
        return stored_name

    def path(self, stored_name: str) -> Path:
        """Where a stored file is. Only a name `store` made is accepted: one plain part."""
        if not stored_name or Path(stored_name).name != stored_name or stored_name[0] == ".":
            raise ValueError("not a stored upload's name")
        return self.directory() / stored_name

    def rendition_path(self, stored_name: str, width: int) -> Path | None:
        """The stored rendition `width` wide of a stored image, or None where there is none
        (the image is no wider, the rendition would weigh more, or it was stored before
        renditions were made)."""
        for extension in ("jpg", "png"):
            path = self.path(rendition_name(stored_name, width, extension))
            if path.is_file():
                return path
        return None

    def write_missing_renditions(self, stored_name: str) -> int:
        """Write the renditions a stored image lacks, each atomically (a rendition is
        either whole or absent); how many were written. For images stored before
        renditions were made: `flask photos renditions`."""
        path = self.path(stored_name)
        with Image.open(path) as image:
            wanted = [w for w in self.rendition_widths if w < image.width]
            missing = [w for w in wanted if self.rendition_path(stored_name, w) is None]
            if not missing:
                return 0
            image.load()
            pixels = image.copy()
        written = 0
        for rendition in renditions(pixels, missing, path.stat().st_size):
            target = path.with_name(
                rendition_name(stored_name, rendition.width, rendition.extension)
            )
            partial = path.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
            try:
                with open(partial, "xb") as out:
                    out.write(rendition.data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            written += 1
        return written

    def stored_images(self) -> list[str]:
        """The names of the images `store` wrote in this policy's folder (not their
        renditions, not PDFs), in name order."""
        directory = self.directory()
        if not directory.is_dir():
            return []
        return sorted(p.name for p in directory.iterdir() if _STORED_IMAGE.fullmatch(p.name))


def _write_new(path: Path, data: bytes, files: NewFiles) -> None:
    # "x": never overwrite, should two random names ever meet.
    with open(path, "xb") as out:
        files.written.append(path)
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


# --- renditions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rendition:
    """A smaller copy of a stored image, encoded and ready to be written."""

    width: int
    height: int
    extension: str
    data: bytes


def rendition_name(stored_name: str, width: int, extension: str) -> str:
    """The file name of a stored image's rendition: `<stem>.w<width>.<extension>`."""
    stem = stored_name.rsplit(".", 1)[0]
    return f"{stem}.w{width}.{extension}"


def renditions(pixels: Image.Image, widths: Iterable[int], original_bytes: int) -> list[Rendition]:
    """The renditions of `pixels` at each of `widths` narrower than it, with no metadata:
    JPEG, or PNG where the image has transparency or PNG keeps it lighter. One that
    would weigh as much as the original (`original_bytes`) is left out: the original is
    then the better file to send."""
    if pixels.mode not in ("L", "RGB", "RGBA", "LA"):
        transparent = pixels.mode == "PA" or "transparency" in pixels.info
        pixels = pixels.convert("RGBA" if transparent else "RGB")
    made = []
    for width in sorted(set(widths)):
        if width >= pixels.width:
            continue
        height = max(1, round(pixels.height * width / pixels.width))
        small = pixels.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        small.info = {}
        encoded = None
        if small.mode not in ("RGBA", "LA"):
            encoded = _encoded(small, "JPEG")
        if encoded is None or len(encoded[1]) >= original_bytes:
            # Transparency, or a drawing of flat colours (a notice scanned or drawn), which
            # PNG keeps smaller than JPEG does.
            encoded = _encoded(small, "PNG")
        if len(encoded[1]) < original_bytes:
            made.append(Rendition(width, height, *encoded))
    return made


def _encoded(pixels: Image.Image, fmt: str) -> tuple[str, bytes]:
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, format="JPEG", quality=RENDITION_QUALITY, optimize=True, progressive=True)
        return "jpg", out.getvalue()
    # Not `optimize`: on a photo it costs seconds for a few per cent.
    pixels.save(out, format="PNG")
    return "png", out.getvalue()


def requested_width(policy: UploadPolicy) -> int | None:
    """The rendition width a photo's address asks for (`?w=480`), None for the original.
    Only the widths the policy makes are addresses: anything else is 404, so no two
    addresses name the same file by accident and caches keep one copy of each."""
    asked = request.args.get("w")
    if asked is None:
        return None
    for width in policy.rendition_widths:
        if asked == str(width):
            return width
    abort(404)


def served_file(policy: UploadPolicy, stored_name: str, content_type: str) -> tuple[Path, str]:
    """The file a photo's address names and its type: the rendition `?w=` asks for when it
    exists, else the stored image itself. 404 for a width the policy does not make or a
    name `store` did not make."""
    width = requested_width(policy)
    try:
        path = policy.path(stored_name)
    except ValueError:
        abort(404)
    if width is not None:
        rendition = policy.rendition_path(stored_name, width)
        if rendition is not None:
            kind = "image/png" if rendition.suffix == ".png" else "image/jpeg"
            return rendition, kind
    return path, content_type


def _clean_pixels(image: Image.Image, max_side: int) -> Image.Image:
    """Upright, at most `max_side` a side, in a mode the encoder takes, nothing but pixels."""
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
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    pixels.info = {}
    return pixels


# --- one action's files -------------------------------------------------------------


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
        """Delete the files of removed rows, and with each image its renditions."""
        for path in self.to_remove:
            for gone in [path, *_renditions_on_disk(path)]:
                try:
                    gone.unlink(missing_ok=True)
                except OSError:
                    current_app.logger.warning("could not remove uploaded file %s", gone.name)
        self.to_remove.clear()


def _renditions_on_disk(path: Path) -> list[Path]:
    stem = path.name.rsplit(".", 1)[0]
    shape = re.compile(re.escape(stem) + r"\.w[0-9]+\.(?:jpg|png)")
    return [p for p in path.parent.glob(f"{stem}.w*") if shape.fullmatch(p.name)]


@contextmanager
def files_kept_if_committed() -> Iterator[NewFiles]:
    """Wrap one user action that commits inside the block.

    If the block raises (a refusal, a failed commit), the files it wrote are removed;
    if it ends normally, the files of removed rows are deleted from disk.
    """
    files = NewFiles()
    try:
        yield files
    except BaseException:
        files.discard_written()
        raise
    files.remove_unlinked()


# What a served upload may do when opened on its own: nothing (no script, no form, no
# frame), and only this site may embed it.
SANDBOX = (
    "default-src 'none'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'; sandbox"
)


def sandboxed(response: Response) -> Response:
    """The headers of every upload this site serves."""
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def send_photo(
    policy: UploadPolicy, stored_name: str, content_type: str, *, shared: bool
) -> Response:
    """A stored photo, inline and sandboxed; 404 if it is not there. `shared`: anyone may
    read it and a cache may keep it an hour; otherwise it is `portal.privacy.private`
    (no-store, noindex), for a photo only some may see.

    `?w=480` (a width the policy makes) serves that rendition instead, under the same
    rule and headers: the caller has decided who may see the photo, whatever its size."""
    from portal.privacy import private

    path, content_type = served_file(policy, stored_name, content_type)
    try:
        response = send_from_directory(
            path.parent,
            path.name,
            mimetype=content_type,
            conditional=True,
            etag=True,
            max_age=3600 if shared else 0,
        )
    except (FileNotFoundError, ValueError):
        abort(404)
    sandboxed(response)
    if shared:
        return response
    response.cache_control.max_age = None
    response.cache_control.public = False
    return private(response)


@dataclass(frozen=True)
class Photo:
    """A photo already checked and stored by `UploadPolicy.store` in the action's unit of
    work, as a feature's row keeps it (a board entry, a nomination)."""

    stored_name: str
    content_type: str
    width: int | None
    height: int | None
    caption: str | None = None


def take_photo(policy: UploadPolicy, upload, files: NewFiles, caption: str | None = None):
    """The photo chosen in a form's file field (`upload`, or None when none was chosen),
    checked, cleaned and stored by `policy` in the action's `files`; a `Photo` for the
    feature's row, or None. Refuses (`UploadRefused`) what is not a readable image."""
    chosen = chosen_files([upload])
    if not chosen:
        return None
    prepared = policy.prepare(policy.read_capped(chosen[0].stream), chosen[0].filename)
    stored = policy.store(prepared, files)
    return Photo(stored, prepared.content_type, prepared.width, prepared.height, caption or None)


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
