"""What every example project's tests share: the engine on the project (memory store) and its data,
from the module's PROJECT and DATA."""

from __future__ import annotations

import pandas as pd
import pytest

from composite import CompositeEngine


@pytest.fixture(scope="module")
def engine(request):
    return CompositeEngine.from_path(request.module.PROJECT, store="memory")


@pytest.fixture(scope="module")
def data(request):
    return pd.read_csv(request.module.DATA)

