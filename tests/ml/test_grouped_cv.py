"""Cross-validation keeps identical rows on one side of every split (issue 12's finding: a store's
data holds the same applicant more than once, and copies on both sides of a split let a fold score
rows it trained on, so the candidate's own AUC was 0.860 where new applicants gave 0.805)."""

from __future__ import annotations

import numpy as np

from composite.ml.train import _grouped_splits, duplicate_groups


def test_distinct_rows_are_not_grouped():
    matrix = np.arange(20, dtype=np.float64).reshape(10, 2)
    assert duplicate_groups(matrix) is None


def test_identical_rows_share_a_group_and_missing_values_match():
    matrix = np.array([[1.0, np.nan], [2.0, 3.0], [1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    groups = duplicate_groups(matrix)
    assert groups is not None
    assert groups[0] == groups[2] and groups[1] == groups[3]
    assert len(set(groups.tolist())) == 3


def test_no_group_is_on_both_sides_of_a_split_and_every_row_is_tested_once_per_repeat():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(120, 4))
    picks = rng.integers(0, 120, size=400)  # a resample with replacement: many copies
    matrix, y = base[picks], (base[picks, 0] > 0).astype(np.int64)
    groups = duplicate_groups(matrix)
    assert groups is not None
    tested = np.zeros((2, len(y)), dtype=int)
    for index, (train, test) in enumerate(_grouped_splits(matrix, y, groups, 5, 2, seed=11)):
        assert not set(groups[train]) & set(groups[test])
        tested[index // 5, test] += 1
    assert (tested == 1).all()
