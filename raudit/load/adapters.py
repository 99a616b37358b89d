"""A small, uniform face for every kind of model raudit audits.

Checks talk to a :class:`ModelAdapter`, never to the estimator directly, so a
scikit-learn pipeline, an XGBoost model or a TorchScript module all look the
same: ``predict``, ``predict_proba`` (classifiers), ``task``, ``classes_`` and
``feature_names``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from raudit.config import LoadSettings
from raudit.errors import InputError

__all__ = ["ModelAdapter", "SklearnAdapter", "Task", "adapt", "label_text"]

Task = Literal["binary", "multiclass", "regression"]


@dataclass
class ModelAdapter:
    """The interface every model adapter provides.

    Attributes
    ----------
    model : object
        The wrapped model.
    task : {"binary", "multiclass", "regression"}
    classes_ : ndarray or None
        Class labels in the column order of :meth:`predict_proba`.
    feature_names : tuple of str or None
        The input columns, in order; ``None`` when the model cannot say.
    load_info : dict
        How the model was loaded (format, loader, trust decisions).
    load_settings : LoadSettings or None
        The settings :func:`raudit.load.models.load_model` opened it with (so a Dask worker opens the
        same file the same way); ``None`` for a model given in memory.
    """

    model: Any
    task: Task
    classes_: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None
    load_info: dict[str, Any] = field(default_factory=dict)
    load_settings: LoadSettings | None = None

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Return predicted labels (or values, for regression) for ``X``."""
        raise NotImplementedError

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:
        """Return class probabilities of shape ``(n_samples, n_classes)``, or ``None``."""
        return None

    @property
    def has_proba(self) -> bool:
        """Whether :meth:`predict_proba` gives probabilities (known before anything is predicted)."""
        return self.task != "regression" and type(self).predict_proba is not ModelAdapter.predict_proba

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for the lineage appendix."""
        return {
            "class": f"{type(self.model).__module__}.{type(self.model).__qualname__}",
            "task": self.task,
            "classes": None if self.classes_ is None else [label_text(c) for c in self.classes_],
            "features": None if self.feature_names is None else list(self.feature_names),
            **self.load_info,
        }


@dataclass
class SklearnAdapter(ModelAdapter):
    """Adapter for anything with the scikit-learn estimator API."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: D102
        return np.asarray(self.model.predict(self._input(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:  # noqa: D102
        if self.task == "regression" or not hasattr(self.model, "predict_proba"):
            return None
        proba = np.asarray(self.model.predict_proba(self._input(X)), dtype=float)
        # float32 models (XGBoost, LightGBM) sum to 1 only to ~1e-7: renormalise in float64
        return proba / proba.sum(axis=1, keepdims=True)

    @property
    def has_proba(self) -> bool:  # noqa: D102
        return self.task != "regression" and hasattr(self.model, "predict_proba")

    def _input(self, X: pd.DataFrame) -> Any:
        # A model fitted on a NumPy array warns when given a DataFrame; skorch's torch layers want float32.
        if hasattr(self.model, "feature_names_in_"):
            return X
        return X.to_numpy(dtype=np.float32) if type(self.model).__module__.startswith("skorch") else X.to_numpy()


# size: one branch per kind of fitted estimator and the error that teaches its fix
def adapt(model: Any, *, load_info: Mapping[str, Any] | None = None, features: Sequence[str] | None = None) -> ModelAdapter:
    """Wrap a fitted scikit-learn-compatible estimator in an adapter.

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline (or an existing adapter, returned as is).
    load_info : mapping, optional
        How it was loaded, for the report.
    features : sequence of str, optional
        The input columns when the model does not record them.

    Raises
    ------
    InputError
        If ``model`` has no ``predict`` or is not fitted.
    """
    if isinstance(model, ModelAdapter):
        return model
    from sklearn.base import is_classifier, is_regressor
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    name = type(model).__name__
    if not hasattr(model, "predict"):
        raise InputError(
            f"the model file holds a {type(model).__module__}.{name}, which has no predict() method",
            hint="save the fitted estimator or pipeline itself (joblib.dump(model, 'model.joblib'))",
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise InputError(
            f"this {name} is not fitted yet",
            hint="call fit() on the model before saving it, then audit the saved file",
        ) from None
    except TypeError:
        pass  # not a scikit-learn estimator; trust predict()

    classes = getattr(model, "classes_", None)
    try:
        kind = "classifier" if is_classifier(model) else ("regressor" if is_regressor(model) else None)
    except (AttributeError, TypeError):  # not a scikit-learn estimator: judge by duck typing
        kind = None
    if kind == "classifier" or (kind is None and classes is not None and hasattr(model, "predict_proba")):
        if classes is None:
            raise InputError(f"classifier {name} has no classes_ attribute; raudit cannot map its probabilities to labels")
        classes = np.asarray(classes)
        task: Task = "binary" if len(classes) == 2 else "multiclass"
    elif kind == "regressor" or classes is None:
        task, classes = "regression", None
    else:  # pragma: no cover - defensive
        raise InputError(f"cannot tell whether {name} is a classifier or a regressor")

    names = getattr(model, "feature_names_in_", None)
    feature_names = tuple(str(c) for c in names) if names is not None else (tuple(features) if features else None)
    return SklearnAdapter(
        model=model,
        task=task,
        classes_=classes,
        feature_names=feature_names,
        load_info=dict(load_info or {"format": "python object", "loader": "in memory"}),
    )


def label_text(value: Any) -> Any:
    """A class label as a plain Python value (NumPy scalars unwrapped), for messages and JSON."""
    return value.item() if hasattr(value, "item") else value
