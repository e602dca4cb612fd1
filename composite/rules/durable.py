"""The one module that touches durable-rules: rule sets registered in its C core, decisions run there.

durable-rules keeps every ruleset and session in global C state that is not thread-safe, refuses
a ruleset name twice and fails past 1,024 live sessions per ruleset. Everything that calls it
lives here, behind one lock.

How a decision runs (forward chaining to a fixpoint)
----------------------------------------------------
The decision's values become one fact in a session of the rule set. durable-rules matches every
rule against it and offers the matching rules in priority order (its salience, `pri`); each rule
that fires assigns its constants. When an assignment changes a name that conditions test, the
fact is replaced by one carrying the new values plus a mark per rule that already fired (each
condition requires its own mark to be absent, so a rule fires at most once per decision), and
durable-rules re-matches: rules can become ready or stop being ready. The decision ends when no
ready rule is left, so it always ends (at most one firing per rule). Names no rule assigned take
the file's defaults; no rule firing is a normal result.

Why the C core is called directly, and why sessions are reused
--------------------------------------------------------------
`durable.engine.Host` starts two timer threads that call into the C core every 0.2 to 0.5 s
without any lock, and round-trips JSON through Python objects on every call; this module calls
the same C functions (`durable_rules_engine`) itself, under `_LOCK`, with JSON text it builds.
Creating and deleting a session costs from 10 to over 150 µs in the C core, depending on the
allocator's state (each session allocates and initialises several kB of pools), while a whole
decision in a warm session takes about 15 µs. So each rule set keeps one warm session, which a
decision uses under the lock (the lock serialises every decision anyway) and leaves empty: its
fact retracted, no action pending, so nothing of one decision is visible to the next. A
decision that fails half-way deletes the session outright; the next one creates a fresh one.
A session is warmed up (one action started and completed) before first use because
durable-rules 2.0.28 leaves a new session's action context uninitialised, and `delete_state`
would free garbage.

Two more traits of the C core shape the conditions: a session's own state fact is matched like
any fact, so every rule also requires a field only decision facts carry; and a rule whose
condition has an `or` is offered once per alternative that holds, so later offers are skipped.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import durable_rules_engine as _core

from composite.temporal import moment
from composite.errors import EvaluationError, ProjectError
from composite.rules import limits
from composite.rules.compile import ALWAYS_FIELD, equal
from composite.rules.format import RuleSet

_LOCK = threading.Lock()  # every call into the C core holds it
_SESSION_IDS = itertools.count(1)
_REGISTRATIONS = itertools.count(1)
_REGISTRY: "weakref.WeakValueDictionary[tuple[str, str | None], RuleEngine]" = weakref.WeakValueDictionary()
_RETIRED: list[tuple[int, list[str]]] = []  # (handle, session ids) of rule sets nobody uses any more

_WARM_RULE = "w"
_WARM_FIELD = limits.WARM_FIELD
_HANDLED, _NOT_HANDLED = 0, 1
_CHUNK = 256  # rows decided per lock acquisition in a batch

_ALWAYS = ',"%s":1' % ALWAYS_FIELD  # every fact carries it: `true` and `false` conditions test it
_encode_text = json.encoder.encode_basestring  # json.dumps(ensure_ascii=False)'s own escaping
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _reset_lock_after_fork() -> None:
    global _LOCK
    _LOCK = threading.Lock()  # a fork while another thread held the lock must not deadlock the child


os.register_at_fork(after_in_child=_reset_lock_after_fork)


# -- JSON text in the form durable-rules parses --------------------------------------------------


def encode(value: Any) -> str:
    """JSON text durable-rules reads back exactly.

    Its number parser refuses an exponent without a decimal point (`1e+20`, Python's repr of
    1e20), so such floats are written `1.0e+20`; NaN and infinities have no JSON form at all.
    """
    kind = type(value)
    if kind is str:
        return _encode_text(value)
    if kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:
            return int.__repr__(value)
        raise ValueError(f"{value} does not fit in 64 bits")
    if kind is float:
        return _float(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is dict:
        return "{" + ",".join(_encode_text(str(k)) + ":" + encode(v) for k, v in value.items()) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join(encode(v) for v in value) + "]"
    # A date, time or duration is written as the integer `composite.temporal.moment` gives it,
    # which orders as the values do: `loss_date >= date("2026-01-01")` compares two such integers.
    number = moment(value)
    if number is not None:
        return int.__repr__(number)
    return encode(plain(value))


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    text = float.__repr__(value)
    if "e" in text and "." not in text:
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0e{exponent}"
    return text


_PLAIN = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A value as rules see it: numpy scalars and str/int/float subclasses become plain Python."""
    if type(value) in _PLAIN:
        return value
    if moment(value) is not None:  # a date, time or duration: itself; `encode` writes it as a number
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if item is not None and not isinstance(value, (str, bytes)):
        value = item()
        if type(value) in _PLAIN:
            return value
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    raise ValueError(f"unsupported value {value!r} of type {type(value).__name__}; "
                     "rules compare text, numbers, true/false, dates, times, durations and null")


