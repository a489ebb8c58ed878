"""Static files: fingerprinted and compressed once (portal/assets.py), served by WhiteNoise
in front of the app, kept a year by browsers, with the headers every page carries.

The requests go through `app.test_client()`, which calls `app.wsgi_app`: WhiteNoise is
in their path as it is in production's. The served build is made by this module into a
temporary folder, so the tests do not depend on `make setup` having been run.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

import brotli
import pytest

from portal import assets, create_app

# Static files are files: no database changes them.
pytestmark = pytest.mark.any_database

STATIC = Path(__file__).resolve().parent.parent / "static"
HTMX = STATIC / "vendor" / "htmx.min.js"
HASHED_URL = re.compile(r"^/static/build/[\w/.-]+\.[0-9a-f]{10}\.\w+$")
# Headers that describe one response rather than the site's policy for every response.
PER_RESPONSE = {
    "content-type",
    "content-length",
    "content-encoding",
    "content-language",
    "cache-control",
    "vary",
    "etag",
    "last-modified",
    "set-cookie",
    "date",
    "retry-after",
}


def directives(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(",") if part.strip()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """static/ built into a folder of this module's own. Without axe-core, which no page
    loads and which is most of a first build's time."""
    source = tmp_path_factory.mktemp("static-source")
    shutil.copytree(
        STATIC, source, dirs_exist_ok=True, ignore=shutil.ignore_patterns("build", "axe*")
    )
    output = tmp_path_factory.mktemp("static-build")
    assets.build(source, output)
    return output


@pytest.fixture
def app_config(built) -> dict:
    return {"STATIC_BUILD_DIR": str(built)}


def page_links(text: str) -> dict[str, str]:
    """The stylesheet, icon and script URLs of a page, by the plain name they stand for."""
    urls = re.findall(r'<(?:link[^>]*href|script[^>]*src)="(/static/[^"]+)"', text)
    found = {}
    for url in urls:
        plain = re.sub(r"\.[0-9a-f]{10}(\.\w+)$", r"\1", url.removeprefix("/static/build/"))
        found[plain.removeprefix("/static/").split("?")[0]] = url
    return found


def htmx_url(client) -> str:
    return page_links(client.get("/").text)["vendor/htmx.min.js"]


# --- compression -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("", None, bytes),
    ],
)
def test_htmx_comes_compressed_as_the_client_can_read_it(client, offered, encoding, decode):
    url = htmx_url(client)
    response = client.get(url, headers={"Accept-Encoding": offered})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    if encoding:
        assert len(body) < 20_000 < HTMX.stat().st_size
    assert decode(body) == HTMX.read_bytes()


def test_the_compressed_file_is_the_one_built_not_compressed_again(app, built, database_url):
    """With Flask-Compress on (as outside the tests), a file is sent as the build wrote it,
    and the pages are still compressed by Flask-Compress."""
    compressing = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATIC_BUILD_DIR": str(built),
            "COMPRESS_REGISTER": True,
        }
    )
    client = compressing.test_client()
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(page.data)
    url = page_links(gzip.decompress(page.data).decode())["css/site.css"]
    sheet = client.get(url, headers={"Accept-Encoding": "br"})
    on_disk = built / (url.removeprefix("/static/build/") + ".br")
    assert sheet.headers["Content-Encoding"] == "br" and sheet.data == on_disk.read_bytes()


# --- caching -----------------------------------------------------------------------------


def test_a_page_links_its_assets_by_their_fingerprinted_names(client):
    links = page_links(client.get("/").text)
    assert {"css/site.css", "favicon.svg", "vendor/htmx.min.js"} <= set(links)
    for plain, url in links.items():
        assert HASHED_URL.match(url), url
        digest = hashlib.sha256((STATIC / plain).read_bytes()).hexdigest()[:10]
        assert f".{digest}." in url


def test_a_fingerprinted_asset_is_never_revalidated(client):
    for plain, url in page_links(client.get("/").text).items():
        response = client.get(url)
        assert response.status_code == 200, url
        cache = directives(response.headers["Cache-Control"])
        assert cache == {"public", "max-age=31536000", "immutable"}, (plain, cache)
        assert response.data == (STATIC / plain).read_bytes()


def test_a_plain_name_is_kept_only_a_short_while(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert response.data == (STATIC / "favicon.svg").read_bytes()
    assert directives(response.headers["Cache-Control"]) == {"public", "max-age=600"}


def test_without_a_build_pages_link_versioned_urls_kept_a_year(database_url, tmp_path):
    bare = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATIC_BUILD_DIR": str(tmp_path / "never-built"),
        }
    )
    client = bare.test_client()
    links = page_links(client.get("/").text)
    url = links["vendor/htmx.min.js"]
    digest = hashlib.sha256(HTMX.read_bytes()).hexdigest()[:10]
    assert url == f"/static/vendor/htmx.min.js?v={digest}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == HTMX.read_bytes()
    assert directives(response.headers["Cache-Control"]) == {
        "public",
        "max-age=31536000",
        "immutable",
    }


