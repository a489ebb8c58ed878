"""`flask photos renditions`: the smaller copies of photos stored before they were made.

`UploadPolicy.store` writes a stored image's renditions with it (portal/uploads.py); a
site upgraded from before that has photos without them, which are served whole until
this command has run once. It writes only what is missing, so it can be run again (after
a restore from backup, or from cron) at no cost but a look at each file's header. No
page ever writes a file: a GET stays a read.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app

from portal.uploads import UploadPolicy


def photo_policies() -> list[UploadPolicy]:
    """Every policy that stores images: board entries, nominations, points declarations
    and notice attachments (whose PDFs are passed over)."""
    from portal.boards.services import BOARD_PHOTOS
    from portal.nominations.services import NOMINATION_PHOTOS
    from portal.notices.attachments import ATTACHMENTS
    from portal.points.services import ENTRY_PHOTOS

    return [BOARD_PHOTOS, NOMINATION_PHOTOS, ENTRY_PHOTOS, ATTACHMENTS]


@dataclass
class Backfill:
    images: int = 0  # stored images looked at
    written: int = 0  # renditions written
    unreadable: int = 0  # files that would not open as images


def write_missing_renditions(policies: list[UploadPolicy] | None = None) -> Backfill:
    """Write every rendition the stored images of `policies` (all by default) lack."""
    report = Backfill()
    seen = set()
    for policy in photo_policies() if policies is None else policies:
        directory = policy.directory()
        if directory in seen or not policy.rendition_widths:
            continue
        seen.add(directory)
        for name in policy.stored_images():
            report.images += 1
            try:
                report.written += policy.write_missing_renditions(name)
            except OSError as error:
                report.unreadable += 1
                current_app.logger.warning("photo %s/%s: %s", directory.name, name, error)
    return report


@click.group("photos")
def photos_command() -> None:
    """Stored photos 照片."""


@photos_command.command("renditions")
def renditions_command() -> None:
    """Write the smaller copies of stored photos that lack them (idempotent)."""
    report = write_missing_renditions()
    click.echo(
        f"photos renditions: {report.images} photos looked at, "
        f"{report.written} renditions written"
        + (f", {report.unreadable} unreadable (see the log)" if report.unreadable else "")
    )
