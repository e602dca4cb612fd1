"""A DMN model, whole: item definitions, input data, decisions, BKMs, decision services and imports read
from DMN 1.1-1.5 XML (`load_model`), and evaluated with FEEL in dependency order (`DmnModel.evaluate`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from composite.dmn.boxed import EXPRESSIONS, Compiler, Evaluator, make_function
from composite.dmn.types import DmnType, TypeTable, conform
from composite.dmn.xmlfile import XmlDocument, child, children, local_name, parse_xml
from composite.errors import Problem, ProjectError

@dataclass
class ItemDefinition:
    name: str
    type_ref: str | None
    allowed: str | None
    is_collection: bool
    components: list[ItemDefinition] | None
    function: bool
    line: int | None
    compiler: Compiler | None = None
    output_type_ref: str | None = None

    def to_type(self, table: TypeTable) -> DmnType:
        if self.function:
            kind = DmnType(self.name, function=True, output=table.resolve(self.output_type_ref))
        elif self.components is not None:
            kind = DmnType(self.name, components={c.name: c.to_type(table) for c in self.components})
        else:
            base = table.resolve(self.type_ref) if self.type_ref else None
            kind = DmnType(self.name, base=base.base if base else "Any", element=base.element if base else None,
                           components=base.components if base else None, allowed=base.allowed if base else None,
                           function=base.function if base else False)
        allowed = self.compiler.unary_tests(self.allowed, line=self.line, what=f"allowed values of '{self.name}'") \
            if self.allowed and self.compiler else None
        if self.is_collection:
            element = kind
            if allowed is not None:
                element = DmnType(kind.name, base=kind.base, element=kind.element, components=kind.components,
                                  allowed=allowed, function=kind.function)
            return DmnType(self.name, element=element)
        if allowed is not None:
            kind.allowed = allowed if kind.allowed is None else _both(kind.allowed, allowed)
        return kind


def _both(first: Callable[[Any], bool | None], second: Callable[[Any], bool | None]) -> Callable[[Any], bool | None]:
    return lambda value: first(value) is True and second(value) is True


@dataclass
class InputData:
    name: str
    type: DmnType | None
    line: int | None


@dataclass
class Decision:
    name: str
    id: str | None
    type: DmnType | None
    requires: list[tuple[str | None, str]]  # (import namespace or None, element id), from informationRequirement
    knowledge: list[tuple[str | None, str]]
    expression: Evaluator | None
    line: int | None
    outputs: list[str] = field(default_factory=list)  # a decision table's output names
    reads: set[str] = field(default_factory=set)  # the names its expressions read


@dataclass
class Invocable:
    """A business knowledge model or decision service: a function in the scope of what requires it."""

    name: str
    id: str | None
    kind: str  # "bkm" or "decisionService"
    parameters: list[tuple[str, DmnType | None]]
    type: DmnType | None
    body: Callable[[dict[str, Any], Mapping[str, Any]], Any]
    knowledge: list[tuple[str | None, str]]
    line: int | None


@dataclass
class DmnModel:
    name: str
    namespace: str
    file: str
    inputs: dict[str, InputData] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    invocables: dict[str, Invocable] = field(default_factory=dict)
    imports: dict[str, DmnModel] = field(default_factory=dict)  # import name ("" for unnamed) -> model
    ids: dict[str, str] = field(default_factory=dict)  # element id -> name
    problems: list[Problem] = field(default_factory=list)
    # Names an input expression or literal reads that are no element of the model: a Camunda 7 style
    # model's request fields.
    free_names: list[str] = field(default_factory=list)
    types: TypeTable | None = None
    free_types: dict[str, DmnType] = field(default_factory=dict)
    decorative_inputs: bool = False  # <inputData> that no expression reads (a Camunda 7 diagram's)

    # ---------------------------------------------------------------------------------------------
    # Evaluation

    def evaluate(self, inputs: Mapping[str, Any], *, notes: list[str] | None = None,
                 only: list[str] | None = None) -> dict[str, Any]:
        """Every decision's value (or those named in `only`) for the given input data values."""
        run = _Run(self, inputs, notes if notes is not None else [])
        names = only if only is not None else list(self.decisions)
        return {name: run.decision(self, name) for name in names}

    def invoke(self, name: str, arguments: Mapping[str, Any], *, notes: list[str] | None = None) -> Any:
        """Call a business knowledge model or decision service by name with named arguments."""
        run = _Run(self, {}, notes if notes is not None else [])
        invocable = self.invocables[name]
        function = run.function(self, invocable)
        # Called directly (not from FEEL), a parameter left out is null, as an input data left out is.
        return function.call([], {parameter: arguments.get(parameter) for parameter, _ in invocable.parameters})

    def element_id(self, namespace: str | None, reference: str) -> tuple[DmnModel, str] | None:
        model = self
        if namespace and namespace != self.namespace:
            found = next((m for m in self.imports.values() if m.namespace == namespace), None)
            if found is None:
                return None
            model = found
        name = model.ids.get(reference)
        if name is None and reference in model.decisions:
            name = reference  # a decision without an id, required by name (see _undeclared_requirements)
        return (model, name) if name is not None else None

    def import_name(self, model: DmnModel) -> str | None:
        return next((name for name, imported in self.imports.items() if imported is model), None)


