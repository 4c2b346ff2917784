"""An exponential-smoothing baseline: additive Holt-Winters, ETS(A,N,A), with a weekly season.

Per product: level ``l`` and one seasonal term per weekday ``s[w]``; each known day's error
``e = y - (l + s[w])`` updates ``l += alpha * e`` and ``s[w] += gamma * e``. Closed days and days
before the product's first sale (NaN) leave the state unchanged. The smoothing parameters are
chosen per product and origin from a small grid by the sum of squared one-step errors over the
fitting window (the last year before the origin), which is what an ETS fit by least squares
does; no trend (bakery sales over a week have none worth extrapolating). Refitted at every
origin, like the statsforecast AutoETS figure of the shared data README. Vectorized over grid
points and products: one origin takes a few milliseconds.
"""

import warnings

import numpy as np

ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.5])
GAMMAS = np.array([0.0, 0.02, 0.05, 0.1, 0.2])
FIT_DAYS = 364
INIT_DAYS = 28  # days that set the initial level and weekday terms (not scored in the fit)


def ets_forecast(values: np.ndarray, origin: int, horizon: int = 7) -> np.ndarray:
    """Forecasts of days ``origin .. origin + horizon - 1`` (horizon x products), NaN if unknown.

    ``values`` is a day x product matrix (NaN = no value); only rows before ``origin`` are read.
    """
    window = values[max(0, origin - FIT_DAYS) : origin]
    start = max(0, origin - FIT_DAYS)
    weekday = (np.arange(start, origin + horizon)) % 7
    alpha = np.repeat(ALPHAS, GAMMAS.size)[:, None]
    gamma = np.tile(GAMMAS, ALPHAS.size)[:, None]
    level, season = _initial_state(window[:INIT_DAYS], weekday[:INIT_DAYS])
    n_grid = alpha.shape[0]
    level = np.broadcast_to(level, (n_grid, level.size)).copy()
    season = np.broadcast_to(season, (n_grid, *season.shape)).copy()
    sse = np.zeros_like(level)
    for i in range(INIT_DAYS, len(window)):
        y, w = window[i], weekday[i]
        known = ~np.isnan(y)
        error = np.where(known, y - level - season[:, w], 0.0)
        sse += error**2
        level += alpha * error
        season[:, w] += gamma * error
    best = np.argmin(sse, axis=0)
    columns = np.arange(level.shape[1])
    future = weekday[len(window) :]
    forecast = level[best, columns][None, :] + season[best, :, columns].T[future]
    return np.maximum(forecast, 0.0)


def _initial_state(first: np.ndarray, weekday: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level = mean of the first days; weekday terms = each weekday's mean minus the level."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN columns
        level = np.nanmean(first, axis=0)
        season = np.stack([np.nanmean(first[weekday == w], axis=0) for w in range(7)]) - level
    return np.nan_to_num(level), np.nan_to_num(season)
