"""Fixtures the 村规民约 tests share: the village 湖滨村 and a committee clerk of it."""

from __future__ import annotations

import pytest

from tests.factories import VillageFactory
from tests.rules import factories as rf


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def clerk(village):
    return rf.committee(village)
