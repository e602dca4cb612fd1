"""`composite explain` and `history` from the store alone: no project folder needed, id prefixes,
nothing written, none of the model stack imported, and history's filters and JSON."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from composite import CompositeEngine, DecisionNotFound, RequestError, open_store
from composite.audit import history, output_matches, parse_where, reading_store, summary_dict
from composite.cli import main
from tests.conftest import GOOD_LOAN, REPO

HEAVY = ("sklearn", "lightgbm", "pandas", "skfuzzy", "durable_rules", "networkx", "scipy")


def unique_prefix(ids: list[str], at: int) -> str:
    """The shortest prefix (6 characters or more) of ids[at] that no other id starts with: ids made in
    one millisecond by one process differ only in their last digits."""
    for length in range(6, 33):
        prefix = ids[at][:length]
        if sum(i.startswith(prefix) for i in ids) == 1:
            return prefix
    raise AssertionError("ids are unique")


def _stat(path: Path) -> tuple[str, int, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, path.stat().st_size


@pytest.fixture
def store(loan_project, tmp_path):
    """A SQLite store of the loan project: approve, refer, decline one at a time, then a batch of two
    (approve, decline); returns (url, db path, ids in decision order, batch id)."""
    db = tmp_path / "stores" / "d.db"
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}")
    ids = [engine.decide({**GOOD_LOAN, "income": income}).id for income in (2000, 800, 500)]
    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN, {**GOOD_LOAN, "age": 17}]))
    ids += list(out["decision_id"])
    engine.close()
    return f"sqlite:///{db}", db, ids, out.attrs["batch_id"]


@pytest.fixture
def empty(tmp_path, monkeypatch) -> Path:
    """An empty current folder, without $COMPOSITE_STORE_URL."""
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("COMPOSITE_STORE_URL", raising=False)
    return folder


# -- explain and history with --store in an empty folder -----------------------------------------

def test_explain_in_an_empty_folder_reads_the_store_alone_and_writes_nothing(store, empty, capsys):
    url, db, ids, _ = store
    before = _stat(db)
    assert main(["explain", ids[1], "--store", url]) == 0
    out = capsys.readouterr().out
    assert ids[1] in out and "refer" in out and "0.3125" in out
    assert list(empty.iterdir()) == []  # no .composite/ folder, nothing else
    assert _stat(db) == before


def test_explain_takes_a_unique_prefix_of_the_id(store, empty, capsys):
    url, _, ids, _ = store
    prefix = unique_prefix(ids, 2)
    assert main(["explain", prefix, "--store", url]) == 0
    out = capsys.readouterr().out
    assert ids[2] in out and "decline" in out
    assert main(["explain", prefix.upper(), "--store", url]) == 0
    assert ids[2] in capsys.readouterr().out


def test_explain_html_writes_the_page_to_the_file_named(store, empty, tmp_path, capsys):
    url, db, ids, _ = store
    page = tmp_path / "pages" / "explained.html"
    page.parent.mkdir()
    assert main(["explain", unique_prefix(ids, 0), "--store", url, "--html", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and ids[0] in html and "approve" in html
    assert ids[0] in capsys.readouterr().out
    assert list(empty.iterdir()) == []


def test_replay_and_outcome_take_a_prefix_too(store, loan_project, empty, capsys):
    url, _, ids, _ = store
    prefix = unique_prefix(ids, 1)
    assert main(["replay", prefix, "--store", url, "--project", str(loan_project)]) == 0
    assert ids[1] in capsys.readouterr().out
    assert main(["outcome", prefix, "repaid", "--store", url, "--project", str(loan_project)]) == 0
    assert ids[1] in capsys.readouterr().out
    assert open_store(url, read_only=True).outcomes()[ids[1]].value == "repaid"


def test_explain_names_the_candidates_of_an_ambiguous_prefix_and_exits_1(store, empty, capsys):
    url, db, ids, _ = store
    common = os.path.commonprefix(ids)
    assert len(common) >= 6  # decisions made within seconds share their time digits
    assert main(["explain", common, "--store", url]) == 1
    err = capsys.readouterr().err
    assert "ambiguous" in err and all(i in err for i in ids) and "give more characters" in err


def test_explain_of_an_unknown_or_too_short_id_exits_1_saying_so(store, empty, capsys):
    url, _, ids, _ = store
    assert main(["explain", "f" * 32, "--store", url]) == 1
    assert f"no decision with id '{'f' * 32}'" in capsys.readouterr().err
    assert main(["explain", ids[0][:4], "--store", url]) == 1
    assert "at least 6 characters" in capsys.readouterr().err


def test_explain_why_not_an_unknown_name_exits_1_naming_it(store, empty, capsys):
    url, _, ids, _ = store
    assert main(["explain", ids[0], "--store", url, "--why-not", "no_such_rule"]) == 1
    err = capsys.readouterr().err
    assert "'no_such_rule'" in err and "[unknown_name]" in err


def test_history_in_an_empty_folder_lists_the_store_newest_first_and_writes_nothing(store, empty, capsys):
    url, db, ids, batch = store
    before = _stat(db)
    assert main(["history", "--store", url, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == ids[::-1]
    assert rows[-1] == {"id": ids[0], "created_at": rows[-1]["created_at"], "project": "loan",
                        "project_version": "1.2.0", "outputs": {"decision": "approve", "ratio": 0.125},
                        "batch_id": None}
    assert [row["batch_id"] for row in rows] == [batch, batch, None, None, None]
    assert main(["history", "--store", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if ids[1] in line][0].count("refer") == 1
    assert list(empty.iterdir()) == []
    assert _stat(db) == before


def test_history_filters_by_output_value_batch_time_and_limit(store, empty, capsys):
    url, db, ids, batch = store

    def listed(*args: str) -> list[str]:
        assert main(["history", "--store", url, "--json", *args]) == 0
        return [row["id"] for row in json.loads(capsys.readouterr().out)]

    assert listed("--where", "decision=approve") == [ids[3], ids[0]]
    assert listed("--where", "decision=decline", "--batch", batch) == [ids[4]]
    assert listed("--where", "ratio=0.3125") == [ids[1]]
    assert listed("--where", "ratio=.31250") == [ids[1]]  # compared as numbers
    assert listed("--where", "decision=approve", "--where", "ratio=0.125", "--limit", "1") == [ids[3]]
    assert listed("--where", "decision=Approve") == []  # text as it is
    assert listed("--batch", batch) == ids[3:][::-1]
    assert listed("--limit", "2") == ids[::-1][:2]
    created = [open_store(url, read_only=True).get(i).created_at.isoformat() for i in ids]
    assert listed("--since", created[1], "--until", created[3]) == [ids[2], ids[1]]
    assert listed("--since", "2999-01-01") == []


def test_history_refuses_a_malformed_filter_or_time(store, empty, capsys):
    url, *_ = store
    assert main(["history", "--store", url, "--where", "decision"]) != 0
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["history", "--store", url, "--since", "last week"]) != 0
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert main(["history", "--store", url, "--limit", "-1"]) == 2
    assert "'--limit': -1 is not 0 or more" in capsys.readouterr().err


def test_without_a_project_or_a_store_it_is_the_clear_not_a_project_error(empty, capsys):
    for args in (["history"], ["explain", "0" * 32]):
        assert main(args) == 1
        assert "is not a decision project" in capsys.readouterr().err
    assert list(empty.iterdir()) == []


def test_a_named_project_that_is_not_one_is_refused_even_with_a_store(store, empty, capsys):
    url, _, ids, _ = store
    assert main(["explain", ids[0], "--store", url, "--project", str(empty / "nowhere")]) == 1
    assert "is not a decision project" in capsys.readouterr().err


def test_with_the_project_folder_too_explain_names_the_files_changed_since(store, loan_project, empty, capsys):
    url, _, ids, _ = store
    concepts = loan_project / "knowledge" / "concepts.yaml"
    concepts.write_text(concepts.read_text().replace("Amount requested", "Amount asked for"))
    assert main(["explain", ids[0], "--store", url, "--project", str(loan_project), "--full"]) == 0
    assert "changed  knowledge/concepts.yaml" in capsys.readouterr().out
    assert main(["explain", ids[0], "--store", url, "--full"]) == 0  # no project here: nothing to compare
    assert "knowledge/concepts.yaml" not in capsys.readouterr().out.split("Artifacts")[0]


# -- the library under the commands ---------------------------------------------------------------

def test_reading_store_opens_read_only_and_names_the_project_folder_only_when_there_is_one(store, loan_project,
                                                                                          empty):
    url, db, ids, _ = store
    opened, folder = reading_store(None, url)
    assert folder is None and opened.read_only and opened.resolve(unique_prefix(ids, 0)) == ids[0]
    opened.close()
    opened, folder = reading_store(loan_project, url)
    assert folder == loan_project
    opened.close()
    opened, folder = reading_store(loan_project, None)  # its own store was never written: empty, none made
    assert folder == loan_project and opened.recent() == []
    assert not (loan_project / ".composite").exists()


def test_history_pages_through_the_store_for_a_rare_output(loan_project, tmp_path):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    frame = pd.DataFrame([GOOD_LOAN] * 1200 + [{**GOOD_LOAN, "age": 17}] + [GOOD_LOAN] * 600)
    out = engine.decide_batch(frame)
    declined = out["decision_id"][1200]
    assert [row.id for row in history(engine.store, where=[("decision", "decline")])] == [declined]
    assert len(history(engine.store, limit=1000, where=[("decision", "approve")])) == 1000
    assert history(engine.store, limit=0) == []
    row = history(engine.store, limit=1)[0]
    assert summary_dict(row) == {"id": out["decision_id"].iloc[-1], "created_at": row.created_at, "project": "loan",
                                 "project_version": "1.2.0", "outputs": {"decision": "approve", "ratio": 0.125},
                                 "batch_id": out.attrs["batch_id"]}


def test_output_values_compare_as_their_type_reads_them():
    assert output_matches(0.125, "0.125") and output_matches(1, "1.0") and not output_matches(0.125, "x")
    assert output_matches(math.nan, "nan") and output_matches(math.inf, "inf")
    assert output_matches(True, "true") and output_matches(False, "False") and not output_matches(True, "1")
    assert output_matches(None, "null") and not output_matches(None, "none")
    assert output_matches("refer", "refer") and not output_matches("refer", "Refer")
    assert output_matches(["a", 1], '["a", 1]') and not output_matches(["a"], "a")
    assert parse_where(["decision=refer", " ratio = 0.25", "note="]) == [("decision", "refer"), ("ratio", "0.25"),
                                                                          ("note", "")]
    with pytest.raises(RequestError, match="NAME=VALUE") as caught:
        parse_where(["=x"])
    assert caught.value.code == "bad_filter"


def test_an_unknown_id_from_the_library_is_decision_not_found(store):
    url, *_ = store
    opened, _ = reading_store(None, url)
    with pytest.raises(DecisionNotFound):
        opened.resolve("0123456789")
    opened.close()


# -- what a whole process imports -------------------------------------------------------------------

RUN_CLI = """
import json, sys
from composite.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""


