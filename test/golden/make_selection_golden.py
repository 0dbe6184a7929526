"""Writes test/golden/selection.json: scikit-learn 1.2 splitters and calibrators on real data sets.

Depends on: Python 3 with scikit-learn 1.2.1, numpy, scipy and pandas (Debian: apt-get install python3-sklearn python3-pandas).
Only this generator needs them; the TypeScript tests read the committed JSON (through test/helpers/golden.ts) and never call Python.

Run once with Debian's interpreter (scikit-learn 1.2.1):
    /usr/bin/python3 test/golden/make_selection_golden.py
The TypeScript tests (test/ml/selection.golden.test.ts) compare the deterministic splitters (KFold and
StratifiedKFold without shuffling, GroupKFold, TimeSeriesSplit) fold by fold, and Platt / isotonic
calibration to scikit-learn's _sigmoid_calibration and IsotonicRegression(out_of_bounds='clip');
they never call Python.

Platt: scikit-learn stops BFGS at a gradient norm of 1e-5, so its (a, b) are compared loosely; the
same objective minimised to a 1e-12 gradient (scipy BFGS, gtol=1e-12) is also written and compared
tightly.
"""
import json
import os

import numpy as np
import pandas as pd
import sklearn
from scipy.optimize import fmin_bfgs
from scipy.special import expit, xlogy
from sklearn.calibration import _sigmoid_calibration
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
VEGA = os.path.join(HERE, "..", "..", "node_modules", "vega-datasets", "data")


def ints(a):
    return [int(v) for v in a]


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def folds(splitter, X, y=None, groups=None):
    return [{"train": ints(tr), "test": ints(te)} for tr, te in splitter.split(X, y, groups)]


iris_y = load_iris().target.astype(float)
wine_y = load_wine().target.astype(float)
cancer = load_breast_cancer()
with open(os.path.join(VEGA, "cars.json")) as f:
    cars = pd.DataFrame(json.load(f))
with open(os.path.join(VEGA, "penguins.json")) as f:
    penguins = pd.DataFrame(json.load(f))
flights = pd.DataFrame(json.load(open(os.path.join(VEGA, "flights-2k.json")))).iloc[:1000]
late = (flights["delay"] > 15).astype(float).to_numpy()

kfold = [{"n": n, "k": k, "folds": folds(KFold(k), np.zeros(n))} for n, k in [(17, 5), (150, 10), (10, 10)]]
stratified = [{"name": name, "y": floats(y), "k": k, "folds": folds(StratifiedKFold(k), np.zeros(len(y)), y)}
              for name, y, k in [("iris", iris_y, 5), ("wine", wine_y, 3), ("breast cancer", cancer.target, 5), ("flights late", late, 7)]]
group = [{"name": name, "groups": list(g), "k": k, "folds": folds(GroupKFold(k), np.zeros(len(g)), None, np.asarray(g))}
         for name, g, k in [("cars cylinders", [float(v) for v in cars["Cylinders"]], 3),
                            ("cars year", [str(v) for v in cars["Year"]], 4),
                            ("penguins island", [str(v) for v in penguins["Island"]], 3)]]
time_series = [{"n": n, "options": opts, "folds": folds(TimeSeriesSplit(**kw), np.zeros(n))} for n, opts, kw in [
    (100, {"k": 5}, {"n_splits": 5}),
    (100, {"k": 3, "gap": 5, "testSize": 10}, {"n_splits": 3, "gap": 5, "test_size": 10}),
    (60, {"k": 4, "maxTrainSize": 20}, {"n_splits": 4, "max_train_size": 20}),
    (1461, {"k": 5, "gap": 7}, {"n_splits": 5, "gap": 7}),
]]

# ---------------------------------------------------------------- calibration inputs: real held-out scores
X = cancer.data
y = cancer.target.astype(float)
lr = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=1000))
decision = cross_val_predict(lr, X, y, cv=5, method="decision_function")
nb_proba = cross_val_predict(GaussianNB(), X, y, cv=5, method="predict_proba")[:, 1]
rng = np.random.default_rng(7)
weights = rng.uniform(0.2, 3.0, size=len(y))
flights_score = cross_val_predict(LogisticRegression(), flights[["distance"]].to_numpy() / 1000.0, late, cv=5, method="predict_proba")[:, 1]


