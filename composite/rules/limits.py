"""The fixed limits of the durable-rules C core, and how a rule file is kept under them.

durable-rules 2.0.28 builds one alpha network per ruleset (a tree of single-value tests, shared
between rules that start alike) and stores it in fixed-size tables. Measured with a probe
(docs/limits.md) and read from its C source (src/rules/rules.h, rete.c, events.c, state.h):

========================  ======  ==================================================================
limit                     code    what it bounds
========================  ======  ==================================================================
MAX_STACK = 64            303     alpha nodes pending while one fact is matched (a fixed stack in
                                  events.c): from 65 rules that match one fact at once, say
                                  `x >= 1` ... `x >= 65`, *every* assertion of such a fact fails.
MAX_OPERATORS = 31        113     `$and`/`$or` operators of one rule's condition (each counts twice,
                                  open and end; MAX_SEQUENCE_EXPRESSIONS is 32): `x != "a"` is an
                                  `$or` (differs, or missing), so 15 of them in one condition fail.
MAX_BETAS = 255           108     rules whose condition ends on the same alpha node
                                  (BETA_LIST_LENGTH 256): 257 rules with the same condition (or
                                  `true`) fail to register; 256 register, but matching reads past
                                  the list's end and offers a stray rule.
MAX_NEX_CHILDREN = 127    107     "missing" tests hanging off one alpha node (NEXT_LIST_LENGTH
                                  128): 129 `x != ...` rules after the same prefix fail to
                                  register; 128 register, and matching crashes the process.
MAX_HASH_CHILDREN = 511   (hang)  distinct tests hanging off one alpha node: a 512-bucket open
                                  hash table (NEXT_BUCKET_LENGTH). At 512 every lookup of a fact's
                                  property loops forever; at 513 registering loops forever.
MAX_ACTIONS = 4096        106     rules in one ruleset (MAX_ACTIONS in rete.c).
MAX_FACT_PROPERTIES = 254 302     properties of one fact, `sid` and `id` included
                                  (MAX_OBJECT_PROPERTIES is 255, one is taken internally).
========================  ======  ==================================================================

This module never calls durable-rules: it rebuilds the alpha network the C core would build
from a ruleset given as data (same sharing of nodes) and computes an upper bound of each table's
use, the stack's included, so that `composite.rules.durable` can cut a rule file into several
durable rulesets ("chunks"), each provably under every limit. What no cut can fix (one rule's
condition too large) is refused when the file loads, with its file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from composite.errors import ProjectError
from composite.expr import Expression
from composite.rules.compile import ALWAYS_FIELD, AllOf, AnyOf, Comparison, Condition, Const, to_durable

MAX_STACK = 64
MAX_OPERATORS = 31
MAX_BETAS = 255
MAX_NEX_CHILDREN = 127
MAX_HASH_CHILDREN = 511
MAX_ACTIONS = 4096
MAX_FACT_PROPERTIES = 254
FACT_OVERHEAD = 3  # sid, id and the field every decision fact carries
MAX_ALTERNATIVES = 64  # alternatives one rule's condition may be split into
WARM_FIELD = "~w"

TOO_COMPLEX = "rules.condition_too_complex"


# -- one rule's condition as durable-rules data -------------------------------------------


def compact(condition: Condition) -> dict[str, Any]:
    """`to_durable`, with the `!=` tests of one name inside an `and` merged into one `$or`.

    `x != "a" and x != "b"` holds when x is missing, or differs from both: one `$or` (2
    operators) instead of one per test, so `x not in [...]` of any length fits in one rule.
    """
    if isinstance(condition, AllOf):
        groups: dict[str, list[Comparison]] = {}
        for item in condition.items:
            if isinstance(item, Comparison) and item.op == "!=" and item.value is not None:
                groups.setdefault(item.name, []).append(item)
        parts: list[dict[str, Any]] = []
        emitted: set[str] = set()
        for item in condition.items:
            if isinstance(item, Comparison) and item.name in groups and item.op == "!=" and item.value is not None:
                group = groups[item.name]
                if len(group) == 1:
                    parts.append(to_durable(item))
                elif item.name not in emitted:
                    emitted.add(item.name)
                    parts.append({"$or": [{"$nex": {item.name: 1}},
                                          {"$and": [{"$neq": {t.name: t.value}} for t in group]}]})
            else:
                parts.append(compact(item))
        return {"$and": parts}
    if isinstance(condition, AnyOf):
        return {"$or": [compact(item) for item in condition.items]}
    return to_durable(condition)


def wrap(condition: dict[str, Any], mark: str | None = None) -> dict[str, Any]:
    """The `m` condition of one durable rule: the decision-fact field, the test, the fired mark.

    Only decision facts carry ALWAYS_FIELD: without it, a condition made of negative tests alone
    would also match the session's own state fact and the warm-up fact.
    """
    parts: list[dict[str, Any]] = [{ALWAYS_FIELD: 1}]
    if condition != {ALWAYS_FIELD: 1}:
        parts += condition["$and"] if "$and" in condition else [condition]
    if mark is not None:  # the rule fires at most once: only while the fact has no mark of it
        parts.append({"$nex": {mark: 1}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def operators(condition: Any) -> int:
    """How many entries an `m` condition takes in its rule's expression sequence (113 past 31)."""
    if isinstance(condition, dict):
        count = 0
        for key, value in condition.items():
            if key in ("$and", "$or"):
                count += 2 + sum(operators(item) for item in value)
        return count
    return 0