class _Run:
    """One evaluation: decision values memoised per model, so a shared required decision runs once."""

    def __init__(self, model: DmnModel, inputs: Mapping[str, Any], notes: list[str]) -> None:
        self.root = model
        self.inputs = inputs
        self.notes = notes
        self.values: dict[tuple[int, str], Any] = {}
        self.running: set[tuple[int, str]] = set()
        self.checked: dict[tuple[int, str], Any] = {}
        self.bases: dict[int, dict[str, Any]] = {}
        self.functions: dict[tuple[int, str], Any] = {}  # (model, BKM or service) -> its FEEL function

    def input_value(self, model: DmnModel, name: str) -> Any:
        key = (id(model), name)
        if key not in self.checked:  # once per request: one note for a bad input, however many read it
            data = model.inputs[name]
            self.checked[key] = conform(self.inputs.get(name), data.type, notes=self.notes,
                                        what=f"input data '{name}'", given=True)
        return self.checked[key]

    def base_scope(self, model: DmnModel) -> dict[str, Any]:
        scope: dict[str, Any] = {}
        if model is self.root:
            # Camunda 7 style models read request fields that no <inputData> declares.
            scope.update({key: value for key, value in self.inputs.items() if key not in model.decisions})
        for name in model.inputs:
            scope[name] = self.input_value(model, name)
        for invocable in model.invocables.values():
            scope[invocable.name] = self.function(model, invocable)
        for import_name, imported in model.imports.items():
            values: dict[str, Any] = {}
            for name in imported.inputs:
                values[name] = self.input_value(imported, name)
            for invocable in imported.invocables.values():
                values[invocable.name] = self.function(imported, invocable)
            if import_name:
                scope[import_name] = values
            else:
                scope.update(values)
        return scope

    def decision(self, model: DmnModel, name: str) -> Any:
        key = (id(model), name)
        if key in self.values:
            return self.values[key]
        if key in self.running:
            self.notes.append(f"decision '{name}' requires itself; it is null")
            return None
        self.running.add(key)
        try:
            decision = model.decisions[name]
            base = self.bases.get(id(model))
            if base is None:  # input values and functions, once per model and request
                base = self.bases[id(model)] = self.base_scope(model)
            scope = dict(base)
            for namespace, reference in decision.requires:
                found = model.element_id(namespace, reference)
                if found is None:
                    continue
                owner, required = found
                if required not in owner.decisions:
                    continue
                value = self.decision(owner, required)
                prefix = model.import_name(owner) if owner is not model else None
                if prefix:
                    scope.setdefault(prefix, {})
                    scope[prefix] = {**scope[prefix], required: value}
                else:
                    scope[required] = value
                    # Camunda 7 reads a required table's result by its output names (the output's `name`).
                    outputs = owner.decisions[required].outputs
                    if len(outputs) == 1 and outputs[0] not in model.inputs and outputs[0] not in model.decisions:
                        scope[outputs[0]] = value
                    elif len(outputs) > 1 and isinstance(value, dict):
                        scope.update({key: value.get(key) for key in outputs
                                      if key not in model.inputs and key not in model.decisions})
            value = decision.expression(scope, self.notes) if decision.expression else None
            value = conform(value, decision.type, notes=self.notes, what=f"decision '{name}'")
        finally:
            self.running.discard(key)
        self.values[key] = value
        return value

    def function(self, model: DmnModel, invocable: Invocable) -> Any:
        key = (id(model), invocable.name)
        function = self.functions.get(key)
        if function is None:
            function = self.functions[key] = self._function(model, invocable)
        return function

    def _function(self, model: DmnModel, invocable: Invocable) -> Any:
        # The functions a body sees are the same on every call: gathered at the first, not per call.
        functions: dict[str, Any] = {}

        def body(arguments: dict[str, Any]) -> Any:
            if not functions:
                for invocable_other in model.invocables.values():
                    functions[invocable_other.name] = self.function(model, invocable_other)
                for import_name, imported in model.imports.items():
                    named = {other.name: self.function(imported, other) for other in imported.invocables.values()}
                    if import_name:
                        functions[import_name] = named
                    else:
                        functions.update(named)
                functions[invocable.name] = self.function(model, invocable)
            scope = dict(functions)
            for name, kind in invocable.parameters:
                value = conform(arguments.get(name), kind, notes=self.notes,
                                what=f"parameter '{name}' of '{invocable.name}'")
                if value is None and arguments.get(name) is not None:
                    return None  # an argument of the wrong type makes the invocation an error (null)
                scope[name] = value
            value = invocable.body(scope, {"run": self, "model": model})
            return conform(value, invocable.type, notes=self.notes, what=f"the result of '{invocable.name}'")

        return make_function([name for name, _ in invocable.parameters], body, name=invocable.name)


