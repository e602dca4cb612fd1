"""DMN boxed expressions (literal, context, list, relation, invocation, function, table, DMN 1.5 conditional,
filter, iterators) compiled to `evaluate(scope, notes) -> value`; a runtime error is null plus a note."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Callable, Iterable, Sequence

from composite.dmn.types import DmnType, TypeTable, conform
from composite.dmn.xmlfile import XmlDocument, child, children, local_name
from composite.errors import Problem

Evaluator = Callable[[dict[str, Any], list[str]], Any]

EXPRESSIONS = ("literalExpression", "context", "list", "relation", "invocation", "functionDefinition",
               "decisionTable", "conditional", "filter", "for", "every", "some")


def make_function(params: Sequence[str], body: Callable[[dict[str, Any]], Any], *, name: str = "anonymous") -> Any:
    """A FEEL function value whose call binds its parameters by name (missing ones are null) and runs `body`."""
    from composite.feel.values import FeelFunction

    names = tuple(params)

    def call(*args: Any) -> Any:
        return body(dict(zip(names, args)))

    return FeelFunction(names, call, name=name)


def _null(_scope: dict[str, Any], _notes: list[str]) -> Any:
    return None


class Compiler:
    """Compiles one model's expressions; knows the model's names, so FEEL names with spaces parse."""

    def __init__(self, file: str, doc: XmlDocument, types: TypeTable, problems: list[Problem]) -> None:
        self.file = file
        self.doc = doc
        self.types = types
        self.problems = problems
        self.names: set[str] = set()
        self.free_names: set[str] = set()
        self.reads: set[str] = set()  # every name the expressions compiled since the last reset read
        self.language: str | None = doc.root.get("expressionLanguage")
        # The declared type of an input expression that is one name: a Camunda 7 style request field's type.
        self.input_types: dict[str, DmnType] = {}
        self.table_outputs: dict[str, list[str]] = {}  # decision -> its decision table's output names

    # ---------------------------------------------------------------------------------------------
    # Problems and FEEL text

    def problem(self, code: str, message: str, line: int | None, *, warning: bool = False,
                column: int | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(code, message, file=self.file, line=line, column=column, field=field,
                                     severity="warning" if warning else "error"))

    def expression(self, text: str | None, *, line: int | None, local: Iterable[str] = (),
                   what: str = "expression", language: str | None = None) -> Evaluator:
        from composite.feel import FeelSyntaxError, compile_expression

        if text is None or not text.strip():
            return _null
        names = self.names | set(local)
        try:
            compiled = compile_expression(text, names=sorted(names), types=self.types.instance_test)
        except FeelSyntaxError as error:
            self._syntax(error, text, line, what, language)
            return _null
        self._free(compiled, names)

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            return compiled.evaluate(scope, notes=notes)

        return evaluate

    def unary_tests(self, text: str | None, *, line: int | None, local: Iterable[str] = (),
                    what: str = "unary tests", language: str | None = None) -> Callable[..., bool | None] | None:
        from composite.feel import FeelSyntaxError, compile_unary_tests

        if text is None or not text.strip():
            return None
        try:
            compiled = compile_unary_tests(text, names=sorted(self.names | set(local)), types=self.types.instance_test)
        except FeelSyntaxError as error:
            self._syntax(error, text, line, what, language)
            return lambda *_args, **_named: None

        def test(value: Any, scope: dict[str, Any] | None = None, notes: list[str] | None = None) -> bool | None:
            return compiled.test(value, scope=scope or {}, notes=notes)

        return test

    def _syntax(self, error: Exception, text: str, line: int | None, what: str, language: str | None) -> None:
        # The FEEL error's line is within the expression text; the file line is the element's.
        inner_line = getattr(error, "line", None) or 1
        column = getattr(error, "column", None)
        message = str(getattr(error, "message", None) or error).splitlines()[0]
        stripped = text.strip()
        language = language or self.language
        language = language if language and "feel" not in language.lower() else None
        if stripped.startswith("${") and stripped.endswith("}"):
            # Camunda 7's default language for input expressions and output entries is JUEL.
            message = (f"this is a JUEL expression, not FEEL; composite evaluates FEEL only: write "
                       f"'{_short(stripped[2:-1].strip())}' in FEEL (FEEL says: {message})")
        elif language:
            message = (f"the expression language is '{language}', not FEEL; composite evaluates FEEL "
                       f"only: rewrite this expression in FEEL (FEEL says: {message})")
        self.problem("feel_syntax", f"{what} '{_short(text)}': {message}",
                     (line or 0) + inner_line - 1 if line else None, column=column)

    def _free(self, compiled: Any, names: set[str]) -> None:
        from composite.feel import builtin

        node = getattr(compiled, "node", None)
        if node is not None:
            read = free_names(node)
            self.reads.update(read)
            self.free_names.update(name for name in read if name not in names and builtin(name) is None)

    # ---------------------------------------------------------------------------------------------
    # Boxed expressions

    def boxed(self, element: ET.Element, *, decision: str, local: Iterable[str] = ()) -> Evaluator:
        local = list(local)
        tag = local_name(element)
        line = self.doc.line(element)
        kind = self.types.resolve(element.get("typeRef"))
        build = getattr(self, f"_{tag}", None)
        if build is None:
            self.problem("dmn_unsupported", f"decision '{decision}' uses a <{tag}>, which composite does not evaluate",
                         line)
            return _null
        evaluate: Evaluator = build(element, decision, local)
        if kind is None or tag == "decisionTable":
            return evaluate

        def typed(scope: dict[str, Any], notes: list[str]) -> Any:
            return conform(evaluate(scope, notes), kind, notes=notes, what=f"a <{tag}> of '{decision}'")

        return typed

    def _sub(self, element: ET.Element | None, decision: str, local: list[str]) -> Evaluator:
        expression = child(element, *EXPRESSIONS)
        return self.boxed(expression, decision=decision, local=local) if expression is not None else _null

    def _literalExpression(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        text_element = child(element, "text")
        text = text_element.text if text_element is not None else None
        return self.expression(text, line=self.doc.line(text_element) or self.doc.line(element), local=local,
                               what=f"the expression of '{decision}'", language=element.get("expressionLanguage"))

    def _context(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        entries: list[tuple[str | None, Evaluator, DmnType | None]] = []
        names = list(local)
        for entry in children(element, "contextEntry"):
            variable = child(entry, "variable")
            name = variable.get("name") if variable is not None else None
            if name:
                names.append(name)  # a context entry sees the entries before it (and itself, for recursion)
            value = self._sub(entry, decision, names)
            entries.append((name, value, self.types.resolve(variable.get("typeRef")) if variable is not None else None))

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            inner = dict(scope)
            result: dict[str, Any] = {}
            for name, value, kind in entries:
                if name is None:
                    return value(inner, notes)
                inner[name] = result[name] = conform(value(inner, notes), kind, notes=notes,
                                                     what=f"context entry '{name}'")
            return result

        return evaluate

    def _list(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        items = [self.boxed(item, decision=decision, local=local) for item in children(element, *EXPRESSIONS)]
        return lambda scope, notes: [item(scope, notes) for item in items]

    def _relation(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        columns = [column.get("name") or "" for column in children(element, "column")]
        rows = [[self.boxed(cell, decision=decision, local=local) for cell in children(row, *EXPRESSIONS)]
                for row in children(element, "row")]

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            return [{name: cell(scope, notes) for name, cell in zip(columns, row)} for row in rows]

        return evaluate

    def _invocation(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        callee = self._sub(element, decision, local)
        bindings: list[tuple[str, Evaluator]] = []
        for binding in children(element, "binding"):
            parameter = child(binding, "parameter")
            name = parameter.get("name") if parameter is not None else None
            if name:
                bindings.append((name, self._sub(binding, decision, local)))

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            function = callee(scope, notes)
            if not callable(getattr(function, "call", None)):
                notes.append(f"'{decision}' invokes something that is not a function; it is null")
                return None
            arguments = {name: value(scope, notes) for name, value in bindings}
            # A parameter the invocation binds no value to is null (DMN 1.5 section 10.3.2.10).
            arguments.update({name: None for name in function.params if name not in arguments})
            try:
                return function.call([], arguments) if arguments else function.call([])
            except Exception as error:  # FeelRuntimeError and its kin: null and a note, as FEEL says
                notes.append(f"invocation in '{decision}': {error}")
                return None

        return evaluate

    def _functionDefinition(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        parameters = [(p.get("name") or "", self.types.resolve(p.get("typeRef")))
                      for p in children(element, "formalParameter")]
        kind = (element.get("kind") or "FEEL").upper()
        if kind == "JAVA":
            return self._java(element, decision, local, [name for name, _ in parameters])
        if kind != "FEEL":
            self.problem("dmn_unsupported", f"'{decision}' defines a {kind} function; composite evaluates FEEL "
                         "and listed Java functions only, so it returns null", self.doc.line(element), warning=True)
        body = self._sub(element, decision, local + [name for name, _ in parameters]) if kind == "FEEL" else _null

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            def run(arguments: dict[str, Any]) -> Any:
                inner = dict(scope)
                for name, parameter_type in parameters:
                    value = conform(arguments.get(name), parameter_type, notes=notes, what=f"parameter '{name}'")
                    if value is None and arguments.get(name) is not None:
                        return None  # an argument of the wrong type makes the call an error (null)
                    inner[name] = value
                return body(inner, notes)

            return make_function([name for name, _ in parameters], run)

        return evaluate

    def _java(self, element: ET.Element, decision: str, local: list[str], parameters: list[str]) -> Evaluator:
        """A `kind="Java"` function: its body is a context naming `class` and `method signature`, the same
        fixed list of JDK methods as FEEL's `external {java: ...}` (composite.feel._java)."""
        from composite.feel._java import java_method

        mapping = self._sub(element, decision, local)

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            method, problem = java_method({"java": mapping(scope, notes)})
            if method is None:
                notes.append(f"'{decision}': {problem}; it is null")
                return None

            def call(arguments: dict[str, Any]) -> Any:
                try:
                    return method([arguments.get(name) for name in parameters])
                except Exception as error:  # FeelRuntimeError: a Java exception is null in FEEL
                    notes.append(f"'{decision}': {error}; it is null")
                    return None

            return make_function(parameters, call)

        return evaluate

    def _conditional(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        parts = {local_name(part): self._sub(part, decision, local) for part in element}
        condition, then, otherwise = parts.get("if", _null), parts.get("then", _null), parts.get("else", _null)
        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            test = condition(scope, notes)
            if test is not None and not isinstance(test, bool):
                notes.append(f"'{decision}': a conditional's 'if' is {type(test).__name__}, not a boolean; it is null")
                return None
            return then(scope, notes) if test is True else otherwise(scope, notes)

        return evaluate

    def _filter(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        parts = {local_name(part): part for part in element}
        source = self._sub(parts.get("in"), decision, local)
        match = self._sub(parts.get("match"), decision, local + ["item"] + sorted(_component_names(self.types)))

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            items = source(scope, notes)
            if items is None:
                return None
            if not isinstance(items, list):
                notes.append(f"'{decision}': a filter's 'in' is not a list; it is null")
                return None
            kept = []
            for item in items:
                inner = dict(scope)
                if isinstance(item, dict):
                    inner.update(item)
                inner["item"] = item
                verdict = match(inner, notes)
                if verdict is not None and not isinstance(verdict, bool):
                    notes.append(f"'{decision}': a filter's 'match' is not a boolean; it is null")
                    return None
                if verdict is True:
                    kept.append(item)
            return kept

        return evaluate

    def _iterate(self, element: ET.Element, decision: str, local: list[str], last: str) -> tuple[Any, ...]:
        variable = element.get("iteratorVariable") or "item"
        parts = {local_name(part): part for part in element}
        source = self._sub(parts.get("in"), decision, local)
        body = self._sub(parts.get(last), decision, local + [variable, "partial"])
        return variable, source, body

    def _for(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        variable, source, body = self._iterate(element, decision, local, "return")

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            items = source(scope, notes)
            if items is None:
                return None
            results: list[Any] = []
            for item in items if isinstance(items, list) else [items]:
                results.append(body({**scope, variable: item, "partial": list(results)}, notes))
            return results

        return evaluate

    def _quantified(self, element: ET.Element, decision: str, local: list[str], every: bool) -> Evaluator:
        variable, source, body = self._iterate(element, decision, local, "satisfies")

        def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
            items = source(scope, notes)
            if items is None:
                return None
            outcomes = [body({**scope, variable: item}, notes) for item in
                        (items if isinstance(items, list) else [items])]
            if every:
                return False if any(o is False for o in outcomes) else (True if all(o is True for o in outcomes)
                                                                          else None)
            return True if any(o is True for o in outcomes) else (False if all(o is False for o in outcomes)
                                                                   else None)

        return evaluate

    def _every(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        return self._quantified(element, decision, local, True)

    def _some(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        return self._quantified(element, decision, local, False)

    def _decisionTable(self, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
        from composite.dmn.table import compile_table

        return compile_table(self, element, decision, local)


def free_names(node: Any) -> set[str]:
    """The names a FEEL expression reads from its scope (not those its for, some, every or function bind;
    not those inside a filter, which may name the filtered items' entries)."""
    from composite.feel import _ast as ast

    found: set[str] = set()
    bound: set[str] = {"item", "?"}

    def walk(value: Any) -> None:
        if isinstance(value, ast.Name):
            found.add(value.name)
        elif isinstance(value, ast.Filter):
            walk(value.target)
        elif isinstance(value, ast.Node):
            if isinstance(value, ast.Iteration):
                bound.add(value.name)
            elif isinstance(value, ast.FunctionDefinition):
                bound.update(name for name, _ in value.params)
            for slot in type(value).__slots__:
                walk(getattr(value, slot, None))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(node)
    return found - bound


def _component_names(types: TypeTable) -> set[str]:
    names: set[str] = set()
    stack = list(types.definitions.values())
    while stack:
        item = stack.pop()
        names.add(item.name)
        stack.extend(item.components or [])
    return names


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def order_key(values: list[Any]) -> Callable[[Any], Any]:
    """Sort key by position in an output's listed values (PRIORITY, OUTPUT ORDER); unlisted values last."""
    from composite.feel.values import feel_equal

    def position(value: Any) -> int:
        for index, candidate in enumerate(values):
            if feel_equal(candidate, value) is True:
                return index
        return len(values)

    return position


__all__ = ["Compiler", "Evaluator", "make_function", "order_key"]
