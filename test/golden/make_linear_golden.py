"""Writes test/golden/linear.json: scikit-learn 1.2 linear-model solutions for the TypeScript tests.

Depends on: Python 3 with scikit-learn 1.2.1 and numpy (Debian: apt-get install python3-sklearn).
Only this generator needs them; the TypeScript tests read the committed JSON (through test/helpers/golden.ts) and never call Python.

Run once with Debian's interpreter (scikit-learn 1.2.1): /usr/bin/python3 test/golden/make_linear_golden.py
Inputs are rounded (8 decimals) before fitting, and those exact inputs are written, so both
sides solve the same problem. References are the optimum of the objective, not an
early-stopped iterate: newton-cg at tol 1e-12 for L2 logistic with its gradient checked below
1e-6 (the penalty makes the objective 1-strongly convex in W; sklearn's lbfgs, even at
tol 1e-12, stops on scipy's ftol about 1e-4 away on breast cancer), saga at tol 1e-13 for
L1 / elastic net, Cholesky for Ridge, coordinate descent at tol 1e-14 for Lasso / ElasticNet.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
rng = np.random.default_rng(7)


def standardized(X):
    return np.round(StandardScaler().fit_transform(X), 8)


def one_hot(codes, cardinality):
    out = np.zeros((len(codes), cardinality))
    ok = (codes >= 0) & (codes < cardinality)
    out[np.nonzero(ok)[0], codes[ok]] = 1.0
    return out


datasets = {}


def add_dataset(name, X, y, categorical=None):
    """categorical: list of (name, codes, cardinality); the reference sees them one-hot encoded."""
    categorical = categorical or []
    datasets[name] = {
        "dense": [[float(v) for v in X[:, j]] for j in range(X.shape[1])],
        "denseNames": [f"x{j}" for j in range(X.shape[1])],
        "categorical": [{"name": n, "codes": [int(c) for c in codes], "cardinality": int(card)} for n, codes, card in categorical],
        "y": [float(v) for v in y],
    }
    full = np.hstack([X] + [one_hot(codes, card) for _, codes, card in categorical]) if categorical else X
    return full


cases = []


def logistic_case(name, dataset, Xfull, y, sample_weight=None, class_weight=None, **params):
    kw = {} if sample_weight is None else {"sample_weight": sample_weight}
    penalty = params.get("penalty", "l2")
    if penalty == "l2":
        ref = LogisticRegression(solver="newton-cg", tol=1e-12, max_iter=10000, class_weight=class_weight, **params).fit(Xfull, y, **kw)
        # The reference must be the optimum: check the gradient of C * sum(s * loss) + ||W||^2 / 2.
        sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if class_weight == "balanced":
            counts = np.bincount(y.astype(int))
            sw = sw * (len(y) / (len(counts) * counts))[y.astype(int)]
        proba = ref.predict_proba(Xfull)
        onehot = np.eye(proba.shape[1])[y.astype(int)]
        resid = (proba - onehot) * sw[:, None]
        if proba.shape[1] == 2:
            resid = resid[:, 1:]
        grad = params.get("C", 1.0) * (Xfull.T @ resid).T + ref.coef_
        grad_b = params.get("C", 1.0) * resid.sum(axis=0)
        gap = max(np.max(np.abs(grad)), np.max(np.abs(grad_b)))
        assert gap < 1e-6, f"{name}: reference gradient is {gap}"  # W error <= gap: the objective is 1-strongly convex in W
    else:
        ref = LogisticRegression(solver="saga", tol=1e-13, max_iter=2000000, class_weight=class_weight, **params).fit(Xfull, y, **kw)
    proba = ref.predict_proba(Xfull)
    print(name, "iterations", ref.n_iter_, "zeros", int(np.sum(ref.coef_ == 0)))
    cases.append({
        "name": name,
        "model": "logistic",
        "dataset": dataset,
        "params": {k: v for k, v in params.items()},
        "sampleWeight": None if sample_weight is None else [float(v) for v in sample_weight],
        "classWeight": class_weight,
        "coef": [[float(v) for v in row] for row in ref.coef_],
        "intercept": [float(v) for v in ref.intercept_],
        # First 25 rows only: predictions follow from the coefficients, this checks predictProba's plumbing.
        "proba": [float(v) for v in (proba[:25, 1] if proba.shape[1] == 2 else proba[:25].ravel())],
        "nIter": int(np.max(ref.n_iter_)),
    })


def regression_case(name, dataset, Xfull, y, kind, sample_weight=None, **params):
    kw = {} if sample_weight is None else {"sample_weight": sample_weight}
    if kind == "ridge":
        ref = Ridge(solver="cholesky", **params).fit(Xfull, y, **kw)
    elif kind == "lasso":
        ref = Lasso(tol=1e-14, max_iter=1000000, **params).fit(Xfull, y, **kw)
    else:
        ref = ElasticNet(tol=1e-14, max_iter=1000000, **params).fit(Xfull, y, **kw)
    cases.append({
        "name": name,
        "model": kind,
        "dataset": dataset,
        "params": params,
        "sampleWeight": None if sample_weight is None else [float(v) for v in sample_weight],
        "coef": [[float(v) for v in ref.coef_]],
        "intercept": [float(ref.intercept_)],
        "pred": [float(v) for v in ref.predict(Xfull)[:25]],
    })


# Binary: breast cancer, standardized.
Xb, yb = load_breast_cancer(return_X_y=True)
Xb = standardized(Xb)
Fb = add_dataset("breast_cancer", Xb, yb)
logistic_case("breast_cancer_l2_C1", "breast_cancer", Fb, yb, C=1.0)
logistic_case("breast_cancer_l2_C0.05", "breast_cancer", Fb, yb, C=0.05)
logistic_case("breast_cancer_l2_C10", "breast_cancer", Fb, yb, C=10.0)
wb = rng.integers(1, 4, size=len(yb)).astype(np.float64)
logistic_case("breast_cancer_l2_weights_balanced", "breast_cancer", Fb, yb, sample_weight=wb, class_weight="balanced", C=0.5)
logistic_case("breast_cancer_l1_C0.1", "breast_cancer", Fb, yb, penalty="l1", C=0.1)
logistic_case("breast_cancer_l1_C1", "breast_cancer", Fb, yb, penalty="l1", C=1.0)
logistic_case("breast_cancer_elasticnet", "breast_cancer", Fb, yb, penalty="elasticnet", l1_ratio=0.5, C=0.2)

# Binary with categorical columns: quantile bins of two features (8 and 5 levels) plus a
# 6-level random column with some unknown codes (-1 and 6, i.e. all-zero one-hot rows).
bins_a = np.searchsorted(np.quantile(Xb[:, 0], np.linspace(0, 1, 9)[1:-1]), Xb[:, 0])
bins_b = np.searchsorted(np.quantile(Xb[:, 21], np.linspace(0, 1, 6)[1:-1]), Xb[:, 21])
rand_c = rng.integers(-1, 7, size=len(yb))
Xbc = Xb[:, [1, 4, 7, 27]]
Fbc = add_dataset("breast_cancer_categorical", Xbc, yb, [("radius_bin", bins_a, 8), ("worst_texture_bin", bins_b, 5), ("noise", rand_c, 6)])
logistic_case("breast_cancer_categorical_l2", "breast_cancer_categorical", Fbc, yb, C=0.5)
logistic_case("breast_cancer_categorical_l1", "breast_cancer_categorical", Fbc, yb, penalty="l1", C=0.3)

# Multinomial: iris and wine, standardized.
Xi, yi = load_iris(return_X_y=True)
Xi = standardized(Xi)
Fi = add_dataset("iris", Xi, yi)
logistic_case("iris_l2_C1", "iris", Fi, yi, C=1.0)
logistic_case("iris_l2_C0.1", "iris", Fi, yi, C=0.1)
Xw, yw = load_wine(return_X_y=True)
Xw = standardized(Xw)
Fw = add_dataset("wine", Xw, yw)
logistic_case("wine_l2_C1", "wine", Fw, yw, C=1.0)
logistic_case("wine_l2_C0.3_weights", "wine", Fw, yw, sample_weight=np.round(rng.uniform(0.2, 2.0, size=len(yw)), 3), C=0.3)
logistic_case("wine_l1_C0.5", "wine", Fw, yw, penalty="l1", C=0.5)

# Regression: diabetes, raw (unscaled) and standardized.
Xd, yd = load_diabetes(return_X_y=True, scaled=False)
Fd = add_dataset("diabetes_raw", Xd, yd)
regression_case("diabetes_raw_ridge_alpha1", "diabetes_raw", Fd, yd, "ridge", alpha=1.0)
regression_case("diabetes_raw_ridge_alpha100_weights", "diabetes_raw", Fd, yd, "ridge", sample_weight=np.round(rng.uniform(0.1, 3, size=len(yd)), 3), alpha=100.0)
Xds = standardized(Xd)
Fds = add_dataset("diabetes", Xds, yd)
regression_case("diabetes_ridge_alpha10", "diabetes", Fds, yd, "ridge", alpha=10.0)
regression_case("diabetes_lasso_alpha1", "diabetes", Fds, yd, "lasso", alpha=1.0)
regression_case("diabetes_elasticnet", "diabetes", Fds, yd, "elasticnet", alpha=0.5, l1_ratio=0.7)
# Ridge with a categorical column (sex, 2 levels, plus age decile bins).
sex = (Xd[:, 1] > 1.5).astype(int)
age_bin = np.searchsorted(np.quantile(Xd[:, 0], np.linspace(0, 1, 11)[1:-1]), Xd[:, 0])
Fdc = add_dataset("diabetes_categorical", Xds[:, 2:], yd, [("sex", sex, 2), ("age_decile", age_bin, 10)])
regression_case("diabetes_categorical_ridge", "diabetes_categorical", Fdc, yd, "ridge", alpha=3.0)

out = {"sklearn": sklearn.__version__, "datasets": datasets, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linear.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path, "cases:", len(cases))
