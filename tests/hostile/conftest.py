"""Fixtures of the hostile suite: the small project, a real SQLite store with one decision in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from composite import CompositeEngine
from tests.hostile.project import GOOD, stored, write_hostile_project


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(project root, SQLite file) with one good decision stored, so 'nothing stored' is a real count."""
    base = tmp_path_factory.mktemp("hostile")
    root = write_hostile_project(base / "project")
    db = base / "decisions.db"
    with CompositeEngine.from_path(root, store=f"sqlite:///{db}") as engine:
        engine.decide(GOOD)
    assert stored(db) == 1
    return root, db


@pytest.fixture(scope="module")
def engine(hostile: tuple[Path, Path]) -> CompositeEngine:
    root, db = hostile
    with CompositeEngine.from_path(root, store=f"sqlite:///{db}") as opened:
        yield opened
