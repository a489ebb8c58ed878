"""Every action the portal writes to the log has words on the log page.

A name with no entry in `portal.audit.labels` is shown as it is stored ("rules.x_y"),
which a supervisor cannot read; this finds each name the code can write.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import portal
from portal.audit.labels import ACTION_LABELS, KIND_LABELS
from portal.transitions import Lifecycle

ROOT = Path(portal.__file__).parent


def recorded_names() -> set[str]:
    """The literal action names passed to `record_action` anywhere in the portal."""
    names = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called != "record_action":
                continue
            action = node.args[2] if len(node.args) > 2 else None
            for keyword in node.keywords:
                if keyword.arg == "action":
                    action = keyword.value
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                names.add(action.value)
    return names


def lifecycle_names() -> set[str]:
    """The names a `Lifecycle` move writes: "notice" and "publish" give "notice.publish"."""
    names = set()
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Lifecycle):
                names |= {f"{value.name}.{name}" for name in value.transitions}
    return names


def test_the_scan_finds_the_actions_it_should():
    names = recorded_names() | lifecycle_names()
    assert {"rules.paper_ballot", "roster.resident_left", "notice.publish"} <= names


def test_every_recorded_action_has_words():
    names = recorded_names() | lifecycle_names()
    missing = sorted(name for name in names if name not in ACTION_LABELS)
    assert not missing, f"actions without a label in portal/audit/labels.py: {missing}"


def test_every_kind_of_action_has_words():
    kinds = {name.split(".")[0] for name in recorded_names() | lifecycle_names()}
    missing = sorted(kind for kind in kinds if kind not in KIND_LABELS)
    assert not missing, f"kinds without a label in portal/audit/labels.py: {missing}"
