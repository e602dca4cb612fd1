"""Hostile request files through `composite decide --input FILE`, each in its own process.

For each: exit 1 or 2, one headline error line on stderr, no traceback, the field (or the input
file) named, nothing added to the real SQLite store, and the process ends (timeout, memory cap).
The same texts in process: `parse_json_request` + `decide` end in a RequestError.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from composite import CompositeEngine, RequestError
from composite.limits import parse_json_request
from tests.hostile.bounds import assert_clean_failure, bounded, run_cli
from tests.hostile.corpus import BAD_TEXTS, BadText
from tests.hostile.project import copy_default_project, stored


def _cases(cli: bool = False) -> list[Any]:
    def defect(case: BadText) -> str | None:
        return case.known_defect or (case.cli_defect if cli else None)
    return [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=defect(c)))
            if defect(c) else pytest.param(c, id=c.id) for c in BAD_TEXTS]


def _decide(root: Path, db: Path, request: str) -> Any:
    return run_cli(["decide", "--project", str(root), "--store", f"sqlite:///{db}", "--input", request])


@pytest.mark.parametrize("case", _cases(cli=True))
def test_cli_decide_refuses_a_bad_request_file(hostile, tmp_path, case: BadText):
    root, db = hostile
    request = tmp_path / "request.json"
    request.write_bytes(case.make())
    before = stored(db)
    done = _decide(root, db, str(request))
    assert_clean_failure(done, where=[f"field '{case.where}'" if case.where else str(request)])
    assert stored(db) == before


@pytest.mark.parametrize("case", _cases())
def test_the_same_texts_in_process_end_in_a_request_error(engine, hostile, case: BadText):
    before = stored(hostile[1])
    with bounded(), pytest.raises(RequestError) as caught:
        engine.decide(parse_json_request(case.make(), where="request.json"))
    error = caught.value
    if case.where:
        assert case.where.encode().decode("unicode_escape") in {p.field for p in error.problems}
    else:
        assert error.file == "request.json" or error.code in ("request_not_object", "missing_field")
    assert len(str(error)) < 2_000 and stored(hostile[1]) == before


def _make_input(kind: str, tmp_path: Path) -> str:
    path = tmp_path / "in.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block forever: it must be refused before opening
    elif kind == "dev-zero":
        return "/dev/zero"
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "missing":
        pass
    elif kind == "unreadable":
        path.write_text("{}")
        path.chmod(0)
    return str(path)


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-zero", "symlink-to-dev-zero", "missing", "unreadable"])
def test_cli_decide_refuses_an_input_that_is_not_a_regular_readable_file(hostile, tmp_path, kind):
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    if kind in ("dev-zero", "symlink-to-dev-zero") and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    root, db = hostile
    spec = _make_input(kind, tmp_path)
    before = stored(db)
    done = _decide(root, db, spec)
    assert_clean_failure(done, where=[spec])
    assert stored(db) == before


@pytest.mark.parametrize("args", [
    pytest.param(["decide"], id="no-input"),
    pytest.param(["decide", "--input"], id="input-without-file"),
    pytest.param(["decide", "--input", "x.json", "--bogus"], id="unknown-option"),
    pytest.param(["frobnicate"], id="unknown-command"),
    pytest.param(["history", "--limit", "many"], id="history-limit-not-a-number"),
])
def test_wrong_usage_exits_2_with_one_error_line(hostile, args):
    root, db = hostile
    before = stored(db)
    done = run_cli(args, cwd=root)
    assert done.returncode == 2
    assert_clean_failure(done)
    assert stored(db) == before


def test_cli_decide_reads_stdin_within_the_same_bounds(hostile):
    root, db = hostile
    before = stored(db)
    done = run_cli(["decide", "--project", str(root), "--store", f"sqlite:///{db}", "--input", "-"],
                   stdin=b'{"note": "' + b"x" * 10_000_001 + b'"}')
    assert_clean_failure(done, where=["standard input"])
    assert stored(db) == before


# -- the default project, copied so its store may be written -------------------------------------

DEFAULT_TEXTS = {
    "duplicate-key": (b'{"age": 30, "age": 31}', None),
    "literal-1e400-integer": (b'{"credit_amount": 1e400}', "credit_amount"),
    "wrong-type-boolean": (b'{"telephone": "yes"}', "telephone"),
    "unknown-category": (b'{"purpose": "yacht"}', "purpose"),
}


@pytest.fixture(scope="module")
def default_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    base = tmp_path_factory.mktemp("default-cli")
    root = copy_default_project(base / "project")
    db = base / "decisions.db"
    sample = (root / "data" / "sample_application.json").read_bytes()
    with CompositeEngine.from_path(root, store=f"sqlite:///{db}") as engine:
        engine.decide(parse_json_request(sample))
    return root, db, sample


@pytest.mark.parametrize("name", sorted(DEFAULT_TEXTS))
def test_cli_decide_on_the_default_project_refuses_bad_requests(default_copy, tmp_path, name):
    import json

    root, db, sample = default_copy
    text, field = DEFAULT_TEXTS[name]
    if field:  # the sample application with that field's text put in its place (1e400 stays as written)
        others = {k: v for k, v in json.loads(sample).items() if k != field}
        text = json.dumps(others)[:-1].encode() + b", " + text.strip()[1:]
    request = tmp_path / "request.json"
    request.write_bytes(text)
    before = stored(db)
    done = _decide(root, db, str(request))
    assert_clean_failure(done, where=[f"field '{field}'" if field else str(request)])
    assert stored(db) == before


@pytest.mark.parametrize("text, found", [
    (b"[1, 2, 3]", "a JSON array of 3 values"),
    (b'"x"', "the JSON string 'x'"),
    (b"null", "JSON null"),
], ids=["array", "string", "null"])
@pytest.mark.parametrize("via", ["file", "stdin"])
def test_cli_decide_says_where_a_request_that_is_not_an_object_is_and_what_it_is(hostile, tmp_path, text, found, via):
    root, db = hostile
    before = stored(db)
    if via == "file":
        request = tmp_path / "request.json"
        request.write_bytes(text)
        done, where = _decide(root, db, str(request)), str(request)
    else:
        done = run_cli(["decide", "--project", str(root), "--store", f"sqlite:///{db}", "--input", "-"], stdin=text)
        where = "standard input"
    assert_clean_failure(done, where=[where])
    assert f"{where}: the request is {found}, not an object: expected a JSON object" in done.stderr
    assert "request_not_object" in done.stderr
    assert stored(db) == before
