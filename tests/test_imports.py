"""A fast start: `import composite` and the read-only commands import no scikit-learn, LightGBM,
pandas or scikit-fuzzy, and the model node predicts through lib_lightgbm without the lightgbm
package, with LightGBM's own numbers. Checked on the set of imported modules, never on time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine
from composite.ml.booster import NativeBooster, PackageBooster, native_library
from tests.conftest import REPO

HEAVY = ("sklearn", "lightgbm", "pandas", "skfuzzy")

# Runs the `composite` command's entry point (composite.cli:main) in this process, then reports
# which of HEAVY it imported, as JSON on the last line of stderr.
RUN_CLI = """
import json, sys
from composite.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "heavy": sorted({{m.split(".")[0] for m in heavy}})}}), file=sys.stderr)
"""


def _env(store: Path) -> dict[str, str]:
    return {**os.environ, "COMPOSITE_STORE_URL": f"sqlite:///{store.as_posix()}"}


def _cli(*args: str, env: dict[str, str]) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", RUN_CLI.format(heavy=set(HEAVY)), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[dict[str, str], str]:
    """A store with one default-project decision, made by `composite decide` in another process."""
    env = _env(tmp_path_factory.mktemp("store") / "decisions.db")
    done = subprocess.run([sys.executable, "-m", "composite", "decide", "--input", "data/sample_application.json",
                           "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return env, json.loads(done.stdout)["id"]


def test_import_composite_imports_none_of_the_heavy_libraries():
    code = (f"import sys, json, composite; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} "
            f"& {set(HEAVY)!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == []


def test_public_names_still_import_on_first_use():
    code = ("import composite, sys; composite.CompositeEngine; composite.Limits; "
            "print('composite.engine' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "True"


def test_history_imports_none_of_the_heavy_libraries(stored):
    env, decision_id = stored
    report, out = _cli("history", env=env)
    assert report == {"code": 0, "heavy": []}
    assert decision_id in out


def test_explain_imports_none_of_the_heavy_libraries(stored):
    env, decision_id = stored
    report, out = _cli("explain", decision_id, env=env)
    assert report == {"code": 0, "heavy": []}
    assert out.startswith(f"Decision {decision_id}") and "default_risk" in out
    report, out = _cli("explain", decision_id, "--json", env=env)
    assert report == {"code": 0, "heavy": []} and json.loads(out)["id"] == decision_id


def test_explain_from_the_store_alone_equals_the_engine_explanation(stored):
    env, decision_id = stored
    _, out = _cli("explain", decision_id, env=env)
    with CompositeEngine.from_path(REPO, store=env["COMPOSITE_STORE_URL"]) as engine:
        assert engine.explain(decision_id) == out


@pytest.mark.skipif(native_library() is None, reason="lib_lightgbm cannot be loaded directly here")
def test_decide_does_not_import_the_lightgbm_package_nor_scikit_learn(tmp_path):
    report, out = _cli("decide", "--input", "data/sample_application.json", env=_env(tmp_path / "d.db"))
    assert report["code"] == 0 and out.startswith("decision ")
    assert not {"sklearn", "lightgbm", "pandas"} & set(report["heavy"])


def test_history_and_explain_outside_a_project_are_refused_and_make_no_store(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COMPOSITE_STORE_URL"}
    for args in (["history"], ["explain", "0" * 32]):
        done = subprocess.run([sys.executable, "-m", "composite", *args, "--project", str(tmp_path / "nowhere")],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "is not a decision project" in done.stderr
    assert not (tmp_path / "nowhere").exists()


def test_the_check_command_default_is_the_checks_own():
    from composite.check import DEFAULT_MIN_SUPPORT
    from composite.cli.check import DEFAULT_MIN_SUPPORT as shown

    assert shown == DEFAULT_MIN_SUPPORT


# ------------------------------------------------------------------ the booster without the package


@pytest.fixture(scope="module")
def booster_text() -> str:
    return (REPO / "models" / "default_risk.lgb.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def matrices(booster_text) -> list[np.ndarray]:
    engine = CompositeEngine.from_path(REPO, store="memory")
    model = next(node.model for node in engine.project.graph.order if node.kind == "model")
    credit = pd.read_csv(REPO / "data" / "german_credit.csv")
    decided = engine.decide_batch(credit[list(engine.inputs)], record=False)  # features computed upstream
    columns = {name: (credit[name] if name in credit else decided[name]).to_numpy() for name in model.encoder.names}
    encoded = model.encoder.encode(columns, len(credit))
    rng = np.random.default_rng(7)
    width = NativeBooster(booster_text, native_library()).num_feature if native_library() else 0
    noise = rng.normal(scale=4.0, size=(400, width)) * rng.choice([1.0, 100.0], size=(400, width))
    noise[rng.random(noise.shape) < 0.15] = np.nan  # missing values go the way each split says
    noise[rng.random(noise.shape) < 0.1] = 0.0
    return [encoded, noise, np.asfortranarray(noise), noise[:1], noise[:0]]


@pytest.mark.skipif(native_library() is None, reason="lib_lightgbm cannot be loaded directly here")
def test_native_booster_gives_lightgbms_own_numbers_bit_for_bit(booster_text, matrices):
    native = NativeBooster(booster_text, native_library())
    package = PackageBooster(booster_text)
    assert native.num_feature == package.num_feature
    for matrix in matrices:
        if len(matrix):
            assert np.array_equal(native.raw_score(matrix), package.raw_score(matrix))
            assert np.array_equal(native.contributions(matrix), package.contributions(matrix))
        else:
            assert native.raw_score(matrix).shape == (0,)
            assert native.contributions(matrix).shape == (0, native.num_feature + 1)


@pytest.mark.skipif(native_library() is None, reason="lib_lightgbm cannot be loaded directly here")
def test_native_booster_reports_lightgbms_errors(booster_text):
    from composite.ml.booster import LightGBMError

    native = NativeBooster(booster_text, native_library())
    with pytest.raises(LightGBMError, match="number of features"):
        native.raw_score(np.zeros((2, native.num_feature + 1)))
    with pytest.raises(LightGBMError):
        NativeBooster("not a model", native_library())


def test_decisions_are_the_same_with_the_lightgbm_package(booster_text):
    """The default project decides the sample and a batch alike through either booster: outputs
    and every step's evidence."""
    request = json.loads((REPO / "data" / "sample_application.json").read_text())
    credit = pd.read_csv(REPO / "data" / "german_credit.csv").head(200)
    engine = CompositeEngine.from_path(REPO, store="memory")
    core = next(node.model for node in engine.project.graph.order if node.kind == "model").core
    first = engine.decide(request, record=False)
    first_batch = engine.decide_batch(credit[list(engine.inputs)], record=False)
    core._core = PackageBooster(booster_text)
    second = engine.decide(request, record=False)
    second_batch = engine.decide_batch(credit[list(engine.inputs)], record=False)
    assert first.outputs == second.outputs
    assert [s.evidence for s in first.trace.nodes] == [s.evidence for s in second.trace.nodes]
    pd.testing.assert_frame_equal(first_batch.drop(columns="decision_id"), second_batch.drop(columns="decision_id"))


def test_the_booster_property_is_lightgbms_booster_of_the_same_text(booster_text):
    from composite.ml.predict import BoosterCore

    core = BoosterCore(booster_text)
    booster = core.booster
    assert booster.num_feature() == core._core.num_feature and "num_threads" not in booster.params