def test_an_unchanged_file_is_not_sent_again(client):
    url = htmx_url(client)
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_missing_file_is_a_404_from_the_site(client):
    response = client.get("/static/build/css/none.0123456789.css")
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["fingerprinted", "plain", "versioned"])
def test_static_files_carry_every_header_a_page_carries(client, which):
    """What portal/security.py sets on pages: static files never reach Flask, so
    `portal.assets.static_headers` sets them, and a header added to pages alone fails here."""
    page = client.get("/")
    url = {
        "fingerprinted": page_links(page.text)["css/site.css"],
        "plain": "/static/favicon.svg",
        "versioned": "/static/css/site.css?v=0123456789",
    }[which]
    response = client.get(url)
    assert response.status_code == 200
    policy = {
        name: value
        for name, value in page.headers.items()
        if name.lower() not in PER_RESPONSE and not name.lower().startswith(("hx-", "x-ratelimit"))
    }
    assert {"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options"} <= set(policy)
    for name, value in policy.items():
        assert response.headers.get(name) == value, f"{url} lacks {name}: {value}"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_hsts_reaches_static_files_where_it_is_on(database_url, built):
    secure = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATIC_BUILD_DIR": str(built),
            "HSTS": True,
        }
    )
    response = secure.test_client().get("/static/favicon.svg")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- the build ---------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path) -> Path:
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "img").mkdir()
    (folder / "css" / "site.css").write_text("body { color: black; }\n" * 200)
    (folder / "app.js").write_text("console.log('hello');\n" * 100)
    (folder / "tiny.svg").write_text("<svg/>")
    (folder / "img" / "dot.png").write_bytes(bytes(range(256)) * 8)
    (folder / ".stamp").write_text("")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, path.read_bytes())
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_the_build_names_each_file_by_its_content_and_compresses_text(source):
    report = assets.build(source)
    output = source / "build"
    css = (source / "css" / "site.css").read_bytes()
    hashed = f"css/site.{hashlib.sha256(css).hexdigest()[:10]}.css"
    assert report.manifest["css/site.css"] == hashed
    assert set(report.manifest) == {"css/site.css", "app.js", "tiny.svg", "img/dot.png"}
    assert (output / hashed).read_bytes() == css
    assert gzip.decompress((output / f"{hashed}.gz").read_bytes()) == css
    assert brotli.decompress((output / f"{hashed}.br").read_bytes()) == css
    png = report.manifest["img/dot.png"]
    assert (output / png).is_file() and not list(output.glob("img/*.gz"))
    # Six bytes are not made smaller by compressing them.
    assert not list(output.glob("tiny.*.svg.*"))
    assert assets.read_manifest(output)["files"] == report.manifest


def test_the_build_is_idempotent(source):
    assets.build(source)
    before = snapshot(source / "build")
    again = assets.build(source)
    assert again.written == [] and again.removed == []
    assert snapshot(source / "build") == before


def test_a_changed_file_gets_a_new_name(source):
    first = assets.build(source).manifest["css/site.css"]
    (source / "css" / "site.css").write_text("body { color: navy; }\n" * 200)
    second = assets.build(source).manifest["css/site.css"]
    assert second != first
    output = source / "build"
    assert (output / second).read_text().startswith("body { color: navy; }")
    # The version pages linked until now stays for one build, for processes still running.
    assert (output / first).is_file() and (output / f"{first}.br").is_file()
    assert assets.read_manifest(output)["previous"] == {"css/site.css": first}

    (source / "css" / "site.css").write_text("body { color: maroon; }\n" * 200)
    third = assets.build(source).manifest["css/site.css"]
    assert not list(output.glob(f"{first}*"))
    assert {path.name for path in (output / "css").iterdir()} == {
        Path(name).name + ending for name in (second, third) for ending in ("", ".gz", ".br")
    }


def test_a_deleted_source_leaves_nothing_behind(source):
    output = source / "build"
    built = assets.build(source).manifest
    (output / "css" / "left-over.css").write_text("from an older build")
    shutil.rmtree(source / "css")
    report = assets.build(source)
    assert "css/site.css" not in report.manifest
    assert not (output / "css").exists()
    assert report.removed == sorted(
        [built["css/site.css"] + ending for ending in ("", ".gz", ".br")] + ["css/left-over.css"]
    )
    assert set(snapshot(output)) == {
        "manifest.json",
        report.manifest["img/dot.png"],
        report.manifest["tiny.svg"],
        *(report.manifest["app.js"] + ending for ending in ("", ".gz", ".br")),
    }


def test_a_build_elsewhere_leaves_out_the_one_in_the_sources(source, tmp_path):
    assets.build(source)
    elsewhere = assets.build(source, tmp_path / "out")
    assert set(elsewhere.manifest) == {"css/site.css", "app.js", "tiny.svg", "img/dot.png"}


def test_the_build_refuses_to_write_over_its_sources(source):
    with pytest.raises(ValueError):
        assets.build(source / "css", source)


def test_the_command_line(source, capsys):
    assert assets.main(["build", str(source)]) == 0
    assert "4 fingerprinted" in capsys.readouterr().out
    assert (source / "build" / "manifest.json").is_file()
    assert assets.main(["nothing"]) == 2
