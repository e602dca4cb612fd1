"""Rule sets: expert rules in `rules/*.rules.yaml`, forward chaining on durable-rules.

`format` reads a file into a `RuleSet`, `compile` turns its conditions into durable-rules
conditions, `durable` runs them (the only module that touches durable-rules) and `analysis`
checks them for `composite validate` and answers why a rule did not fire.
"""

from __future__ import annotations

from composite.rules.format import CONFLICT_POLICIES, Rule, RuleSet, load_ruleset

__all__ = ["CONFLICT_POLICIES", "Rule", "RuleSet", "load_ruleset"]
