"""Reading the store for audit: hash chains, changed project files, and the store alone for explain and history.

Every decision and outcome row carries `seq` (its place in write order) and `chain` (see
composite/store/_chain.py); `verify(store)` recomputes each row's content digest and link and
reports every row edited, inserted or deleted since it was written, by id. `reading_store` opens
the store `explain` and `history` read, read-only and without a project folder when it is named;
`history` filters what they list.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from composite.store._chain import GENESIS, Link, link

if TYPE_CHECKING:
    from composite.store import DecisionStore, DecisionSummary

CHAINS = ("decisions", "outcomes")


@dataclass(frozen=True)
class Finding:
    """One row that is not as it was written.

    kind: "edited" (its content no longer matches its chain value), "inserted" (a row that does
    not follow in the chain: written outside composite), "deleted" (a record whose place in the
    chain is still there, named by its id; or places missing from the chain too: then `id` is the
    row after the gap, or None at the end, and `detail` names the row before it).
    """

    kind: str
    chain: str
    id: str | None
    seq: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.kind:8} {self.chain[:-1]} {self.id or '-'}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    """What `verify` walked and found."""

    rows: dict[str, int]
    findings: list[Finding]
    heads: dict[str, tuple[int, str] | None]  # each chain's last seq and value: keep them elsewhere

    @property
    def intact(self) -> bool:
        return not self.findings


def verify(store: "DecisionStore") -> list[Finding]:
    """Every edited, inserted or deleted row of the store's chains, in chain order (empty: intact).

    >>> from composite.store import open_store
    >>> verify(open_store("memory"))
    []
    """
    return verify_store(store).findings


def verify_store(store: "DecisionStore") -> Verification:
    """`verify` with the number of rows walked per chain."""
    rows: dict[str, int] = {}
    findings: list[Finding] = []
    heads: dict[str, tuple[int, str] | None] = {}
    for kind in CHAINS:
        heads[kind] = store.chain_head(kind)
        walked, found = _walk(kind, store.chain(kind), heads[kind])
        rows[kind] = walked
        findings += found
    return Verification(rows, findings, heads)


def _walk(kind: str, links: Iterator[Link], head: tuple[int, str] | None) -> tuple[int, list[Finding]]:
    """One chain's findings. A row whose link does not follow is edited when the next row follows
    from it, inserted when the next row follows from the row before it; a gap in seq is a deletion
    (the row after a gap cannot be checked: what it followed is gone)."""
    findings: list[Finding] = []
    head_seq = head[0] if head else 0
    previous, previous_seq, previous_id = GENESIS, 0, None
    walked = 0
    pending = next(links, None)
    while pending is not None:
        row, pending = pending, next(links, None)
        walked += 1
        if row.seq is None:
            findings.append(Finding("inserted", kind, row.id, None, "has no place in the chain (no seq): "
                                    "written outside composite, or by a store opened with chain=off"))
            continue
        if row.seq > head_seq:
            findings.append(Finding("inserted", kind, row.id, row.seq,
                                    f"seq {row.seq} is after the chain's head (seq {head_seq})"))
            continue
        if row.missing:
            findings.append(Finding("deleted", kind, row.id, row.seq, f"its place in the chain (seq {row.seq}) is "
                                    "there, the record is not"))
            previous, previous_seq, previous_id = row.chain or "", row.seq, row.id
            continue
        if row.seq <= previous_seq:
            findings.append(Finding("inserted", kind, row.id, row.seq, f"takes seq {row.seq}, the place of "
                                    f"{previous_id if row.seq == previous_seq else 'an earlier row'} in the chain"))
            continue
        if row.seq != previous_seq + 1:
            missing = row.seq - previous_seq - 1
            findings.append(Finding("deleted", kind, row.id, row.seq, f"{missing} row(s) missing (seq "
                                    f"{previous_seq + 1}..{row.seq - 1}) after {previous_id or 'the start'}, "
                                    f"before {row.id}"))
        elif row.chain != link(previous, row.content):
            after = pending if pending is not None and pending.seq == row.seq + 1 else None
            if after is not None and after.chain == link(previous, after.content):
                findings.append(Finding("inserted", kind, row.id, row.seq,
                                        f"does not follow {previous_id or 'the start'} and the next row skips it"))
                previous_seq = row.seq  # the next row still follows the one before this
                continue
            findings.append(Finding("edited", kind, row.id, row.seq,
                                    "its content is not what was written (the content hash does not match its chain)"))
        previous, previous_seq, previous_id = row.chain or "", row.seq, row.id
    if head is not None:
        if head_seq > previous_seq:
            findings.append(Finding("deleted", kind, None, head_seq, f"{head_seq - previous_seq} row(s) missing "
                                    f"at the end (seq {previous_seq + 1}..{head_seq}) after "
                                    f"{previous_id or 'the start'}"))
        elif head[1] != previous and not any(f.id == previous_id for f in findings):
            findings.append(Finding("edited", kind, previous_id, previous_seq,
                                    "the last row's chain value is not the chain's head"))
    return walked, findings


# -- changed project files ---------------------------------------------------------------------

@dataclass(frozen=True)
class FileChanges:
    """The project files that differ between a decision's snapshot and the project on disk now."""

    changed: list[str]
    added: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    def lines(self) -> list[str]:
        out = [f"  changed  {path}" for path in self.changed]
        out += [f"  added    {path}" for path in self.added]
        out += [f"  removed  {path}" for path in self.removed]
        return out


