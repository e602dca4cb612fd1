"""DMN item definitions as types (FEEL built-ins, structures, collections, allowed values); a value that does
not conform to its declared type becomes null with a note, as DMN 1.5 section 7.3.2 says."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from typing import Any, Callable

# typeRef spellings the DMN 1.1 XML schema types and FEEL names both produce, to one FEEL type name.
BUILTIN = {
    "number": "number", "decimal": "number", "integer": "number", "int": "number", "long": "number",
    "double": "number", "float": "number", "short": "number",
    "string": "string", "boolean": "boolean", "date": "date", "time": "time",
    "date and time": "date and time", "datetime": "date and time",
    "days and time duration": "days and time duration", "daytimeduration": "days and time duration",
    "duration": "duration",
    "years and months duration": "years and months duration", "yearmonthduration": "years and months duration",
    "any": "Any", "context": "context", "list": "list", "function": "function", "range": "range",
}


@dataclass
class DmnType:
    """A resolved type: a FEEL built-in, a structure (components), a collection of a type, or constrained."""

    name: str
    base: str | None = None  # a FEEL built-in type name
    element: DmnType | None = None  # for a collection: the type of its items
    components: dict[str, DmnType] | None = None
    allowed: Callable[[Any], bool | None] | None = None  # allowed values / type constraint, as unary tests
    function: bool = False
    output: DmnType | None = None  # a function type's result type (functionItem outputTypeRef)

    @property
    def is_collection(self) -> bool:
        return self.element is not None


ANY = DmnType("Any", base="Any")


def builtin_name(type_ref: str) -> str | None:
    text = type_ref.strip()
    local = text.rpartition(":")[2] if ":" in text and not text.lower().startswith("feel:") else text
    if local.lower().startswith("feel:"):
        local = local[5:]
    return BUILTIN.get(local.lower())


def _is_base(value: Any, base: str) -> bool:
    # The common bases checked directly: this runs for every typed value of every request.
    if base == "Any":
        return True
    if base == "number":
        return isinstance(value, (Decimal, int)) and not isinstance(value, bool)
    if base == "string":
        return isinstance(value, str)
    if base == "boolean":
        return isinstance(value, bool)
    if base == "context":
        return isinstance(value, dict)
    if base == "list":
        return isinstance(value, list)
    from composite.feel.values import instance_of

    try:
        return bool(instance_of(value, _parsed_type(base)))
    except Exception:  # a type text FEEL does not know (a vendor's spelling): no check, as for no type
        return True


_TEMPORAL = ("date", "time", "date and time", "days and time duration", "years and months duration", "duration")


def _temporal(text: str, base: str) -> Any:
    from composite.feel import values

    parse = {"date": values.parse_date, "time": values.parse_time, "date and time": values.parse_date_and_time}.get(
        base, values.parse_duration)
    try:
        return parse(text)
    except Exception:  # not ISO text of that kind: the value does not conform (null and a note)
        return _NOT


@lru_cache(maxsize=64)
def _parsed_type(base: str) -> Any:
    from composite.feel.values import parse_type

    return parse_type(base)


_NOT = object()


def conform(value: Any, kind: DmnType | None, *, notes: list[str] | None = None, what: str = "value",
            given: bool = False) -> Any:
    """The value as its declared type, or null (with a note) when it does not conform.

    Singleton lists and single values convert into each other (DMN 1.5 section 10.3.2.9.4). A `given`
    value (a request's input data) may leave components out: they are null, as a JSON field left out is.
    """
    if kind is None or value is None:
        return value
    result = _conform(value, kind, given)
    if result is _NOT:
        if notes is not None:
            why = mismatch(value, kind, given)
            notes.append(f"{what} does not conform to type '{kind.name}'{': ' + why if why else ''}; it is null")
        return None
    return result


def mismatch(value: Any, kind: DmnType, given: bool = False, path: str = "") -> str | None:
    """Why `value` does not conform to `kind`, naming the component or item: for the note, found only
    after `_conform` said no."""
    where = f"'{path}' " if path else ""
    if value is None:
        return None
    if kind.is_collection:
        if isinstance(value, list):
            for index, item in enumerate(value):
                if _conform(item, kind.element, given) is _NOT:  # type: ignore[arg-type]
                    return mismatch(item, kind.element, given, f"{path}[{index + 1}]")  # type: ignore[arg-type]
        return None if isinstance(value, list) else mismatch(value, kind.element, given, path)  # type: ignore[arg-type]
    if kind.components is not None:
        if not isinstance(value, dict):
            return f"{where}is {_kind_of(value)}, not a context"
        for name, component in kind.components.items():
            if name not in value and not given:
                return f"'{path + '.' if path else ''}{name}' is missing"
            if name in value and _conform(value[name], component, given) is _NOT:
                return mismatch(value[name], component, given, f"{path + '.' if path else ''}{name}")
        return None
    if kind.base and kind.base not in ("Any", "list") and not _is_base(value, kind.base):
        return f"{where}is {_kind_of(value)}, not {'an' if kind.base[0] in 'aeiou' else 'a'} {kind.base}"
    if kind.allowed is not None:
        return f"{where}{_short_value(value)} is not one of its allowed values"
    return None


def _kind_of(value: Any) -> str:
    try:
        from composite.feel.values import type_name

        return f"a {type_name(value)}"
    except Exception:  # a value FEEL has no name for: its Python type says enough for a note
        return f"a {type(value).__name__}"


def _short_value(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."


def _conform(value: Any, kind: DmnType, given: bool = False) -> Any:
    if value is None:
        return None
    if kind.is_collection:
        if not isinstance(value, list):
            item = _conform(value, kind.element, given)  # type: ignore[arg-type]
            if item is _NOT:
                return _NOT
            value = [item]  # to singleton list
        else:
            items = [_conform(item, kind.element, given) for item in value]  # type: ignore[arg-type]
            if any(item is _NOT for item in items):
                return _NOT
            value = items
    elif kind.components is not None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict):
            return _NOT
        converted = dict(value)
        for name, component in kind.components.items():
            # Every component must be there (null is a value); more entries are fine (DMN 1.5 10.3.2.9.1).
            if name not in value:
                if given:
                    converted[name] = None
                    continue
                return _NOT
            item = _conform(value[name], component, given)
            if item is _NOT:
                return _NOT
            converted[name] = item
        value = converted
    elif kind.function:
        if not callable(getattr(value, "call", None)):
            return _NOT
    elif kind.base is not None:
        if kind.base == "list":
            if not isinstance(value, list):
                value = [value]
        elif kind.base != "Any":
            if isinstance(value, list) and len(value) == 1 and not _is_base(value, kind.base):
                value = value[0]  # from singleton list
            if given and isinstance(value, str) and kind.base in _TEMPORAL:
                # A request is JSON: a date, time or duration inside a context or list comes as ISO text.
                value = _temporal(value, kind.base)
                if value is _NOT:
                    return _NOT
            if not _is_base(value, kind.base):
                return _NOT
    if kind.allowed is not None and value is not None:
        items = value if kind.is_collection and isinstance(value, list) else [value]
        if kind.is_collection:
            # allowed values on a collection type constrain the list itself (DMN 1.5) or its items
            outcome = kind.allowed(value)
            if outcome is not True and not all(kind.allowed(item) is True for item in items):
                return _NOT
        elif kind.allowed(value) is not True:
            return _NOT
    return value


def is_instance(value: Any, kind: DmnType) -> bool:
    """FEEL's `value instance of T` for a model type: the base type and structure, no conversion, and
    allowed values left out (`256 instance of t255` is true when t255 is a number limited to [0..255])."""
    if value is None:
        return False
    if kind.is_collection:
        element: DmnType = kind.element  # type: ignore[assignment]
        return isinstance(value, list) and all(is_instance(item, element) for item in value)
    if kind.components is not None:
        return isinstance(value, dict) and all(
            name in value and (value[name] is None or is_instance(value[name], component))
            for name, component in kind.components.items())
    if kind.function:
        return callable(getattr(value, "call", None))
    return kind.base is None or _is_base(value, kind.base)


@dataclass
class TypeTable:
    """The item definitions of a model (and its imports), resolved on demand."""

    definitions: dict[str, Any] = field(default_factory=dict)  # name -> model.ItemDefinition
    imported: dict[str, TypeTable] = field(default_factory=dict)  # import name -> its types
    resolved: dict[str, DmnType] = field(default_factory=dict)

    def instance_test(self, name: str) -> Callable[[Any], bool] | None:
        """For FEEL's `instance of`: a test for a name the model defines (or imports), None for the rest."""
        local = name.strip()
        prefix = local.partition(".")[0]
        if local not in self.definitions and not ("." in local and prefix in self.imported):
            return None
        kind = self.resolve(local)
        return None if kind is None else (lambda value: is_instance(value, kind))

    def resolve(self, type_ref: str | None) -> DmnType | None:
        if not type_ref or not type_ref.strip():
            return None
        text = type_ref.strip()
        if text in self.resolved:
            return self.resolved[text]
        local = text.rpartition("}")[2]
        kind: DmnType | None
        if local in self.definitions:
            self.resolved[text] = DmnType(local, base="Any")  # a placeholder, for recursive definitions
            kind = self.definitions[local].to_type(self)
        elif "." in local and local.partition(".")[0] in self.imported:
            prefix, _, rest = local.partition(".")
            kind = self.imported[prefix].resolve(rest)
        elif ":" in local and local.rpartition(":")[2] in self.definitions:
            kind = self.resolve(local.rpartition(":")[2])
        else:
            base = builtin_name(local)
            if base is None:
                kind = _feel_type(local)
            else:
                kind = DmnType(local, base=base)
        if kind is not None:
            self.resolved[text] = kind
        return kind


def _feel_type(text: str) -> DmnType | None:
    """FEEL type syntax in a typeRef: list<T>, context<a: T>, function<...>->T; others are unknown (no check)."""
    if text.startswith("list<") and text.endswith(">"):
        inner = builtin_name(text[5:-1])
        return DmnType(text, element=DmnType(text[5:-1], base=inner or "Any"))
    if text.startswith("function"):
        return DmnType(text, function=True)
    if text.startswith("context"):
        return DmnType(text, base="context")
    return None


__all__ = ["ANY", "DmnType", "TypeTable", "builtin_name", "conform", "is_instance"]
