"""Photos sent at the size they are shown (portal/uploads.py, templates/macros/photo.html).

A stored photo gets 480 and 960 px renditions in the same unit of work (gone again if it
does not commit, gone with the photo when its row is removed), each narrower and lighter
than the photo and as clean of metadata. `?w=` serves one under the photo's own access
rule and headers; a width not made is 404; a photo stored before renditions existed is
served whole. Every page's <img> offers them in a srcset, and `flask photos renditions`
writes what older photos lack, once.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from portal import photos, uploads
from portal.actions import Refusal, unit_of_work
from portal.auth.models import Role
from portal.boards import services as boards
from portal.boards.models import Board
from portal.extensions import db
from portal.nominations import services as nominations
from portal.notices.attachments import ATTACHMENTS
from portal.notices.models import AttachmentKind, NoticeAttachment
from portal.uploads import RENDITION_WIDTHS, UploadPolicy, files_kept_if_committed
from tests.boards.conftest import START, adopt_rules, black_entry, category, red_entry
from tests.conftest import login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, official, villager
from tests.nominations.conftest import nominate
from tests.notices.conftest import make_notice

POLICY = UploadPolicy(field="photo", folder="photos/test")
SANDBOX_HEADERS = (
    "Content-Security-Policy",
    "Cross-Origin-Resource-Policy",
    "Cache-Control",
    "X-Robots-Tag",
    "X-Content-Type-Options",
)


def photo_bytes(size=(1600, 1200), exif: bytes | None = None) -> bytes:
    """A photo-like JPEG: a gradient with grain, so that its sizes are those of a photo."""
    grain = Image.effect_noise(size, 40)
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, grain, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    image.save(out, format="JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 30.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    return exif.tobytes()


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def store(policy: UploadPolicy, data: bytes, name: str = "photo.jpg") -> str:
    with files_kept_if_committed() as files, unit_of_work():
        return policy.store(policy.prepare(data, name), files)


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


# --- written on store, with the unit of work ------------------------------------------


def test_storing_a_photo_writes_its_renditions_narrower_lighter_and_clean(request_context):
    data = photo_bytes(exif=gps_exif())
    assert b"PhoneMaker" in data
    stored = store(POLICY, data)
    stem = stored.removesuffix(".jpg")
    directory = POLICY.directory()
    assert names_in(directory) == sorted([stored, f"{stem}.w480.jpg", f"{stem}.w960.jpg"])
    original = (directory / stored).stat().st_size
    for width, height in ((480, 360), (960, 720)):
        path = POLICY.rendition_path(stored, width)
        assert path == directory / f"{stem}.w{width}.jpg"
        assert path.stat().st_size < original
        raw = path.read_bytes()
        assert b"PhoneMaker" not in raw and b"Exif" not in raw
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == (width, height)
            assert not image.getexif() and "icc_profile" not in image.info


def test_only_renditions_narrower_than_the_photo_are_made(request_context):
    middling = store(POLICY, photo_bytes(size=(700, 500)))
    assert POLICY.rendition_path(middling, 480) is not None
    assert POLICY.rendition_path(middling, 960) is None
    small = store(POLICY, photo_bytes(size=(480, 300)))
    assert [POLICY.rendition_path(small, w) for w in RENDITION_WIDTHS] == [None, None]


def test_a_transparent_photo_keeps_its_transparency_in_png_renditions(request_context):
    flat = Image.new("RGBA", (600, 400), (200, 30, 30, 255))
    flat.putalpha(Image.linear_gradient("L").resize((600, 400)))
    out = io.BytesIO()
    flat.save(out, format="PNG")
    stored = store(POLICY, out.getvalue(), "logo.png")
    path = POLICY.rendition_path(stored, 480)
    assert path is not None and path.name.endswith(".w480.png")
    with Image.open(path) as image:
        assert image.mode == "RGBA" and image.size == (480, 320)
        assert image.getpixel((0, 0))[3] == 0 and image.getpixel((0, 319))[3] == 255


def test_a_rolled_back_action_leaves_no_rendition(app, request_context):
    with pytest.raises(Refusal), files_kept_if_committed() as files, unit_of_work():
        POLICY.store(POLICY.prepare(photo_bytes(), "a.jpg"), files)
        assert len(names_in(POLICY.directory())) == 3
        raise Refusal("refused after the photo was written")
    assert names_in(POLICY.directory()) == []


def test_a_removed_photo_takes_its_renditions_with_it_once_committed(request_context):
    kept = store(POLICY, photo_bytes())
    gone = store(POLICY, photo_bytes())
    with files_kept_if_committed() as files, unit_of_work():
        files.to_remove.append(POLICY.path(gone))
    assert all(name.startswith(kept.removesuffix(".jpg")) for name in names_in(POLICY.directory()))
    assert len(names_in(POLICY.directory())) == 3


# --- served with ?w= ------------------------------------------------------------------


def with_photo(entry, policy: UploadPolicy, data: bytes | None = None) -> str:
    """Give a board entry or nomination a photo stored by `policy`; its stored name."""
    with files_kept_if_committed() as files:
        prepared = policy.prepare(data or photo_bytes(), "photo.jpg")
        stored = policy.store(prepared, files)
    entry.photo_stored_name = stored
    entry.photo_content_type = prepared.content_type
    entry.photo_width, entry.photo_height = prepared.width, prepared.height
    entry.photo_caption = "村道旁的柴草"
    db.session.commit()
    return stored


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village, name="王主任")


@pytest.fixture
def seeded(village, committee, at):
    """湖滨村 with its rules in force and its board categories, as tests/boards has it."""
    at(START)
    articles = adopt_rules(village)
    with unit_of_work():
        boards.seed_categories(village, committee)
    category(village, Board.BLACK, "乱堆乱放").article_id = articles[0].id
    db.session.commit()
    return village


@pytest.fixture
def red(seeded, committee, at):
    household = HouseholdFactory(village=seeded)
    resident = ResidentFactory(household=household, village=seeded, name="孙红梅")
    entry = red_entry(seeded, committee, at, "published", household=household, resident=resident)
    with_photo(entry, boards.BOARD_PHOTOS)
    return entry


@pytest.fixture
def black(seeded, committee, at):
    household = HouseholdFactory(village=seeded)
    subject = ResidentFactory(household=household, village=seeded, name="欧阳建国")
    second_member = official(Role.COMMITTEE, seeded, name="赵委员")
    entry = black_entry(
        seeded, committee, second_member, at, "published", household=household, resident=subject
    )
    with_photo(entry, boards.BOARD_PHOTOS)
    return entry


def width_of(response) -> int:
    with Image.open(io.BytesIO(response.data)) as image:
        return image.width


def test_w_serves_the_rendition_with_the_photos_headers(client, red):
    url = f"/v/hubin/boards/{red.id}/photo"
    original = client.get(url)
    assert original.status_code == 200 and width_of(original) == 1600
    for width in RENDITION_WIDTHS:
        small = client.get(url, query_string={"w": width})
        assert small.status_code == 200 and width_of(small) == width
        assert small.mimetype == "image/jpeg" and len(small.data) < len(original.data)
        for header in SANDBOX_HEADERS:
            assert small.headers.get(header) == original.headers.get(header), header
        assert "max-age=3600" in small.headers["Cache-Control"]
        assert small.headers["ETag"] != original.headers["ETag"]
    for asked in ("500", "2000", "0480", "abc", ""):
        assert client.get(url, query_string={"w": asked}).status_code == 404, asked


def test_a_private_photos_rendition_is_refused_as_the_photo_is(client, black):
    neighbour = villager(black.village, name="李四")
    url = f"/v/hubin/boards/{black.id}/photo"
    for query in ({}, {"w": 480}, {"w": 960}):
        assert client.get(url, query_string=query).status_code == 404, query
    login_as(client, neighbour)
    original = client.get(url)
    small = client.get(url, query_string={"w": 480})
    assert small.status_code == 200 and width_of(small) == 480
    assert small.headers["Cache-Control"] == original.headers["Cache-Control"] == "no-store"
    for header in SANDBOX_HEADERS:
        assert small.headers.get(header) == original.headers.get(header), header


def test_a_photo_stored_before_renditions_is_served_whole(client, red):
    for width in RENDITION_WIDTHS:
        boards.BOARD_PHOTOS.rendition_path(red.photo_stored_name, width).unlink()
    url = f"/v/hubin/boards/{red.id}/photo"
    original = client.get(url)
    small = client.get(url, query_string={"w": 480})
    assert small.status_code == 200 and small.data == original.data


def test_a_notice_photos_rendition_is_served_and_a_pdf_takes_no_width(client, village, committee):
    notice = make_notice(committee, village)
    rows = []
    with files_kept_if_committed() as files:
        for data, name in ((photo_bytes(), "路灯.png"), (uploads_pdf(), "预算.pdf")):
            prepared = ATTACHMENTS.prepare(data, name)
            rows.append(attachment_row(notice, prepared, ATTACHMENTS.store(prepared, files)))
    db.session.commit()
    photo, pdf = rows
    base = f"/v/hubin/notices/{notice.id}/attachments"
    original = client.get(f"{base}/{photo.id}")
    small = client.get(f"{base}/{photo.id}", query_string={"w": 480})
    assert small.status_code == 200 and width_of(small) == 480
    assert small.headers["Content-Disposition"].startswith("inline;")
    for header in ("Content-Security-Policy", "Cross-Origin-Resource-Policy", "Cache-Control"):
        assert small.headers.get(header) == original.headers.get(header), header
    assert client.get(f"{base}/{photo.id}", query_string={"w": 640}).status_code == 404
    assert client.get(f"{base}/{pdf.id}").status_code == 200
    assert client.get(f"{base}/{pdf.id}", query_string={"w": 480}).status_code == 404
    page = client.get(f"/v/hubin/notices/{notice.id}").text
    assert_srcset(page, f"{base}/{photo.id}", 1600)
    poster = client.get(f"/v/hubin/notices/{notice.id}/poster").text
    assert_srcset(poster, f"{base}/{photo.id}", 1600, loading="eager")


def uploads_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def attachment_row(notice, prepared, stored_name: str) -> NoticeAttachment:
    row = NoticeAttachment(
        notice_id=notice.id,
        village_id=notice.village_id,
        kind=AttachmentKind(prepared.kind.value),
        content_type=prepared.content_type,
        stored_name=stored_name,
        original_name=prepared.name,
        caption="村口的路灯" if prepared.kind == uploads.FileKind.IMAGE else None,
        size_bytes=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        created_by_id=notice.created_by_id,
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- the pages' <img> -----------------------------------------------------------------

IMG = re.compile(r"<img [^>]*>")


def assert_srcset(page: str, src: str, width: int, loading: str = "lazy") -> None:
    tags = [tag for tag in IMG.findall(page) if f'src="{src}"' in tag]
    assert len(tags) == 1, IMG.findall(page)
    tag = tags[0]
    srcset = re.search(r'srcset="([^"]*)"', tag).group(1)
    offered = [candidate.strip() for candidate in srcset.split(",")]
    assert offered == [f"{src}?w={w} {w}w" for w in RENDITION_WIDTHS if w < width] + [
        f"{src} {width}w"
    ]
    assert 'sizes="' in tag and f'width="{width}"' in tag and 'height="' in tag
    assert f'loading="{loading}"' in tag and 'decoding="async"' in tag
    assert re.search(r'alt="[^"]+"', tag)


def test_the_board_pages_offer_each_width(client, red, committee):
    assert_srcset(
        client.get(f"/v/hubin/boards/{red.id}").text, f"/v/hubin/boards/{red.id}/photo", 1600
    )
    login_as(client, committee)
    page = client.get(f"/v/hubin/manage/boards/{red.id}").text
    assert_srcset(page, f"/v/hubin/manage/boards/{red.id}/photo", 1600)


def test_the_nomination_pages_offer_each_width(client, village, committee):
    with unit_of_work():
        nominations.seed_categories(village)
    nominee = ResidentFactory(household=HouseholdFactory(village=village), village=village)
    nomination = nominate(villager(village), village, nominee)
    assert nomination.state in nominations.PUBLIC_STATES
    with_photo(nomination, nominations.NOMINATION_PHOTOS, photo_bytes(size=(700, 500)))
    page = client.get(f"/v/hubin/nominations/{nomination.id}").text
    assert_srcset(page, f"/v/hubin/nominations/{nomination.id}/photo", 700)
    login_as(client, committee)
    page = client.get(f"/v/hubin/manage/nominations/{nomination.id}").text
    assert_srcset(page, f"/v/hubin/manage/nominations/{nomination.id}/photo", 700)


# --- the backfill ---------------------------------------------------------------------


def test_the_backfill_writes_what_is_missing_and_nothing_twice(app, runner, request_context):
    policy = boards.BOARD_PHOTOS
    whole = store(policy, photo_bytes())
    older = store(policy, photo_bytes(size=(800, 600)))
    small = store(policy, photo_bytes(size=(300, 200)))
    policy.rendition_path(whole, 960).unlink()
    policy.rendition_path(older, 480).unlink()
    kept = policy.rendition_path(whole, 480)
    kept_bytes, kept_mtime = kept.read_bytes(), kept.stat().st_mtime_ns
    # A notice's PDF sits among its photos and is passed over.
    with files_kept_if_committed() as files:
        ATTACHMENTS.store(ATTACHMENTS.prepare(uploads_pdf(), "a.pdf"), files)

    result = runner.invoke(args=["photos", "renditions"])
    assert result.exit_code == 0, result.output
    assert "3 photos looked at, 2 renditions written" in result.output
    for name, widths in ((whole, (480, 960)), (older, (480,)), (small, ())):
        for width in RENDITION_WIDTHS:
            found = policy.rendition_path(name, width)
            assert (found is not None) == (width in widths), (name, width)
            if found is not None:
                with Image.open(found) as image:
                    assert image.width == width
    assert kept.read_bytes() == kept_bytes and kept.stat().st_mtime_ns == kept_mtime
    assert not [p for p in policy.directory().iterdir() if p.name.startswith(".")]

    again = photos.write_missing_renditions()
    assert (again.images, again.written) == (3, 0)