def _dnf(condition: Condition, cap: int) -> list[tuple[Condition, ...]] | None:
    """The condition as alternatives of conjunctions, or None past `cap` alternatives."""
    if isinstance(condition, AnyOf):
        out: list[tuple[Condition, ...]] = []
        for item in condition.items:
            part = _dnf(item, cap)
            if part is None:
                return None
            out.extend(part)
            if len(out) > cap:
                return None
        return out
    if isinstance(condition, AllOf):
        product: list[tuple[Condition, ...]] = [()]
        for item in condition.items:
            part = _dnf(item, cap)
            if part is None or len(product) * len(part) > cap:
                return None
            product = [left + right for left in product for right in part]
        return product
    return [(condition,)]


def alternatives(condition: Condition, *, marked: bool = True) -> list[dict[str, Any]] | None:
    """The durable conditions (unwrapped) one rule becomes: normally one; None when impossible.

    A condition with more `$and`/`$or` operators than durable-rules takes is split into its
    alternatives (a rule offered by any of them fires once); each alternative must fit.
    """
    whole = compact(condition)
    mark = "~0" if marked else None
    if operators(wrap(whole, mark)) <= MAX_OPERATORS:
        return [whole]
    split = _dnf(condition, MAX_ALTERNATIVES)
    if split is None:
        return None
    out = []
    for conjunction in split:
        part = compact(AllOf(conjunction) if len(conjunction) > 1 else conjunction[0])
        if operators(wrap(part, mark)) > MAX_OPERATORS:
            return None
        if part not in out:
            out.append(part)
    return out


def check_condition(expression: Expression, condition: Condition) -> None:
    """Refuse, located, a condition durable-rules cannot hold even split into alternatives."""
    if isinstance(condition, Const):
        return
    found = alternatives(condition)
    if found is None:
        line, column = expression.location(expression.ast)
        raise ProjectError(
            f"this condition is too large for durable-rules: one rule takes at most {MAX_OPERATORS} and/or "
            f"operators (each `!=` test of a different name is one `or`: missing, or different), and a condition "
            f"split into its alternatives at most {MAX_ALTERNATIVES} alternatives of that size; split the rule "
            "into several rules, or merge tests of one name into `not in [...]`",
            code=TOO_COMPLEX, file=expression.source, line=line, column=column)
    names: set[str] = set()
    for part in found:
        names.update(_names(part))
    if len(names) > MAX_FACT_PROPERTIES - FACT_OVERHEAD:
        line, column = expression.location(expression.ast)
        raise ProjectError(
            f"this condition tests {len(names)} names; a durable-rules fact holds at most "
            f"{MAX_FACT_PROPERTIES - FACT_OVERHEAD}: split the rule, or compute a summary in an expression node",
            code=TOO_COMPLEX, file=expression.source, line=line, column=column)


def _names(condition: Any) -> Iterable[str]:
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key in ("$and", "$or"):
                for item in value:
                    yield from _names(item)
            elif key.startswith("$"):
                yield from value
            else:
                yield key
    return


# -- the alpha network, rebuilt ------------------------------------------------------------


class _Node:
    __slots__ = ("hash", "nex", "nex_count", "betas", "parents", "eq", "eq_total", "other", "max_child", "peak")

    def __init__(self) -> None:
        self.hash: dict[tuple, _Node] = {}
        self.nex: dict[str, _Node] = {}
        self.nex_count = 0
        self.betas = 0
        self.parents: list[_Node] = []
        self.eq: dict[str, dict[Any, int]] = {}
        self.eq_total = 0  # per name, the most `==` children one value can match
        self.other = 0  # children of any other kind: each may match
        self.max_child = 0
        self.peak = 0

    def matching(self) -> int:
        return self.eq_total + self.other


def _value_key(value: Any) -> tuple:
    return (type(value).__name__, value)  # 1 and 1.0 count as two nodes: the safe side


def _class(value: Any) -> Any:
    if isinstance(value, (bool, int, float)):
        return ("n", float(value))  # true, 1 and 1.0 may all match one value: counted together
    return ("s", value)


class Overflow(Exception):
    """Adding a rule would pass a limit; `args[0]` says which."""


