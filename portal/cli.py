"""Flask commands: seed-demo, demo-logins, create-admin, tick."""

from __future__ import annotations

import time
import unicodedata

import click
import sqlalchemy as sa
from flask import Flask, current_app

from portal import demo
from portal.audit.services import record_action
from portal.auth import services
from portal.auth.models import RegistrationStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_logins_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(tick_command)
    app.cli.add_command(points_command)
    from portal.photos import photos_command

    app.cli.add_command(photos_command)
    from portal.scale import seed_scale_command

    app.cli.add_command(seed_scale_command)


@click.command("tick")
def tick_command() -> None:
    """Freeze what time has made due (a vote's roll at its opening); safe to run often."""
    from portal import tick

    frozen = tick.run()
    click.echo(", ".join(f"{name}: {n}" for name, n in frozen.items()))


@click.group("points")
def points_command() -> None:
    """The points ledger 积分台账."""


@points_command.command("verify")
def points_verify_command() -> None:
    """Recompute every household's balance from the ledger; exit 1 on any difference."""
    from portal.points.services import verify

    differences = verify()
    for found in differences:
        if found.problem == "chain":
            click.echo(
                f"household {found.household_id}: a ledger row says {found.stored} after it, "
                f"the rows before it add up to {found.computed}"
            )
        else:
            click.echo(
                f"household {found.household_id}: stored balance {found.stored}, "
                f"ledger says {found.computed}"
            )
    if differences:
        raise SystemExit(1)
    click.echo("points verify: every balance is what its ledger says")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if any village exists.")
def seed_demo_command(if_empty: bool) -> None:
    """Build the demo town 银涂镇, its three villages and the demo logins (idempotent)."""
    if if_empty and not demo.database_is_empty():
        click.echo("The database already has villages: demo not seeded.")
        return
    started = time.perf_counter()
    report = demo.seed_demo()
    if not report.created_anything:
        click.echo("The demo is already in place: nothing to add.")
        return
    click.echo(
        f"Demo seeded in {time.perf_counter() - started:.1f} s: "
        f"{len(report.villages)} villages ({', '.join(report.villages) or '-'}), "
        f"{report.households} households, {report.residents} residents, "
        f"{report.users} accounts, {report.invite_codes} invite codes."
    )


@click.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo logins."""
    click.echo(logins_table())


def logins_table() -> str:
    """The demo logins as an aligned text table (Chinese characters are two columns wide)."""
    rows = [("手机号 phone", "角色 role", "范围 scope")]
    rows += [(login.phone, login.role, login.scope) for login in demo.DEMO_LOGINS]
    widths = [max(display_width(row[i]) for row in rows) for i in range(2)]
    lines = [f"Demo logins, password: {demo.DEMO_PASSWORD}"]
    for phone, role, scope in rows:
        lines.append(f"  {pad(phone, widths[0])}  {pad(role, widths[1])}  {scope}")
    return "\n".join(lines)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


@click.command("create-admin")
@click.argument("phone")
@click.argument("name")
@click.password_option(
    "--password",
    prompt="Password",
    help="The new admin's password (prompted for, hidden, if not given).",
)
def create_admin_command(phone: str, name: str, password: str) -> None:
    """Create a site admin account (production set-up); the password rules are everyone's."""
    phone = services.normalize_phone(phone)
    name = name.strip()
    # The rules' messages are translated lazily, and the locale is read from a request.
    with current_app.test_request_context():
        phone_problem = services.phone_format_problem(phone)
        password_problem = services.password_problem(password, phone)
        phone_problem, password_problem = (
            str(p) if p else None for p in (phone_problem, password_problem)
        )
    if phone_problem:
        raise click.BadParameter(phone_problem, param_hint="PHONE")
    if not 1 <= len(name) <= 40:
        raise click.BadParameter("1 to 40 characters", param_hint="NAME")
    if password_problem:
        raise click.BadParameter(password_problem, param_hint="--password")
    if db.session.scalar(sa.select(User.id).where(User.phone == phone)) is not None:
        raise click.ClickException(f"an account with phone {phone} already exists")
    user = User(
        phone=phone,
        name=name,
        password_hash=hash_password(password),
        status=RegistrationStatus.VERIFIED,
    )
    user.grants.append(RoleGrant(role=Role.ADMIN))
    db.session.add(user)
    record_action(None, Role.ADMIN, "admin.create", user, after={"name": name})
    db.session.commit()
    click.echo(f"Admin {name} ({phone}) created.")