# ---------------------------------------------------------------------------------------------
# Reading


def load_model(path: str | Path, *, strict: bool = True) -> DmnModel:
    """Read a .dmn file and the models it imports from the same folder.

    With `strict`, a FEEL syntax error anywhere raises ProjectError naming its file and line; otherwise the
    expression evaluates to null with a note, and the rest of the model works.
    """
    path = Path(path)
    return read_model(path.read_bytes(), file=str(path), folder=path.parent, strict=strict)


def read_model(data: bytes | str, *, file: str, folder: Path | None = None, strict: bool = True,
               read: Callable[[Path], bytes] | None = None) -> DmnModel:
    """Read a model from its bytes; `folder` is where its imports are looked for (None: no imports),
    `read(path)` reads an imported file (a project reads it as an artifact, so its hash is recorded)."""
    doc = parse_xml(data, file=file)
    return _Reader(doc, file, folder, strict, {}, read).read()


def _href(text: str | None) -> tuple[str | None, str]:
    namespace, _, reference = (text or "").rpartition("#")
    return (namespace or None), reference


class _Reader:
    def __init__(self, doc: XmlDocument, file: str, folder: Path | None, strict: bool,
                 loading: dict[str, DmnModel], read: Callable[[Path], bytes] | None = None) -> None:
        self.doc = doc
        self.file = file
        self.folder = folder
        self.strict = strict
        self.loading = loading  # namespace -> model, so a model imported twice (or in a cycle) is read once
        self.read_file = read

    def read(self) -> DmnModel:
        root = self.doc.root
        model = DmnModel(root.get("name") or Path(self.file).stem, root.get("namespace") or "", self.file)
        self.loading[model.namespace] = model
        types = TypeTable()
        compiler = Compiler(self.file, self.doc, types, model.problems)
        self._imports(model, types)
        for element in children(root, "itemDefinition"):
            item = self._item(element, compiler)
            types.definitions[item.name] = item
        names: set[str] = set()
        for element in root:
            tag = local_name(element)
            if tag in ("inputData", "decision", "businessKnowledgeModel", "decisionService") and element.get("name"):
                names.add(element.get("name") or "")
                if element.get("id"):
                    model.ids[element.get("id") or ""] = element.get("name") or ""
        names.update(model.imports)
        for imported in model.imports.values():
            names.update(imported.inputs)
            names.update(imported.decisions)
            names.update(imported.invocables)
        compiler.names = names | _component_names(types)
        for element in children(root, "inputData"):
            variable = child(element, "variable")
            type_ref = (variable.get("typeRef") if variable is not None else None) or element.get("typeRef")
            model.inputs[element.get("name") or ""] = InputData(element.get("name") or "", types.resolve(type_ref),
                                                               self.doc.line(element))
        for element in children(root, "businessKnowledgeModel"):
            model.invocables[element.get("name") or ""] = self._bkm(element, compiler)
        for element in children(root, "decision"):
            name = element.get("name") or ""
            variable = child(element, "variable")
            type_ref = variable.get("typeRef") if variable is not None else None
            expression_element = child(element, *EXPRESSIONS)
            requires = [_href(required.get("href")) for requirement in children(element, "informationRequirement")
                        for required in children(requirement, "requiredDecision")]
            knowledge = [_href(required.get("href")) for requirement in children(element, "knowledgeRequirement")
                         for required in requirement]
            compiler.reads = set()
            expression = compiler.boxed(expression_element, decision=name) if expression_element is not None else None
            reads = compiler.reads
            if expression_element is None:
                compiler.problem("dmn_format", f"decision '{name}' has no expression; it decides null",
                                 self.doc.line(element), warning=True)
            model.decisions[name] = Decision(name, element.get("id"), types.resolve(type_ref), requires, knowledge,
                                             expression, self.doc.line(element),
                                             compiler.table_outputs.get(name, []), reads)
        for element in children(root, "decisionService"):
            model.invocables[element.get("name") or ""] = self._service(element, model, types)
        self._undeclared_requirements(model)
        read = set().union(*(decision.reads for decision in model.decisions.values()))
        passed_on = {output for decision in model.decisions.values() for namespace, reference in decision.requires
                     if (found := model.element_id(namespace, reference)) and found[1] in model.decisions
                     for output in model.decisions[found[1]].outputs}
        free = compiler.free_names - set(model.decisions) - set(model.invocables) - passed_on
        if not model.imports and not set(model.inputs) & read and (free or not model.inputs):
            # Camunda 7 style: the expressions read the request's fields by their own names; any <inputData>
            # is the diagram's decoration (Camunda's dinner example draws "Season" and reads `season`).
            model.decorative_inputs = bool(model.inputs)
            model.free_names = sorted(free)
            model.free_types = {name: compiler.input_types[name] for name in model.free_names
                                if name in compiler.input_types}
        errors = [problem for problem in model.problems if problem.severity != "warning"]
        if self.strict and errors:
            raise ProjectError(f"{self.file} has {len(errors)} problem(s)", problems=errors)
        return model

    def _undeclared_requirements(self, model: DmnModel) -> None:
        """A decision reading another it does not require gets it all the same, with a warning saying how
        to declare it: modellers leave requirements out, and a null would hide the slip."""
        for decision in model.decisions.values():
            required = {found[1] for ref in decision.requires if (found := model.element_id(*ref))}
            for name in sorted(decision.reads & set(model.decisions) - required - {decision.name}):
                other = model.decisions[name]
                decision.requires.append((None, other.id or name))
                model.problems.append(Problem(
                    "dmn_requirement", f"decision '{decision.name}' reads decision '{name}' but does not require "
                    f"it; add <informationRequirement><requiredDecision href=\"#{other.id}\"/>"
                    "</informationRequirement>", file=self.file, line=decision.line, severity="warning"))

    def _imports(self, model: DmnModel, types: TypeTable) -> None:
        for element in children(self.doc.root, "import"):
            namespace = element.get("namespace") or ""
            name = element.get("name") or ""
            import_type = element.get("importType") or ""
            if import_type and "DMN" not in import_type.upper():
                continue  # PMML and XSD imports: their types are not checked
            imported = self.loading.get(namespace) or self._find_import(namespace, element.get("locationURI"))
            if imported is None:
                model.problems.append(Problem(
                    "dmn_import", f"no .dmn file in {self.folder} has the namespace '{namespace}' this model imports;"
                    " put the imported model in the same folder", file=self.file, line=self.doc.line(element)))
                continue
            model.imports[name] = imported
            types.imported[name] = imported.types or TypeTable()
        model.types = types

    def _find_import(self, namespace: str, location: str | None) -> DmnModel | None:
        if self.folder is None:
            return None
        folder = self.folder.resolve()
        candidates = []
        if location and (self.folder / location).is_file():
            candidates.append(self.folder / location)
        candidates.extend(sorted(self.folder.glob("*.dmn")))
        for candidate in candidates:
            if candidate.resolve().parent != folder:
                continue  # imports come from the model's own folder, never from elsewhere
            try:
                doc = parse_xml(candidate.read_bytes(), file=str(candidate))
            except ProjectError:
                continue
            if (doc.root.get("namespace") or "") == namespace:
                if self.read_file is not None:
                    doc = parse_xml(self.read_file(candidate), file=str(candidate))
                return _Reader(doc, str(candidate), self.folder, self.strict, self.loading, self.read_file).read()
        return None

    def _item(self, element: ET.Element, compiler: Compiler) -> ItemDefinition:
        type_ref = self.doc.text(element, "typeRef")
        allowed_element = child(element, "allowedValues")
        if allowed_element is None:  # an Element with no children is falsy: test for None, never `or`
            allowed_element = child(element, "typeConstraint")
        function_item = child(element, "functionItem")
        components = children(element, "itemComponent")
        return ItemDefinition(
            element.get("name") or "", type_ref.strip() if type_ref else None,
            self.doc.text(allowed_element) if allowed_element is not None else None,
            element.get("isCollection", "false").lower() == "true",
            [self._item(component, compiler) for component in components] if components else None,
            function_item is not None, self.doc.line(element), compiler,
            function_item.get("outputTypeRef") if function_item is not None else None)

    def _bkm(self, element: ET.Element, compiler: Compiler) -> Invocable:
        name = element.get("name") or ""
        logic = child(element, "encapsulatedLogic")
        variable = child(element, "variable")
        types: TypeTable = compiler.types
        parameters = [(parameter.get("name") or "", types.resolve(parameter.get("typeRef")))
                      for parameter in (children(logic, "formalParameter") if logic is not None else [])]
        body_element = child(logic, *EXPRESSIONS)
        kind = (logic.get("kind") if logic is not None else None) or "FEEL"
        body: Evaluator | None = None
        if body_element is not None and kind.upper() == "FEEL":
            body = compiler.boxed(body_element, decision=name, local=[p for p, _ in parameters])
        elif kind.upper() != "FEEL":
            compiler.problem("dmn_unsupported", f"business knowledge model '{name}' is a {kind} function; composite "
                             "evaluates FEEL functions only, so it returns null", self.doc.line(element), warning=True)
        result_type = None
        if logic is not None and logic.get("typeRef"):
            result_type = types.resolve(logic.get("typeRef"))
        elif variable is not None and variable.get("typeRef"):
            declared = types.resolve(variable.get("typeRef"))
            result_type = declared.output if declared is not None and declared.function else declared
        evaluate = body

        def run(scope: dict[str, Any], _context: Mapping[str, Any]) -> Any:
            return evaluate(scope, _context["run"].notes) if evaluate else None

        knowledge = [_href(required.get("href")) for requirement in children(element, "knowledgeRequirement")
                     for required in requirement]
        return Invocable(name, element.get("id"), "bkm", parameters, result_type, run, knowledge,
                         self.doc.line(element))

    def _service(self, element: ET.Element, model: DmnModel, types: TypeTable) -> Invocable:
        name = element.get("name") or ""
        refs = {tag: [_href(ref.get("href")) for ref in children(element, tag)]
                for tag in ("outputDecision", "encapsulatedDecision", "inputDecision", "inputData")}

        def resolve(ref: tuple[str | None, str]) -> tuple[DmnModel, str] | None:
            return model.element_id(*ref)

        input_decisions = [found for found in map(resolve, refs["inputDecision"]) if found]
        input_data = [found for found in map(resolve, refs["inputData"]) if found]
        outputs = [found for found in map(resolve, refs["outputDecision"]) if found]
        # Positional arguments bind to the input data first, then the input decisions (DMN 1.5 section 10.4).
        parameters: list[tuple[str, DmnType | None]] = []
        for owner, input_name in input_data:
            parameters.append((input_name, owner.inputs[input_name].type if input_name in owner.inputs else None))
        for owner, decision_name in input_decisions:
            parameters.append((decision_name, owner.decisions[decision_name].type
                               if decision_name in owner.decisions else None))
        variable = child(element, "variable")
        declared = types.resolve(variable.get("typeRef")) if variable is not None else None

        def run(scope: dict[str, Any], context: Mapping[str, Any]) -> Any:
            outer: _Run = context["run"]
            inner = _Run(model, {n: scope.get(n) for n, _ in parameters}, outer.notes)
            # Input decisions are given, not evaluated: seed them as already decided.
            for owner, decision_name in input_decisions:
                inner.values[(id(owner), decision_name)] = scope.get(decision_name)
            values = {decision_name: inner.decision(owner, decision_name) for owner, decision_name in outputs}
            if len(values) == 1:
                return next(iter(values.values()))
            return values

        return Invocable(name, element.get("id"), "decisionService", parameters,
                         declared.output if declared is not None and declared.function else declared, run, [],
                         self.doc.line(element))


def _component_names(types: TypeTable) -> set[str]:
    names: set[str] = set()

    def walk(items: list[ItemDefinition] | None) -> None:
        for item in items or []:
            names.add(item.name)
            walk(item.components)

    walk(list(types.definitions.values()))
    return names


__all__ = ["Decision", "DmnModel", "InputData", "Invocable", "ItemDefinition", "load_model", "read_model"]