# -- what a decision produced ----------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One decision of a rule set.

    `fired`: (rule index, the values its condition tested when it fired), in firing order.
    `overridden`: (name, losing rule index, its value, winning rule index, the value kept).
    """

    values: dict[str, Any]
    fired: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    overridden: list[tuple[str, int, Any, int, Any]] = field(default_factory=list)
    defaults_used: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Plan:
    """One rule as the decision loop uses it."""

    index: int
    priority: int
    reads: tuple[str, ...]
    then: tuple[tuple[str, Any], ...]
    mark: str  # ',"~<index>":1': the fact's note that this rule fired
    rank: int = 0  # position in firing order: priority, then file order


@dataclass(slots=True)
class _Chunk:
    """One durable ruleset holding some of a rule file's rules (all of them, when it fits)."""

    name: str
    definition: dict[str, Any]
    plan_of: dict[str, int]  # durable rule name -> rule index
    keys: tuple[tuple[str, str], ...]  # (name, ',"name":') of every name its facts carry
    handle: int = 0
    sessions: list[str] = field(default_factory=list)  # the warm session's id, when there is one


# -- a rule set in the C core ----------------------------------------------------------------


def engine_for(ruleset: RuleSet) -> "RuleEngine":
    """The registered engine of this exact rule file version (registered on first use).

    Two loads of the same file content share one registration; a changed file is a new
    version, registered beside the old one, which keeps serving whoever still holds it.
    """
    key = (ruleset.digest or ruleset.version, ruleset.file)
    with _LOCK:
        _free_retired()
        engine = _REGISTRY.get(key)
        if engine is None:
            engine = RuleEngine(ruleset, _locked=True)
            _REGISTRY[key] = engine
        return engine


