"""The default project against its Zen + LightGBM peer (issue 10): the same credit decision built
the way a team would without composite, and decide_batch / decide timed against it.

The peer (`Peer`, no composite import):
- fuzzy affordability in numpy: skfuzzy's membership functions, Mamdani min/max, and the
  centroid of the aggregated curve as skfuzzy's ControlSystem integrates it (the universe plus the
  points where each clipped term crosses its level), the numerics composite's fuzzy node uses;
- GoRules Zen for the scorecard tables, the instalment expression, the score and the policy
  rules: one JDM graph built here from rules/scorecard/*.table.yaml (`zen_graph`); the policy
  rules are written by hand as one FIRST table (Zen has no forward chaining: the `risk_flag` the
  rules raise for one another is inlined);
- the project's LightGBM booster (models/default_risk.lgb.txt, `lightgbm.Booster`) on a feature
  matrix encoded as composite's model node encodes it, the training-domain check (ranges, seen
  categories, Mahalanobis distance) from the artifact's numbers, and the blend, fallback,
  outcome, review and knock-out guard as numpy formulas on the artifacts' parameters.
The peer validates nothing, builds no trace and (unless asked to) stores nothing.

Pairings: (a) decide_batch(record=True) into SQLite, every decision stored (by default with its
evidence on demand: the record from which explain derives the trace; also evidence="eager", every
node's evidence stored, where the engine offers it), vs the peer's batch unstored, and vs the peer
storing every request and its outputs as JSON into SQLite (executemany);
(b) decide_batch(record=False, trace="off") vs the peer; (c) decide(row, record=False) vs the
peer on one request. Then peak traced memory per row of decide_batch(record=False), both traces.

Run: `python benchmarks/default_peer.py` (10,000 rows, 5 interleaved rounds); `--smoke` for CI.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks._common import package_version, table  # noqa: E402

KEY = "default-project"
_BLOCK = 1024  # rows per block of the fuzzy step
OUTPUTS = ("decision", "reason", "probability_of_default", "expert_probability", "default_probability",
           "expert_score", "affordability")
EXACT = ("decision", "reason", "expert_score")
SCORECARD = ("checking", "duration", "affordability", "history", "savings", "employment", "age", "assets")

# The policy rules (rules/credit_policy.rules.yaml) as one FIRST table, highest priority first;
# long_and_large (duration > 36 and amount > 10000) inlined where the rules read its risk_flag.
POLICY_COLUMNS = ("checking_status", "savings", "instalment_rate_pct", "duration_months", "credit_amount",
                  "employment_since", "credit_history")
POLICY_ROWS = (
    ({"checking_status": '"overdrawn"', "savings": '"lt_100"', "instalment_rate_pct": "4"},
     "decline", "overdrawn account, no savings and the highest instalment burden"),
    ({"duration_months": "> 36", "credit_amount": "> 10000", "employment_since": '"unemployed", "lt_1y"'},
     "decline", "long, large credit without established employment"),
    ({"credit_amount": "> 15000"}, "refer", "credit above the automated approval limit of 15,000 DM"),
    ({"checking_status": '"overdrawn"', "credit_history": '"past_delays", "critical_other_credits"'},
     "refer", "overdrawn account and a record of payment problems"),
    ({"duration_months": "> 36", "credit_amount": "> 10000"}, "refer", "long and large credit: a credit officer reviews it"),
    ({}, "none", None),
)


# ------------------------------------------------------------------------------------ the JDM graph


def _node(node_id: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "name": node_id, "content": content}


def _table_node(node_id: str, hit_policy: str, inputs: list[str], outputs: list[str],
                rules: list[tuple[dict[str, str], dict[str, str]]], output_path: str | None) -> dict[str, Any]:
    return _node(node_id, "decisionTableNode", {
        "hitPolicy": hit_policy, "passThrough": False, "inputField": None, "outputPath": output_path,
        "executionMode": "single",
        "inputs": [{"id": f"i_{name}", "name": name, "field": name} for name in inputs],
        "outputs": [{"id": f"o_{name}", "name": name, "field": name} for name in outputs],
        "rules": [{"_id": f"r{k}", **{f"i_{n}": cells.get(n, "") for n in inputs},
                   **{f"o_{n}": values[n] for n in outputs}} for k, (cells, values) in enumerate(rules)]})


def zen_graph(root: Path = REPO) -> dict[str, Any]:
    """The JDM graph: request -> instalment expression -> the eight scorecard tables and the policy
    table side by side -> the score expression -> response. Tables are read from the project's files."""
    nodes = [_node("request", "inputNode", {}),
             _node("instalment", "expressionNode", {
                 "passThrough": True, "inputField": None, "outputPath": None, "executionMode": "single",
                 "expressions": [{"id": "e1", "key": "monthly_instalment", "value": "credit_amount / duration_months"},
                                 {"id": "e2", "key": "amount_per_age_year", "value": "credit_amount / age"}]})]
    terms = []
    for name in SCORECARD:
        spec = yaml.safe_load((root / "rules" / "scorecard" / f"{name}.table.yaml").read_text())
        inputs = [column["name"] for column in spec["inputs"]]
        outputs = list(spec["outputs"])
        rules = [({n: str(rule[n]) for n in inputs if rule.get(n) not in (None, "")},
                  {n: json.dumps(rule[n]) for n in outputs}) for rule in spec["rules"]]
        collect = spec["hit_policy"].upper() == "COLLECT"
        if collect and str(spec.get("aggregation", "")).upper() != "SUM":
            raise ValueError(f"{name}: only COLLECT SUM is translated")
        path = f"{name}_hits" if collect else None
        nodes.append(_table_node(f"table_{name}", "collect" if collect else "first", inputs, outputs, rules, path))
        terms += [f"sum(map({path}, #.{o}))" if collect else o for o in outputs]
    nodes.append(_table_node("policy", "first", list(POLICY_COLUMNS), ["knockout", "knockout_reason"],
                             [(cells, {"knockout": json.dumps(k), "knockout_reason": json.dumps(r)})
                              for cells, k, r in POLICY_ROWS], None))
    nodes.append(_node("scorecard", "expressionNode", {
        "passThrough": True, "inputField": None, "outputPath": None, "executionMode": "single",
        "expressions": [{"id": "e1", "key": "expert_score", "value": " + ".join(terms)}]}))
    nodes.append(_node("response", "outputNode", {}))
    tables = [n["id"] for n in nodes if n["type"] == "decisionTableNode"]
    pairs = [("request", "instalment"), *(("instalment", t) for t in tables), *((t, "scorecard") for t in tables),
             ("scorecard", "response")]
    edges = [{"id": f"e{k}", "sourceId": a, "targetId": b, "type": "edge"} for k, (a, b) in enumerate(pairs)]
    return {"nodes": nodes, "edges": edges}


