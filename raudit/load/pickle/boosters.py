"""Structural review of XGBoost and LightGBM models before their compiled parsers see the bytes.

Both libraries' C++ code trusts a model's node indices: a child index or split feature of 1e8
reads far outside the node array (a segfault), and a node that is its own child makes ``predict``
loop for ever. raudit parses the model itself first (XGBoost's UBJSON or JSON, LightGBM's text)
and refuses it unless every tree is a tree: children inside the node array and strictly below their
parent (so there is no cycle), each node reached once, split features below the model's feature
count, finite thresholds, category tables inside their bounds. The checks raise
:class:`BoosterError`.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from typing import Any, Final

__all__ = ["check_xgboost_raw", "check_lightgbm_text", "MAX_NODES", "MAX_FEATURES", "BoosterError"]

#: Most nodes one tree may have, and most features a model may read (beyond them: refused).
MAX_NODES: Final = 1 << 28
MAX_FEATURES: Final = 1 << 28


class _Bad(Exception):
    pass


class BoosterError(ValueError):
    """A booster that is not what its compiled parser expects (:mod:`raudit.load.pickle.review` refuses the file)."""


def _bad(message: str) -> Exception:
    return BoosterError(message)


# ---------------------------------------------------------------------------------------------- UBJSON (XGBoost)

_SCALARS: Final = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}


class _UBJ:
    """A bounded reader of the UBJSON subset XGBoost writes (objects, arrays, typed arrays, numbers, strings)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = memoryview(data), 0

    def _take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise _Bad("the model's UBJSON is truncated or declares more bytes than it holds")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def _marker(self) -> bytes:
        return bytes(self._take(1))

    def _int(self, marker: bytes) -> int:
        if marker not in _SCALARS or marker in (b"d", b"D"):
            raise _Bad(f"the model's UBJSON has a length of type {marker!r}")
        return int(self._scalar(marker))

    def _counted(self) -> int:
        count = self._int(self._marker())
        if not 0 <= count <= len(self.data) - self.pos:
            raise _Bad(f"the model's UBJSON declares {count:,} items in {len(self.data) - self.pos:,} bytes")
        return count

    def _scalar(self, marker: bytes) -> Any:
        import numpy as np

        dtype = np.dtype(_SCALARS[marker])
        return np.frombuffer(self._take(dtype.itemsize), dtype=dtype)[0].item()

    def value(self, marker: bytes | None = None, depth: int = 0) -> Any:  # size: one branch per UBJSON type
        import numpy as np

        if depth > 64:
            raise _Bad("the model's UBJSON nests more than 64 levels")
        m = marker or self._marker()
        if m in _SCALARS:
            return self._scalar(m)
        if m == b"S":
            return bytes(self._take(self._int(self._marker()))).decode("utf-8", "replace")
        if m in (b"T", b"F", b"Z"):
            return {b"T": True, b"F": False, b"Z": None}[m]
        if m == b"{":
            out: dict[str, Any] = {}
            k = self._marker()
            if k == b"#":  # counted object: no end marker
                for _ in range(self._counted()):
                    key = bytes(self._take(self._int(self._marker()))).decode("utf-8", "replace")
                    out[key] = self.value(None, depth + 1)
                return out
            while True:
                if k == b"}":
                    return out
                key = bytes(self._take(self._int(k))).decode("utf-8", "replace")
                out[key] = self.value(None, depth + 1)
                k = self._marker()
        if m == b"[":
            nxt = self._marker()
            if nxt == b"$":
                kind = self._marker()
                if self._marker() != b"#":
                    raise _Bad("the model's UBJSON typed array has no count")
                count = self._int(self._marker())
                if kind not in _SCALARS:
                    raise _Bad(f"the model's UBJSON typed array has type {kind!r}")
                raw = self._take(count * np.dtype(_SCALARS[kind]).itemsize)
                return np.frombuffer(raw, dtype=np.dtype(_SCALARS[kind])).astype(np.float64 if kind in (b"d", b"D") else np.int64)
            items = []
            if nxt == b"#":  # counted array of markers: no end marker
                return [self.value(None, depth + 1) for _ in range(self._counted())]
            while nxt != b"]":
                items.append(self.value(nxt, depth + 1))
                nxt = self._marker()
            return items
        raise _Bad(f"the model's UBJSON has an unknown marker {m!r} at byte {self.pos - 1}")


