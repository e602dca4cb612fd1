"""The hash chain every store keeps over its rows, and the shared pieces of the read API.

Each stored row (a decision, an outcome) gets `seq`, its place in write order, and `chain` =
sha256(previous row's chain || sha256(the row's content exactly as stored)). Rows are chained in
write order, not id order: writers in several processes make time-ordered ids concurrently, and
only the order in which the store commits them is known when the chain is extended. Decisions and
outcomes have a chain each, and each chain's head (last seq and chain) is kept in `chain_head`,
so deleting the newest rows is found too. `composite.audit.verify` walks them.
"""

from __future__ import annotations

from binascii import b2a_base64
from hashlib import sha256
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

GENESIS = ""  # the "previous chain" of a chain's first row

DECISION_FIELDS = ("id", "created_at", "project", "project_version", "project_hash", "batch_id", "outputs", "body")
OUTCOME_FIELDS = ("decision_id", "value", "recorded_at", "note")


def digest(fields: Sequence[str | None]) -> str:
    """sha256 of a row's stored texts, joined so that no two rows read alike: separated by \\x1f,
    None as a lone \\x1d, and \\x1d, \\x1e, \\x1f inside a text escaped by \\x1e (JSON text
    never holds them, so the escaping is almost never needed: the common case costs two scans)."""
    text = "\x1f".join(["\x1d" if value is None else value if "\x1d" not in value and "\x1e" not in value and
                         "\x1f" not in value else _escape(value) for value in fields])
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _escape(value: str) -> str:
    return value.replace("\x1e", "\x1e\x1e").replace("\x1f", "\x1e\x1f").replace("\x1d", "\x1e\x1d")


def decision_digest(fields: Sequence[str | None]) -> str:
    """`digest` of a decision row (DECISION_FIELDS), faster: its last two texts (outputs and body)
    are JSON, which never holds a raw control character, so only the short texts are looked at.

    The same value as `digest` for every row composite writes; for a row edited to hold one of
    the separators in its JSON, a value no unedited row has (its text holds more than seven
    \\x1f), which is all tamper evidence needs."""
    head = fields[:6]
    probe = "".join([value for value in head if value is not None])
    if "\x1d" in probe or "\x1e" in probe or "\x1f" in probe:
        parts = ["\x1d" if value is None else _escape(value) for value in head]
    else:
        parts = ["\x1d" if value is None else value for value in head]
    parts.append(fields[6] if fields[6] is not None else "\x1d")
    parts.append(fields[7] if fields[7] is not None else "\x1d")
    return sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def link(previous: str, content: str) -> str:
    """The chain value of a row whose content digest is `content`, after a row chained `previous`:
    sha256 in base64 without its padding (43 characters; hex would take 64 of a row's bytes)."""
    return b2a_base64(sha256((previous + content).encode()).digest(), newline=False)[:-1].decode()


def extend(previous: str, digests: Sequence[str]) -> list[str]:
    """The chain values of rows written in this order after `previous` (`link`, inlined: this
    runs once per row of every bulk write)."""
    out = []
    append = out.append
    for content in digests:
        previous = b2a_base64(sha256((previous + content).encode()).digest(), newline=False)[:-1].decode()
        append(previous)
    return out


@dataclass(frozen=True)
class Link:
    """One stored row as the chain sees it: `content` is recomputed from what is stored now."""

    seq: int | None
    id: str
    content: str
    chain: str | None
    missing: bool = False  # the chain names the row, but the row itself is gone