def test_explain_and_history_from_the_store_alone_import_none_of_the_model_stack(tmp_path):
    """The default project has a rule set, a fuzzy rule base, tables and a LightGBM model; explaining
    its decision in an empty folder derives every step's evidence without scikit-learn, LightGBM,
    pandas, scikit-fuzzy or the durable_rules package (the rules replay on durable_rules_engine, its
    C core, as deciding does). History lists summaries without building a decision at all."""
    env = {k: v for k, v in os.environ.items() if k != "COMPOSITE_STORE_URL"}
    url = f"sqlite:///{(tmp_path / 'd.db').as_posix()}"
    done = subprocess.run([sys.executable, "-m", "composite", "decide", "--input", "data/sample_application.json",
                           "--json", "--store", url], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    decision_id = json.loads(done.stdout)["id"]
    empty = tmp_path / "empty"
    empty.mkdir()
    shown, modules = {}, {}
    for args in (["explain", decision_id[:10], "--store", url, "--full"], ["history", "--store", url]):
        done = subprocess.run([sys.executable, "-c", RUN_CLI, *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=300)
        report = json.loads(done.stderr.strip().splitlines()[-1])
        assert report["code"] == 0, done.stderr
        assert sorted(set(report["modules"]) & set(HEAVY)) == []
        shown[args[0]] = done.stdout
        modules[args[0]] = set(report["modules"])
    # listing summaries builds no decision: no pydantic model, no numpy
    assert not {"pydantic", "numpy", "networkx"} & modules["history"]
    assert decision_id in shown["history"] and decision_id in shown["explain"]
    # the evidence was derived: the rule set's, the model's (from the snapshot, not the files here)
    assert "no rule fired" in shown["explain"] and "risk_model (model)" in shown["explain"]
    assert list(empty.iterdir()) == []
