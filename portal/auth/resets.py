"""Reset codes 重设码: a way back in for a person who forgot their password.

The person comes to the village office with their 身份证; a committee member finds
them in the residents list and issues a code, printed on a slip like the invite
slips. The code is good for a day and for one use, and a new one voids the older
ones. On `/reset` the person gives their phone number, the code and a new password:
the password is set and every older login of the account ends.

Codes are short enough to type from paper, so they are kept as an HMAC under the
site's secret key (with the account's id), never as they are: a copy of the database
alone cannot be searched for them. Wrong codes count against the same kind of limit
as wrong passwords (portal/auth/views.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import PasswordReset, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.auth.services import IdentityError, normalize_code, password_problem
from portal.auth.sessions import revoke_all_logins
from portal.extensions import db
from portal.manage.services import new_code
from portal.villages.models import Household, Resident, Village

VALID_FOR = timedelta(hours=24)
# Roles whose accounts the committee may not reset: only the site's admin may, so that
# no committee member can take over a supervisor's, an official's or another member's
# account (or their own, past its password).
GUARDED_ROLES = (Role.ADMIN, Role.TOWN_OFFICIAL, Role.COMMITTEE, Role.SUPERVISOR)


class ResetRefused(Refusal):
    """A reset code that does not open the account (one message for every reason)."""

    status = 422


def code_digest(user_id: int, code: str) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"{user_id}:{normalize_code(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def shown_code(code: str) -> str:
    """A code as the slip prints it: two groups of four, easy to copy by hand."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@dataclass
class ResetSubject:
    """A resident with an account, as the committee member sees them before issuing."""

    resident: Resident
    door_number: str
    user: User
    guarded: bool
    open_reset: PasswordReset | None


def reset_subject(village: Village, resident_id: int) -> ResetSubject:
    """The resident of `village` and their account, or NotFound (no such resident here,
    or no account to reset)."""
    row = db.session.execute(
        sa.select(Resident, Household.door_number, User)
        .join(Household, Household.id == Resident.household_id)
        .join(User, User.resident_id == Resident.id)
        .where(Resident.id == resident_id, Resident.village_id == village.id)
    ).first()
    if row is None:
        raise NotFound()
    resident, door_number, user = row
    guarded = (
        db.session.scalar(
            sa.select(RoleGrant.id)
            .where(
                RoleGrant.user_id == user.id,
                RoleGrant.role.in_(GUARDED_ROLES),
                RoleGrant.revoked_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )
    open_reset = db.session.scalar(
        sa.select(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > clock.now(),
        )
        .order_by(PasswordReset.id.desc())
        .limit(1)
    )
    return ResetSubject(resident, door_number, user, guarded, open_reset)


@dataclass
class IssuedReset:
    """What the slip prints: the code exists in full only here, never in the database."""

    code: str
    expires_at: datetime
    name: str
    door_number: str
    phone_tail: str

    @property
    def shown(self) -> str:
        return shown_code(self.code)


def issue_reset(actor: User, village: Village, resident_id: int) -> IssuedReset:
    """A new reset code for the account of a resident of `village`; older unused codes of
    that account stop working. Logged; the caller prints the slip."""
    with unit_of_work():
        require_committee(actor, village.id)
        subject = reset_subject(village, resident_id)
        user = subject.user
        if subject.guarded:
            raise Refusal(
                _(
                    "%(name)s担任村务职务，账号的密码不能在这里重设，请联系站点管理员。",
                    name=user.name,
                ),
                status=403,
            )
        if user.disabled:
            raise Refusal(_("%(name)s的账号已停用，不能重设密码。", name=user.name))
        now = clock.now()
        db.session.execute(
            sa.update(PasswordReset)
            .where(
                PasswordReset.user_id == user.id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(expires_at=now)
        )
        code = new_code()
        reset = PasswordReset(
            user_id=user.id,
            village_id=village.id,
            code_hash=code_digest(user.id, code),
            issued_by_id=actor.id,
            created_at=now,
            expires_at=now + VALID_FOR,
        )
        db.session.add(reset)
        record_action(
            actor,
            Role.COMMITTEE,
            "account.reset_issue",
            reset,
            village=village,
            after={
                "name": user.name,
                "user_id": user.id,
                "expires_at": reset.expires_at.isoformat(),
            },
        )
    return IssuedReset(
        code=code,
        expires_at=reset.expires_at,
        name=user.name,
        door_number=subject.door_number,
        phone_tail=user.phone[-4:],
    )


def use_reset(phone: str, code: str, new_password: str) -> User:
    """Set a new password with a reset code: the code is spent, the account's every login
    ends. One refusal for an unknown phone, a wrong, used or expired code."""
    refused = ResetRefused(
        _("手机号或重设码不对，或者重设码已过期、已用过。请核对纸条，或到村委会重新领取。")
    )
    problem = password_problem(new_password, phone)
    if problem:
        raise IdentityError("new_password", problem)
    new_hash = hash_password(new_password)  # slow on purpose: before taking the lock
    with unit_of_work():
        user = db.session.scalar(sa.select(User).where(User.phone == phone)) if phone else None
        if user is None or user.disabled:
            raise refused
        reset = db.session.scalar(
            sa.select(PasswordReset)
            .where(
                PasswordReset.user_id == user.id,
                PasswordReset.code_hash == code_digest(user.id, code),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        now = clock.now()
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise refused
        reset.used_at = now
        user.password_hash = new_hash
        user.session_version = User.session_version + 1
        revoke_all_logins(user.id)
        record_action(
            user,
            Role.VILLAGER,
            "account.reset_use",
            reset,
            village=db.session.get(Village, reset.village_id),
            after={"name": user.name, "user_id": user.id},
        )
    db.session.refresh(user)
    return user
