"""The model file, `models/<name>.model.yaml`: what to learn, from which data, with which settings.

Loading reports every problem at once with file and line. Monotone directions are not part of
a model file: they come from `knowledge/` (a concept's `influences`), and a file that tries to
state them is rejected with a message saying so.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from composite._files import read_project_file
from composite._yaml import LineDict, LineList, load_yaml, pydantic_problems
from composite.errors import Problem, ProjectError

if TYPE_CHECKING:
    from composite.knowledge import Knowledge

__all__ = [
    "ALGORITHMS",
    "CALIBRATIONS",
    "ModelSpec",
    "Validation",
    "check_features",
    "load_model_spec",
    "read_model_spec",
]

ALGORITHMS = ("lightgbm", "logistic_regression")
CALIBRATIONS = ("auto", "sigmoid", "isotonic", "none")
FEATURE_TYPES = ("number", "integer", "category", "boolean")

# Words (and LightGBM / scikit-learn parameter aliases) by which a model file might try to set
# monotone directions itself.
_MONOTONE_WORDS = frozenset({
    "monotone", "monotonic", "monotone_constraints", "monotone_constraint", "monotonic_constraints",
    "monotonic_cst", "mc", "direction", "directions", "influence", "influences", "sign", "increasing",
    "decreasing", "increases", "decreases",
})
# Parameters composite sets from the spec and knowledge/, never from `hyperparameters:`.
_RESERVED = {
    "objective": "a model predicts a binary target; the objective is always binary log loss",
    "application": "a model predicts a binary target; the objective is always binary log loss",
    "num_class": "a model predicts a binary target",
    "categorical_feature": "categories are encoded from knowledge/ (unordered categories are LightGBM categories)",
    "cat_feature": "categories are encoded from knowledge/",
    "categorical_column": "categories are encoded from knowledge/",
    "seed": "set 'seed:' at the top of the model file",
    "random_state": "set 'seed:' at the top of the model file",
    "random_seed": "set 'seed:' at the top of the model file",
    "num_threads": "training is single-threaded so that it is reproducible",
    "n_jobs": "training is single-threaded so that it is reproducible",
    "deterministic": "training is always deterministic",
    "linear_tree": "linear trees would need linear terms in the contributions; they stay off",
}
_LIGHTGBM_ALIASES = {
    "n_estimators": "num_iterations", "num_boost_round": "num_iterations", "num_trees": "num_iterations",
    "num_round": "num_iterations", "eta": "learning_rate", "shrinkage_rate": "learning_rate",
    "min_child_samples": "min_data_in_leaf", "min_data_per_leaf": "min_data_in_leaf",
    "min_child_weight": "min_sum_hessian_in_leaf", "reg_lambda": "lambda_l2", "lambda": "lambda_l2",
    "reg_alpha": "lambda_l1", "colsample_bytree": "feature_fraction", "subsample": "bagging_fraction",
    "subsample_freq": "bagging_freq", "max_leaves": "num_leaves", "num_leaf": "num_leaves",
    "min_split_gain": "min_gain_to_split",
}
LIGHTGBM_PARAMETERS = frozenset({
    "num_iterations", "learning_rate", "num_leaves", "max_depth", "min_data_in_leaf",
    "min_sum_hessian_in_leaf", "min_data_in_bin", "max_bin", "lambda_l1", "lambda_l2", "min_gain_to_split",
    "feature_fraction", "feature_fraction_bynode", "bagging_fraction", "bagging_freq", "extra_trees",
    "path_smooth", "max_cat_to_onehot", "max_cat_threshold", "cat_smooth", "cat_l2", "min_data_per_group",
    "monotone_constraints_method", "monotone_penalty", "boost_from_average", "max_delta_step",
})
LOGISTIC_PARAMETERS = frozenset({"C", "Cs", "inner_folds", "max_iter"})


class Validation(BaseModel):
    """Repeated stratified k-fold cross-validation: how metrics, intervals and calibration are estimated."""

    model_config = ConfigDict(extra="forbid")

    folds: int = Field(5, ge=2, le=20)
    repeats: int = Field(5, ge=1, le=50)


class ModelSpec(BaseModel):
    """A model file, validated. `file` is its path relative to the project root."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str | None = None
    algorithm: Literal["lightgbm", "logistic_regression"]
    target: str
    output: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    domain_output: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    data: str
    features: list[str] = Field(min_length=1)
    # The expert's score as the model's anchor (logistic regression): its coefficient is not
    # shrunk, every other one is, so with little data the model is the calibrated expert and the
    # data earns corrections to it as far as cross-validation supports them.
    anchor: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    calibration: Literal["auto", "sigmoid", "isotonic", "none"] = "auto"
    validation: Validation = Field(default_factory=Validation)
    seed: int = Field(0, ge=0, lt=2**31)
    reasons: int = Field(3, ge=0, le=20)  # top reasons shown per direction
    file: str = Field(default="", exclude=True)

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        """The line of a top-level key, or of a feature as `features.<name>`."""
        return self._lines.get(key) or self._lines.get("")

    @property
    def writes(self) -> tuple[str, ...]:
        return (self.output,) + ((self.domain_output,) if self.domain_output else ())

    def training_fingerprint(self) -> dict[str, Any]:
        """What training depends on; an artifact trained from a different fingerprint is stale."""
        fingerprint = self.model_dump(mode="json", include={
            "algorithm", "target", "data", "features", "anchor", "hyperparameters", "calibration", "validation", "seed"})
        if fingerprint.get("anchor") is None:  # models trained before anchors existed stay current
            fingerprint.pop("anchor", None)
        return fingerprint

    # -- where a model's files go ------------------------------------------------------------

    def sibling(self, suffix: str) -> str:
        """`models/<name><suffix>` next to the model file (relative to the project root)."""
        folder = PurePosixPath(self.file).parent if self.file else PurePosixPath("models")
        return str(folder / f"{self.name}{suffix}")

    @property
    def artifact_file(self) -> str:
        return self.sibling(".artifact.json")

    @property
    def booster_file(self) -> str:
        return self.sibling(".lgb.txt")

    @property
    def card_file(self) -> str:
        return self.sibling(".card.md")

    @property
    def card_json_file(self) -> str:
        return self.sibling(".card.json")


