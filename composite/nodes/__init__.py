"""Node kinds: one module each, all behind the protocol in `composite.nodes.base`.

A kind is found by name in `NODE_KINDS` (imported lazily, so an unused kind costs nothing);
plugins add theirs through the `composite.nodes` entry-point group.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from composite.errors import ProjectError
from composite.nodes.base import BatchResult, LoadContext, Node, NodeResult, NodeSpec

NODE_KINDS: dict[str, str] = {
    "expression": "composite.nodes.expression:ExpressionNode",
    "rules": "composite.nodes.rules:RuleSetNode",
    "table": "composite.nodes.table:DecisionTableNode",
    "dmn": "composite.nodes.dmn:DmnModelNode",
    "fuzzy": "composite.nodes.fuzzy:FuzzyNode",
    "model": "composite.nodes.model:ModelNode",
    "guard": "composite.nodes.combiners:GuardNode",
    "blend": "composite.nodes.combiners:BlendNode",
    "fallback": "composite.nodes.combiners:FallbackNode",
    "review": "composite.nodes.combiners:ReviewNode",
}


def _plugin_kinds() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="composite.nodes")}


def node_class(kind: str, *, spec: NodeSpec | None = None) -> type[Any]:
    """The class implementing `kind`, or a ProjectError listing the kinds that exist."""
    target = NODE_KINDS.get(kind) or _plugin_kinds().get(kind)
    if target is None:
        known = ", ".join(sorted(set(NODE_KINDS) | set(_plugin_kinds())))
        raise ProjectError(
            f"unknown node kind '{kind}'; known kinds: {known}",
            code="unknown_node_kind",
            file=spec.source if spec else None,
            line=spec.line if spec else None,
            field=f"nodes.{spec.name}.kind" if spec else None,
        )
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ProjectError(
            f"node kind '{kind}' is not available in this version of composite",
            code="node_kind_unavailable",
            file=spec.source if spec else None,
            line=spec.line if spec else None,
        ) from None
    return getattr(module, attr)


__all__ = ["BatchResult", "LoadContext", "NODE_KINDS", "Node", "NodeResult", "NodeSpec", "node_class"]