def utc_text(moment: str | datetime | None, *, field: str) -> str | None:
    """A time as the stores keep `created_at` (UTC ISO 8601), for comparing as text.

    A time written without a zone is UTC."""
    if moment is None:
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError:
            from composite.errors import StoreError

            raise StoreError(f"{field}={moment!r} is not an ISO 8601 time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)",
                             code="bad_time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def in_window(created_at: str, since: str | None, until: str | None) -> bool:
    return (since is None or created_at >= since) and (until is None or created_at < until)


def check_limit(limit: Any) -> int | None:
    if limit is None:
        return None
    if not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number, 0 or more, not {limit!r}")
    return limit


PAGE = 1000  # rows a store reads at a time for `records` and the chain


def paged_rows(fetch: Callable[[list[str], list[Any], int], list[Any]], id_of: Callable[[Any], str], *,
               placeholder: str, ids_clause: Callable[[list[str]], tuple[str, list[Any]]],
               since: Any = None, until: Any = None, batch_id: str | None = None,
               ids: Sequence[str] | None = None, limit: Any = None) -> Iterator[Any]:
    """The rows of `records(...)` in id order, a page at a time, for a SQL store: `fetch(clauses,
    args, page)` runs `SELECT ... WHERE <clauses joined by AND> ORDER BY id LIMIT page`;
    `placeholder` is the store's parameter mark, `ids_clause(ids)` its "id is one of" clause."""
    since, until = utc_text(since, field="since"), utc_text(until, field="until")
    limit = check_limit(limit)
    where, params = [], []
    for clause, value in (("created_at >=", since), ("created_at <", until), ("batch_id =", batch_id)):
        if value is not None:
            where.append(f"{clause} {placeholder}")
            params.append(value)
    wanted = None if ids is None else sorted(set(ids))
    after, given, at = "", 0, 0
    while limit is None or given < limit:
        page = PAGE if limit is None else min(PAGE, limit - given)
        clauses, args = [f"id > {placeholder}", *where], [after, *params]
        if wanted is not None:
            chunk = wanted[at:at + page]
            if not chunk:
                return
            at += page
            clauses[0], values = ids_clause(chunk)
            args[0:1] = values
        rows = fetch(clauses, args, page)
        if not rows and wanted is None:
            return
        yield from rows
        given += len(rows)
        if rows:
            after = id_of(rows[-1])


# -- ids by prefix ------------------------------------------------------------------------------

MIN_PREFIX = 6  # hex digits: fewer would name most of a minute's decisions (the first 12 are the time)
SHOWN = 5  # candidates an ambiguous prefix names


def id_range(prefix: str) -> tuple[str, str]:
    """The ids that start with `prefix` lie in [low, high) as text (ids are lowercase hex, which
    sorts below "g"; any other prefix gets the highest code point as its bound)."""
    text = prefix.strip()
    if text and all(c in "0123456789abcdef" for c in text.lower()):
        text = text.lower()
        return text, text + "g"
    return text, text + "\U0010ffff"


def resolve_prefix(prefix: str, found: Sequence[str], where: str) -> str:
    """The one id of `found` (the first SHOWN + 1 ids in `id_range(prefix)`, in id order) that
    `prefix` names: itself when stored (an exact id always wins), else the only one starting with it.

    DecisionNotFound when there is none, when the prefix is shorter than MIN_PREFIX, or, with code
    "ambiguous_id", when several start with it (up to SHOWN of them named)."""
    from composite.errors import DecisionNotFound

    low, _ = id_range(prefix)
    if found and found[0] == low:
        return found[0]
    if not found:
        raise DecisionNotFound(f"no decision with id '{prefix}' (nor one whose id starts with it) in {where}",
                               field="decision_id")
    if len(low) < MIN_PREFIX:
        raise DecisionNotFound(f"no decision with id '{prefix}' in {where}; an id prefix needs at least "
                               f"{MIN_PREFIX} characters", code="id_prefix_short", field="decision_id")
    if len(found) == 1:
        return found[0]
    more = ", ..." if len(found) > SHOWN else ""
    raise DecisionNotFound(f"the id prefix '{prefix}' is ambiguous in {where}: it starts "
                           f"{'more than ' + str(SHOWN) if more else len(found)} decision ids "
                           f"({', '.join(found[:SHOWN])}{more}); give more characters",
                           code="ambiguous_id", field="decision_id")


# -- history ------------------------------------------------------------------------------------

def summary_clauses(placeholder: str, *, since: Any = None, until: Any = None, batch_id: str | None = None,
                    before: str | None = None) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (and their parameters) of `recent`'s filters for a SQL store: `since`
    inclusive, `until` exclusive (ISO 8601, UTC without a zone), one batch, ids before `before`
    (the last id of the page before, newest first)."""
    since, until = utc_text(since, field="since"), utc_text(until, field="until")
    clauses, params = [], []
    for clause, value in (("created_at >=", since), ("created_at <", until), ("batch_id =", batch_id),
                          ("id <", before)):
        if value is not None:
            clauses.append(f"{clause} {placeholder}")
            params.append(value)
    return clauses, params
