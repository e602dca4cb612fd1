"""Per-column indexes for decision tables: which rows can match, found without testing each row.

A table's rows are bits of a Python int (row 0 is bit 0). For each input column, `ColumnIndex`
answers "which rows' entries in this column match this value" as such a bitset; a decision ANDs
the columns' bitsets (stopping as soon as nothing is left) and reads the matching rows off the
result. The answers are exactly `UnaryTests.test(value) is True`, FEEL's three-valued logic
included:

- numbers, strings and dates: the column's literals of that kind, sorted and deduplicated, cut the kind
  into 2m+1 segments (below the first literal, the first literal itself, between the first and
  the second, ...). Every supported test (`= c`, `!= c`, `< c`, ranges, lists, `not(...)`)
  answers one way on a whole segment, so each entry is a few segment ranges, computed from its
  structure; a value finds its segment by binary search (`bisect`, `numpy.searchsorted` for a
  batch column). Per segment the matching rows are precomputed (one cumulative XOR sweep) when
  that fits `DENSE_WORDS`; bigger indexes (a distinct range on every one of many rows) answer a
  segment with one vectorised pass over the entries' ranges and keep the recent answers.
- null, true and false: one bitset each, computed by testing every distinct entry once at build.
- any other value (a context, a list), and columns holding a test this module does not know:
  every distinct entry is tested, as the unindexed evaluation does.

`-` (any) rows are set in every answer.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date
from decimal import Decimal
from typing import Any, Sequence

import numpy as np

from composite.tables.sfeel import Comparison, Equal, Interval, NotEqual, UnaryTests, _float_exact, kind_of

# Per column, the most 64-bit words of precomputed per-segment bitsets (32 MB); above it a
# segment is answered on demand.
DENSE_WORDS = 1 << 22
_CACHE = 4096

_NULL, _FALSE, _TRUE, _BASE = 0, 1, 2, 3
_KNOWN = (Equal, NotEqual, Comparison, Interval)


def bits_of(mask: np.ndarray) -> int:
    """A boolean array as a bitset: element i is bit i."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def rows_of(bits: int) -> list[int]:
    """The set bits of a bitset, ascending."""
    if bits.bit_count() <= 16:
        rows = []
        while bits:
            low = bits & -bits
            rows.append(low.bit_length() - 1)
            bits ^= low
        return rows
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()


