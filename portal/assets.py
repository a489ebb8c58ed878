"""Static files: fingerprinted and compressed once by the set-up, served by WhiteNoise.

`python -m portal.assets build` (run by `make setup`) writes, under `static/build/`, a
copy of every file of `static/` with its content hash in its name
(`css/site.3f2a9c1b0d.css`), `.gz` and `.br` siblings of the text files where they are
smaller, and `manifest.json`, which maps each plain name to its hashed one. A page links
the hashed name (`asset_url` in `portal.templating`), so a browser keeps the file for a
year without asking again, and a changed file is a new name.

The build is a module run by Python, not a `flask` command: it needs neither the app nor
its configuration, database or secret key, so it runs before any of them exist (a fresh
clone's `make setup`, an image's build stage), and in a fraction of the second an app
takes to start. It is idempotent: an output already there under its hash is that
content, and is left alone, so a second run writes nothing. What no source needs any
more is deleted, except each file's version before its latest change (the manifest's
`previous`): a process started before a deploy's build still serves pages naming it,
and keeps working until it is restarted. A deleted source's files go at once.

`init_app` wraps the app in WhiteNoise, which answers `/static/` before Flask sees the
request: it picks the `.br` or `.gz` sibling by `Accept-Encoding`, sends hashed names as
`public, max-age=31536000, immutable` and plain names (a favicon a browser asks for by
itself) for `STATIC_MAX_AGE` seconds, with the security headers every page carries.
Flask-Compress, which only sees what reaches Flask, compresses the pages.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise

SOURCE = Path(__file__).resolve().parent.parent / "static"
BUILD = "build"
MANIFEST = "manifest.json"
HASH_LENGTH = 10
ONE_YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
# Text is worth compressing; images and fonts are compressed already.
COMPRESSIBLE = {".css", ".js", ".svg"}
# A compressed copy is kept only when it saves at least this share of the file.
WORTHWHILE = 0.9
LARGE = 256 * 1024
VERSIONED = re.compile(r"(?:^|&)v=[0-9a-f]")
HASHED = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[^./]+$")


@dataclass
class Report:
    """What one build did, for its summary line and for the tests."""

    manifest: dict[str, str]
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def hashed_name(relative: str, content: bytes) -> str:
    """`css/site.css` → `css/site.3f2a9c1b0d.css` (`htmx.min.js` → `htmx.min.<hash>.js`)."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    folder, _, name = relative.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def sources(root: Path, output: Path) -> Iterable[tuple[str, Path]]:
    """Every file of `root` a browser may be sent: not a build (`output`, or `root/build`
    when building elsewhere), not hidden files (the vendor copy's stamp), not compressed
    copies. Sorted, so a build is the same each time."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in (".gz", ".br"):
            continue
        if path.is_relative_to(output) or path.is_relative_to(root / BUILD):
            continue
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        yield relative.as_posix(), path


def brotli_compress(data: bytes) -> bytes:
    """Brotli's best level, which costs about two seconds a megabyte; above `LARGE` (only
    axe-core, which no page loads) level 9, thirty times faster for a tenth more bytes,
    keeps a first build under a second."""
    import brotli

    return brotli.compress(data, quality=11 if len(data) <= LARGE else 9)


def compressions() -> dict[str, Callable[[bytes], bytes]]:
    return {
        # mtime=0: the same source gives the same bytes, whenever it is built.
        ".gz": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
        ".br": brotli_compress,
    }


def write_atomically(path: Path, data: bytes) -> None:
    """Written under a hidden name, then renamed: a server scanning the folder meanwhile
    never sees half a file under the real name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    draft.write_bytes(data)
    os.replace(draft, path)


def read_manifest(output: Path) -> dict:
    try:
        return json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def build(source: Path = SOURCE, output: Path | None = None) -> Report:
    """Fingerprint and compress every file of `source` into `output` (`source/build`)."""
    started = time.perf_counter()
    source = source.resolve()
    output = (output or source / BUILD).resolve()
    if source.is_relative_to(output):
        raise ValueError(f"the build folder {output} may not hold the sources {source}")
    earlier = read_manifest(output)
    earlier_files = earlier.get("files", {})
    previous = dict(earlier.get("previous", {}))

    files: dict[str, str] = {}
    keep: set[str] = {MANIFEST}
    written: list[str] = []
    compress = compressions()
    for relative, path in sources(source, output):
        content = path.read_bytes()
        hashed = hashed_name(relative, content)
        files[relative] = hashed
        keep.add(hashed)
        target = output / hashed
        fresh = not target.is_file() or target.read_bytes() != content
        if fresh:
            write_atomically(target, content)
            written.append(hashed)
        if path.suffix not in COMPRESSIBLE:
            continue
        for extension, squeeze in compress.items():
            sibling = target.with_name(target.name + extension)
            if sibling.is_file() and not fresh:
                keep.add(hashed + extension)
                continue
            packed = squeeze(content)
            if len(packed) <= len(content) * WORTHWHILE:
                write_atomically(sibling, packed)
                written.append(hashed + extension)
                keep.add(hashed + extension)

    # Each file's version before its latest change, kept until it changes again (see above).
    for relative, hashed in earlier_files.items():
        if relative in files and files[relative] != hashed:
            previous[relative] = hashed
    previous = {name: hashed for name, hashed in previous.items() if name in files}
    previous = {name: hashed for name, hashed in previous.items() if hashed != files[name]}
    for hashed in previous.values():
        keep.update({hashed, hashed + ".gz", hashed + ".br"})

    manifest = {"files": files, "previous": previous}
    if manifest != earlier:
        text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        write_atomically(output / MANIFEST, text.encode("utf-8"))
        written.append(MANIFEST)
    removed = remove_all_but(output, keep)
    return Report(files, written, removed, time.perf_counter() - started)


