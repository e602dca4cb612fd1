"""JSON Schemas of every file a decision project is written in, for editors (docs/editors.md).

`composite schema --files DIR` writes them. They are generated from the pydantic models the
loaders validate with (`ProjectConfig`, `Concept`, `ModelSpec`, `BlendSpec`, `Scenario`, the
combiners' options); the rule, table and fuzzy readers do not use pydantic, so the models of
those files are written here, and tests hold every shipped file to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from composite.fuzzy.membership import SHAPES
from composite.fuzzy.model import (AGGREGATIONS, AND_OPERATORS, CONSEQUENT_SHAPES, DEFUZZIFIERS, IMPLICATIONS,
                                   NUMERICS, OR_OPERATORS, OUT_OF_RANGE, TSK_DEFUZZIFIERS)
from composite.knowledge import Concept
from composite.ml.blend import BlendSpec
from composite.ml.spec import ModelSpec
from composite.nodes.combiners import FallbackOptions, GuardOptions, ReviewOptions
from composite.project import ProjectConfig
from composite.rules.format import CONFLICT_POLICIES, DEFAULT_CONFLICT
from composite.scenarios import Scenario, _ScenarioFile
from composite.tables.table import HIT_POLICY_NAMES, parse_hit_policy

__all__ = ["DIALECT", "FILE_TYPES", "FileType", "file_models", "file_schemas", "vscode_settings", "write_file_schemas"]

# Draft 7, not 2020-12: the VS Code YAML extension validates with draft 7 and does not load the
# 2020-12 meta-schema (redhat-developer/vscode-yaml#704, yaml-language-server#856). The schemas
# use only keywords both drafts read alike (`definitions`, `$ref`, `const`, `items` as a schema),
# so a 2020-12 validator reads them the same way.
DIALECT = "http://json-schema.org/draft-07/schema#"

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, Field(pattern=_NAME)]
Scalar = Union[str, int, float, bool, None]


class FileType(BaseModel):
    """One kind of project file: its schema file name and where such files live."""

    key: str
    title: str
    schema_file: str
    # for `yaml.schemas` (docs/editors.md): relative to a project folder, or, starting with `**/`,
    # anywhere (a double suffix such as .rules.yaml says what a file is wherever it lies)
    globs: tuple[str, ...]


FILE_TYPES: tuple[FileType, ...] = (
    FileType(key="composite", title="composite.yaml: a decision project", schema_file="composite.schema.json",
             globs=("composite.yaml",)),
    FileType(key="knowledge", title="knowledge/*.yaml: concepts", schema_file="knowledge.schema.json",
             globs=("knowledge/*.yaml", "knowledge/*.yml")),
    FileType(key="rules", title="*.rules.yaml: a rule set", schema_file="rules.schema.json",
             globs=("**/*.rules.yaml", "**/*.rules.yml")),
    FileType(key="table", title="*.table.yaml: a decision table", schema_file="table.schema.json",
             globs=("**/*.table.yaml", "**/*.table.yml")),
    FileType(key="fuzzy", title="*.fuzzy.yaml: a fuzzy rule base", schema_file="fuzzy.schema.json",
             globs=("**/*.fuzzy.yaml", "**/*.fuzzy.yml")),
    FileType(key="model", title="*.model.yaml: a model to train", schema_file="model.schema.json",
             globs=("**/*.model.yaml", "**/*.model.yml")),
    FileType(key="blend", title="*.blend.yaml: an expert and a model blended", schema_file="blend.schema.json",
             globs=("**/*.blend.yaml", "**/*.blend.yml")),
    FileType(key="scenarios", title="scenarios/*.yaml: expected outcomes", schema_file="scenarios.schema.json",
             globs=("scenarios/*.yaml", "scenarios/*.yml")),
)


# ------------------------------------------------------------------------------ composite.yaml
# NodeEntry (composite/project.py) allows any key, since each kind takes its own options; here
# every built-in kind gets its entry, so an editor can complete and check a node's options.


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="unique in the project; explanations and the evidence use it")
    description: str | None = Field(default=None, description="the step's title in explanations")
    reads: list[Name] | None = Field(default=None, description="optional: the names the node reads; loading "
                                     "fails unless they are exactly what its file or options read")
    writes: list[Name] | None = Field(default=None, description="optional: the names the node writes; loading "
                                      "fails unless they are exactly what its file or options write")


class ExpressionEntry(_Entry):
    """Derived values in the safe expression language, each written under its name."""

    kind: Literal["expression"]
    writes: dict[Name, str | int | float | bool] = Field(  # type: ignore[assignment]
        min_length=1, description="each name the node writes, with its formula; a formula may use the names "
        "written above it")


class _FileEntry(_Entry):
    file: str = Field(description="the file the node runs, relative to the project folder")


class RulesEntry(_FileEntry):
    """Forward-chaining rules: `rules/<name>.rules.yaml` (docs/rules.md)."""

    kind: Literal["rules"]


class TableEntry(_FileEntry):
    """A decision table: `*.table.yaml`, `*.csv`, or a `.dmn` model (docs/tables.md)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["table"]
    as_: Name | None = Field(default=None, alias="as", description="write all of the table's outputs as one "
                             "mapping under this name, instead of one name per output (not for .dmn)")


