"""Small-data models: model files, feature encoding from knowledge/, training with honest
validation, safe artifacts with model cards, and prediction with contributions and domain checks.

    spec = read_model_spec(root, "models/default_risk.model.yaml")
    project = load_training_project(root)             # loads even while the model is untrained
    data = training_data(project, spec)               # features, upstream outputs computed, target
    model = train_model(spec, data, project.knowledge)
    model.cross_validation.mean_oof_probability       # out-of-fold probabilities, row by row
    save_model(model, spec, root)                     # artifact + LightGBM text + model card
    model.predict(frame)                              # probability, score, contributions, domain
"""

from __future__ import annotations

import typing

from composite._lazy import lazy_exports

if typing.TYPE_CHECKING:
    from composite.ml.artifact import SavedModel, card_markdown, load_model, load_saved_model, save_model
    from composite.ml.domain import DomainCheck, TrainingDomain
    from composite.ml.features import FeatureEncoder, FeatureEncoding
    from composite.ml.predict import (
        BoosterCore,
        Calibrator,
        LinearCore,
        ModelEvidence,
        Prediction,
        TrainedModel,
    )
    from composite.ml.spec import ModelSpec, load_model_spec, read_model_spec
    from composite.ml.train import (
        CrossValidation,
        Interval,
        TrainingData,
        allow_untrained_models,
        choose_calibration,
        cross_validate,
        lightgbm_parameters,
        load_training_project,
        oof_predictions,
        train_model,
        training_data,
    )

# public name -> the module that defines it: imported on first use, so that reading one
# module of the package (e.g. a model artifact to explain a decision) does not import the others
_EXPORTS: dict[str, str] = {
    "BoosterCore": "composite.ml.predict",
    "Calibrator": "composite.ml.predict",
    "CrossValidation": "composite.ml.train",
    "DomainCheck": "composite.ml.domain",
    "FeatureEncoder": "composite.ml.features",
    "FeatureEncoding": "composite.ml.features",
    "Interval": "composite.ml.train",
    "LinearCore": "composite.ml.predict",
    "ModelEvidence": "composite.ml.predict",
    "ModelSpec": "composite.ml.spec",
    "Prediction": "composite.ml.predict",
    "SavedModel": "composite.ml.artifact",
    "TrainedModel": "composite.ml.predict",
    "TrainingData": "composite.ml.train",
    "TrainingDomain": "composite.ml.domain",
    "allow_untrained_models": "composite.ml.train",
    "card_markdown": "composite.ml.artifact",
    "choose_calibration": "composite.ml.train",
    "cross_validate": "composite.ml.train",
    "lightgbm_parameters": "composite.ml.train",
    "load_model": "composite.ml.artifact",
    "load_model_spec": "composite.ml.spec",
    "load_saved_model": "composite.ml.artifact",
    "load_training_project": "composite.ml.train",
    "oof_predictions": "composite.ml.train",
    "read_model_spec": "composite.ml.spec",
    "save_model": "composite.ml.artifact",
    "train_model": "composite.ml.train",
    "training_data": "composite.ml.train",
}

__all__ = [
    "BoosterCore",
    "Calibrator",
    "CrossValidation",
    "DomainCheck",
    "FeatureEncoder",
    "FeatureEncoding",
    "Interval",
    "LinearCore",
    "ModelEvidence",
    "ModelSpec",
    "Prediction",
    "SavedModel",
    "TrainedModel",
    "TrainingData",
    "TrainingDomain",
    "allow_untrained_models",
    "card_markdown",
    "choose_calibration",
    "cross_validate",
    "lightgbm_parameters",
    "load_model",
    "load_model_spec",
    "load_saved_model",
    "load_training_project",
    "oof_predictions",
    "read_model_spec",
    "save_model",
    "train_model",
    "training_data",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