def file_changes(stored: Mapping[str, str], current: Mapping[str, str]) -> FileChanges:
    """Compare two artifact maps (relative path -> content hash).

    >>> file_changes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"})
    FileChanges(changed=['b'], added=['c'], removed=[])
    """
    return FileChanges(changed=sorted(p for p in stored.keys() & current.keys() if stored[p] != current[p]),
                       added=sorted(current.keys() - stored.keys()),
                       removed=sorted(stored.keys() - current.keys()))


def files_on_disk(project_dir: Any, stored: Mapping[str, str]) -> dict[str, str]:
    """The content hashes, now, of the files a stored snapshot names, and of knowledge files it does
    not (a project reads every knowledge/*.yaml): what `file_changes` compares, without loading the
    project (so `composite explain` stays a reading command). A file that is gone is left out."""
    import hashlib
    from pathlib import Path

    root = Path(project_dir)
    if root.is_file():
        root = root.parent
    names = set(stored) | {p.relative_to(root).as_posix() for p in (root / "knowledge").glob("*.y*ml")}
    found: dict[str, str] = {}
    resolved = root.resolve()
    for name in sorted(names):
        path = (root / name)
        try:
            if not path.resolve().is_relative_to(resolved) or not path.is_file():
                continue
            found[name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
    return found


# -- the store alone: explain and history -------------------------------------------------------

def is_project(path: str | os.PathLike[str]) -> bool:
    """A project folder (with composite.yaml) or a project file (.dmn, .fll)."""
    source = Path(path)
    return source.is_file() or (source / "composite.yaml").is_file()


def reading_store(project: str | os.PathLike[str] | None = None,
                  url: str | None = None) -> tuple["DecisionStore", Path | None]:
    """The store `explain` and `history` read, opened read-only, and the project folder whose files
    a decision's snapshot is compared with (None: there is none to compare).

    The store is `url`, else $COMPOSITE_STORE_URL; named so, it is enough (its snapshots hold every
    project version), and the project (default: the current folder) is used only when it is one.
    Without a store named, `project` must be a project and its store is .composite/decisions.db in
    it; when that file does not exist yet the project has no decisions, and an empty store is read
    (nothing is created). ProjectError when `project` is named and is not a project."""
    from composite.errors import ProjectError
    from composite.store import STORE_ENV, open_store

    url = url if url is not None else os.environ.get(STORE_ENV) or None
    source = Path(project if project is not None else ".")
    if not is_project(source):
        if url is None or project is not None:
            hint = ("name its store with --store, or the project with --project" if url is None
                    else "name a project folder with composite.yaml, or leave out --project to read the store alone")
            raise ProjectError(f"'{source}' is not a decision project: it has no composite.yaml ({hint})",
                               code="not_a_project", file=str(source / "composite.yaml"))
        return open_store(url, read_only=True), None
    folder = source if source.is_dir() else source.parent
    if url is None:
        default = folder / ".composite" / "decisions.db"
        if not default.is_file():
            return open_store("memory"), folder  # no decision was stored here yet: nothing to read, nothing made
        url = f"sqlite:///{default.as_posix()}"
    return open_store(url, read_only=True), folder


def parse_where(filters: Iterable[str]) -> list[tuple[str, str]]:
    """`NAME=VALUE` texts (history's --where) as pairs; RequestError naming a malformed one."""
    from composite.errors import RequestError

    pairs = []
    for text in filters:
        name, equals, value = text.partition("=")
        if not equals or not name.strip():
            raise RequestError(f"--where {text!r} is not NAME=VALUE (e.g. --where decision=approve)",
                               code="bad_filter", field="where")
        pairs.append((name.strip(), value.strip()))
    return pairs


def output_matches(value: Any, text: str) -> bool:
    """Whether a stored output value is the one `text` names, compared as its type reads it: a number
    as a number (0.5 is 0.50, 1 is 1.0), true/false, null, text as it is, a list or object as JSON.

    >>> output_matches(0.125, "0.125"), output_matches(True, "true"), output_matches("approve", "Approve")
    (True, True, False)
    """
    if value is None:
        return text in ("null", "")
    if isinstance(value, bool):
        return text.lower() == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            number = float(text)
        except ValueError:
            return False
        return number == value or (math.isnan(number) and math.isnan(value))
    if isinstance(value, str):
        return value == text
    from composite.store._codec import dumps, loads

    try:
        return bool(loads(text) == loads(dumps(value)))
    except ValueError:
        return False


def history(store: "DecisionStore", *, limit: int = 20, since: str | None = None, until: str | None = None,
            batch_id: str | None = None, where: Sequence[tuple[str, str]] = ()) -> list["DecisionSummary"]:
    """The newest `limit` decisions (shadows left out) made in [since, until), of one batch, whose
    outputs are all the values `where` names (pairs from `parse_where`), newest first.

    The time and batch filters run in the store; the outputs are compared here, a page at a time,
    so that every type compares as `output_matches` says."""
    from composite.errors import RequestError

    if limit < 0:
        raise RequestError(f"--limit {limit}: give 0 or more", code="bad_limit", field="limit")
    found: list[DecisionSummary] = []
    before: str | None = None
    while len(found) < limit:
        size = 500 if where else limit - len(found)
        page = store.recent(size, since=since, until=until, batch_id=batch_id, before=before)
        for row in page:
            if all(name in row.outputs and output_matches(row.outputs[name], text) for name, text in where):
                found.append(row)
                if len(found) == limit:
                    break
        if len(page) < size:
            break
        before = page[-1].id
    return found


def summary_dict(row: "DecisionSummary") -> dict[str, Any]:
    """One line of `history --json`."""
    return {"id": row.id, "created_at": row.created_at, "project": row.project,
            "project_version": row.project_version, "outputs": row.outputs, "batch_id": row.batch_id}


# -- outcomes ----------------------------------------------------------------------------------

def outcome_concept(project: Any) -> str | None:
    """The knowledge concept a project's outcomes are: composite.yaml `outcome:` when the project
    names one, else the `target:` of its model files (models/*.model.yaml), the first in file order."""
    named = getattr(project.config, "outcome", None)
    if named:
        return str(named)
    from composite._yaml import load_yaml

    for path in sorted(project.sources):
        if path.startswith("models/") and path.endswith(".model.yaml"):
            try:
                spec = load_yaml(project.sources[path], file=path)
            except Exception:  # the project loaded, so its model files did; be safe anyway
                continue
            if isinstance(spec, Mapping) and isinstance(spec.get("target"), str):
                return spec["target"]
    return None


def check_outcome(project: Any, value: Any) -> Any:
    """The outcome value, checked against the project's outcome concept (see `outcome_concept`),
    or, without one, any JSON scalar; RequestError saying what is wrong otherwise."""
    from composite.errors import RequestError

    name = outcome_concept(project)
    concept = project.knowledge.get(name) if name else None
    if concept is None:
        if not (isinstance(value, (str, int)) or (isinstance(value, float) and math.isfinite(value))):
            raise RequestError(f"an outcome is one JSON value (text, number or true/false), not {value!r}",
                               code="bad_outcome", field="value")
        return value
    checked, problem = concept.check_value(value)
    if problem is None and checked is None:
        problem = ("is null", "is null")
    if problem is not None:
        allowed = f" (one of {', '.join(map(str, concept.values))})" if concept.values else ""
        raise RequestError(f"the outcome '{name}' {problem[1]}{allowed}", code="bad_outcome", field=name)
    return checked


__all__ = ["CHAINS", "FileChanges", "Finding", "Verification", "check_outcome", "file_changes", "files_on_disk",
           "history", "is_project", "outcome_concept", "output_matches", "parse_where", "reading_store",
           "summary_dict", "verify", "verify_store"]
