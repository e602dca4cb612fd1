"""`composite batch` and `decide_file`: files decided chunk by chunk, rejects instead of failures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from composite import CompositeEngine
from composite import batchfile
from composite.batchfile import decide_file, read_chunks
from composite.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> CompositeEngine:
    return CompositeEngine.from_path(REPO, store="memory")


@pytest.fixture(scope="module")
def applications() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "german_credit.csv")


def expected(engine: CompositeEngine, frame: pd.DataFrame) -> pd.DataFrame:
    return engine.decide_batch(frame, record=False).drop(columns="decision_id").reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_every_format_gives_decide_batch_answers_in_the_input_order(tmp_path, engine, applications, suffix):
    source = tmp_path / f"in{suffix}"
    write(applications, source)
    result = decide_file(engine, source, tmp_path / f"out{suffix}", record=False, chunk_size=128)
    out = read(tmp_path / f"out{suffix}")
    assert (result.rows, result.decided, result.rejected) == (1000, 1000, 0)
    assert out["row"].tolist() == list(range(1000))
    assert out["decision_id"].is_unique
    pd.testing.assert_frame_equal(out.drop(columns=["row", "decision_id"]), expected(engine, applications),
                                  check_dtype=False, check_exact=True)


def test_reader_never_holds_more_than_one_chunk(tmp_path, engine, applications):
    big = pd.concat([applications, applications], ignore_index=True)  # 2,000 rows
    source = tmp_path / "in.csv"
    big.to_csv(source, index=False)
    sizes = [len(chunk.frame) for chunk in read_chunks(source, "csv", engine.project.input_schema, chunk_size=100)]
    assert max(sizes) == 100 and sum(sizes) == 2000 and len(sizes) == 20

    seen: list[int] = []
    original = engine.decide_batch

    class Spy:
        project, limits = engine.project, engine.limits

        def decide_batch(self, frame, **kwargs):
            seen.append(len(frame))
            return original(frame, **kwargs)

    decide_file(Spy(), source, tmp_path / "out.csv", record=False, chunk_size=100)  # type: ignore[arg-type]
    assert max(seen) == 100 and sum(seen) == 2000


def test_csv_columns_are_typed_from_the_schema_alike_in_every_chunk(tmp_path, engine, applications):
    # chunk 1 all integers; chunk 2 holds a blank and a text that is no integer: both rejected, nothing crashes
    source = tmp_path / "in.csv"
    applications.head(20).to_csv(source, index=False)
    lines = source.read_text().splitlines()
    lines[12] = lines[12].replace(f",{applications.loc[11, 'age']},", ",,", 1)
    lines[15] = lines[15].replace(f",{applications.loc[14, 'credit_amount']},", ",12x,", 1)
    source.write_text("\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.csv"
    result = decide_file(engine, source, tmp_path / "out.csv", rejects=rejects, record=False, chunk_size=10)
    assert (result.decided, result.rejected) == (18, 2)
    bad = pd.read_csv(rejects, keep_default_na=False, dtype=str)
    assert bad[["row", "line", "field", "code"]].values.tolist() == [
        ["11", "13", "age", "invalid_value"], ["14", "16", "credit_amount", "invalid_value"]]
    assert bad.loc[1, "message"] == "'credit_amount' expected an integer, got str '12x'"
    assert bad.loc[1, "credit_amount"] == "12x" and bad.loc[1, "checking_status"] == applications.loc[14, "checking_status"]
    out = pd.read_csv(tmp_path / "out.csv")
    assert 11 not in out["row"].tolist() and out["row"].is_monotonic_increasing


def test_jsonl_bad_lines_are_rejected_with_their_line(tmp_path, engine, applications):
    source = tmp_path / "in.jsonl"
    write(applications.head(5), source)
    lines = source.read_text().splitlines()
    lines[1] = '{"broken'
    lines[3] = "[1, 2]"
    source.write_text("\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    result = decide_file(engine, source, tmp_path / "out.jsonl", rejects=rejects, record=False, chunk_size=2)
    problems = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert result.rejected == 2
    assert [(p["row"], p["line"], p["code"]) for p in problems] == [(1, 2, "input_not_json"), (3, 4, "request_not_object")]
    assert read(tmp_path / "out.jsonl")["row"].tolist() == [0, 2, 4]


def test_recorded_chunks_are_stored(tmp_path, applications):
    engine = CompositeEngine.from_path(REPO, store=f"sqlite:///{tmp_path / 'd.db'}")
    source = tmp_path / "in.parquet"
    write(applications.head(250), source)
    result = decide_file(engine, source, tmp_path / "out.csv", chunk_size=100)
    assert engine.store.count() == 250 and len(result.batch_ids) == 3
    first = pd.read_csv(tmp_path / "out.csv").iloc[0]
    assert engine.get(first["decision_id"]).outputs["decision"] == first["decision"]


def test_command_exit_codes(tmp_path, applications, capsys):
    source = tmp_path / "in.csv"
    applications.head(30).to_csv(source, index=False)
    assert main(["batch", "--project", str(REPO), "--input", str(source), "--output", str(tmp_path / "o.csv"),
                 "--no-record", "--quiet"]) == 0
    text = source.read_text().replace(",none,", ",nope,", 1)
    source.write_text(text)
    assert main(["batch", "--project", str(REPO), "--input", str(source), "--output", str(tmp_path / "o.csv"),
                 "--no-record", "--quiet"]) == 1
    assert "1 row rejected" in capsys.readouterr().err
    assert main(["batch", "--project", str(REPO), "--input", str(source), "--output", str(tmp_path / "o.xlsx"),
                 "--no-record", "--quiet"]) == 2
    assert main(["batch", "--input", str(source), "--output", "o.csv", "--no-record", "--store", "memory"]) == 2
    assert "--no-record and --store exclude each other" in capsys.readouterr().err


def test_unknown_column_refuses_the_file_before_deciding(tmp_path, applications, capsys):
    source = tmp_path / "in.csv"
    applications.head(3).rename(columns={"age": "agee"}).to_csv(source, index=False)
    assert main(["batch", "--project", str(REPO), "--input", str(source), "--output", str(tmp_path / "o.csv"),
                 "--no-record", "--quiet"]) == 1
    assert "unknown column 'agee'" in capsys.readouterr().err


def test_progress_line_says_rate_and_eta():
    line = batchfile_progress(500, 2000, 2.0)
    assert line == "500 / 2,000 rows (25%)  250 rows/s  ETA 0:00:06"


def batchfile_progress(done, total, elapsed):
    from composite.cli.batch import progress_line

    return progress_line(done, total, elapsed)


def write(frame: pd.DataFrame, path: Path) -> None:
    fmt = batchfile.file_format(path)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)


def read(path: Path) -> pd.DataFrame:
    fmt = batchfile.file_format(path)
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype=False, precise_float=True)


def test_a_bad_byte_or_a_short_record_rejects_only_its_row(tmp_path, engine, applications):
    source = tmp_path / "in.csv"
    applications.head(4).to_csv(source, index=False)
    lines = source.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"radio_tv", b"radio\xfftv", 1)
    lines[3] = lines[3].rsplit(b",", 2)[0]  # two fields short
    source.write_bytes(b"\n".join(lines))
    rejects = tmp_path / "rejects.jsonl"
    result = decide_file(engine, source, tmp_path / "out.csv", rejects=rejects, record=False)
    problems = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(p["row"], p["field"], p["code"]) for p in problems] == [
        (0, "purpose", "invalid_value"), (2, None, "wrong_field_count")]
    assert problems[1]["message"] == "the record has 19 fields, the header 21"
    assert (result.decided, result.rejected) == (2, 2)


def test_csv_booleans_and_integers_with_values_are_typed_from_their_concepts(tmp_path):
    from tests.conftest import write_project

    root = write_project(tmp_path / "p", """
        name: typed
        outputs: [grade]
        nodes:
          - {name: g, kind: expression, writes: {grade: "if member and tier == 2 then score * 2 else score"}}
        """, """
        concepts:
          member: {type: boolean}
          tier: {type: integer, values: [1, 2, 3]}
          score: {type: number}
          grade: {type: number}
        """)
    source = tmp_path / "in.csv"
    source.write_text("member,tier,score\nTrue,2,1.5\nfalse,2,1.5\nyes,4,x\n")
    engine = CompositeEngine.from_path(root, store="memory")
    rejects = tmp_path / "bad.csv"
    decide_file(engine, source, tmp_path / "out.csv", rejects=rejects, record=False)
    assert pd.read_csv(tmp_path / "out.csv")["grade"].tolist() == [3.0, 1.5]
    bad = pd.read_csv(rejects, dtype=str)
    assert sorted(bad["field"]) == ["member", "score", "tier"] and set(bad["row"]) == {"2"}


def test_a_crash_mid_file_leaves_the_done_chunks_stored_and_the_output_readable(tmp_path, applications):
    engine = CompositeEngine.from_path(REPO, store=f"sqlite:///{tmp_path / 'd.db'}")
    source = tmp_path / "in.csv"
    applications.head(300).to_csv(source, index=False)
    calls = []
    original = engine.decide_batch

    class Crashing:
        project, limits = engine.project, engine.limits

        def decide_batch(self, frame, **kwargs):
            calls.append(len(frame))
            if len(calls) == 3:
                raise MemoryError("the machine ran out")
            return original(frame, **kwargs)

    with pytest.raises(MemoryError):
        decide_file(Crashing(), source, tmp_path / "out.csv", chunk_size=100)  # type: ignore[arg-type]
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["row"].tolist() == list(range(200)) and engine.store.count() == 200


def test_progress_off_a_terminal_is_plain_lines():
    import io

    from composite.cli.batch import progress_reporter

    stream = io.StringIO()
    report, finish = progress_reporter(300, stream=stream, every=0.0)
    report(100, 0)
    report(300, 2)
    finish()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 2  # the last line is not repeated by finish
    assert lines[0].startswith("100 / 300 rows (33%)") and lines[-1].endswith("2 rejected")
