"""examples/claims_dates: the 90-day rule written with dates, in an expression, a table and rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from composite.errors import RequestError
from tests.conftest import REPO
from tests.examples.shared import assert_scenarios_pass
from tests.test_cli import run

PROJECT = REPO / "examples" / "claims_dates"


def test_the_scenarios_pass_and_exercise_every_rule_and_row(engine):
    assert_scenarios_pass(engine, PROJECT, scenarios=7, items=8)


def test_the_sample_claim_is_investigated_as_a_large_early_loss(engine):
    claim = json.loads((PROJECT / "data" / "claim.json").read_text())
    decision = engine.decide(claim, record=False)
    assert decision.outputs == {"route": "investigate", "policy_band": "new",
                                "reason": "a large loss less than 90 days after the policy started"}
    assert decision.inputs["policy_start"] == dt.date(2026, 1, 10)


@pytest.mark.parametrize("start, early", [("2025-12-02", True), ("2025-12-01", False)])
def test_90_days_before_the_loss_is_the_boundary(engine, start, early):
    claim = {"policy_start": start, "loss_date": "2026-03-01", "reported_at": "2026-03-01T10:00:00",
             "claim_amount": 30000}
    decision = engine.decide(claim, record=False)
    assert decision.trace.node("timing").wrote["early_claim"] is early
    assert (decision.outputs["route"] == "investigate") is early


def test_a_date_outside_the_range_is_refused_at_its_field(engine):
    with pytest.raises(RequestError) as info:
        engine.decide({"policy_start": "1989-12-31", "loss_date": "2026-03-01",
                       "reported_at": "2026-03-01T10:00:00", "claim_amount": 1}, record=False)
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("policy_start", "'policy_start' is 1989-12-31, before the minimum 1990-01-01")]


def test_validate_and_the_request_schema():
    result = run("validate", "--project", str(PROJECT))
    assert result.returncode == 0, result.stdout
    assert "ok: project 'claims-dates' 1.0.0: 3 nodes, 4 inputs" in result.stdout
    schema = json.loads(run("schema", "--project", str(PROJECT)).stdout)
    assert schema["properties"]["loss_date"]["format"] == "date"
    assert schema["properties"]["loss_date"]["formatMinimum"] == "1990-01-01"
    assert schema["properties"]["reported_at"]["format"] == "date-time"
