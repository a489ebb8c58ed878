"""Safe `?next=` handling (SECURITY.md row 10)."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` only if it is a path on this site, else `default`.

    Refused: anything with a scheme or host, protocol-relative `//host`, `/\\host`
    (browsers read the backslash as a slash), and control characters.
    """
    if not target or not target.startswith("/"):
        return default
    if target.startswith("//") or target.startswith("/\\"):
        return default
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
