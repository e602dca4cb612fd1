"""Every store keeps dates, times and durations: they read back as the values decided, and the chain holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from composite import CompositeEngine
from composite.audit import verify
from composite.feel.values import DayTimeDuration
from tests.conftest import REPO


def test_dates_read_back_as_decided_single_and_batch(url):
    engine = CompositeEngine.from_path(REPO / "examples" / "claims_dates", store=url)
    claim = {"policy_start": "2026-01-10", "loss_date": "2026-03-01", "reported_at": "2026-03-02T09:15:00",
             "claim_amount": 25000}
    single = engine.decide(claim)
    batch = engine.decide_batch(pd.DataFrame([claim, {**claim, "policy_start": "2019-05-01"}]))
    for decision_id in (single.id, *batch["decision_id"]):
        stored = engine.get(decision_id)
        assert stored.inputs["loss_date"] == dt.date(2026, 3, 1)
        assert stored.inputs["reported_at"] == dt.datetime(2026, 3, 2, 9, 15)
        assert type(stored.trace.node("timing").wrote["policy_age"]) is DayTimeDuration
        assert stored.trace.note is None
    assert engine.get(single.id).trace.node("timing").wrote["policy_age"] == DayTimeDuration(Decimal(50 * 86400))
    assert verify(engine.store) == []