# ------------------------------------------------------------------------------ fuzzy, in numpy


def _sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


class Affordability:
    """rules/affordability.fuzzy.yaml in numpy: the terms read from the file, the nine rules written out."""

    def __init__(self, file: Path) -> None:
        import skfuzzy

        spec = yaml.safe_load(file.read_text())
        shape = {"trimf": skfuzzy.trimf, "trapmf": skfuzzy.trapmf}

        def variable(v: dict[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            grid = np.linspace(v["range"][0], v["range"][1], v["resolution"])
            return grid, {t: shape[p[0]](grid, list(p[1:])) for t, p in v["terms"].items()}

        self.inputs = {name: variable(v) for name, v in spec["inputs"].items()}
        out = spec["outputs"]["affordability"]
        self.grid, terms = variable(out)
        self.default = float(out["default"])
        self.terms = [terms[t] for t in ("poor", "fair", "good")]
        self.shapes = []
        for mf in self.terms:  # each term rises then falls: its crossings of a level, by bisection
            values = mf.tolist()
            peak = max(range(len(values)), key=values.__getitem__)
            self.shapes.append((np.array(values[:peak + 1]), np.array([-v for v in values[peak:]]), peak))

    def __call__(self, rate: np.ndarray, savings: np.ndarray, checking: np.ndarray) -> np.ndarray:
        def m(name: str, x: np.ndarray) -> dict[str, np.ndarray]:
            grid, terms = self.inputs[name]
            return {t: np.interp(x, grid, mf, left=0.0, right=0.0) for t, mf in terms.items()}

        r, s, c = m("instalment_rate_pct", rate), m("savings_level", savings), m("checking_level", checking)
        poor = np.fmax(np.fmax(np.minimum(r["high"], s["low"]), c["overdrawn"] * 0.8), r["high"] * 0.6)
        fair = np.fmax(np.fmax(np.minimum(r["high"], s["high"]), r["moderate"]), np.maximum(c["low"], c["none"]))
        good = np.fmax(np.fmax(r["low"] * 0.8, np.minimum(1.0 - r["high"], s["high"])), c["healthy"] * 0.7)
        levels = [poor, fair, good]
        grid = self.grid
        points = [np.broadcast_to(grid, (len(rate), len(grid)))]
        points += [self._crossings(mf, level, shape) for mf, level, shape in zip(self.terms, levels, self.shapes)]
        P = np.sort(np.concatenate(points, axis=1), axis=1)
        F = np.zeros(P.shape)
        for mf, level in zip(self.terms, levels):
            F = np.maximum(F, np.minimum(level[:, None], np.interp(P, grid, mf, left=0.0, right=0.0)))
        value = self._centroid(P, F)
        return np.where(~(F.max(axis=1) > 0.0), self.default, value)

    def _crossings(self, mf: np.ndarray, cut: np.ndarray, shape: tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
        grid = self.grid
        rising, falling, peak = shape
        n = len(mf)
        above = cut > 0.0
        nonempty = np.where(above, mf[peak] >= cut, mf[peak] > 0.0)
        first = np.where(above, np.searchsorted(rising, cut, "left"), np.searchsorted(rising, 0.0, "right"))
        last = peak + np.where(above, np.searchsorted(falling, -cut, "right"), np.searchsorted(falling, 0.0, "left")) - 1
        out = np.full((len(cut), 2), grid[0])
        with np.errstate(all="ignore"):
            for column, valid, k in ((0, nonempty & (first > 0), first - 1), (1, nonempty & (last < n - 1), last)):
                k = np.clip(k, 0, n - 2)
                x = grid[k] + (cut - mf[k]) * (grid[k + 1] - grid[k]) / (mf[k + 1] - mf[k])
                out[:, column] = np.where(valid, x, grid[0])
        return out

    @staticmethod
    def _centroid(P: np.ndarray, F: np.ndarray) -> np.ndarray:
        """skfuzzy's centroid of a piecewise-linear curve, segment by segment, summed left to right."""
        x1, x2, y1, y2 = P[:, :-1], P[:, 1:], F[:, :-1], F[:, 1:]
        with np.errstate(all="ignore"):
            dx = x2 - x1
            total = y1 + y2
            moment = 2.0 / 3.0 * dx * (y2 + 0.5 * y1) / total + x1
            area = 0.5 * dx * total
            zero1, zero2 = y1 == 0.0, y2 == 0.0
            rect = (y1 == y2) & ~zero1
            moment = np.where(rect, 0.5 * (x1 + x2), moment)
            area = np.where(rect, dx * y1, area)
            up, down = zero1 & ~zero2, zero2 & ~zero1
            moment = np.where(up, 2.0 / 3.0 * dx + x1, np.where(down, 1.0 / 3.0 * dx + x1, moment))
            area = np.where(up, 0.5 * dx * y2, np.where(down, 0.5 * dx * y1, area))
            skip = (zero1 & zero2) | (dx == 0.0)
            area = np.where(skip, 0.0, area)
            moment = np.where(skip, 0.0, moment)
            return np.cumsum(moment * area, axis=1)[:, -1] / np.maximum(np.cumsum(area, axis=1)[:, -1],
                                                                        np.finfo(float).eps)


# ------------------------------------------------------------------------------------- the peer


class Peer:
    """The default project's decision with Zen, LightGBM and numpy; no composite code."""

    def __init__(self, root: Path = REPO) -> None:
        import lightgbm
        import zen

        self.graph = zen_graph(root)
        self.zen_reads = tuple(dict.fromkeys(
            i["field"] for n in self.graph["nodes"] if n["type"] == "decisionTableNode" for i in n["content"]["inputs"]
            if i["field"] not in ("affordability", "monthly_instalment")))
        self.zen_reads += tuple(n for n in ("credit_amount", "duration_months", "age") if n not in self.zen_reads)
        self.zen = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: self.graph}}})
        self.affordability = Affordability(root / "rules" / "affordability.fuzzy.yaml")
        artifact = json.loads((root / "models" / "default_risk.artifact.json").read_text())
        self.booster = lightgbm.Booster(model_file=str(root / "models" / artifact["model"]["booster_file"]))
        self.features = artifact["features"]
        self.calibration = artifact["calibration"]
        domain = artifact["domain"]
        self.checks = [*domain["features"], *domain.get("inputs", [])]
        distance = domain["distance"]
        index = {f["name"]: k for k, f in enumerate(self.features)}
        self.space = [(index[name], None if value is None else float(self.features[index[name]]["values"].index(value)))
                      for name, value in distance["columns"]]
        self.center = np.array(distance["center"])
        self.scale = np.array(distance["scale"])
        self.precision = np.array(distance["precision"])
        self.p99 = distance["quantiles"]["0.99"]
        blend = json.loads((root / "models" / "risk_blend.blend.json").read_text())
        self.expert_a, self.expert_b = blend["expert"]["a"], blend["expert"]["b"]
        self.weight, self.blend_a, self.blend_b = blend["weight"], blend["calibration"]["a"], blend["calibration"]["b"]
        self.savings_level = {"ge_1000": 4, "500_1000": 3, "100_500": 2, "lt_100": 1}
        self.checking_level = {"high": 3, "low": 2, "overdrawn": 1}

    # one Zen call per request: ZenEngine.evaluate(key) (the loader-cached decision) or evaluate_batch
    def scorecard(self, records: list[dict[str, Any]], path: str = "evaluate") -> list[dict[str, Any]]:
        if path == "evaluate_batch":
            answers = self.zen.evaluate_batch([{"key": KEY, "context": r} for r in records])
            return [a["data"]["result"] for a in answers]
        evaluate = self.zen.evaluate
        return [evaluate(KEY, r)["result"] for r in records]

    def model(self, frame: pd.DataFrame, expert_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probability of default, inside the training domain) per row."""
        size = len(frame)
        matrix = np.empty((size, len(self.features)))
        for k, f in enumerate(self.features):
            raw = expert_score if f["name"] == "expert_score" else frame[f["name"]].to_numpy()
            if f["kind"] in ("number", "boolean"):
                matrix[:, k] = np.asarray(raw, dtype=np.float64)
            else:
                codes = pd.Categorical(raw, categories=f["values"]).codes.astype(np.float64)
                codes[codes < 0] = np.nan
                matrix[:, k] = codes
        score = self.booster.predict(matrix, raw_score=True, num_threads=1)
        calibration = self.calibration
        if calibration["method"] == "sigmoid":
            probability = _sigmoid(calibration["a"] * score + calibration["b"])
        elif calibration["method"] == "none":
            probability = _sigmoid(score)
        else:
            raise ValueError(f"calibration {calibration['method']} is not translated")
        outside = np.zeros(size, dtype=bool)
        for entry in self.checks:
            raw = expert_score if entry["name"] == "expert_score" else frame[entry["name"]].to_numpy()
            if entry["kind"] == "number":
                x = np.asarray(raw, dtype=np.float64)
                outside |= np.isnan(x) | (x < entry["min"]) | (x > entry["max"])
            elif entry["kind"] == "boolean":
                outside |= ~pd.Series(raw).map(lambda v: {True: "true", False: "false"}.get(v)).isin(
                    list(entry["seen"])).to_numpy()
            else:
                outside |= ~pd.Series(raw).isin(list(entry["seen"])).to_numpy()
        sources = np.array([s for s, _ in self.space])
        codes = np.array([np.nan if c is None else c for _, c in self.space])
        taken = matrix[:, sources]
        space = np.where(~np.isnan(codes), np.where(np.isnan(taken), np.nan, (taken == codes).astype(float)), taken)
        z = (space - self.center) / self.scale
        z = np.where(np.isnan(z), 0.0, z)
        distance = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", z, self.precision, z, optimize=False), 0.0))
        outside |= distance > self.p99
        return probability, ~outside

    def decide_batch(self, frame: pd.DataFrame, *, path: str = "evaluate",
                     steps: dict[str, float] | None = None) -> dict[str, Any]:
        """Every output of OUTPUTS for every row of `frame`, as columns; `steps` (when given) gets the
        seconds of each step added to it."""
        clock = [time.perf_counter()]

        def step(name: str) -> None:
            if steps is not None:
                now = time.perf_counter()
                steps[name] = steps.get(name, 0.0) + now - clock[0]
                clock[0] = now

        savings = frame["savings"].map(self.savings_level).fillna(0).to_numpy(dtype=np.float64)
        checking = frame["checking_status"].map(self.checking_level).fillna(0).to_numpy(dtype=np.float64)
        rate = frame["instalment_rate_pct"].to_numpy(dtype=np.float64)
        # in blocks of rows, as composite's fuzzy node does: the (rows x points) temporaries stay in cache
        affordability = np.concatenate([self.affordability(rate[i:i + _BLOCK], savings[i:i + _BLOCK],
                                                           checking[i:i + _BLOCK])
                                        for i in range(0, len(frame), _BLOCK)]) if len(frame) else np.empty(0)
        # Zen gets only the fields its graph reads: the smaller the context, the faster its call
        names = [*self.zen_reads, "affordability"]
        columns = [frame[n].tolist() for n in self.zen_reads] + [affordability.tolist()]
        records = [dict(zip(names, values)) for values in zip(*columns)]
        step("records and fuzzy affordability (numpy)")
        results = self.scorecard(records, path)
        expert_score = np.array([r["expert_score"] for r in results], dtype=np.float64)
        step(f"Zen {path}, tables, score and policy")
        model, inside = self.model(frame, expert_score)
        step("LightGBM predict and the domain check")
        expert_logit = self.expert_a * expert_score + self.expert_b
        clipped = np.clip(model, 1e-6, 1 - 1e-6)
        blended = _sigmoid(self.blend_a * (self.weight * (np.log(clipped) - np.log1p(-clipped))
                                           + (1 - self.weight) * expert_logit) + self.blend_b)
        expert = _sigmoid(expert_logit)
        probability = np.where(inside, blended, expert)
        band = np.where(probability < 1 / 6, 0, np.where(probability < 1 / 2, 1, 2))
        outcome = np.array(["approve", "refer", "decline"], dtype=object)[band]
        texts = np.array(["low risk: estimated probability of default below 1 in 6",
                          "moderate risk: estimated probability of default between 1 in 6 and 1 in 2; a credit "
                          "officer reviews it", "high risk: estimated probability of default of 1 in 2 or more"],
                         dtype=object)
        reason = texts[band] + np.where(inside, "", " (by the expert scorecard alone: the application is unlike "
                                                    "the data the model learned from)").astype(object)
        gap = np.abs(expert - model)
        for i in np.flatnonzero(gap > 0.3333).tolist():
            outcome[i] = "refer"
            reason[i] = (f"the sources disagree: expert_probability = {expert[i]:.3g}, default_probability = "
                         f"{model[i]:.3g} (difference {gap[i]:.3g} > 0.3333); a credit officer decides")
        for i, r in enumerate(results):
            knockout = r.get("knockout")
            if knockout not in ("none", None):
                outcome[i] = knockout
                reason[i] = r.get("knockout_reason")
        step("blend, fallback, outcome, review and guard")
        return {"decision": outcome, "reason": reason, "probability_of_default": probability,
                "expert_probability": expert, "default_probability": model, "expert_score": expert_score,
                "affordability": affordability}

    def decide(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request, the outputs of OUTPUTS: the batch arithmetic on one row without pandas (fuzzy
        on one-row arrays, one Zen call, one LightGBM row, the domain check value by value)."""
        savings = float(self.savings_level.get(request["savings"], 0))
        checking = float(self.checking_level.get(request["checking_status"], 0))
        affordability = float(self.affordability(np.array([float(request["instalment_rate_pct"])]),
                                                 np.array([savings]), np.array([checking]))[0])
        context = {n: request.get(n) for n in self.zen_reads}
        context["affordability"] = affordability
        result = self.zen.evaluate(KEY, context)["result"]
        expert_score = float(result["expert_score"])
        row = np.empty((1, len(self.features)))
        for k, f in enumerate(self.features):
            value = expert_score if f["name"] == "expert_score" else request.get(f["name"])
            if f["kind"] in ("number", "boolean"):
                row[0, k] = math.nan if value is None else float(value)
            else:
                row[0, k] = f["values"].index(value) if value in f["values"] else math.nan
        score = float(self.booster.predict(row, raw_score=True, num_threads=1)[0])
        if self.calibration["method"] == "sigmoid":
            score = self.calibration["a"] * score + self.calibration["b"]
        model = float(_sigmoid(np.array([score]))[0])
        inside = True
        for entry in self.checks:
            value = expert_score if entry["name"] == "expert_score" else request.get(entry["name"])
            if entry["kind"] == "number":
                inside &= value is not None and entry["min"] <= value <= entry["max"]
            elif entry["kind"] == "boolean":
                inside &= {True: "true", False: "false"}.get(value) in entry["seen"]
            else:
                inside &= value in entry["seen"]
        space = np.array([row[0, s] if c is None else (math.nan if math.isnan(row[0, s]) else float(row[0, s] == c))
                          for s, c in self.space])
        z = (space - self.center) / self.scale
        z = np.where(np.isnan(z), 0.0, z)
        inside &= bool(math.sqrt(max(float(np.einsum("ij,jk,ik->i", z[None], self.precision, z[None],
                                                               optimize=False)[0]), 0.0)) <= self.p99)
        expert_logit = self.expert_a * expert_score + self.expert_b
        clipped = min(max(model, 1e-6), 1 - 1e-6)
        blended, expert = _sigmoid(np.array([
            self.blend_a * (self.weight * (math.log(clipped) - math.log1p(-clipped))
                            + (1 - self.weight) * expert_logit) + self.blend_b, expert_logit])).tolist()
        probability = blended if inside else expert
        if probability < 1 / 6:
            outcome, reason = "approve", "low risk: estimated probability of default below 1 in 6"
        elif probability < 1 / 2:
            outcome, reason = "refer", ("moderate risk: estimated probability of default between 1 in 6 and 1 in 2; "
                                        "a credit officer reviews it")
        else:
            outcome, reason = "decline", "high risk: estimated probability of default of 1 in 2 or more"
        if not inside:
            reason += " (by the expert scorecard alone: the application is unlike the data the model learned from)"
        gap = abs(expert - model)
        if gap > 0.3333:
            outcome = "refer"
            reason = (f"the sources disagree: expert_probability = {expert:.3g}, default_probability = {model:.3g} "
                      f"(difference {gap:.3g} > 0.3333); a credit officer decides")
        if result.get("knockout") not in ("none", None):
            outcome, reason = result["knockout"], result.get("knockout_reason")
        return {"decision": outcome, "reason": reason, "probability_of_default": probability,
                "expert_probability": expert, "default_probability": model, "expert_score": expert_score,
                "affordability": affordability}

    @staticmethod
    def store(connection: sqlite3.Connection, frame: pd.DataFrame, outputs: dict[str, Any]) -> None:
        """Every request and its outputs as one JSON row (what a team without a store would keep)."""
        names = list(outputs)
        columns = [np.asarray(outputs[n]).tolist() for n in names]
        rows = ((uuid.uuid4().hex, json.dumps({"request": request, "outputs": dict(zip(names, values))}))
                for request, values in zip(frame.to_dict("records"), zip(*columns)))
        with connection:
            connection.executemany("INSERT INTO decisions (id, record) VALUES (?, ?)", rows)


