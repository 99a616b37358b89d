"""Any way a user names a model: a fitted estimator, a file or folder, or an MLflow URI, opened as the settings allow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from raudit.config import LoadSettings
from raudit.load.adapters import ModelAdapter, adapt
from raudit.load.models import load_model

__all__ = ["open_model", "model_source"]


def open_model(model: Any, settings: LoadSettings) -> ModelAdapter | None:
    """``model`` as an adapter: a fitted estimator, a file or folder path, or an MLflow URI; ``None`` stays ``None``.

    Every path goes through the safe loaders as ``settings`` allow. Where it came from is in the
    adapter's ``load_info`` (see :func:`model_source`).
    """
    from raudit.load.mlflow import is_mlflow_uri
    from raudit.load.text import as_text_model

    if model is None:
        return None
    if isinstance(model, str) and is_mlflow_uri(model):
        from raudit.load.mlflow import load_mlflow_model

        adapter = as_text_model(load_mlflow_model(model, settings), settings.text_column)
        adapter.load_settings = settings
        return adapter
    if isinstance(model, (str, Path)):
        return load_model(model, settings)
    return as_text_model(adapt(model, features=settings.features), settings.text_column)


def model_source(adapter: ModelAdapter | None) -> tuple[Path | None, str | None]:
    """The model file (or folder) an adapter was opened from, and its MLflow URI; ``None`` for what it does not have."""
    if adapter is None:
        return None, None
    uri = adapter.load_info.get("mlflow_uri")
    path = adapter.load_info.get("path")
    return (Path(path) if path and uri is None else None), uri