def _name_from_file(file: str) -> str:
    name = PurePosixPath(file).name
    for suffix in (".model.yaml", ".model.yml", ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _monotone_problem(file: str, line: int | None, field: str, what: str) -> Problem:
    return Problem(
        "model_monotone_in_model_file",
        f"{what}: monotone directions come from knowledge/, never from a model file; remove it here and "
        "give the concept an influence sign in knowledge/ instead, e.g. "
        "`influences: {<target>: increases}` (or `decreases`)",
        file=file, line=line, field=field)


def load_model_spec(data: str | bytes, *, file: str) -> ModelSpec:
    """Parse and validate a model file; a ProjectError lists every problem with its line.

    >>> spec = load_model_spec('''
    ... algorithm: lightgbm
    ... target: default
    ... output: default_probability
    ... data: data/credit.csv
    ... features: [duration_months, age]
    ... ''', file="models/risk.model.yaml")
    >>> spec.name, spec.artifact_file
    ('risk', 'models/risk.artifact.json')
    """
    document = load_yaml(data, file=file)
    if not isinstance(document, Mapping):
        raise ProjectError("a model file is a mapping: algorithm, target, output, data, features, ...",
                           code="model_schema", file=file, line=1)
    problems: list[Problem] = []

    def line(mapping: Any, key: Any) -> int | None:
        return mapping.line_of(key) if isinstance(mapping, (LineDict, LineList)) else None

    for key in document:
        if str(key).lower() in _MONOTONE_WORDS:
            problems.append(_monotone_problem(file, line(document, key), str(key), f"'{key}' in a model file"))
    features = document.get("features")
    if isinstance(features, list):
        for index, item in enumerate(features):
            where = line(features, index)
            if isinstance(item, Mapping):
                inner = [item] + [v for v in item.values() if isinstance(v, Mapping)]
                words = [str(k) for part in inner for k in part if str(k).lower() in _MONOTONE_WORDS]
                values = [str(v) for part in inner for v in part.values() if str(v).lower() in _MONOTONE_WORDS]
                if words or values:
                    problems.append(_monotone_problem(file, where, f"features[{index}]",
                                                      f"feature {dict(item)!r} states a direction"))
                else:
                    problems.append(Problem("model_feature", "a feature is the name of a concept in knowledge/, "
                                            f"not a mapping ({dict(item)!r})", file=file, line=where,
                                            field=f"features[{index}]"))
    hyper = document.get("hyperparameters")
    if isinstance(hyper, Mapping):
        for key in hyper:
            if str(key).lower() in _MONOTONE_WORDS:
                problems.append(_monotone_problem(file, line(hyper, key), f"hyperparameters.{key}",
                                                  f"hyperparameter '{key}'"))
    if problems:
        raise ProjectError(f"{file} is invalid", problems=problems)

    content = dict(document)
    content.setdefault("name", _name_from_file(file))
    try:
        spec = ModelSpec.model_validate({**content, "file": file})
    except ValidationError as exc:
        raise ProjectError(f"{file} is invalid", problems=pydantic_problems(exc, document, file=file)) from None

    lines: dict[str, int] = {"": getattr(document, "line", None) or 1}
    for key in document:
        if (where := line(document, key)) is not None:
            lines[str(key)] = where
    if isinstance(features, LineList):
        for index, item in enumerate(features):
            lines[f"features.{item}"] = features.line_of(index)
    if isinstance(hyper, LineDict):
        for key in hyper:
            lines[f"hyperparameters.{key}"] = hyper.line_of(key)
    spec._lines = {k: v for k, v in lines.items() if v is not None}

    problems.extend(_check(spec))
    if problems:
        raise ProjectError(f"{file} is invalid", problems=problems)
    return spec


def _check(spec: ModelSpec) -> list[Problem]:
    problems: list[Problem] = []
    file = spec.file

    def add(code: str, message: str, key: str, field: str | None = None) -> None:
        problems.append(Problem(code, message, file=file, line=spec.line_of(key), field=field or key))

    seen: set[str] = set()
    for feature in spec.features:
        if feature in seen:
            add("model_feature_twice", f"feature '{feature}' is listed twice", f"features.{feature}", "features")
        seen.add(feature)
    if spec.target in seen:
        add("model_target_is_feature", f"the target '{spec.target}' cannot also be a feature",
            f"features.{spec.target}", "features")
    for name, key in ((spec.output, "output"), (spec.domain_output, "domain_output")):
        if name and (name in seen or name == spec.target):
            add("model_output_name", f"'{name}' is a feature or the target; the model writes it, so give it a new name",
                key)
    if spec.domain_output and spec.domain_output == spec.output:
        add("model_output_name", "domain_output must differ from output", "domain_output")
    if spec.anchor is not None:
        if spec.anchor not in seen:
            add("model_anchor", f"the anchor '{spec.anchor}' must be one of the features", "anchor")
        if spec.algorithm != "logistic_regression":
            add("model_anchor", "an anchor is for algorithm: logistic_regression (its coefficient is left "
                "unshrunk); LightGBM takes the expert score as an ordinary feature", "anchor")
    allowed = LIGHTGBM_PARAMETERS if spec.algorithm == "lightgbm" else LOGISTIC_PARAMETERS
    for key, value in spec.hyperparameters.items():
        where = f"hyperparameters.{key}"
        if key in _RESERVED:
            add("model_hyperparameter", f"'{key}' cannot be set: {_RESERVED[key]}", where)
        elif spec.algorithm == "lightgbm" and key in _LIGHTGBM_ALIASES:
            add("model_hyperparameter", f"write '{_LIGHTGBM_ALIASES[key]}' instead of its alias '{key}'", where)
        elif key not in allowed:
            import difflib

            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(allowed))}"
            add("model_hyperparameter", f"unknown {spec.algorithm} hyperparameter '{key}'{hint}", where)
        elif isinstance(value, (dict, list)) and key != "Cs":
            add("model_hyperparameter", f"'{key}' must be a single value", where)
    return problems