def open_peer_store(file: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(file)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS decisions (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
    return connection


# ------------------------------------------------------------------------------------ requests


def requests(rows: int, seed: int, root: Path = REPO) -> pd.DataFrame:
    """The German Credit applications resampled to `rows` (what the scaling benchmark decides)."""
    credit = pd.read_csv(root / "data" / "german_credit.csv").drop(columns=["default"])
    return credit.sample(rows, replace=True, random_state=seed).reset_index(drop=True)


def differences(ours: pd.DataFrame, peer: dict[str, Any], *, tolerance: float = 1e-9) -> list[str]:
    """Every row and output where composite and the peer differ (decision, reason, score exactly)."""
    found = []
    for name in OUTPUTS:
        a = ours[name].to_numpy()
        b = np.asarray(peer[name])
        if name in EXACT:
            bad = np.flatnonzero(np.array([x != y for x, y in zip(a.tolist(), b.tolist())], dtype=bool))
        else:
            bad = np.flatnonzero(~(np.abs(a.astype(np.float64) - b.astype(np.float64)) <= tolerance))
        found += [f"row {i} {name}: composite {a[i]!r}, peer {b[i]!r}" for i in bad[:5].tolist()]
    return found


# ----------------------------------------------------------------------------------- timing


class Rate:
    def __init__(self, seconds: list[float], decisions: int) -> None:
        self.best = decisions / min(seconds)
        self.median = decisions / statistics.median(seconds)
        self.worst = decisions / max(seconds)

    def spread(self) -> str:
        return f"{self.best:,.0f} / {self.median:,.0f} / {self.worst:,.0f}"


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_per_row(fn: Callable[[], object], rows: int) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return (peak - before) / rows


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round, for CI")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per batch")
    parser.add_argument("--single", type=int, default=1_000, help="requests in the single-decision loops")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    rows, single, rounds = (200, 50, 1) if args.smoke else (args.rows, args.single, args.rounds)
    try:
        import lightgbm  # noqa: F401
        import skfuzzy  # noqa: F401
        import zen  # noqa: F401
    except ImportError as exc:
        print(f"skipped: {exc.name} is not installed (pip install -e '.[test]')")
        return 0
    from composite import CompositeEngine

    load_start = _load()
    peer = Peer()
    frame = requests(rows, seed=7)
    singles = requests(single, seed=8).to_dict("records")
    tmp = Path(tempfile.mkdtemp(prefix="default_peer_"))
    plain = CompositeEngine.from_path(REPO, store="memory")

    # Equal answers first, on every request measured, through every path timed.
    ours = plain.decide_batch(frame, record=False, trace="off")
    problems = differences(ours, peer.decide_batch(frame))
    problems += differences(ours, peer.decide_batch(frame, path="evaluate_batch"))
    problems += differences(plain.decide_batch(frame, record=False), peer.decide_batch(frame))
    for request in singles[:50]:
        decided = plain.decide(request, record=False).outputs
        problems += differences(pd.DataFrame([{n: decided[n] for n in OUTPUTS}]),
                                {n: [v] for n, v in peer.decide(request).items()})
    if problems:
        print("OUTPUTS DIFFER, nothing timed:\n  " + "\n  ".join(problems[:20]))
        return 1

    counter = iter(range(10**9))
    # Evidence on demand (bd30503): by default a stored decision keeps what explain needs to derive its
    # trace; evidence="eager" stores every node's evidence as before. Timed both where both exist.
    eager = "evidence" in inspect.signature(plain.decide_batch).parameters
    stored_label = ("decide_batch(record=True), SQLite, every decision (evidence on demand)" if eager
                    else "decide_batch(record=True), SQLite, every decision with its trace")

    def ours_stored(**options: Any) -> Callable[[], float]:
        def run() -> float:  # a fresh SQLite file per run: runs do not pile up decisions
            engine = CompositeEngine.from_path(REPO, store=f"sqlite:///{tmp / f'ours{next(counter)}.db'}")
            return timed(lambda: engine.decide_batch(frame, record=True, **options))
        return run

    def peer_stored() -> float:
        connection = open_peer_store(tmp / f"peer{next(counter)}.db")
        try:
            return timed(lambda: peer.store(connection, frame, peer.decide_batch(frame)))
        finally:
            connection.close()

    # stored runs time the batch and the store only (opening the engine or the file is not timed)
    measures: dict[str, Callable[[], float]] = {
        "ours_stored": ours_stored(),
        "peer_stored": peer_stored,
        "ours_off": lambda: timed(lambda: plain.decide_batch(frame, record=False, trace="off")),
        "peer": lambda: timed(lambda: peer.decide_batch(frame)),
        "peer_zen_batch": lambda: timed(lambda: peer.decide_batch(frame, path="evaluate_batch")),
        "ours_single": lambda: timed(lambda: [plain.decide(r, record=False) for r in singles]),
        "peer_single": lambda: timed(lambda: [peer.decide(r) for r in singles]),
    }
    if eager:
        measures["ours_stored_eager"] = ours_stored(evidence="eager")
    seconds: dict[str, list[float]] = {name: [] for name in measures}
    names = list(measures)
    for k in range(rounds):
        for name in names[k % len(names):] + names[:k % len(names)]:
            seconds[name].append(measures[name]())
    t = {name: Rate(s, single if name.endswith("_single") else rows) for name, s in seconds.items()}
    fastest = "peer" if t["peer"].median >= t["peer_zen_batch"].median else "peer_zen_batch"
    other = "peer_zen_batch" if fastest == "peer" else "peer"
    zen_path = {"peer": "ZenEngine.evaluate(key) per row", "peer_zen_batch": "ZenEngine.evaluate_batch"}

    def rows_of(name: str) -> int:
        return single if name.endswith("_single") else rows

    def ratio(a: str, b: str) -> str:
        # per round: the two runs of a round are close in time, so their ratio feels the load less
        paired = sorted(sb / sa * (rows_of(a) / rows_of(b)) for sa, sb in zip(seconds[a], seconds[b]))
        return (f"x{t[a].median / t[b].median:.2f} (best x{t[a].best / t[b].best:.2f}; per round "
                f"x{statistics.median(paired):.2f}, x{paired[0]:.2f}-x{paired[-1]:.2f})")

    def verdict(a: str, b: str, target: float) -> str:
        value = t[a].median / t[b].median
        return f">= x{target:g}: {'met' if value >= target else 'MISSED'}"

    print(f"zen-engine {package_version('zen-engine')}, lightgbm {package_version('lightgbm')}, scikit-fuzzy "
          f"{package_version('scikit-fuzzy')}; {rows:,} rows per batch, {single:,} single requests, {rounds} "
          f"interleaved rounds; rates in decisions/s, best / median / worst; ratios ours / peer: medians over "
          f"medians (best over best; per round: the median ratio of one round's two runs, its range)")
    unstored = f"peer batch, NOT stored ({zen_path[fastest]})"
    peer_kept = "peer batch + request and outputs JSON into SQLite (executemany)"
    out = [("(a) stored", stored_label, t["ours_stored"].spread(), unstored, t[fastest].spread(),
            ratio("ours_stored", fastest), verdict("ours_stored", fastest, 2)),
           ("(a) stored", stored_label, t["ours_stored"].spread(), peer_kept, t["peer_stored"].spread(),
            ratio("ours_stored", "peer_stored"), verdict("ours_stored", "peer_stored", 2))]
    if eager:
        label = "decide_batch(record=True, evidence='eager'), SQLite, every trace"
        out += [("(a) stored", label, t["ours_stored_eager"].spread(), unstored, t[fastest].spread(),
                 ratio("ours_stored_eager", fastest), verdict("ours_stored_eager", fastest, 2)),
                ("(a) stored", label, t["ours_stored_eager"].spread(), peer_kept, t["peer_stored"].spread(),
                 ratio("ours_stored_eager", "peer_stored"), verdict("ours_stored_eager", "peer_stored", 2))]
    single_label = "decide(row, record=False)" + (" (evidence on demand)" if eager else " [trace built]")
    out += [
        ("(b) untraced", "decide_batch(record=False, trace='off')", t["ours_off"].spread(),
         f"peer batch ({zen_path[fastest]})", t[fastest].spread(), ratio("ours_off", fastest), ""),
        ("(b) untraced", "decide_batch(record=False, trace='off')", t["ours_off"].spread(),
         f"peer batch ({zen_path[other]})", t[other].spread(), ratio("ours_off", other), ""),
        ("(c) single", single_label, t["ours_single"].spread(),
         "Peer.decide(request): one Zen evaluate(key), one LightGBM row", t["peer_single"].spread(),
         ratio("ours_single", "peer_single"), ""),
    ]
    print(table(out, ("pairing", "ours", "ours /s", "peer", "peer /s", "ours / peer", "target")))

    memory_rows = rows
    off = peak_per_row(lambda: plain.decide_batch(frame, record=False, trace="off"), memory_rows)
    on = peak_per_row(lambda: plain.decide_batch(frame, record=False), memory_rows)
    theirs = peak_per_row(lambda: peer.decide_batch(frame), memory_rows)
    print(f"\npeak traced memory (tracemalloc) per row, {memory_rows:,} rows: decide_batch(record=False, "
          f"trace='off') {off:,.0f} B ({'<= 1 KB: met' if off <= 1024 else '<= 1 KB: MISSED'}); "
          f"decide_batch(record=False) {on:,.0f} B; the peer {theirs:,.0f} B")
    steps: dict[str, float] = {}
    for _ in range(rounds):
        peer.decide_batch(frame, path="evaluate" if fastest == "peer" else "evaluate_batch", steps=steps)
    total = sum(steps.values())
    print(f"\nwhere the peer's batch time goes ({rounds} runs of {rows:,} rows): " + "; ".join(
        f"{name} {seconds / rounds / rows * 1e6:.1f} us/row ({seconds / total:.0%})" for name, seconds in steps.items()))
    print(f"load average (1 min) at the start {load_start}, at the end {_load()}")
    print("notes: the peer validates no request, builds no trace and no evidence; its single path (Peer.decide) is "
          "the batch arithmetic on one row without pandas; LightGBM predicts with num_threads=1 on both sides; the peer's fuzzy step is numpy "
          "(not fed from composite). Outputs checked equal (decision, reason, expert_score exactly; "
          "probabilities and affordability within 1e-9) on every request timed, before timing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