def _ranges(entry: UnaryTests, kind: str, where: dict[Any, int], segments: int) -> list[tuple[int, int]]:
    """The segments (half-open ranges, merged) where `entry.test(value) is True` for values of `kind`."""
    spans: list[tuple[int, int]] = []
    null = False
    for test in entry.tests:
        if isinstance(test, Interval):
            if kind_of(test.low) != kind:
                null = True
                continue
            low, high = 2 * where[test.low] + 1, 2 * where[test.high] + 1
            start = low if test.low_closed else low + 1
            end = high + 1 if test.high_closed else high
            if start < end:
                spans.append((start, end))
            continue
        value = test.value
        same = kind_of(value) == kind
        if isinstance(test, Comparison):
            if not same:
                null = True
                continue
            point = 2 * where[value] + 1
            spans.append({"<": (0, point), "<=": (0, point + 1), ">": (point + 1, segments),
                          ">=": (point, segments)}[test.op])
        elif isinstance(test, Equal):
            if same:
                point = 2 * where[value] + 1
                spans.append((point, point + 1))
            elif value is not None:
                null = True  # a value of another type: FEEL's = is null
        else:  # NotEqual
            if same:
                point = 2 * where[value] + 1
                spans += [(0, point), (point + 1, segments)]
            elif value is None:
                spans.append((0, segments))
            else:
                null = True
    merged: list[tuple[int, int]] = []
    for start, end in sorted(span for span in spans if span[0] < span[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    if not entry.negated:
        return merged
    if null:  # not(null) is null: nowhere a match
        return []
    complement, last = [], 0
    for start, end in merged:
        if last < start:
            complement.append((last, start))
        last = end
    if last < segments:
        complement.append((last, segments))
    return complement


def _literals(test: Any) -> list[Any]:
    if isinstance(test, Interval):
        return [test.low, test.high]
    return [test.value]


class _Ordered:
    """One ordered kind (number, string or date) of one column: boundaries and rows per segment."""

    def __init__(self, kind: str, entries: Sequence[UnaryTests], row_entry: np.ndarray, any_bits: int) -> None:
        found = {value for entry in entries for test in entry.tests for value in _literals(test)
                 if kind_of(value) == kind}
        self.bounds = sorted(found)
        where = {value: position for position, value in enumerate(self.bounds)}
        self.segments = 2 * len(self.bounds) + 1
        self.floats: np.ndarray | None = None
        if kind == "number":
            exact = [_float_exact(value) for value in self.bounds]
            if all(number is not None for number in exact):
                self.floats = np.array(exact, dtype=np.float64)
        spans = [_ranges(entry, kind, where, self.segments) for entry in entries]
        rows = len(row_entry)
        self.dense: list[int] | None = None
        if self.segments * ((rows + 63) // 64) <= DENSE_WORDS:
            per_entry = [0] * len(entries)
            for row, entry in enumerate(row_entry.tolist()):
                if entry < len(entries):
                    per_entry[entry] |= 1 << row
            toggles = [0] * (self.segments + 1)
            for entry, entry_spans in enumerate(spans):
                for start, end in entry_spans:
                    toggles[start] ^= per_entry[entry]
                    toggles[end] ^= per_entry[entry]
            current, dense = any_bits, []
            for segment in range(self.segments):
                current ^= toggles[segment]
                dense.append(current)
            self.dense = dense
        else:
            flat = [(start, end, entry) for entry, entry_spans in enumerate(spans) for start, end in entry_spans]
            table = np.array(flat, dtype=np.int64).reshape(-1, 3)
            self.starts, self.ends, self.owner = table[:, 0], table[:, 1], table[:, 2]
            self.row_entry = row_entry
            self.width = len(entries)
            self.cache: dict[int, int] = {}

    def segment(self, value: Any) -> int:
        position = bisect_left(self.bounds, value)
        if position < len(self.bounds) and self.bounds[position] == value:
            return 2 * position + 1
        return 2 * position

    def at(self, segment: int) -> int:
        if self.dense is not None:
            return self.dense[segment]
        bits = self.cache.get(segment)
        if bits is None:
            hit = np.zeros(self.width + 1, dtype=bool)
            hit[self.width] = True  # `-` rows
            hit[self.owner[(self.starts <= segment) & (self.ends > segment)]] = True
            bits = bits_of(hit[self.row_entry])
            if len(self.cache) >= _CACHE:
                self.cache.clear()
            self.cache[segment] = bits
        return bits

    def codes(self, numbers: np.ndarray) -> np.ndarray:
        """Segments of a float column (NaN rows get any segment: the caller marks them null)."""
        assert self.floats is not None
        position = np.searchsorted(self.floats, numbers, side="left")
        clipped = np.minimum(position, max(len(self.floats) - 1, 0))
        equal = (position < len(self.floats)) & (self.floats[clipped] == numbers) if len(self.floats) else \
            np.zeros(numbers.shape, dtype=bool)
        return 2 * position + equal


class ColumnIndex:
    """Which rows' entries in one input column match a value, as a bitset.

    `entries` are the column's distinct entries; `row_entry[row]` is the row's entry position,
    or -1 for `-`.
    """

    def __init__(self, entries: Sequence[UnaryTests], row_entry: Sequence[int]) -> None:
        self.entries = tuple(entries)
        width = len(self.entries)
        self.row_entry = np.array([entry if entry >= 0 else width for entry in row_entry], dtype=np.intp)
        self.any_bits = bits_of(self.row_entry == width)
        self.null_bits = self.scan(None)
        self.false_bits = self.scan(False)
        self.true_bits = self.scan(True)
        known = all(type(test) in _KNOWN for entry in self.entries for test in entry.tests)
        self.number = _Ordered("number", self.entries, self.row_entry, self.any_bits) if known else None
        self.string = _Ordered("string", self.entries, self.row_entry, self.any_bits) if known else None
        self.date = _Ordered("date", self.entries, self.row_entry, self.any_bits) if known else None

    def scan(self, value: Any) -> int:
        """Test every distinct entry: the unindexed way, for values no index holds."""
        hit = np.fromiter((entry.test(value) is True for entry in self.entries), dtype=bool,
                          count=len(self.entries))
        return bits_of(np.append(hit, True)[self.row_entry])

    def bits(self, value: Any) -> int:
        """Rows matching `value` (already through `to_feel`)."""
        if value is None:
            return self.null_bits
        if value is True:
            return self.true_bits
        if value is False:
            return self.false_bits
        kind = type(value)
        if kind is Decimal and self.number is not None:
            return self.number.at(self.number.segment(value))
        if kind is str and self.string is not None:
            return self.string.at(self.string.segment(value))
        if kind is date and self.date is not None:
            return self.date.at(self.date.segment(value))
        return self.scan(value)

    # -- batches: a code per value, then the bits of each code used ----------------------------

    def code(self, value: Any, extra: list[Any]) -> int:
        """A code that determines the answer: values with one code match the same rows."""
        if value is None:
            return _NULL
        if value is True:
            return _TRUE
        if value is False:
            return _FALSE
        kind = type(value)
        if kind is Decimal and self.number is not None:
            return _BASE + self.number.segment(value)
        if kind is str and self.string is not None:
            return _BASE + self.number.segments + self.string.segment(value)  # type: ignore[union-attr]
        if kind is date and self.date is not None:
            return _BASE + self.number.segments + self.string.segments + self.date.segment(value)  # type: ignore
        extra.append(value)
        return self._extra_base + len(extra) - 1

    @property
    def _extra_base(self) -> int:
        if self.number is None or self.string is None or self.date is None:
            return _BASE
        return _BASE + self.number.segments + self.string.segments + self.date.segments

    def float_codes(self, numbers: np.ndarray, missing: np.ndarray) -> np.ndarray | None:
        """Codes of a whole float column by binary search, or None when a bound is not a float."""
        if self.number is None or self.number.floats is None:
            return None
        codes = _BASE + self.number.codes(numbers)
        codes[missing] = _NULL
        return codes

    def bits_of_code(self, code: int, extra: list[Any]) -> int:
        if code == _NULL:
            return self.null_bits
        if code == _TRUE:
            return self.true_bits
        if code == _FALSE:
            return self.false_bits
        if code >= self._extra_base:
            return self.scan(extra[code - self._extra_base])
        segment = code - _BASE
        assert self.number is not None and self.string is not None and self.date is not None
        if segment < self.number.segments:
            return self.number.at(segment)
        segment -= self.number.segments
        if segment < self.string.segments:
            return self.string.at(segment)
        return self.date.at(segment - self.string.segments)


__all__ = ["ColumnIndex", "DENSE_WORDS", "bits_of", "rows_of"]