class Network:
    """The alpha network of one durable ruleset, with an upper bound of every table it fills.

    `peak` bounds the stack of events.c: a node pushes every child that may match the fact
    (of `==` children of one name, only those equal to one value), and pops them one by one.
    """

    def __init__(self) -> None:
        self.root = _Node()
        self.actions = 0
        self.add({WARM_FIELD: 1})

    def add(self, condition: dict[str, Any]) -> None:
        """Add one rule's `m` condition; Overflow (the network is then unusable) past a limit."""
        last = self._walk(condition, self.root)
        last.betas += 1
        self.actions += 1
        if last.betas > MAX_BETAS:
            raise Overflow("rules ending on one test")
        if self.actions > MAX_ACTIONS:
            raise Overflow("rules")
        if self.root.peak > MAX_STACK:
            raise Overflow("rules matching one fact at once")

    def _walk(self, condition: dict[str, Any], parent: _Node) -> _Node:
        ((key, value),) = condition.items()  # every part is a one-key mapping
        if key == "$and":
            for item in value:
                parent = self._walk(item, parent)
            return parent
        if key == "$or":
            forward = _Node()
            for item in value:
                last = self._walk(item, parent)
                self._link_nex(last, forward)
            return forward
        if key == "$nex":
            ((name, _),) = value.items()
            child = parent.nex.get(name)
            if child is None:
                child = _Node()
                parent.nex[name] = child
                self._link_nex(parent, child)
            return child
        if key.startswith("$"):
            ((name, constant),) = value.items()
            op = key
        else:
            name, constant, op = key, value, "$eq"
        node_key = (name, op, _value_key(constant))
        child = parent.hash.get(node_key)
        if child is None:
            child = _Node()
            parent.hash[node_key] = child
            if len(parent.hash) > MAX_HASH_CHILDREN:
                raise Overflow("distinct tests after one test")
            if op == "$eq":
                counts = parent.eq.setdefault(name, {})
                before = max(counts.values(), default=0)
                cls = _class(constant)
                counts[cls] = counts.get(cls, 0) + 1
                parent.eq_total += max(counts.values()) - before
            else:
                parent.other += 1
            self._attach(parent, child)
        return child

    def _link_nex(self, parent: _Node, child: _Node) -> None:
        parent.nex_count += 1
        if parent.nex_count > MAX_NEX_CHILDREN:
            raise Overflow("missing-value tests after one test")
        parent.other += 1
        self._attach(parent, child)

    def _attach(self, parent: _Node, child: _Node) -> None:
        child.parents.append(parent)
        parent.max_child = max(parent.max_child, child.peak)
        self._bump(parent)

    @staticmethod
    def _bump(node: _Node) -> None:
        todo = [node]
        while todo:
            node = todo.pop()
            m = node.matching()
            peak = 0 if m == 0 else m - 1 + max(1, node.max_child)
            if peak != node.peak:
                node.peak = peak
                for parent in node.parents:
                    if peak > parent.max_child:
                        parent.max_child = peak
                        todo.append(parent)

    @property
    def peak(self) -> int:
        return self.root.peak


# -- cutting a rule file into chunks ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One durable rule to place: its name in the ruleset, its `m` condition, the rule it is from,
    and the names its facts must carry for it."""

    name: str
    condition: dict[str, Any]
    rule: int
    reads: frozenset[str]


MAX_NAMES = MAX_FACT_PROPERTIES - FACT_OVERHEAD  # names one decision fact can carry


def fits(entries: Sequence[Entry], *, fact_names: int) -> bool:
    """Whether all `entries` fit in one durable ruleset whose facts carry `fact_names` names."""
    if fact_names > MAX_NAMES:
        return False
    network = Network()
    try:
        for entry in entries:
            network.add(entry.condition)
    except Overflow:
        return False
    return True


def chunks(entries: Sequence[Entry], *, max_rules: int | None = None) -> list[list[Entry]]:
    """`entries` cut, in order, into groups that each fit in one durable ruleset.

    A group's facts carry the names its rules read. Raises Overflow("alone", entry) for an
    entry that does not fit even alone.
    """
    out: list[list[Entry]] = []
    current: list[Entry] = []
    names: set[str] = set()
    network = Network()
    for entry in entries:
        if current:
            try:
                if max_rules is not None and len(current) >= max_rules:
                    raise Overflow("forced")
                if len(names | entry.reads) > MAX_NAMES:
                    raise Overflow("names")
                network.add(entry.condition)
                current.append(entry)
                names |= entry.reads
                continue
            except Overflow:
                out.append(current)
        current, names, network = [entry], set(entry.reads), Network()
        try:
            if len(names) > MAX_NAMES:
                raise Overflow("names")
            network.add(entry.condition)
        except Overflow:
            raise Overflow("alone", entry) from None
    if current:
        out.append(current)
    return out


__all__ = [
    "Entry", "MAX_ACTIONS", "MAX_BETAS", "MAX_FACT_PROPERTIES", "MAX_HASH_CHILDREN", "MAX_NEX_CHILDREN",
    "MAX_NAMES", "MAX_OPERATORS", "MAX_STACK", "Network", "Overflow", "alternatives", "check_condition", "chunks", "compact",
    "fits", "operators", "wrap",
]
