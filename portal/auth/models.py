"""Accounts, role grants and invite codes."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db
from portal.villages.models import Grid, Household, Resident, Town, Village


class Role(enum.StrEnum):
    VILLAGER = "villager"  # 村民
    GRID_WORKER = "grid_worker"  # 网格员
    COMMITTEE = "committee"  # 村委
    SUPERVISOR = "supervisor"  # 村务监督委员会
    SHOPKEEPER = "shopkeeper"  # 积分超市管理员
    TOWN_OFFICIAL = "town_official"  # 镇街
    ADMIN = "admin"


# The roles with a place of their own to work in: the committee console (committee and
# supervisors), the town office, the admin pages.
WORK_ROLES = (Role.ADMIN, Role.TOWN_OFFICIAL, Role.COMMITTEE, Role.SUPERVISOR)


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting in the committee's verification queue
    VERIFIED = "verified"  # matched to a roster resident
    REFUSED = "refused"  # refused with a reason


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(40))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"), unique=True)
    # The village a registration without an invite code applied to, and what the
    # applicant said of themselves, for the committee to match against the roster.
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"), index=True)
    claimed_door_number: Mapped[str | None] = mapped_column(sa.String(40))
    claimed_birth_year: Mapped[int | None]
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    refusal_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # When the person dismissed the word of their registration's outcome (verified or
    # refused); cleared each time the committee decides, so the new word shows again.
    outcome_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by "log out everywhere": every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    resident: Mapped[Resident | None] = relationship()
    village: Mapped[Village | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id"
    )

    # Flask-Login protocol.
    is_anonymous = False
    # Set for the logged-in person by portal.auth.sessions: the token of the login their
    # cookie names, and whether they hold a role with a place of its own (WORK_ROLES).
    login_token = None
    has_work = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: the account, its session
        version, and the token of this one login (portal.auth.sessions)."""
        return f"{self.id}:{self.session_version}:{self.login_token or ''}"

    @property
    def is_verified(self) -> bool:
        return self.status == RegistrationStatus.VERIFIED and self.resident_id is not None


class RoleGrant(db.Model):
    """A role held by a user, scoped to a village (or a grid of it), a town, or the site."""

    __table_args__ = (sa.Index("ix_role_grant_user_role", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grid.id"))
    town_id: Mapped[int | None] = mapped_column(sa.ForeignKey("town.id"))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    village: Mapped[Village | None] = relationship()
    grid: Mapped[Grid | None] = relationship()
    town: Mapped[Town | None] = relationship()


class InviteCode(db.Model):
    """A registration code the committee issues for one person or one household.

    A person's code is used once. A household's code may be used by each member of
    the household in turn, who then names themselves; it is spent once every member
    has an account.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    village: Mapped[Village] = relationship()
    household: Mapped[Household] = relationship()
    resident: Mapped[Resident | None] = relationship()


class PasswordReset(db.Model):
    """A one-time code for a new password, issued at the village office by a committee
    member to a person who forgot theirs (and showed their 身份证). Kept hashed; good
    for a day and for one use; never deleted, so the issue stays on record."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    village: Mapped[Village] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])


class LoginSession(db.Model):
    """One login, named by the session cookie (by a token kept here only as a hash).

    Logging out revokes it, so a copied cookie stops working at once; "log out
    everywhere" and a password change revoke every one of the person's logins.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
