"""Response headers for every route (SECURITY.md rows 6, 9 and 12), and what a request
may carry (portal/inputs.py: no control characters, no integer past a column's range)."""

from __future__ import annotations

from flask import Flask, Response
from flask_login import current_user

from portal import inputs
from portal.privacy import no_store

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
)


def init_app(app: Flask) -> None:
    inputs.init_app(app)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        if app.config.get("HSTS"):
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if current_user and current_user.is_authenticated:
            # Pages for a logged-in person stay out of shared caches and history.
            no_store(response)
        return response
