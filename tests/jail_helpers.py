"""Models for the jail's tests that a spawned (fresh) interpreter imports by name."""

from __future__ import annotations

import threading
from typing import Any

from sklearn.base import BaseEstimator, ClassifierMixin

#: Held by a thread of the test process: a forked child inherits it held, a fresh interpreter gets its own.
LOCK = threading.Lock()


class LockedModel(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose predictions wait for :data:`LOCK`, as a library's shared state would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.classes_ = inner.classes_
        self.feature_names_in_ = inner.feature_names_in_

    def fit(self, X: Any, y: Any) -> LockedModel:  # noqa: D102 - scikit-learn's protocol
        return self

    def predict(self, X: Any) -> Any:  # noqa: D102
        with LOCK:
            return self.inner.predict(X)

    def predict_proba(self, X: Any) -> Any:  # noqa: D102
        with LOCK:
            return self.inner.predict_proba(X)
