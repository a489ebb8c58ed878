"""Declared lifecycles: a transition locks the row, checks the state, stamps, and logs.

A feature declares its lifecycle once (its states, which transitions lead from which
states to which, the timestamps each one sets, and the words for a refusal) and runs
every state change through `Lifecycle.move`:

    NOTICE = Lifecycle("notice", Notice, transitions=[
        Transition("publish", (DRAFT,), PUBLISHED, stamps=("published_at", "updated_at")),
        ...
    ])
    NOTICE.move("publish", notice, actor=actor, role=Role.COMMITTEE, village=village)

`move` runs inside the caller's unit of work (`portal.actions.unit_of_work`, which
holds the write transaction): it locks the row (`SELECT ... FOR UPDATE`; on SQLite
the write transaction holds the database), re-reads it, refuses with a `Refusal` if the row is
not in one of the transition's source states, sets the new state, its timestamps and
any other changes, and adds the action-log row with the state before and after. So
two people moving the same row at once cannot both succeed, and a refused move
writes nothing.

Time-driven phases (a vote open, a 公示 ended) are not transitions: they are read
from the clock by each lifecycle's `*_phase(obj, now)` function.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.actions import Refusal
from portal.audit.services import record_action
from portal.extensions import db


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of `sources` to `target`, stamping `stamps` with now."""

    name: str
    sources: tuple[enum.Enum, ...]
    target: enum.Enum
    stamps: tuple[str, ...] = ()
    # Words for a refusal, by the state the row is in; a default covers the rest.
    refusals: Mapping[enum.Enum, Callable[[], str]] = field(default_factory=dict)


@dataclass
class Lifecycle:
    """The states of one kind of row and the moves between them."""

    name: str  # the action log's prefix: "notice" gives "notice.publish"
    model: type
    transitions: Iterable[Transition]
    state_attr: str = "state"
    # The summary of a row before and after a move, for the action log.
    snapshot: Callable[[object], dict] | None = None
    refusal_status: int = 409
    # The feature's own refusal (a subclass of Refusal), so its callers catch one kind.
    error: type[Refusal] = Refusal
    default_refusal: Callable[[], str] = field(
        default=lambda: _("这一项现在的状态不能这样办理，请刷新页面后再看。")
    )

    def __post_init__(self) -> None:
        self.transitions = {t.name: t for t in self.transitions}

    def state_of(self, obj) -> enum.Enum:
        return getattr(obj, self.state_attr)

    def allows(self, name: str, obj) -> bool:
        """Whether `obj`'s stored state lets `name` happen (for showing a button)."""
        return self.state_of(obj) in self.transitions[name].sources

    def lock(self, obj):
        """Take the row's lock and re-read the row, inside the caller's unit of work."""
        db.session.flush()
        key = sa.inspect(self.model).primary_key[0]
        db.session.execute(sa.select(key).where(key == obj.id).with_for_update())
        db.session.refresh(obj)
        return obj

    def move(
        self,
        name: str,
        obj,
        *,
        actor,
        role,
        village=None,
        town=None,
        now: datetime | None = None,
        changes: Mapping[str, object] | None = None,
        action: str | None = None,
        before: dict | None = None,
        after: dict | None = None,
    ):
        """Move `obj` by the transition `name`; refuse if its state does not allow it.

        `changes` are further attributes to set with the move (a reason, who decided);
        `before`/`after` add to the log's summaries; `action` overrides the log's name.
        """
        transition = self.transitions[name]
        now = now if now is not None else clock.now()
        self.lock(obj)
        current = self.state_of(obj)
        if current not in transition.sources:
            words = transition.refusals.get(current, self.default_refusal)
            raise self.error(words(), status=self.refusal_status)
        summary_before = self._summary(obj) | (before or {})
        setattr(obj, self.state_attr, transition.target)
        for stamp in transition.stamps:
            setattr(obj, stamp, now)
        for attribute, value in (changes or {}).items():
            setattr(obj, attribute, value)
        record_action(
            actor,
            role,
            action or f"{self.name}.{name}",
            obj,
            village=village,
            town=town,
            before=summary_before,
            after=self._summary(obj) | (after or {}),
        )
        return obj

    def _summary(self, obj) -> dict:
        if self.snapshot is not None:
            return dict(self.snapshot(obj))
        state = self.state_of(obj)
        return {"state": getattr(state, "value", state)}
