"""The `composite` command: decide, explain later, history, validate, init in real subprocesses; and the
command itself (click, imported lazily): --version, --debug, usage errors, completion, plain output on a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import GOOD_LOAN, write_project


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "COMPOSITE_STORE_URL"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "composite", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=environment, timeout=120)


def test_decide_then_explain_in_a_new_process_shows_the_same_decision(loan_project, tmp_path):
    request = tmp_path / "req.json"
    request.write_text(json.dumps(GOOD_LOAN))
    decided = run("decide", "--project", str(loan_project), "--input", str(request), "--json")
    assert decided.returncode == 0, decided.stderr
    decision = json.loads(decided.stdout)
    assert decision["outputs"]["decision"] == "approve"
    explained = run("explain", decision["id"], "--project", str(loan_project), "--json")
    assert explained.returncode == 0, explained.stderr
    back = json.loads(explained.stdout)
    assert back["id"] == decision["id"]
    assert back["outputs"] == decision["outputs"] and back["inputs"] == decision["inputs"]
    assert back["trace"]["artifacts"] == decision["trace"]["artifacts"]
    assert [n["wrote"] for n in back["trace"]["nodes"]] == [n["wrote"] for n in decision["trace"]["nodes"]]
    text = run("explain", decision["id"], "--project", str(loan_project))
    # the short form by default: the outcome and the steps that decided it (`--full` has every step)
    assert "Decided by, last step first" in text.stdout and "  screen (expression): decision = approve" in text.stdout


def test_bad_request_exits_nonzero_names_every_field_and_history_shows_nothing_new(loan_project):
    good = run("decide", "--project", str(loan_project), "--input", "-", stdin=json.dumps(GOOD_LOAN))
    assert good.returncode == 0
    before = run("history", "--project", str(loan_project)).stdout
    bad = run("decide", "--project", str(loan_project), "--input", "-",
              stdin=json.dumps({"amount": -5, "months": "x", "age": 30}))
    assert bad.returncode == 1
    for field in ("amount", "months", "income"):
        assert f"field '{field}'" in bad.stderr
    assert run("history", "--project", str(loan_project)).stdout == before
    assert len(before.strip().splitlines()) == 1


def test_input_that_is_not_json_names_the_line(loan_project):
    bad = run("decide", "--project", str(loan_project), "--input", "-", stdin='{"amount": 5,\n oops}')
    assert bad.returncode == 1 and "standard input:2" in bad.stderr


def test_validate_reports_file_and_line_and_exits_1(tmp_path):
    root = write_project(tmp_path / "p", """
        name: p
        nodes:
          - {name: a, kind: expression, writes: {x: y + 1}}
          - {name: b, kind: expression, writes: {y: x + 1}}
          - {name: c, kind: expression, writes: {z: nobody * 2}}
    """, """
        concepts: {}
    """)
    result = run("validate", "--project", str(root))
    assert result.returncode == 1
    assert "composite.yaml:5" in result.stderr and "'nobody'" in result.stderr
    ok = run("validate", "--project", str(tmp_path / "missing"))
    assert ok.returncode == 1 and "composite init" in ok.stderr


def test_init_creates_a_project_that_validates_and_decides(tmp_path):
    target = tmp_path / "new"
    assert run("init", str(target)).returncode == 0
    assert run("validate", "--project", str(target)).returncode == 0
    decided = run("decide", "--project", str(target), "--input", str(target / "data/sample_application.json"),
                  "--explain")
    assert decided.returncode == 0, decided.stderr
    assert "decision = approve" in decided.stdout and "Decided by, last step first" in decided.stdout


def test_graph_prints_mermaid_and_dot(loan_project):
    mermaid = run("graph", "--project", str(loan_project))
    assert mermaid.returncode == 0 and mermaid.stdout.startswith("flowchart LR")
    assert "burden -->|ratio| screen" in mermaid.stdout
    dot = run("graph", "--project", str(loan_project), "--format", "dot")
    assert dot.stdout.startswith("digraph decision {")


# ------------------------------------------------------------------ the command itself: click, lazily


def test_version_is_the_installed_distributions(capsys):
    from importlib.metadata import version

    from composite.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"composite {version('composite-decisions')}\n"


def test_help_lists_every_command_with_its_own_one_line_help(capsys):
    from composite.cli import COMMANDS, composite, main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, short) in COMMANDS.items():
        assert f"  {name} " in out
        command = composite.get_command(None, name)  # type: ignore[arg-type]
        assert command.name == name and command.short_help == short  # what --help shows without importing it


def test_wrong_usage_exits_2_with_clicks_message_on_one_error_line(capsys):
    from composite.cli import main

    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "error: No such command 'frobnicate'."
    assert main(["graph", "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: composite graph [OPTIONS]\n")
    assert err.splitlines()[-1] == "error: Invalid value for '--format': 'svg' is not one of 'mermaid', 'dot'."


def test_an_unexpected_error_is_one_line_and_its_traceback_only_with_debug(loan_project, monkeypatch, capsys):
    import composite.project
    from composite.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("the graph fell over")

    monkeypatch.setattr(composite.project, "load_project", broken)
    assert main(["graph", "--project", str(loan_project)]) == 1
    err = capsys.readouterr().err
    assert err == "error: RuntimeError: the graph fell over (run with --debug for the traceback)\n"
    assert main(["--debug", "graph", "--project", str(loan_project)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err
    assert err.splitlines()[-1] == "RuntimeError: the graph fell over"
    # a CompositeError stays the one line it always was
    monkeypatch.undo()
    assert main(["graph", "--project", str(loan_project / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not a decision project" in err and "Traceback" not in err


def test_history_help_imports_only_click_and_the_history_module():
    code = ("import sys; from composite.cli import main; main(['history', '--help']); "
            "print(sorted(m for m in sys.modules if m.startswith(('composite.cli', 'rich'))), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "--limit" in done.stdout
    assert done.stderr.strip() == "['composite.cli', 'composite.cli._common', 'composite.cli.audit']"


def test_shell_completion_offers_the_command_names_without_importing_them():
    source = run(env={"_COMPOSITE_COMPLETE": "bash_source"})
    assert source.returncode == 0 and "_COMPOSITE_COMPLETE=bash_complete" in source.stdout
    names = run(env={"_COMPOSITE_COMPLETE": "bash_complete", "COMP_WORDS": "composite h", "COMP_CWORD": "1"})
    assert names.stdout.splitlines() == ["plain,history"]
    code = ("import os, sys; from composite.cli import main; main([]); "
            "print(sorted(m for m in sys.modules if m.startswith('composite.cli.')), file=sys.stderr)")
    every = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                           env={**os.environ, "_COMPOSITE_COMPLETE": "zsh_complete", "COMP_WORDS": "composite ",
                                "COMP_CWORD": "1"})
    from composite.cli import COMMANDS

    assert every.stdout.splitlines()[::3] == ["plain"] * len(COMMANDS)  # zsh: type, value, help
    assert every.stdout.splitlines()[1::3] == list(COMMANDS)
    assert every.stderr.strip() == "[]"
    options = run("replay", "--s", env={"_COMPOSITE_COMPLETE": "bash_complete", "COMP_WORDS": "composite replay --s",
                                        "COMP_CWORD": "2"})
    assert options.stdout.splitlines() == ["plain,--since", "plain,--sample", "plain,--store"]


def test_graph_json_has_the_inputs_outputs_nodes_and_edges(loan_project):
    done = run("graph", "--project", str(loan_project), "--json")
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    assert sorted(graph) == ["edges", "inputs", "nodes", "outputs"]
    assert [node["name"] for node in graph["nodes"]] == ["burden", "screen"]
    assert {"from": "burden", "to": "screen", "value": "ratio"} in graph["edges"]
    assert {"from": None, "to": "burden", "value": "amount"} in graph["edges"]
    assert set(graph["inputs"]) >= {"amount", "months", "income"} and "decision" in graph["outputs"]


def test_pass_and_fail_are_coloured_only_where_colour_is_wanted(monkeypatch):
    from composite.cli._output import status

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert (status(True), status(False)) == ("PASS", "FAIL")  # standard output is not a terminal here
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert status(True) == "\x1b[32m\x1b[1mPASS\x1b[0m" and status(False) == "\x1b[31m\x1b[1mFAIL\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert status(False) == "FAIL"


def test_a_table_off_a_terminal_is_aligned_plain_text(capsys):
    from composite.cli._output import table

    table(("name", "value"), [("a", 1), ("longer", None)])
    assert capsys.readouterr().out == "name    value\na       1\nlonger\n"


def test_progress_off_a_terminal_passes_the_items_through_and_writes_nothing(capsys):
    from composite.cli._output import progress

    assert list(progress(iter(range(5)), 5, "counting")) == [0, 1, 2, 3, 4]
    assert capsys.readouterr() == ("", "")


def test_the_check_report_colours_its_verdicts_and_ends_with_pass_or_fail_only_on_a_colour_terminal(monkeypatch):
    from composite.cli.check import _coloured

    text = "composite check: project p\n\nCONTRADICTED: the data says the opposite (1)\n  concept x\n\n1 contradicted -> exit 1\n"
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert _coloured(text, 1) == text
    monkeypatch.setenv("FORCE_COLOR", "1")
    lines = _coloured(text, 1).splitlines()
    assert lines[2] == "\x1b[31m\x1b[1mCONTRADICTED: the data says the opposite (1)\x1b[0m"
    assert lines[3] == "  concept x" and lines[-1] == "\x1b[31m\x1b[1mFAIL\x1b[0m  1 contradicted -> exit 1"


def test_train_check_json_lists_each_model_with_its_reasons(tmp_path, capsys):
    from composite.cli import main
    from tests.ml.conftest import write_ml_project

    root = write_ml_project(tmp_path / "p", n=120)
    assert main(["train", "--project", str(root), "--check", "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {"stale": 1, "models": [{"name": "risk", "kind": "model", "file": "models/risk.model.yaml",
                                                       "reasons": ["not trained: models/risk.artifact.json does not exist"],
                                                       "up_to_date": False}]}
    assert err == f"retrain with: composite train --project {root}\n"
    assert main(["train", "--project", str(root), "--json"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "error: --json goes with --check (training itself reports in text)"


def test_a_reader_that_goes_away_ends_the_command_with_exit_0(loan_project, monkeypatch, capsys):
    import composite.project
    from composite.cli import main

    def closed(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")  # what print raises after `| head` has exited

    monkeypatch.setattr(composite.project, "load_project", closed)
    assert main(["graph", "--project", str(loan_project)]) == 0
    assert capsys.readouterr().err == ""