class RuleEngine:
    """A rule set registered in durable-rules under a versioned name, deciding one fact at a time.

    Thread-safe: decisions of all rule sets are serialised on one lock (the C core is global).

    A rule file that fits in one durable ruleset (see composite.rules.limits) is registered as
    one, and durable-rules drives the agenda. A larger one is cut into chunks, each a durable
    ruleset under every limit: a decision posts its fact to every chunk, collects the rules
    that match, and fires them here in the same order (priority, then file order), re-posting
    to the chunks whose rules test a name that changed, until none is ready: the same fixpoint.
    `chunk_rules` forces chunks of at most that many durable rules (tests compare both ways).
    """

    def __init__(self, ruleset: RuleSet, *, _locked: bool = False, chunk_rules: int | None = None) -> None:
        self.ruleset = ruleset
        self.version = ruleset.version
        self.name = f"{ruleset.version}#{next(_REGISTRATIONS)}"  # unique per registration
        self._inputs = tuple(ruleset.reads)
        self._input_keys = tuple((name, "," + _encode_text(name) + ":") for name in self._inputs)
        self._chained = ruleset.chained
        self._chained_keys = {name: "," + _encode_text(name) + ":" for name in self._chained}
        self._policy = ruleset.conflict
        self._defaults = dict(ruleset.defaults)
        self._writes = tuple(ruleset.writes)
        order = sorted(ruleset.rules, key=lambda r: (-r.priority, r.index))  # ties: file order
        ranks = {rule.index: rank for rank, rule in enumerate(order)}
        self._plans = tuple(
            _Plan(rule.index, rule.priority, rule.reads, tuple(rule.then.items()), f',"~{rule.index}":1',
                  ranks[rule.index])
            for rule in ruleset.rules
        )
        self._chunks = self._plan(order, ranks, chunk_rules)
        self.split = len(self._chunks) > 1 or chunk_rules is not None
        self.definition = self._chunks[0].definition
        # chained name -> the chunks whose rules test it (re-posted when it changes)
        self._readers: dict[str, tuple[int, ...]] = {
            name: tuple(i for i, chunk in enumerate(self._chunks) if any(k == name for k, _ in chunk.keys))
            for name in self._chained
        }
        if _locked:
            self._register()
        else:
            with _LOCK:
                self._register()
        self._handle = self._chunks[0].handle
        self._sessions = self._chunks[0].sessions
        finalizer = weakref.finalize(self, _retire, [(c.handle, c.sessions) for c in self._chunks])
        finalizer.atexit = False  # at interpreter exit the process frees everything anyway

    @property
    def chunk_count(self) -> int:
        """How many durable rulesets hold this rule set (1 unless it had to be cut)."""
        return len(self._chunks)

    def _plan(self, order: list, ranks: dict[int, int], chunk_rules: int | None) -> list[_Chunk]:
        """The durable rulesets of this rule file: one when everything fits, else chunks."""
        marked = bool(self._chained)
        entries_marked: list[limits.Entry] = []
        entries: list[limits.Entry] = []
        for rule in order:
            alternatives = limits.alternatives(rule.condition, marked=True)
            if alternatives is None:  # load_ruleset refuses these; a rule set built by hand may not
                line, column = rule.when.location(rule.when.ast)
                raise ProjectError(f"rule '{rule.name}': its condition is too large for durable-rules",
                                   code=limits.TOO_COMPLEX, file=self.ruleset.file, line=line, column=column)
            reads = frozenset(rule.reads)
            for k, condition in enumerate(alternatives):
                name = str(rule.index) if k == 0 else f"{rule.index}.{k}"
                mark = f"~{rule.index}" if marked else None
                entries_marked.append(limits.Entry(name, limits.wrap(condition, mark), rule.index, reads))
                entries.append(limits.Entry(name, limits.wrap(condition), rule.index, reads))
        fact_names = len(self._inputs) + len(self._chained) + (len(order) if marked else 0)
        if chunk_rules is None and limits.fits(entries_marked, fact_names=fact_names):
            return [self._chunk(entries_marked, ranks, self._inputs + tuple(self._chained), 0)]
        # Chunks: rules that test no assigned name first, so that a write re-posts fewer chunks.
        chained = self._chained
        entries.sort(key=lambda e: (bool(e.reads & chained), ranks[e.rule]))
        try:
            groups = limits.chunks(entries, max_rules=chunk_rules)
        except limits.Overflow as exc:
            rule = self.ruleset.rules[exc.args[1].rule]
            line, column = rule.when.location(rule.when.ast)
            raise ProjectError(f"rule '{rule.name}' does not fit in a durable-rules ruleset even alone "
                               f"(too many {exc.args[0]})", code=limits.TOO_COMPLEX, file=self.ruleset.file,
                               line=line, column=column) from None
        out = []
        for number, group in enumerate(groups):
            read = {name for entry in group for name in entry.reads}
            names = tuple(n for n in self._inputs + tuple(self._chained) if n in read)
            out.append(self._chunk(group, ranks, names, number))
        return out

    def _chunk(self, entries: list[limits.Entry], ranks: dict[int, int], names: tuple[str, ...],
               number: int) -> _Chunk:
        definition: dict[str, Any] = {}
        for entry in entries:
            definition[entry.name] = {"all": [{"m": entry.condition}], "pri": ranks[entry.rule]}
        definition[_WARM_RULE] = {"all": [{"m": {_WARM_FIELD: 1}}], "pri": len(ranks) + 1}
        name = self.name if number == 0 else f"{self.name}/{number}"
        return _Chunk(name, definition, {entry.name: entry.rule for entry in entries},
                      tuple((n, "," + _encode_text(n) + ":") for n in names))

    def _register(self) -> None:
        """Create every chunk's ruleset in the core (lock held); all or none."""
        done: list[_Chunk] = []
        try:
            for chunk in self._chunks:
                chunk.handle = _core.create_ruleset(chunk.name, encode(chunk.definition))
                done.append(chunk)
        except Exception as exc:
            for chunk in done:
                try:
                    _core.delete_ruleset(chunk.handle)
                except Exception:
                    pass
            raise ProjectError(f"durable-rules refused rule set '{self.version}': {exc}", code="rules.engine",
                               file=self.ruleset.file) from None

    # -- sessions (lock held) ------------------------------------------------------------------

    def _session(self) -> str:
        return _chunk_session(self._chunks[0])

    def _discard_session(self) -> None:
        """After a failure half-way: delete the sessions with everything in them."""
        for chunk in self._chunks:
            if chunk.sessions:
                sid = chunk.sessions.pop()
                try:
                    _core.delete_state(chunk.handle, sid)
                except Exception:  # the session may not exist in the core; nothing left to free then
                    pass

    def live_facts(self) -> list[dict[str, Any]]:
        """Facts left in the warm sessions: always empty between decisions (for tests and checks)."""
        out: list[dict[str, Any]] = []
        with _LOCK:
            for chunk in self._chunks:
                if chunk.sessions:
                    sid = chunk.sessions[0]
                    out += json.loads(_core.get_facts(chunk.handle, sid))
                    out += json.loads(_core.get_events(chunk.handle, sid))
        return out

    # -- deciding --------------------------------------------------------------------------------

    def decide(self, values: Mapping[str, Any]) -> Outcome:
        """Run the rules on one decision's values (missing names are null)."""
        with _LOCK:
            return self._decide_split(values) if self.split else self._decide(values)

    def decide_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Outcome]:
        """`decide` for each row, in order; the lock is taken per chunk of rows, not per row."""
        rows = rows if isinstance(rows, Sequence) else list(rows)
        out: list[Outcome] = []
        decide = self._decide_split if self.split else self._decide
        for start in range(0, len(rows), _CHUNK):
            with _LOCK:
                for row in rows[start:start + _CHUNK]:
                    out.append(decide(row))
        return out

    def _decide(self, values: Mapping[str, Any]) -> Outcome:
        current, encoded = self._read(values)
        body = "".join(key + encoded[name] for name, key in self._input_keys if name in encoded)
        sid = self._sessions[0] if self._sessions else self._session()
        handle = self._handle
        try:
            result = _core.assert_fact(handle, '{"sid":"%s","id":"1"%s%s}' % (sid, _ALWAYS, body))
            if result[0] != _HANDLED:
                if result[0] != _NOT_HANDLED:
                    raise EvaluationError(f"durable-rules refused the facts of rule set '{self.version}' "
                                          f"(code {result[0]})", code="rules.engine")
                return self._finish({}, [], [])  # no rule matched: nothing was stored
            offset = result[1]
            fact_id = 1
            stored = True
            started = _core.start_action_for_state(handle, offset)
            message = started[1] if started is not None else None
            plans = self._plans
            written: dict[str, Any] = {}
            writer: dict[str, int] = {}
            fired: list[tuple[int, dict[str, Any]]] = []
            overridden: list[tuple[str, int, Any, int, Any]] = []
            marks: list[str] = []
            done: set[int] = set()
            plan_of = self._chunks[0].plan_of
            while message is not None:
                plan = plans[plan_of[message[2:message.index('"', 2)]]]
                if plan.index in done:
                    # durable-rules offers a rule once per alternative of an `or` that holds.
                    message = _core.complete_and_start_action(handle, offset)
                    continue
                done.add(plan.index)
                fired.append((plan.index, {name: current.get(name) for name in plan.reads}))
                changed = self._assign(plan, plans, written, writer, overridden)
                current.update(changed)
                if self._chained:
                    marks.append(plan.mark)
                if changed:
                    # Replace the fact: the new values and marks re-match every rule that has not fired.
                    if stored:
                        _core.retract_fact(handle, '{"sid":"%s","id":"%d"}' % (sid, fact_id))
                    fact_id += 1
                    chained = "".join(self._chained_keys[n] + encode(v) for n, v in written.items()
                                      if n in self._chained and v is not None)
                    fact = '{"sid":"%s","id":"%d"%s%s%s%s}' % (sid, fact_id, _ALWAYS, body, chained, "".join(marks))
                    stored = _core.assert_fact(handle, fact)[0] == _HANDLED
                message = _core.complete_and_start_action(handle, offset)
            if stored:
                _core.retract_fact(handle, '{"sid":"%s","id":"%d"}' % (sid, fact_id))
        except BaseException:
            self._discard_session()
            raise
        return self._finish(written, fired, overridden)

    def _read(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The facts a decision starts from: every input's plain value, and the durable encoding of
        those that are not null."""
        current: dict[str, Any] = {}
        encoded: dict[str, str] = {}
        try:
            for name, _ in self._input_keys:
                value = values.get(name)
                if type(value) not in _PLAIN:
                    value = plain(value)
                current[name] = value
                if value is not None:
                    encoded[name] = _encode_text(value) if type(value) is str else encode(value)
        except ValueError as exc:
            raise EvaluationError(f"rule set '{self.ruleset.name}': {exc}", code="rules.bad_value",
                                  file=self.ruleset.file) from None
        return current, encoded

    def _decide_split(self, values: Mapping[str, Any]) -> Outcome:
        """`_decide` for a rule set cut into chunks: the agenda is kept here, across chunks."""
        current, encoded = self._read(values)
        plans = self._plans
        chunks = self._chunks
        written: dict[str, Any] = {}
        writer: dict[str, int] = {}
        fired: list[tuple[int, dict[str, Any]]] = []
        overridden: list[tuple[str, int, Any, int, Any]] = []
        done: set[int] = set()
        ready: dict[int, int] = {}  # rule index -> how many of its durable rules match now
        agenda: list[tuple[int, int]] = []  # (rank, rule index), lazily cleaned
        matched: list[list[int]] = []
        try:
            for chunk in chunks:
                found = self._match(chunk, encoded)
                matched.append(found)
                for index in found:
                    if ready.get(index, 0) == 0:
                        heapq.heappush(agenda, (plans[index].rank, index))
                    ready[index] = ready.get(index, 0) + 1
            while agenda:
                _, index = heapq.heappop(agenda)
                if index in done or ready.get(index, 0) == 0:
                    continue
                done.add(index)
                plan = plans[index]
                fired.append((index, {name: current.get(name) for name in plan.reads}))
                changed = self._assign(plan, plans, written, writer, overridden)
                current.update(changed)
                for name, value in changed.items():
                    if value is None:
                        encoded.pop(name, None)
                    else:
                        encoded[name] = encode(value)
                if changed:
                    again = sorted({i for name in changed for i in self._readers[name]})
                    for number in again:
                        for old in matched[number]:
                            ready[old] -= 1
                        found = self._match(chunks[number], encoded)
                        matched[number] = found
                        for new in found:
                            if ready.get(new, 0) == 0 and new not in done:
                                heapq.heappush(agenda, (plans[new].rank, new))
                            ready[new] = ready.get(new, 0) + 1
        except BaseException:
            self._discard_session()
            raise
        return self._finish(written, fired, overridden)

    def _match(self, chunk: _Chunk, encoded: Mapping[str, str]) -> list[int]:
        """The rules of `chunk` whose condition holds on the values (once per matching alternative)."""
        body = "".join(key + encoded[name] for name, key in chunk.keys if name in encoded)
        sid = chunk.sessions[0] if chunk.sessions else _chunk_session(chunk)
        handle = chunk.handle
        result = _core.assert_fact(handle, '{"sid":"%s","id":"1"%s%s}' % (sid, _ALWAYS, body))
        if result[0] != _HANDLED:
            if result[0] != _NOT_HANDLED:
                raise EvaluationError(f"durable-rules refused the facts of rule set '{self.version}' "
                                      f"(code {result[0]})", code="rules.engine")
            return []
        offset = result[1]
        plan_of = chunk.plan_of
        found = []
        started = _core.start_action_for_state(handle, offset)
        message = started[1] if started is not None else None
        while message is not None:
            found.append(plan_of[message[2:message.index('"', 2)]])
            message = _core.complete_and_start_action(handle, offset)
        _core.retract_fact(handle, '{"sid":"%s","id":"1"}' % sid)
        return found

    def _assign(self, plan: _Plan, plans: Any, written: dict[str, Any], writer: dict[str, int],
                overridden: list[tuple[Any, ...]]) -> dict[str, Any]:
        """Apply a fired rule's assignments under the file's conflict policy (the loser goes to
        `overridden`); returns the chained names it changed, with their new values, in order."""
        changed: dict[str, Any] = {}
        for name, value in plan.then:
            if name in writer:
                kept = written[name]
                if equal(kept, value):
                    continue
                other = writer[name]
                if self._wins(plan, plans[other], name, value, kept):
                    overridden.append((name, other, kept, plan.index, value))
                else:
                    overridden.append((name, plan.index, value, other, kept))
                    continue
            written[name] = value
            writer[name] = plan.index
            if name in self._chained:
                changed[name] = value
        return changed

    def _wins(self, plan: _Plan, other: _Plan, name: str, value: Any, kept: Any) -> bool:
        """Whether `plan`, firing now, overrides what `other` wrote to `name` earlier."""
        policy = self._policy
        if policy == "priority":
            return plan.priority > other.priority
        if policy == "last":
            return True
        if policy == "first":
            return False
        rules = self.ruleset.rules
        mine, theirs = rules[plan.index], rules[other.index]
        raise EvaluationError(
            f"rules '{theirs.name}' (line {theirs.line}) and '{mine.name}' (line {mine.line}) write different "
            f"values to '{name}' ({kept!r} and {value!r}) and the rule set's conflict policy is 'error'",
            code="rules.conflict", file=self.ruleset.file, line=mine.line)

    def _finish(self, written: dict[str, Any], fired: list[tuple[int, dict[str, Any]]],
                overridden: list[tuple[str, int, Any, int, Any]]) -> Outcome:
        values: dict[str, Any] = {}
        used: list[str] = []
        for name in self._writes:
            if name in written:
                values[name] = written[name]
            else:
                values[name] = self._defaults.get(name)
                used.append(name)
        return Outcome(values, fired, overridden, used)

    # -- raw costs, for benchmarks/rules_speed.py ------------------------------------------------

    def raw_cycle(self, values: Mapping[str, Any], *, fresh_session: bool = False) -> int:
        """One bare durable-rules round for `values`: assert the fact, drain every action, clean up.

        No chaining, conflicts or evidence: the floor under `decide`. With `fresh_session`, a new
        session is created (and warmed up) and deleted instead of reusing the warm one, which is
        what "a session per decision" costs. Returns how many rules fired.
        """
        body = "".join(key + encode(plain(values.get(name))) for name, key in self._input_keys
                       if values.get(name) is not None)
        with _LOCK:
            handle = self._handle
            if fresh_session:
                sid = str(next(_SESSION_IDS))
                _warm_up(handle, sid)
            else:
                sid = self._sessions[0] if self._sessions else self._session()
            result = _core.assert_fact(handle, '{"sid":"%s","id":"1"%s%s}' % (sid, _ALWAYS, body))
            count = 0
            if result[0] == _HANDLED:
                started = _core.start_action_for_state(handle, result[1])
                message = started[1] if started else None
                while message is not None:
                    count += 1
                    message = _core.complete_and_start_action(handle, result[1])
            if fresh_session:
                _core.delete_state(handle, sid)
            elif result[0] == _HANDLED:
                _core.retract_fact(handle, '{"sid":"%s","id":"1"}' % sid)
            return count


def _chunk_session(chunk: _Chunk) -> str:
    """The warm session of `chunk` (created and warmed up on first use; lock held)."""
    if chunk.sessions:
        return chunk.sessions[0]
    sid = str(next(_SESSION_IDS))
    chunk.sessions.append(sid)
    _warm_up(chunk.handle, sid)
    return sid


def _warm_up(handle: int, sid: str) -> None:
    """Create session `sid` and start and complete one action in it, so its action context is set."""
    result = _core.assert_fact(handle, '{"sid":"%s","id":"w","%s":1}' % (sid, _WARM_FIELD))
    started = _core.start_action_for_state(handle, result[1])
    while started is not None:  # only the warm-up rule matches; drain whatever is there regardless
        started = _core.complete_and_start_action(handle, result[1])
    _core.retract_fact(handle, '{"sid":"%s","id":"w"}' % sid)


def _retire(rulesets: list[tuple[int, list[str]]]) -> None:
    """Finalizer of a RuleEngine nobody holds any more: free its sessions and rulesets in the core."""
    _RETIRED.extend((handle, list(sessions)) for handle, sessions in rulesets)
    if _LOCK.acquire(blocking=False):  # never wait here: the collector may run inside a decision
        try:
            _free_retired()
        finally:
            _LOCK.release()


def _free_retired() -> None:
    while _RETIRED:
        handle, sessions = _RETIRED.pop()
        try:
            for sid in sessions:
                _core.delete_state(handle, sid)
            _core.delete_ruleset(handle)
        except Exception:  # already gone from the core: nothing to free
            pass


def registered_count() -> int:
    """How many rule set versions are registered and alive in this process."""
    return len(_REGISTRY)


__all__ = ["Outcome", "RuleEngine", "encode", "engine_for", "plain", "registered_count"]
