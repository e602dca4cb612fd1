"""Where the external FuzzyLite conformance suite lives (shared/, beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """$COMPOSITE_SHARED_DIR, else the `shared` folder next to the repository checkout."""
    configured = os.environ.get("COMPOSITE_SHARED_DIR")
    return (Path(configured) if configured else REPO.parent / "shared").resolve()


def fuzzylite_dir() -> Path:
    return shared_dir() / "conformance" / "fuzzylite"


@pytest.fixture
def shared_fuzzylite() -> Path:
    folder = fuzzylite_dir()
    if not folder.is_dir():
        pytest.skip(f"FuzzyLite conformance suite not found at {folder}; set COMPOSITE_SHARED_DIR to the folder "
                    "holding conformance/fuzzylite")
    return folder
