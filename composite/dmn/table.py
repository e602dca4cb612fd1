"""DMN decision tables of whole models, in full FEEL: every hit policy and aggregation, input and output values,
default outputs (composite.tables keeps the S-FEEL tables of `table` nodes, with rule-level evidence)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

from composite.dmn.types import DmnType, conform
from composite.dmn.xmlfile import child, local_name
from composite.tables.table import HitPolicy, parse_hit_policy

if TYPE_CHECKING:
    from composite.dmn.boxed import Compiler, Evaluator

@dataclass
class _Input:
    expression: Evaluator
    values: Callable[..., bool | None] | None
    kind: DmnType | None
    label: str


@dataclass
class _Output:
    name: str | None
    values: Evaluator | None  # the listed output values, as a FEEL list (PRIORITY and OUTPUT ORDER rank by it)
    allowed: Callable[..., bool | None] | None
    default: Evaluator | None
    kind: DmnType | None


def compile_table(compiler: Compiler, element: ET.Element, decision: str, local: list[str]) -> Evaluator:
    doc = compiler.doc
    try:
        hit_policy, aggregate = parse_hit_policy(element.get("hitPolicy") or "UNIQUE", element.get("aggregation"))
    except ValueError as error:
        compiler.problem("table_hit_policy", f"decision '{decision}': {error}", doc.line(element))
        hit_policy, aggregate = HitPolicy.COLLECT, None
    policy = hit_policy.value
    aggregation = aggregate.value if aggregate is not None else None
    inputs: list[_Input] = []
    outputs: list[_Output] = []
    rules: list[tuple[list[Callable[..., bool | None] | None], list[Evaluator], int | None]] = []
    for part in element:
        tag = local_name(part)
        line = doc.line(part)
        if tag == "input":
            expression_element = child(part, "inputExpression")
            text_element = child(expression_element, "text")
            text = text_element.text if text_element is not None else None
            values_element = child(part, "inputValues")
            values_text = doc.text(values_element) if values_element is not None else None
            declared = compiler.types.resolve(expression_element.get("typeRef")) \
                if expression_element is not None else None
            if declared is not None and text and text.strip():
                compiler.input_types.setdefault(text.strip(), declared)
            inputs.append(_Input(
                compiler.expression(text, line=doc.line(text_element) or line, local=local,
                                    what=f"input expression of '{decision}'",
                                    language=expression_element.get("expressionLanguage")
                                    if expression_element is not None else None),
                compiler.unary_tests(values_text, line=line, local=local, what=f"input values of '{decision}'"),
                declared,
                part.get("label") or (text or "").strip()))
        elif tag == "output":
            values_element = child(part, "outputValues")
            values_text = doc.text(values_element) if values_element is not None else None
            default_element = child(part, "defaultOutputEntry")
            default_text = doc.text(default_element) if default_element is not None else None
            outputs.append(_Output(
                part.get("name"),
                compiler.expression(f"[{values_text}]", line=line, local=local, what=f"output values of '{decision}'")
                if values_text and values_text.strip() else None,
                compiler.unary_tests(values_text, line=line, local=local, what=f"output values of '{decision}'"),
                compiler.expression(default_text, line=line, local=local, what=f"default output of '{decision}'")
                if default_text and default_text.strip() else None,
                compiler.types.resolve(part.get("typeRef"))))
        elif tag == "rule":
            entries = []
            results = []
            for entry in part:
                entry_tag = local_name(entry)
                text = doc.text(entry)
                if entry_tag == "inputEntry":
                    stripped = (text or "").strip()
                    entries.append(None if stripped in ("", "-") else compiler.unary_tests(
                        text, line=doc.line(entry) or line, local=local, what=f"an input entry of '{decision}'",
                        language=entry.get("expressionLanguage")))
                elif entry_tag == "outputEntry":
                    results.append(compiler.expression(text, line=doc.line(entry) or line, local=local,
                                                       what=f"an output entry of '{decision}'",
                                                       language=entry.get("expressionLanguage")))
            rules.append((entries, results, line))
    single = len(outputs) == 1
    # Camunda 7 passes a required decision table's result on under its output names as well.
    compiler.table_outputs[decision] = [output.name for output in outputs if output.name]

    def row_value(values: list[Any]) -> Any:
        if single:
            return values[0]
        return {output.name: value for output, value in zip(outputs, values)}

    def evaluate(scope: dict[str, Any], notes: list[str]) -> Any:
        values = []
        for position, table_input in enumerate(inputs, start=1):
            value = table_input.expression(scope, notes)
            if table_input.values is not None and value is not None \
                    and table_input.values(value, scope, notes) is not True:
                notes.append(f"decision '{decision}': input '{table_input.label}' is {value!r}, not one of its "
                             "input values; the table decides null")
                return None
            values.append(value)
        # One scope per input, with `?` its value: not a copy of the whole scope per rule and cell.
        tested = [(value, {**scope, "?": value}) for value in values]
        matched: list[int] = []
        for index, (entries, _results, _line) in enumerate(rules):
            if all(test is None or test(value, input_scope, notes) is True
                   for test, (value, input_scope) in zip(entries, tested)):
                matched.append(index)
                if policy == "FIRST":
                    break
        if not matched:
            if any(output.default is not None for output in outputs):
                return row_value([output.default(scope, notes) if output.default else None for output in outputs])
            if policy == "COLLECT" and aggregation == "COUNT":
                return Decimal(0)
            return [] if policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER") and aggregation is None else None
        rows: list[list[Any]] = []
        for index in matched:
            row = []
            for output, result in zip(outputs, rules[index][1]):
                value = conform(result(scope, notes), output.kind, notes=notes, what=f"an output of '{decision}'")
                if output.allowed is not None and value is not None and output.allowed(value, scope, notes) is not True:
                    notes.append(f"decision '{decision}': output {value!r} is not one of its output values")
                    value = None
                row.append(value)
            rows.append(row)
        if policy == "UNIQUE":
            if len(rows) > 1:
                notes.append(f"decision '{decision}': {len(rows)} rules match a UNIQUE table; it decides null")
                return None
            return row_value(rows[0])
        if policy == "FIRST":
            return row_value(rows[0])
        if policy == "ANY":
            from composite.feel.values import feel_equal

            first = row_value(rows[0])
            if any(feel_equal(first, row_value(row)) is not True for row in rows[1:]):
                notes.append(f"decision '{decision}': rules of an ANY table give different outputs; it decides null")
                return None
            return first
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            rows = _ranked(rows, outputs, scope, notes)
            return row_value(rows[0]) if policy == "PRIORITY" else [row_value(row) for row in rows]
        collected = [row_value(row) for row in rows]
        if policy == "COLLECT" and aggregation:
            return _aggregate(aggregation, collected, notes, decision)
        return collected

    return evaluate


def _ranked(rows: list[list[Any]], outputs: list[_Output], scope: dict[str, Any], notes: list[str]) -> list[list[Any]]:
    from composite.dmn.boxed import order_key

    keys = []
    for position, output in enumerate(outputs):
        listed = output.values(scope, notes) if output.values is not None else None
        keys.append((position, order_key(listed) if isinstance(listed, list) else None))
    # Python's sort is stable: rules with the same rank keep their order.
    return sorted(rows, key=lambda row: tuple(key(row[position]) if key else 0 for position, key in keys))


def _aggregate(aggregation: str, values: list[Any], notes: list[str], decision: str) -> Any:
    if aggregation == "COUNT":
        return Decimal(len(values))
    numbers = [value for value in values if value is not None]
    if not numbers:
        return None
    try:
        if aggregation == "SUM":
            total = Decimal(0)
            for value in numbers:
                total += value
            return total
        if aggregation == "MIN":
            return min(numbers)
        return max(numbers)  # MAX: parse_hit_policy admits no other aggregation
    except TypeError:
        notes.append(f"decision '{decision}': {aggregation} of values that are not numbers; it decides null")
        return None


__all__ = ["compile_table"]