def platt_tight(F, y, w=None):
    """The objective of _sigmoid_calibration, minimised to a 1e-12 gradient."""
    prior0 = float(np.sum(y <= 0)) if w is None else w[y <= 0].sum()
    prior1 = (len(y) - prior0) if w is None else w[y > 0].sum()
    T = np.where(y > 0, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))
    ww = np.ones_like(F) if w is None else w

    def obj(AB):
        P = expit(-(AB[0] * F + AB[1]))
        return (ww * -(xlogy(T, P) + xlogy(1 - T, 1.0 - P))).sum()

    def grad(AB):
        P = expit(-(AB[0] * F + AB[1]))
        d = (T - P) * ww
        return np.array([np.dot(d, F), d.sum()])

    AB = fmin_bfgs(obj, np.array([0.0, np.log((prior0 + 1.0) / (prior1 + 1.0))]), fprime=grad, gtol=1e-12, disp=False)
    return float(AB[0]), float(AB[1])


platt = []
for name, scores, yy, w in [("breast cancer decision function", decision, y, None), ("breast cancer naive Bayes probabilities", nb_proba, y, None),
                            ("breast cancer decision function, weighted", decision, y, weights), ("flights late probabilities", flights_score, late, None),
                            ("tiny separable", np.array([-2.0, -1.0, 1.0, 2.0]), np.array([0.0, 0.0, 1.0, 1.0]), None)]:
    a, b = _sigmoid_calibration(scores, yy, w)
    ta, tb = platt_tight(scores, yy, w)
    grid = np.linspace(scores.min() - 1, scores.max() + 1, 25)
    platt.append({"name": name, "scores": floats(scores), "y": floats(yy), "sampleWeight": None if w is None else floats(w),
                  "sklearn": {"a": float(a), "b": float(b)}, "tight": {"a": ta, "b": tb},
                  "grid": floats(grid), "gridProba": floats(expit(-(ta * grid + tb)))})

isotonic = []
rounded = np.round(nb_proba, 2)  # many ties
for name, scores, yy, w in [("breast cancer decision function", decision, y, None), ("breast cancer naive Bayes probabilities", nb_proba, y, None),
                            ("rounded probabilities (ties)", rounded, y, None), ("weighted, with zero weights", decision, y, np.where(np.arange(len(y)) % 10 == 0, 0.0, weights)),
                            ("flights late probabilities", flights_score, late, None)]:
    iso = IsotonicRegression(out_of_bounds="clip").fit(scores, yy, sample_weight=w)
    grid = np.concatenate([np.linspace(scores.min() - 1, scores.max() + 1, 40), scores[:50]])
    isotonic.append({"name": name, "scores": floats(scores), "y": floats(yy), "sampleWeight": None if w is None else floats(w),
                     "thresholdsX": floats(iso.X_thresholds_), "thresholdsY": floats(iso.y_thresholds_),
                     "grid": floats(grid), "predictions": floats(iso.predict(grid))})

# ---------------------------------------------------------------- successive halving schedule
from sklearn.experimental import enable_halving_search_cv  # noqa: F401,E402
from sklearn.model_selection import HalvingRandomSearchCV  # noqa: E402
from scipy.stats import loguniform  # noqa: E402

halving = []
Xs = StandardScaler().fit_transform(X)
for n_candidates, factor, lo, hi in [(27, 3, 20, 540), (20, 3, 10, 200), ("exhaust", 2, 50, 400), (30, 4, 20, 100), (10, 3, 100, 150)]:
    search = HalvingRandomSearchCV(LogisticRegression(max_iter=500), {"C": loguniform(1e-3, 1e2)}, n_candidates=n_candidates,
                                   factor=factor, min_resources=lo, max_resources=hi, random_state=0, cv=3).fit(Xs, y)
    halving.append({"candidates": None if n_candidates == "exhaust" else n_candidates, "factor": factor, "minResource": lo, "maxResource": hi,
                    "resources": ints(search.n_resources_), "counts": ints(search.n_candidates_)})

out = {"sklearn": sklearn.__version__, "halving": halving, "kfold": kfold, "stratifiedKFold": stratified, "groupKFold": group,
       "timeSeriesSplit": time_series, "platt": platt, "isotonic": isotonic}
with open(os.path.join(HERE, "selection.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"), allow_nan=False)
print("wrote selection.json")