def _decode_xgboost(raw: bytes) -> Any:
    if raw[:2] == b'{"' or raw[:1] in (b" ", b"\n"):
        try:
            return json.loads(bytes(raw).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise _Bad(f"the model's JSON does not parse: {exc}") from None
    if raw[:1] == b"{":
        reader = _UBJ(raw)
        out = reader.value()
        return out
    raise _Bad("the model is in XGBoost's old binary format, which raudit cannot review (re-save it with XGBoost ≥ 1.6)")


def _trees(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 32:
        return
    if isinstance(node, dict):
        if "tree_param" in node and "left_children" in node:
            yield node
            return
        for v in node.values():
            yield from _trees(v, depth + 1)
    elif isinstance(node, list):
        for v in node:
            yield from _trees(v, depth + 1)


def _num_feature(model: Any) -> int | None:
    try:
        return int(model["Model"]["learner"]["learner_model_param"]["num_feature"] if "Model" in model
                   else model["learner"]["learner_model_param"]["num_feature"])
    except (KeyError, TypeError, ValueError):
        return None


def _array(tree: dict[str, Any], key: str, n: int) -> Any:
    import numpy as np

    arr = np.asarray(tree.get(key, []))
    if arr.ndim != 1 or len(arr) != n:
        raise _Bad(f"its {key} has {arr.size} entries for {n} nodes")
    return arr


# size: one check per field of an XGBoost tree, each naming what is wrong
def _check_xgboost_tree(i: int, tree: dict[str, Any], n_features: int) -> None:
    import numpy as np

    try:
        n = int(tree["tree_param"]["num_nodes"])
    except (KeyError, TypeError, ValueError):
        raise _Bad(f"tree {i} has no node count") from None
    if not 1 <= n <= MAX_NODES:
        raise _Bad(f"tree {i} says it has {n:,} nodes")
    left, right = _array(tree, "left_children", n).astype(np.int64), _array(tree, "right_children", n).astype(np.int64)
    split, cond = _array(tree, "split_indices", n).astype(np.int64), _array(tree, "split_conditions", n).astype(np.float64)
    kinds = np.asarray(tree.get("split_type", np.zeros(n))).astype(np.int64)
    if len(kinds) != n:
        raise _Bad(f"tree {i}'s split_type has {len(kinds)} entries for {n} nodes")
    idx = np.arange(n)
    leaf = left == -1
    if np.any(leaf != (right == -1)):
        raise _Bad(f"tree {i} has a node with exactly one child")
    inner = ~leaf
    if np.any((left[inner] <= idx[inner]) | (left[inner] >= n) | (right[inner] <= idx[inner]) | (right[inner] >= n)):
        raise _Bad(f"tree {i} has a child index outside the tree or pointing back up it (XGBoost would read outside "
                   "its node array or loop)")
    children = np.concatenate([left[inner], right[inner]])
    if len(np.unique(children)) != len(children):
        raise _Bad(f"tree {i} has a node that is the child of two nodes")
    if np.any((split[inner] < 0) | (split[inner] >= n_features)):
        raise _Bad(f"tree {i} splits on feature {int(split[inner].max())} of a model that reads {n_features}")
    numeric = inner & (kinds == 0)
    if not np.all(np.isfinite(cond[numeric])):
        raise _Bad(f"tree {i} has a split threshold that is not a finite number")
    if np.any(kinds[inner] == 1):
        cats = np.asarray(tree.get("categories", [])).astype(np.int64)
        nodes = np.asarray(tree.get("categories_nodes", [])).astype(np.int64)
        seg, size = (np.asarray(tree.get(k, [])).astype(np.int64) for k in ("categories_segments", "categories_sizes"))
        if not len(nodes) == len(seg) == len(size) or np.any((nodes < 0) | (nodes >= n)) \
                or np.any((seg < 0) | (size < 0) | (seg + size > len(cats))) or np.any(cats < 0):
            raise _Bad(f"tree {i}'s category tables point outside themselves")


def check_xgboost_raw(raw: bytes | bytearray) -> None:
    """Refuse an XGBoost model (a Booster's pickled ``handle``) whose trees are not trees.

    Raises
    ------
    BoosterError
        Naming the tree and what is wrong with it.
    """
    try:
        model = _decode_xgboost(bytes(raw))
        n_features = _num_feature(model)
        if n_features is None or not 0 < n_features <= MAX_FEATURES:
            raise _Bad(f"the model's feature count ({n_features}) is missing or out of range")
        for i, tree in enumerate(_trees(model)):
            _check_xgboost_tree(i, tree, n_features)
    except _Bad as exc:
        raise _bad(f"an XGBoost Booster: {exc}") from None
    except (ValueError, TypeError, KeyError, struct.error, OverflowError, MemoryError) as exc:
        raise _bad(f"an XGBoost Booster's model does not parse: {type(exc).__name__}: {exc}") from None


# ---------------------------------------------------------------------------------------------- LightGBM's text

def _fields(block: str) -> dict[str, str]:
    out = {}
    for line in block.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _numbers(fields: dict[str, str], key: str, n: int, *, kind: type = int) -> list[Any]:
    text = fields.get(key, "")
    values = [kind(v) for v in text.split()] if text else []
    if len(values) != n:
        raise _Bad(f"its {key} has {len(values)} entries, not {n}")
    return values


# size: one check per field of a LightGBM tree, each naming what is wrong
def _check_lightgbm_tree(name: str, fields: dict[str, str], n_features: int) -> None:
    leaves = int(fields.get("num_leaves", "0"))
    if not 1 <= leaves <= MAX_NODES:
        raise _Bad(f"{name} says it has {leaves:,} leaves")
    inner = leaves - 1
    if inner == 0:
        return
    features = _numbers(fields, "split_feature", inner)
    left, right = _numbers(fields, "left_child", inner), _numbers(fields, "right_child", inner)
    thresholds = _numbers(fields, "threshold", inner, kind=float)
    decision = _numbers(fields, "decision_type", inner)
    _numbers(fields, "leaf_value", leaves, kind=float)
    seen_inner, seen_leaf = [False] * inner, [False] * leaves
    for node in range(inner):
        if not 0 <= features[node] < n_features:
            raise _Bad(f"{name} splits on feature {features[node]} of a model that reads {n_features}")
        for child in (left[node], right[node]):
            if child >= 0:
                if not node < child < inner or seen_inner[child]:
                    raise _Bad(f"{name}: node {node}'s child {child} is outside the tree, above it or shared "
                               "(LightGBM would read outside its arrays or loop)")
                seen_inner[child] = True
            else:
                leaf = ~child
                if not 0 <= leaf < leaves or seen_leaf[leaf]:
                    raise _Bad(f"{name}: node {node} points at leaf {leaf} of {leaves}")
                seen_leaf[leaf] = True
        if decision[node] & 1:  # categorical: the threshold indexes the category boundaries
            cats = int(fields.get("num_cat", "0"))
            bounds = _numbers(fields, "cat_boundaries", cats + 1) if cats else []
            words = len(fields.get("cat_threshold", "").split())
            if not 0 <= int(thresholds[node]) < cats or any(b < 0 or b > words for b in bounds) or bounds != sorted(bounds):
                raise _Bad(f"{name}: a categorical split points outside its category tables")
        elif not math.isfinite(thresholds[node]):
            raise _Bad(f"{name} has a split threshold that is not a finite number")


def check_lightgbm_text(text: str) -> None:
    """Refuse a LightGBM model (its text, as a pickled Booster holds it) whose trees are not trees.

    Raises
    ------
    BoosterError
        Naming the tree and what is wrong with it.
    """
    try:
        head, sep, rest = text.partition("\nTree=")
        if not sep and "Tree=" not in head:
            rest = ""
        header = _fields(head)
        n_features = int(header.get("max_feature_idx", "-1")) + 1
        if not 0 < n_features <= MAX_FEATURES:
            raise _Bad(f"the model's feature count ({n_features}) is missing or out of range")
        body = rest.split("end of trees", 1)[0]
        blocks = body.split("\nTree=") if body else []
        sizes = header.get("tree_sizes", "").split()
        if sizes and len(sizes) != len(blocks):
            raise _Bad(f"its header lists {len(sizes)} tree sizes for {len(blocks)} trees")
        if sizes and sum(int(s) for s in sizes) > len(text):
            raise _Bad("its tree sizes add up to more than the model text holds (LightGBM would read past it)")
        for i, block in enumerate(blocks):
            _check_lightgbm_tree(f"tree {i}", _fields(block), n_features)
    except _Bad as exc:
        raise _bad(f"a LightGBM Booster: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise _bad(f"a LightGBM Booster's model text does not parse: {type(exc).__name__}: {exc}") from None
