"""composite.spark.decide: the same answers as decide_batch, row for row, on Spark in local mode."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'composite-decisions[spark]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java: no `java` on PATH", allow_module_level=True)

from composite import CompositeEngine  # noqa: E402
from composite import spark as composite_spark  # noqa: E402
from composite.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run the tests' Python
    session = (SparkSession.builder.master("local[2]").appName("composite-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "150")
               .getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="module")
def applications() -> pd.DataFrame:
    data = pd.read_csv(REPO / "data" / "german_credit.csv").drop(columns="default")
    return data.head(400)


@pytest.fixture(scope="module")
def expected(applications) -> pd.DataFrame:
    engine = CompositeEngine.from_path(REPO, store="memory")
    return engine.decide_batch(applications, record=False)


def test_decide_equals_decide_batch_row_for_row(spark, applications, expected):
    frame = spark.createDataFrame(applications)  # partitions in the rows' order
    decided = composite_spark.decide(frame, REPO).toPandas()
    assert decided.columns.tolist() == expected.columns.tolist()
    assert decided["decision_id"].is_unique and len(decided) == len(applications)
    pd.testing.assert_frame_equal(decided.drop(columns="decision_id"),
                                  expected.drop(columns="decision_id").reset_index(drop=True),
                                  check_dtype=False, check_exact=True)


def test_output_schema_follows_the_output_concepts(spark, applications):
    schema = composite_spark.decide(spark.createDataFrame(applications.head(5)), REPO).schema
    assert {f.name: f.dataType.typeName() for f in schema.fields} == {
        "decision_id": "string", "decision": "string", "reason": "string", "probability_of_default": "double",
        "expert_probability": "double", "default_probability": "double", "expert_score": "long",
        "affordability": "double"}


def test_each_partition_is_stored_in_the_store(spark, applications, expected, tmp_path):
    url = f"sqlite:///{tmp_path / 'spark.db'}"
    decided = composite_spark.decide(spark.createDataFrame(applications), REPO, url).toPandas()
    engine = CompositeEngine.from_path(REPO, store=url)
    assert engine.store.count() == len(applications)
    row = decided.iloc[7]
    assert engine.get(row["decision_id"]).outputs["decision"] == row["decision"] == expected["decision"].iloc[7]


def test_collect_keeps_rejected_rows_with_their_problems(spark, applications, expected):
    bad = applications.head(6).astype({"age": object})
    bad.loc[2, "age"] = None
    decided = composite_spark.decide(spark.createDataFrame(bad), REPO, on_error="collect").toPandas()
    assert decided["decision_id"].isna().tolist() == [False, False, True, False, False, False]
    assert '"code": "invalid_value"' in decided.loc[2, "problems"] and decided["problems"].isna().sum() == 5
    assert decided.loc[3, "decision"] == expected["decision"].iloc[3]


def test_batch_command_with_spark_engine(tmp_path, applications, expected):
    source = tmp_path / "in.csv"
    data = applications.head(50).copy()
    data.to_csv(source, index=False)
    text = source.read_text().splitlines()
    text[5] = text[5].replace(f",{data.loc[4, 'age']},", ",4x,", 1)
    source.write_text("\n".join(text) + "\n")
    code = main(["batch", "--engine", "spark", "--project", str(REPO), "--input", str(source),
                 "--output", str(tmp_path / "out.csv"), "--rejects", str(tmp_path / "bad.csv"), "--no-record", "--quiet"])
    assert code == 1
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["row"].tolist() == [i for i in range(50) if i != 4]
    assert out["decision"].tolist() == expected["decision"].iloc[[i for i in range(50) if i != 4]].tolist()
    bad = pd.read_csv(tmp_path / "bad.csv", dtype=str)
    assert bad[["row", "field"]].values.tolist() == [["4", "age"]] and bad.loc[0, "age"] == "4x"
