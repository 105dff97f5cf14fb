"""The recyclability predictor's model and its score
(:mod:`prompt_recycling.analysis.recyclability`): a logistic regression solved in NumPy, the same
model as a scikit-learn pipeline but fast enough to refit on every bootstrap resample, and the ROC
AUC, pooled within groups."""

from __future__ import annotations

import math

import numpy as np


class Logistic:
    """Median imputation (a column with no value: 0), standardisation, and logistic regression
    with scikit-learn's default L2 penalty (C = 1, intercept unpenalised), solved by damped
    Newton steps: the optimum of :func:`sklearn_pipeline`'s objective, fast enough to refit
    every leave-one-pair-out model on every resample."""

    def fit(self, x, y) -> Logistic:
        from scipy.special import expit

        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        seen = np.isfinite(x).any(axis=0)
        self.median = np.zeros(x.shape[1])
        self.median[seen] = np.nanmedian(x[:, seen], axis=0)
        z = np.where(np.isnan(x), self.median, x)
        self.mean, self.scale = z.mean(axis=0), z.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        a = self._design(z)
        penalty = np.r_[0.0, np.ones(x.shape[1])]

        def objective(w):
            t = a @ w
            return float(np.logaddexp(0, t).sum() - y @ t + 0.5 * penalty @ w**2)

        w = np.zeros(a.shape[1])
        loss = objective(w)
        for _ in range(100):
            p = expit(a @ w)
            grad = a.T @ (p - y) + penalty * w
            hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty)
            step = np.linalg.solve(hess + 1e-12 * np.eye(len(w)), grad)
            t = 1.0
            while t > 1e-8 and objective(w - t * step) > loss + 1e-12 * abs(loss):
                t /= 2
            w, loss = w - t * step, objective(w - t * step)
            if np.abs(t * step).max() < 1e-10:
                break
        self.coef = w
        return self

    def _design(self, z: np.ndarray) -> np.ndarray:
        return np.c_[np.ones(len(z)), (z - self.mean) / self.scale]

    def predict_proba(self, x) -> np.ndarray:
        from scipy.special import expit

        x = np.asarray(x, np.float64)
        p = expit(self._design(np.where(np.isnan(x), self.median, x)) @ self.coef)
        return np.c_[1 - p, p]


def sklearn_pipeline():
    """The same model as :class:`Logistic` in scikit-learn (the reference it is tested on)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=1000, tol=1e-8),
    )


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties counted half; NaN with one class.
    The same number as :func:`sklearn.metrics.roc_auc_score`, fast enough to bootstrap."""
    from scipy.stats import rankdata

    ok = np.isfinite(score)
    y, score = np.asarray(y)[ok], np.asarray(score)[ok]
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def within_auc(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> float:
    """The AUC over positive-negative pairs *of the same group* only (each group's AUC weighted
    by its positives x negatives). Held-out scores of different groups come from different
    models, and groups differ in how often their prompts succeed: ranking across groups would
    score those base rates, not the predictor."""
    num = den = 0.0
    for g in np.unique(groups):
        m = groups == g
        a = auc(y[m], score[m])
        if not math.isnan(a):
            ok = np.isfinite(score[m])
            w = y[m][ok].sum() * (1 - y[m][ok]).sum()
            num, den = num + a * w, den + w
    return num / den if den else math.nan