class DmnEntry(_FileEntry):
    """A whole DMN model: `rules/<name>.dmn`, one written name per decision (docs/dmn.md)."""

    kind: Literal["dmn"]


class FuzzyEntry(_FileEntry):
    """A fuzzy rule base: `*.fuzzy.yaml` or a FuzzyLite `.fll` engine (docs/fuzzy.md)."""

    kind: Literal["fuzzy"]
    numerics: Literal[NUMERICS] | None = Field(  # type: ignore[valid-type]
        default=None, description="skfuzzy or fuzzylite; overrides the rule base's own `numerics:` (default skfuzzy)")


class ModelEntry(_FileEntry):
    """A learned model: `models/<name>.model.yaml`, trained by `composite train`."""

    kind: Literal["model"]


class BlendEntry(_FileEntry):
    """An expert score and a model probability blended: `models/<name>.blend.yaml`."""

    kind: Literal["blend"]


class GuardEntry(GuardOptions, _Entry):
    """An expert outcome overrides everything else, with its reason, unless it is one of `passes`."""

    kind: Literal["guard"]


class FallbackEntry(FallbackOptions, _Entry):
    """The learned value while the input is inside the model's training domain, the expert's otherwise."""

    kind: Literal["fallback"]


class ReviewEntry(ReviewOptions, _Entry):
    """When two scores differ by more than `threshold`, the outcome becomes `refer`."""

    kind: Literal["review"]


_BUILT_IN_ENTRIES: tuple[type[_Entry], ...] = (ExpressionEntry, RulesEntry, TableEntry, DmnEntry, FuzzyEntry,
                                              ModelEntry, BlendEntry, GuardEntry, FallbackEntry, ReviewEntry)


def _plugin_nodes() -> tuple[type[BaseModel], ...]:
    """A free-form entry for each kind a plugin adds (the `composite.nodes` entry points)."""
    from composite.nodes import NODE_KINDS, _plugin_kinds

    return tuple(_plugin_model(kind) for kind in sorted(set(_plugin_kinds()) - set(NODE_KINDS)))


def _plugin_model(kind: str) -> type[BaseModel]:
    class PluginEntry(_Entry):
        model_config = ConfigDict(extra="allow", title=f"{kind} (a plugin kind)")
        kind_: Literal[kind] = Field(alias="kind")  # type: ignore[valid-type]
        file: str | None = None

    PluginEntry.__name__ = f"PluginEntry_{kind}"
    return PluginEntry


def _project_model() -> type[BaseModel]:
    nodes = _BUILT_IN_ENTRIES + _plugin_nodes()
    entry = Annotated[Union[nodes], Field(discriminator="kind")] if len(nodes) == len(_BUILT_IN_ENTRIES) \
        else Union[nodes]  # a plugin entry's `kind` is an alias: no discriminator then

    class ProjectFile(ProjectConfig):
        nodes: list[entry] = Field(  # type: ignore[valid-type]
            default_factory=list, description="the steps of the decision; the graph follows from what each reads "
            "and writes")

    ProjectFile.__doc__ = "composite.yaml: a decision project (docs/project.md)"
    return ProjectFile


# ------------------------------------------------------------------------------ knowledge/*.yaml


