"""Outcomes: what happened after a decision, typed by knowledge/, kept apart from the decision."""

from __future__ import annotations

import pytest

from composite import CompositeEngine, DecisionNotFound, RequestError
from composite.audit import outcome_concept
from composite.cli import main
from tests.conftest import GOOD_LOAN, REPO
from tests.nodes.test_conformance import _sample_rows


@pytest.fixture
def default(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(REPO, store=url)
    known = set(engine.project.input_schema.concepts)
    decision = engine.decide({k: v for k, v in _sample_rows(REPO)[0].items() if k in known})
    yield engine, decision, url
    engine.close()


def test_the_outcome_concept_is_the_models_target(default):
    engine, _, _ = default
    assert outcome_concept(engine.project) == "default"


def test_an_outcome_is_checked_against_its_concept_and_kept_apart(default):
    engine, decision, _ = default
    before = engine.get(decision.id).model_dump()
    engine.record_outcome(decision.id, 1, note="missed three payments")
    assert engine.store.outcomes()[decision.id].value == 1
    with pytest.raises(RequestError, match="the outcome 'default'"):
        engine.record_outcome(decision.id, 2)  # outside the concept's range [0, 1]
    with pytest.raises(RequestError, match="the outcome 'default'"):
        engine.record_outcome(decision.id, "repaid")
    with pytest.raises(DecisionNotFound):
        engine.record_outcome("nope", 0)
    engine.record_outcome(decision.id, 0, recorded_at="2027-01-01")
    latest = engine.store.outcomes()[decision.id]
    assert (latest.value, latest.recorded_at) == (0, "2027-01-01T00:00:00+00:00")
    assert engine.get(decision.id).model_dump() == before


def test_a_project_without_a_model_takes_any_json_scalar(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    assert outcome_concept(engine.project) is None
    engine.record_outcome(decision.id, "repaid")
    engine.record_outcome(decision.id, True)
    assert engine.store.outcomes()[decision.id].value is True
    for bad in (None, [1], {"a": 1}, float("nan")):
        with pytest.raises(RequestError, match="one JSON value"):
            engine.record_outcome(decision.id, bad)


def test_cli_outcome_records_and_refuses(default, capsys):
    engine, decision, url = default
    assert main(["outcome", decision.id, "1", "--store", url, "--project", str(REPO), "--note", "late"]) == 0
    assert capsys.readouterr().out == f"recorded outcome 1 for {decision.id}\n"
    assert engine.store.outcomes()[decision.id].note == "late"
    assert main(["outcome", decision.id, "repaid", "--store", url, "--project", str(REPO)]) == 1
    assert "the outcome 'default'" in capsys.readouterr().err
    assert main(["verify", "--store", url]) == 0
