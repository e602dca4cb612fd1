"""FEEL's context functions (DMN 1.5 10.3.4.8): get value, get entries, context, context put, context merge.

Contexts are never changed in place: each function returns a new one.
"""

from __future__ import annotations

from typing import Any

from composite.feel._library import BUILTINS, Arguments, builtin
from composite.feel.values import FeelFunction, Signature, type_name


def _keys(args: Arguments, param: str, value: Any) -> list[str]:
    """One key, or a path of keys into nested contexts."""
    keys = value if isinstance(value, list) else [value]
    if not keys:
        raise args.fail(f"{param} is an empty list of keys")
    for key in keys:
        if type(key) is not str:
            raise args.fail(f"a key must be a string, not {'null' if key is None else type_name(key)}")
    return keys


@builtin("get value", "m", "key", overloads=[(("m", "keys"), 2)])
def get_value(context: Any, key: Any) -> Any:
    """The value at `key` (or the path `keys`), null when there is none."""
    args = Arguments("get value")
    value: Any = args.context("m", context)
    for name in _keys(args, "key", key):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


@builtin("get entries", "m")
def get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in Arguments("get entries").context("m", context).items()]


@builtin("context", "entries")
def context(entries: Any) -> dict[str, Any]:
    """A context from a list of {key, value} contexts; a key given twice is an error."""
    args = Arguments("context")
    result: dict[str, Any] = {}
    for position, entry in enumerate(args.list("entries", entries), start=1):
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            raise args.fail(f"entry {position} must be a context with a key and a value")
        key = entry["key"]
        if type(key) is not str:
            raise args.fail(f"the key of entry {position} must be a string, not {type_name(key)}")
        if key in result:
            raise args.fail(f"the key {key!r} is given twice")
        result[key] = entry["value"]
    return result


def _put(context: Any, key: Any, value: Any, *, path: bool, single: bool) -> dict[str, Any]:
    """A copy of the context with `key` set (or, for a path `keys`, set in the nested context)."""
    args = Arguments("context put")
    base = args.context("context", context)
    if not path and isinstance(key, list):
        raise args.fail("key must be one string; give a list of keys as keys")
    if not single and not isinstance(key, list):
        raise args.wrong("keys", key, "a list of strings")
    names = _keys(args, "keys" if path else "key", key)

    def put(current: dict[str, Any], depth: int) -> dict[str, Any]:
        updated = dict(current)
        name = names[depth]
        if depth == len(names) - 1:
            updated[name] = value
            return updated
        inner = current.get(name)
        if not isinstance(inner, dict):
            raise args.fail(f"{'.'.join(names[:depth + 1])} is not a context")
        updated[name] = put(inner, depth + 1)
        return updated

    return put(base, 0)


# positionally the second argument may be a key or a list of keys; by name, `key` is one and `keys` a list
BUILTINS["context put"] = FeelFunction.of("context put", [
    Signature(("context", "key", "value"), lambda c, k, v: _put(c, k, v, path=True, single=True), 3, by_name=False),
    Signature(("context", "key", "value"), lambda c, k, v: _put(c, k, v, path=False, single=True), 3),
    Signature(("context", "keys", "value"), lambda c, k, v: _put(c, k, v, path=True, single=False), 3),
])


@builtin("context merge", "contexts")
def context_merge(contexts: Any) -> dict[str, Any]:
    """One context from a list of them; a later context's entries win."""
    args = Arguments("context merge")
    result: dict[str, Any] = {}
    for position, item in enumerate(args.list("contexts", contexts), start=1):
        if not isinstance(item, dict):
            raise args.fail(f"item {position} is {type_name(item)}, not a context")
        result.update(item)
    return result