class KnowledgeFile(BaseModel):
    """knowledge/*.yaml: concepts by name (docs/knowledge.md)."""

    model_config = ConfigDict(extra="forbid")

    concepts: dict[Name, Concept] = Field(default_factory=dict, description="each concept by its name")


# ------------------------------------------------------------------------------ *.rules.yaml


class RuleDefinition(BaseModel):
    """One rule: when its condition holds, it assigns the constants of `then`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="unique in the file; explanations and `fired:` use it")
    description: str | None = Field(default=None, description="the rule's reason, for readers")
    when: str | bool = Field(description="the condition, in the expression language, e.g. `age < 18`")
    then: dict[Name, Scalar] = Field(min_length=1, description="names and the constants the rule assigns them")
    priority: int = Field(default=0, description="under `conflict: priority`, the higher priority wins")


class RuleFile(BaseModel):
    """*.rules.yaml: a forward-chaining rule set (docs/rules.md)."""

    model_config = ConfigDict(extra="forbid")

    ruleset: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", description="the rule set's name")
    description: str | None = Field(default=None, description="what the rule set decides")
    defaults: dict[Name, Scalar] = Field(default_factory=dict, description="the value of each written name "
                                         "when no rule assigns it; every name a rule writes needs one")
    conflict: Literal[tuple(CONFLICT_POLICIES)] = Field(  # type: ignore[valid-type]
        default=DEFAULT_CONFLICT, description="when two rules write one name: " + "; ".join(
            f"{k}: {v}" for k, v in CONFLICT_POLICIES.items()))
    rules: list[RuleDefinition] = Field(min_length=1, description="the rules, in file order")


# ------------------------------------------------------------------------------ *.table.yaml

_POLICY_SPELLINGS = sorted({spelling for name in HIT_POLICY_NAMES for spelling in
                            (name, name.lower(), name.replace(" ", "_"), name.lower().replace(" ", "_"))}
                           | {"U", "A", "P", "F", "R", "O", "C", "C+", "C<", "C>", "C#"})
_COLUMN_TYPES = ("number", "string", "boolean", "integer", "int", "decimal", "float", "double", "category", "text",
                 "date", "datetime", "time", "duration", "years_months")
Cell = Union[str, int, float, bool, None]


class TableColumn(BaseModel):
    """An input or output column, with what it may hold."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the name the column reads (an input) or writes (an output)")
    label: str | None = Field(default=None, description="how explanations show the column")
    description: str | None = Field(default=None, description="the label, when `label` is not given")
    type: Literal[_COLUMN_TYPES] | None = Field(default=None,  # type: ignore[valid-type]
                                                description="number, string or boolean")
    values: str | list[Cell] | int | float | None = Field(
        default=None, description="the allowed values: a list, or S-FEEL text such as '[0..120]'; for an output, "
        "also its priority order (PRIORITY, OUTPUT ORDER)")


class TableOutputColumn(TableColumn):
    default: Cell = Field(default=None, description="the output when no row matches (else null)")


class TableFile(BaseModel):
    """*.table.yaml: a decision table with a DMN hit policy (docs/tables.md)."""

    model_config = ConfigDict(extra="forbid")

    table: str | None = Field(default=None, description="the table's name (default: the file name)")
    description: str | None = Field(default=None, description="what the table decides")
    hit_policy: str = Field(default="UNIQUE", description="how many rows may match and which one counts: "
                            + ", ".join(HIT_POLICY_NAMES) + " (or U, A, P, F, R, O, C, C+, C<, C>, C#)",
                            json_schema_extra={"enum": _POLICY_SPELLINGS})
    aggregation: Literal["SUM", "MIN", "MAX", "COUNT", "sum", "min", "max", "count"] | None = Field(
        default=None, description="with COLLECT: how the matched rows' outputs combine")
    inputs: list[str | TableColumn] = Field(default_factory=list, description="the input columns, in order: a "
                                            "name, or a mapping with name, type and values")
    outputs: list[str | TableOutputColumn] = Field(min_length=1, description="the output columns, in order")
    rules: list[list[Cell] | dict[str, Cell]] = Field(
        description="the rows: a list of cells (inputs, then outputs), or a mapping of column names to cells "
        "(an input left out matches anything), with optional `id` and `annotation`; input cells are S-FEEL "
        "tests such as '< 12', '[12..24)', '\"a\", \"b\"' or '-' for any value")

    @field_validator("hit_policy", mode="after")
    @classmethod
    def _policy(cls, value: str) -> str:
        parse_hit_policy(value)  # the reader's own spelling rules (any case, underscores for spaces)
        return value


