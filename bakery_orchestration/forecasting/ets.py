"""Exponential smoothing: additive Holt-Winters, ETS(A,N,A), with a weekly season.

Per product: level ``l`` and one seasonal term per weekday ``s[w]``; each known day's error
``e = y - (l + s[w])`` updates ``l += alpha * e`` and ``s[w] += gamma * e``. Closed days and days
before the product's first sale (NaN) leave the state unchanged. The smoothing parameters are
chosen per product from a small grid by the sum of squared one-step errors over the fitting
window (at most the last year), which is what an ETS fit by least squares does; no trend
(bakery sales over a week have none worth extrapolating). Vectorized over grid points and
products: one fit of a year of 150 products takes a few tens of milliseconds.

Used twice: as a baseline refitted at every origin (``ets_forecast``, like the statsforecast
AutoETS figure of the shared data README), and as a feature of the demand model
(``ets_path``: the forecast known at every origin, in one pass).
"""

import warnings

import numpy as np

ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.5])
GAMMAS = np.array([0.0, 0.02, 0.05, 0.1, 0.2])
FIT_DAYS = 364
INIT_DAYS = 28  # days that set the initial level and weekday terms (not scored in the fit)


def choose_parameters(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-product (alpha, gamma) with the least one-step squared error on the last year."""
    window = values[-FIT_DAYS:]
    alpha = np.repeat(ALPHAS, GAMMAS.size)[:, None]
    gamma = np.tile(GAMMAS, ALPHAS.size)[:, None]
    first = len(values) - len(window)
    init = window[:INIT_DAYS]
    level, season = _initial_state(init, np.arange(first, first + len(init)) % 7)
    level = np.broadcast_to(level, (alpha.size, level.size)).copy()
    season = np.broadcast_to(season, (alpha.size, *season.shape)).copy()
    sse = np.zeros_like(level)
    for i in range(INIT_DAYS, len(window)):
        w = (first + i) % 7
        error = np.nan_to_num(window[i] - level - season[:, w], nan=0.0)
        sse += error**2
        level += alpha * error
        season[:, w] += gamma * error
    best = np.argmin(sse, axis=0)
    return alpha[best, 0], gamma[best, 0]


def ets_path(values: np.ndarray, alpha: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Forecast of each weekday known at each day, from the days before it: (days, 7, products).

    ``path[o, w]`` forecasts any day of weekday ``w`` (day index modulo 7) from origin ``o``;
    the rows after the last known day repeat the final state.
    """
    n_days = len(values)
    level, season = _initial_state(values[:INIT_DAYS], np.arange(min(INIT_DAYS, n_days)) % 7)
    path = np.empty((n_days + 1, 7, values.shape[1]))
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)
    for d in range(n_days):
        path[d] = level + season
        error = (filled[d] - level - season[d % 7]) * known[d]
        level = level + alpha * error
        season[d % 7] += gamma * error
    path[n_days] = level + season
    return np.maximum(path, 0.0)


def ets_forecast(values: np.ndarray, origin: int, horizon: int = 7) -> np.ndarray:
    """Forecasts of days ``origin .. origin + horizon - 1`` (horizon x products), refitted on
    the rows before ``origin`` (the last year of them)."""
    history = values[:origin]
    start = max(0, origin - FIT_DAYS)
    alpha, gamma = choose_parameters(history)
    path = ets_path(history[start:], alpha, gamma)
    weekdays = (np.arange(origin, origin + horizon) - start) % 7
    return path[-1][weekdays]


def _initial_state(first: np.ndarray, weekday: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level = mean of the first days; weekday terms = each weekday's mean minus the level."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN columns
        level = np.nanmean(first, axis=0)
        season = np.stack([np.nanmean(first[weekday == w], axis=0) for w in range(7)]) - level
    return np.nan_to_num(level), np.nan_to_num(season)