def check_features(spec: ModelSpec, knowledge: "Knowledge | None") -> list[Problem]:
    """Every feature must be a concept of a type a model can use (its type and values encode it),
    and none may be a protected characteristic (`protected: true` in knowledge/)."""
    problems: list[Problem] = []
    for feature in spec.features:
        where = {"file": spec.file, "line": spec.line_of(f"features.{feature}"), "field": "features"}
        concept = knowledge.get(feature) if knowledge is not None else None
        if concept is None:
            problems.append(Problem(
                "model_feature_unknown",
                f"feature '{feature}' is not a concept in knowledge/; define it there (type, description, and "
                f"influences: {{{spec.target}: increases|decreases}} when its direction is known)", **where))
        elif concept.protected:
            problems.append(Problem(
                "model_feature_protected",
                f"feature '{feature}' is a protected characteristic (knowledge/ marks it `protected: true`: the "
                "law or policy forbids deciding on it); no model may read it, remove it from the features", **where))
        elif concept.type not in FEATURE_TYPES:
            problems.append(Problem(
                "model_feature_type",
                f"feature '{feature}' is a {concept.type} concept; a model uses numbers, integers, categories "
                "(with their values listed in knowledge/) and booleans", **where))
        elif concept.type == "category" and not concept.values:
            problems.append(Problem(
                "model_feature_values",
                f"feature '{feature}' is a category without 'values' in knowledge/; list its values there so "
                "the model can encode them", **where))
    return problems


def read_model_spec(root: Path, relative: str) -> ModelSpec:
    """The model file at `root / relative`; a missing file is a located error."""
    _, data = read_project_file(Path(root), relative, referenced_from=(relative, None), what="model file")
    return load_model_spec(data, file=relative)