# ------------------------------------------------------------------------------ *.fuzzy.yaml

_MEMBERSHIP = tuple(sorted(SHAPES)) + CONSEQUENT_SHAPES
_TERM_SCHEMA = {
    "type": "array", "minItems": 2,
    # a function's name, a number, or a `function` term's formula (text that is not a bare name, or `x`)
    "items": {"anyOf": [{"type": "string", "enum": list(_MEMBERSHIP)}, {"type": "number"},
                        {"type": "string", "pattern": "[^A-Za-z0-9_]|^x$"}]},
    "description": "the function, then its parameters: [trimf, a, b, c], [trapmf, a, b, c, d], [gaussmf, mean, "
                   "sigma], ...; a Takagi-Sugeno output: [constant, v] or [linear, c1, ..., cn, k]; any variable: "
                   "[function, \"<formula of x and the variables>\"]",
}


Term = Annotated[list[Union[str, float]], Field(min_length=2, json_schema_extra=_TERM_SCHEMA)]


class _FuzzyVariable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    range: Annotated[list[float], Field(min_length=2, max_length=2, description="[min, max]")]
    terms: dict[str, Term] = Field(min_length=1, description="each term's membership function")
    resolution: int = Field(default=101, ge=2, description="how many evenly spaced points sample the range")
    description: str | None = None

    @field_validator("terms", mode="after")
    @classmethod
    def _terms(cls, terms: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, term in terms.items():
            if not isinstance(term[0], str) or term[0] not in _MEMBERSHIP:
                raise ValueError(f"term '{name}' must start with a function: {', '.join(_MEMBERSHIP)}")
            if term[0] == "function":
                if len(term) != 2 or not isinstance(term[1], str):
                    raise ValueError(f"term '{name}' must be [function, \"<formula>\"]")
            elif any(isinstance(p, str) for p in term[1:]):
                raise ValueError(f"the parameters of term '{name}' must be numbers")
        return terms


class FuzzyInput(_FuzzyVariable):
    terms: dict[str, Term] = Field(  # type: ignore[assignment]
        default_factory=dict, description="each term's membership function (none: a Takagi-Sugeno input read "
        "only by its outputs' linear or function terms)")
    out_of_range: Literal[OUT_OF_RANGE] = Field(  # type: ignore[valid-type]
        default="clip", description="clip a value outside the range to it (and flag it), or reject the request")


class FuzzyOutput(_FuzzyVariable):
    defuzzify: Literal[DEFUZZIFIERS + TSK_DEFUZZIFIERS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Mamdani: centroid (default), bisector, mom, som or lom; Takagi-Sugeno: "
        "weighted_average or weighted_sum")
    default: float | None = Field(default=None, description="the value when no rule fires (else null)")
    aggregation: Literal[AGGREGATIONS] | None = Field(  # type: ignore[valid-type]
        default=None, description="this output's aggregation, where it differs from operators.aggregation")
    lock_previous: bool = Field(default=False, description="FuzzyLite's lock-previous: when no rule fires, the "
                                "previous row's value")
    lock_range: bool = Field(default=False, description="FuzzyLite's lock-range: clip the value to the range")


_ACTIVATION = Field(default=None, description="which of the block's rules take effect: general (default), first, "
                    "last, highest, lowest, proportional, threshold, with their parameters (`highest 2`)")


class FuzzyOperators(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    and_: Literal[AND_OPERATORS] = Field(default="min", alias="and")  # type: ignore[valid-type]
    or_: Literal[OR_OPERATORS] = Field(default="max", alias="or")  # type: ignore[valid-type]
    implication: Literal[IMPLICATIONS] = "min"  # type: ignore[valid-type]
    aggregation: Literal[AGGREGATIONS] = "max"  # type: ignore[valid-type]
    activation: str | None = _ACTIVATION


class FuzzyBlock(BaseModel):
    """One of FuzzyLite's rule blocks: its own operators; rules name it by its index (`block: 1`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    and_: Literal[AND_OPERATORS] | None = Field(  # type: ignore[valid-type]
        default=None, alias="and", description="the block's conjunction (default: operators.and)")
    or_: Literal[OR_OPERATORS] | None = Field(  # type: ignore[valid-type]
        default=None, alias="or", description="the block's disjunction (default: operators.or)")
    implication: Literal[IMPLICATIONS] | None = Field(  # type: ignore[valid-type]
        default=None, description="the block's implication (default: operators.implication)")
    activation: str | None = _ACTIVATION


class FuzzyRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, description="unique in the file (default rule_<n>)")
    if_: str = Field(alias="if", description="the condition, e.g. `burden_pct is heavy and savings is low`")
    then: str = Field(description="`output is term`, several joined by `and`")
    weight: float = Field(default=1.0, ge=0, le=1, description="scales the rule's strength")
    description: str | None = None
    block: int = Field(default=0, ge=0, description="the index of its rule block in `blocks:` (default 0)")


class FuzzyFile(BaseModel):
    """*.fuzzy.yaml: a Mamdani or Takagi-Sugeno fuzzy rule base (docs/fuzzy.md)."""

    model_config = ConfigDict(extra="forbid")

    fuzzy: str = Field(min_length=1, description="the rule base's name")
    description: str | None = Field(default=None, description="what it judges")
    kind: Literal["mamdani", "takagi_sugeno", "takagi-sugeno", "sugeno", "tsk", "Mamdani", "Takagi-Sugeno",
                  "hybrid"] = Field(default="mamdani", description="mamdani, takagi_sugeno, or hybrid (outputs of "
                                    "both kinds)")
    numerics: Literal[NUMERICS] | None = Field(  # type: ignore[valid-type]
        default=None, description="skfuzzy (default) or fuzzylite: whose arithmetic to reproduce")
    inputs: dict[str, FuzzyInput] = Field(min_length=1, description="the input variables by name")
    outputs: dict[str, FuzzyOutput] = Field(min_length=1, description="the output variables by name")
    operators: FuzzyOperators = Field(default_factory=FuzzyOperators,
                                      description="and, or, implication, aggregation, activation")
    blocks: list[FuzzyBlock] | None = Field(default=None, description="FuzzyLite's rule blocks, each with its own "
                                             "operators; a rule names its block by index")
    rules: list[FuzzyRule] = Field(description="the rules")


# ------------------------------------------------------------------------------ models/*.yaml
# The readers default a model's or a blend's name to its file name before validating.


class ModelFile(ModelSpec):
    """*.model.yaml: a model that `composite train` fits (models/README.md)."""

    name: Name | None = Field(  # type: ignore[assignment]
        default=None, description="the model's name (default: the file name)")


class BlendFile(BlendSpec):
    """*.blend.yaml: an expert score and a model probability blended (docs/project.md#blend)."""

    name: Name | None = Field(  # type: ignore[assignment]
        default=None, description="the blend's name (default: the file name)")


# ------------------------------------------------------------------------------ scenarios/*.yaml


def _scenario_file_model() -> type[BaseModel]:
    # `given:` (inputs the file's scenarios share) came with issue 13; read from the loader's
    # model, so the schema has it exactly when the loader takes it.
    has_given = "given" in _ScenarioFile.model_fields

    class ScenarioEntry(Scenario):
        if has_given:
            inputs: dict[str, Any] = Field(default_factory=dict)  # may all come from `given:`

    fields: dict[str, Any] = {"scenarios": (list[ScenarioEntry], Field(
        description="the scenarios, each a request and what it must give"))}
    if has_given:
        fields["given"] = (dict[str, Any], Field(default_factory=dict, description=(
            "inputs every scenario of the file shares; a scenario's own `inputs` replace them name by name")))
    return create_model("ScenarioFile", __config__=ConfigDict(extra="forbid"),  # type: ignore[call-overload]
                        __doc__="scenarios/*.yaml: requests and the outputs they must give (`composite test`)",
                        **fields)


# ------------------------------------------------------------------------------ the schemas

# Descriptions of the loaders' own fields that carry none in their models (shown on hover).
_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "ProjectFile": {
        "name": "the project's name", "version": "the project's version, recorded with every decision",
        "description": "what the project decides",
        "outputs": "the names a decision returns (default: every name a node writes)",
        "monitoring": "the thresholds `composite monitor` exits 1 past (docs/monitoring.md)",
        "challengers": "project folders, relative to this one, that decide every request in the shadow "
                       "(docs/challengers.md)",
    },
    "MonitoringConfig": {
        "psi": "population stability index past which an input or output has drifted",
        "p_value": "KS or chi-squared p-value below which an input or output has drifted",
        "auc_drop": "fall in AUC, once outcomes exist, past which the model has degraded",
    },
    "Concept": {
        "type": "number, integer, category, boolean or string",
        "unit": "shown with every value of the concept", "range": "[min, max], either may be null: numbers "
        "outside are rejected", "values": "the allowed values", "ordered": "true when `values` go from low to high",
        "description": "its meaning: explanations and the request schema use it",
        "source": "where the concept comes from (a data dictionary, a regulation)",
        "influences": "outcome: increases or decreases; models are made monotone in that direction",
        "required": "false: the request may leave it out (it is then null, or `default`)",
        "default": "the value when the request leaves it out",
        "protected": "true: no model may read it (a characteristic the law forbids deciding on)",
    },
    "ModelFile": {
        "description": "what the model predicts",
        "algorithm": "lightgbm or logistic_regression", "target": "the data column to predict (0/1)",
        "output": "the name the predicted probability is written under",
        "domain_output": "optionally write whether the input lies inside the training domain (true/false)",
        "data": "the training data, a CSV file relative to the project folder",
        "features": "the names the model reads, each a concept in knowledge/",
        "anchor": "logistic regression: the expert score whose coefficient is not shrunk",
        "hyperparameters": "LightGBM or logistic regression parameters",
        "calibration": "auto, sigmoid, isotonic or none", "validation": "repeated stratified k-fold",
        "seed": "random seed", "reasons": "top reasons shown per direction",
    },
    "BlendFile": {
        "description": "what the blend gives",
        "validation": "repeated stratified k-fold", "seed": "random seed",
    },
    "ScenarioEntry": {
        "name": "what the scenario shows", "description": "why it matters",
        "inputs": "the request (with the file's `given:`, when it has one)",
        "expect": "outputs and their expected values; {approx: x, tol: t} for a number",
        "fired": "rules or table rows that must fire (`<table> row <n>` or a row id)",
        "rejected": "true: the request must be refused (by the input schema, or by a node that fails on it)",
    },
    "GuardEntry": {"override_reason": "the expert's reason", "otherwise_reason": "the reason of the outcome that "
                  "stands", "output": "the name the outcome is written under",
                  "output_reason": "the name the reason is written under"},
    "ReviewEntry": {"outcome_reason": "the reason that stands when they agree",
                   "refer": "the outcome when they disagree", "output": "the name the outcome is written under",
                   "output_reason": "the name the reason is written under"},
    "FallbackEntry": {"output": "the name the value used is written under"},
    "FuzzyInput": {"description": "what the variable measures"},
    "FuzzyOutput": {"description": "what the variable judges"},
    "FuzzyRule": {"description": "the rule's reason, for readers"},
    "FuzzyOperators": {"and": "min or product", "or": "max or probor", "implication": "min or product",
                       "aggregation": "max, sum or probor"},
    "Validation": {"folds": "folds per repeat (2 to 20)", "repeats": "repeats (1 to 50)"},
    "BlendValidation": {"folds": "folds per repeat (2 to 20)", "repeats": "repeats (1 to 50)"},
}
# Fields the loaders fill in themselves: not for authors.
_HIDDEN: dict[str, tuple[str, ...]] = {"Concept": ("name", "file", "line"), "ModelFile": ("file",),
                                       "BlendFile": ("file",),
                                       "ScenarioEntry": ("file", "line", "places", "given")}


def file_models() -> dict[str, type[BaseModel]]:
    """The pydantic model of each project file type, by key (see `FILE_TYPES`)."""
    return {"composite": _project_model(), "knowledge": KnowledgeFile, "rules": RuleFile, "table": TableFile,
            "fuzzy": FuzzyFile, "model": ModelFile, "blend": BlendFile, "scenarios": _scenario_file_model()}


def file_schemas() -> dict[str, dict[str, Any]]:
    """A JSON Schema for every project file type, by key (see `FILE_TYPES`).

    Examples
    --------
    >>> schemas = file_schemas()
    >>> sorted(schemas)
    ['blend', 'composite', 'fuzzy', 'knowledge', 'model', 'rules', 'scenarios', 'table']
    >>> schemas["rules"]["required"]
    ['ruleset', 'rules']
    """
    models = file_models()
    out = {}
    for file_type in FILE_TYPES:
        model = models[file_type.key]
        schema = _portable(model.model_json_schema(by_alias=True))
        _patch(schema, _factory_defaults(model))
        out[file_type.key] = {"$schema": DIALECT, **schema, "title": file_type.title}
    return out


def write_file_schemas(directory: str | Path) -> list[Path]:
    """Write `<key>.schema.json` for every project file type into `directory`; the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    schemas = file_schemas()
    for file_type in FILE_TYPES:
        path = directory / file_type.schema_file
        path.write_text(json.dumps(schemas[file_type.key], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def vscode_settings(schema_dir: str = ".schemas", projects: tuple[str, ...] = (".",)) -> dict[str, Any]:
    """`yaml.schemas` for `.vscode/settings.json`: each schema file (under `schema_dir`, relative to
    the workspace) mapped to its files in each project folder (relative to the workspace, globs
    allowed: "examples/*").

    Patterns start at the workspace root ("/composite.yaml"), so that `scenarios/composite.yaml`, a
    scenario file of that name, is not taken for a project file.

    >>> vscode_settings(".schemas")["yaml.schemas"][".schemas/composite.schema.json"]
    ['/composite.yaml']
    """
    mapping: dict[str, list[str]] = {}
    for file_type in FILE_TYPES:
        patterns = [glob for glob in file_type.globs if glob.startswith("**/")]
        for project in projects:
            prefix = "/" if project in (".", "") else "/" + project.strip("/") + "/"
            patterns += [prefix + glob for glob in file_type.globs if not glob.startswith("**/")]
        mapping[f"{schema_dir.rstrip('/')}/{file_type.schema_file}"] = patterns
    return {"yaml.schemas": mapping}


def _portable(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's draft 2020-12 output, in the subset draft 7 reads alike: `definitions` for
    `$defs`, `items` for `prefixItems`, no OpenAPI `discriminator`."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    schema = json.loads(text)
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("discriminator", None)
            if "prefixItems" in node:
                items = node.pop("prefixItems")
                unique = [json.loads(t) for t in dict.fromkeys(json.dumps(i, sort_keys=True) for i in items)]
                node["items"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def _factory_defaults(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The defaults pydantic leaves out of a schema, those made by a `default_factory`, by model
    name and field: an editor shows them (`passes: [none, null]`, `keep: [decline]`)."""
    found: dict[str, dict[str, Any]] = {}

    def visit(cls: type[BaseModel]) -> None:
        if cls.__name__ in found:
            return
        found[cls.__name__] = {}
        for name, field in cls.model_fields.items():
            if field.default_factory is not None and not field.exclude:
                value = field.default_factory()  # type: ignore[call-arg]
                value = value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else value
                found[cls.__name__][field.alias or name] = value
            for inner in _models_in(field.annotation):
                visit(inner)

    visit(model)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _patch(schema: dict[str, Any], defaults: dict[str, dict[str, Any]]) -> None:
    """Descriptions where the loaders' models have none; fields the loaders fill in, hidden;
    defaults made by factories, shown."""
    definitions = schema.get("definitions", {})
    for title, where in [(schema.get("title"), schema)] + [(name, d) for name, d in definitions.items()]:
        properties = where.get("properties", {})
        for field, value in defaults.get(title or "", {}).items():
            if field in properties:
                properties[field].setdefault("default", value)
        for field in _HIDDEN.get(title, ()):
            properties.pop(field, None)
            if field in where.get("required", []):
                where["required"].remove(field)
        for field, text in _DESCRIPTIONS.get(title, {}).items():
            if field in properties and "description" not in properties[field]:
                properties[field]["description"] = text
        if "required" in where and not where["required"]:
            del where["required"]
