"""trees.py copies scikit-learn's private tree arrays: its predictions must equal sklearn's.

``from_sklearn`` reads ``_predictors`` and ``_baseline_prediction`` (no public accessor exists);
these tests catch a scikit-learn release that changes them (pyproject pins the tested range).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.model import ModelConfig, training_set
from bakery_orchestration.forecasting.trees import from_sklearn


def _random_rows(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 6))
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values take the learned side
    y = rng.poisson(np.exp(0.5 * np.nan_to_num(x[:, 0]) + 0.3 * np.nan_to_num(x[:, 1])))
    return x, y.astype(float)


@pytest.mark.parametrize("loss", ["poisson", "absolute_error", "squared_error"])
def test_numpy_trees_equal_sklearn_on_random_data(loss):
    x, y = _random_rows(0)
    est = HistGradientBoostingRegressor(loss=loss, max_iter=30, random_state=0).fit(x, y)
    x_new, _ = _random_rows(1)
    np.testing.assert_allclose(from_sklearn(est).predict(x_new), est.predict(x_new), rtol=1e-9)


def test_numpy_trees_equal_sklearn_on_real_sales(shared_data):
    sales = pd.read_csv(shared_data / "korean_bakery" / "daily_units.csv", parse_dates=["date"])
    matrix = ft.sales_matrix(ft.normalize_sales(sales))
    data = training_set(matrix, np.zeros(len(matrix.days)), ModelConfig(max_rows=20_000))
    est = HistGradientBoostingRegressor(loss="absolute_error", max_iter=50, random_state=0)
    est.fit(data.x, data.y, sample_weight=data.weight)
    np.testing.assert_allclose(from_sklearn(est).predict(data.x), est.predict(data.x), rtol=1e-9)