def remove_all_but(output: Path, keep: set[str]) -> list[str]:
    """Delete every file of the build folder not in `keep`, then the folders left empty."""
    removed = []
    for path in sorted(output.rglob("*"), reverse=True):
        relative = path.relative_to(output).as_posix()
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif relative not in keep:
            path.unlink()
            removed.append(relative)
    return sorted(removed)


# --- serving -----------------------------------------------------------------------------


def build_folder(app: Flask) -> Path:
    return Path(app.config.get("STATIC_BUILD_DIR") or Path(app.static_folder) / BUILD)


@cache
def manifest_at(folder: Path) -> dict[str, str]:
    """The plain name → hashed name map of a build, read once per process; empty where
    the set-up has not been run, and pages then link `?v=` URLs (`portal.templating`)."""
    return read_manifest(folder).get("files", {})


def static_headers(app: Flask) -> dict[str, str]:
    """The headers of `portal.security` that matter for a file: an SVG is a document
    that may carry script (CSP), nothing may be sniffed into something else, nothing
    framed. Static responses never reach Flask's `after_request`, so they are set here;
    tests/test_static.py checks that a page carries none a file lacks."""
    from portal.security import CSP

    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if app.config.get("HSTS"):
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year's cache for hashed names (its own is ten years), and for a
    plain name asked with `?v=<hash>`, the URL pages link when there is no build."""

    def add_cache_headers(self, headers, path, url):
        if self.immutable_file_test(path, url):
            headers["Cache-Control"] = IMMUTABLE
        elif self.max_age is not None:
            headers["Cache-Control"] = f"public, max-age={self.max_age}"

    def serve(self, static_file, environ, start_response):
        if not VERSIONED.search(environ.get("QUERY_STRING", "")):
            return super().serve(static_file, environ, start_response)

        def cached_long(status, headers, exc_info=None):
            if status.startswith(("200", "304")):
                headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
                headers.append(("Cache-Control", IMMUTABLE))
            return start_response(status, headers, exc_info)

        return super().serve(static_file, environ, cached_long)


def init_app(app: Flask) -> None:
    """Put WhiteNoise in front of the app for `static_url_path`."""
    prefix = app.static_url_path.strip("/") + "/"
    extra = static_headers(app)
    build_url = f"/{prefix}{BUILD}/"

    def add_headers(headers: Headers, path: str, url: str) -> None:
        for name, value in extra.items():
            headers[name] = value

    def immutable(path: str, url: str) -> bool:
        return url.startswith(build_url) and bool(HASHED.search(url))

    max_age = app.config.get("STATIC_MAX_AGE", 600)
    static = StaticFiles(
        app.wsgi_app,
        autorefresh=app.debug,
        max_age=max_age,
        allow_all_origins=False,
        add_headers_function=add_headers,
        immutable_file_test=immutable,
    )
    folders = [(str(app.static_folder), prefix)]
    folder = build_folder(app)
    if folder.resolve() != (Path(app.static_folder) / BUILD).resolve() and folder.is_dir():
        folders.append((str(folder), f"{prefix}{BUILD}/"))
    if static.autorefresh:
        for root, at in folders:
            static.add_files(root, prefix=at)
    else:
        static.files = scanned_files(static, folders, (tuple(extra.items()), max_age))
    app.wsgi_app = static


# What WhiteNoise made of each set of folders, for as long as their files are unchanged:
# the test suite builds an app per test, and each would otherwise read every file's
# headers again (a few milliseconds of a create_app's fifty).
_scanned: dict[tuple, tuple[tuple, dict]] = {}


def scanned_files(static: StaticFiles, folders: list[tuple[str, str]], settings: tuple) -> dict:
    signature = tuple(
        (entry.path, entry.stat().st_mtime_ns, entry.stat().st_size)
        for root, _ in folders
        for entry in walk(root)
    )
    key = (tuple(folders), settings)
    found = _scanned.get(key)
    if found is not None and found[0] == signature:
        return found[1]
    for root, at in folders:
        static.add_files(root, prefix=at)
    _scanned[key] = (signature, static.files)
    return static.files


def walk(root: str) -> Iterable[os.DirEntry]:
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            yield from walk(entry.path)
        else:
            yield entry


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["build"] or len(args) > 3:
        print("usage: python -m portal.assets build [SOURCE [OUTPUT]]", file=sys.stderr)
        return 2
    source = Path(args[1]) if len(args) > 1 else SOURCE
    output = Path(args[2]) if len(args) > 2 else None
    report = build(source, output)
    print(
        f"static files: {len(report.manifest)} fingerprinted, {len(report.written)} written, "
        f"{len(report.removed)} removed, in {report.seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
