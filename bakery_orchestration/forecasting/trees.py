"""Fitted gradient-boosted trees as plain arrays, with a numpy predictor.

scikit-learn's HistGradientBoostingRegressor is used to fit; its trees are then copied into
flat numeric arrays. Predicting from the arrays needs no scikit-learn object, which is what lets
a model be stored as numbers only (see serialization.py) and never as pickled code.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported only to fit (1.2 s of a run worker's start)
    from sklearn.ensemble import HistGradientBoostingRegressor

LINKS = ("identity", "log")


@dataclass(frozen=True)
class TreeEnsemble:
    """All trees of one boosted model, nodes concatenated; child indices are absolute."""

    feature: np.ndarray  # int32, -1 on leaves
    threshold: np.ndarray  # float64: go left when x <= threshold
    missing_left: np.ndarray  # bool: where NaN goes
    left: np.ndarray  # int32
    right: np.ndarray  # int32
    value: np.ndarray  # float64, leaf values
    roots: np.ndarray  # int32, first node of each tree
    baseline: float
    link: str
    depth: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Model output for rows of ``x`` (in the link's response scale)."""
        raw = np.full(x.shape[0], self.baseline)
        rows = np.arange(x.shape[0])
        for root in self.roots:
            node = np.full(x.shape[0], root, dtype=np.int64)
            for _ in range(self.depth):
                feat = self.feature[node]
                inner = feat >= 0
                if not inner.any():
                    break
                xv = x[rows, np.maximum(feat, 0)]
                go_left = np.where(
                    np.isnan(xv), self.missing_left[node], xv <= self.threshold[node]
                )
                step = np.where(go_left, self.left[node], self.right[node])
                node = np.where(inner, step, node)
            raw += self.value[node]
        return np.exp(raw) if self.link == "log" else raw


def from_sklearn(model: "HistGradientBoostingRegressor") -> TreeEnsemble:
    """Copy a fitted single-output, numeric-feature HistGradientBoostingRegressor."""
    parts, roots, offset, depth = [], [], 0, 1
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported")
        leaf = nodes["is_leaf"].astype(bool)
        parts.append(
            (
                np.where(leaf, -1, nodes["feature_idx"]).astype(np.int32),
                nodes["num_threshold"].astype(float),
                nodes["missing_go_to_left"].astype(bool),
                (nodes["left"] + offset).astype(np.int32),
                (nodes["right"] + offset).astype(np.int32),
                nodes["value"].astype(float),
            )
        )
        roots.append(offset)
        offset += len(nodes)
        depth = max(depth, int(nodes["depth"].max()) + 1)
    columns = [np.concatenate(c) for c in zip(*parts, strict=True)]
    link = "log" if model.loss in ("poisson", "gamma") else "identity"
    baseline = float(np.ravel(model._baseline_prediction)[0])
    return TreeEnsemble(*columns, np.asarray(roots, np.int32), baseline, link, depth)
