"""Writes test/golden/metrics.json: scikit-learn 1.2 metric values on real and adversarial predictions.

Depends on: Python 3 with scikit-learn 1.2.1 and numpy (Debian: apt-get install python3-sklearn).
Only this generator needs them; the TypeScript tests read the committed JSON (through test/helpers/golden.ts) and never call Python.

Run once with Debian's interpreter (scikit-learn 1.2.1): /usr/bin/python3 test/golden/make_metrics_golden.py
The TypeScript tests compare every metric to these values within 1e-9; they never call Python.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, confusion_matrix,
                             f1_score, log_loss, mean_absolute_error, mean_absolute_percentage_error,
                             mean_squared_error, precision_recall_curve, precision_score, r2_score,
                             recall_score, roc_auc_score, roc_curve)
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(20240611)


def arr(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def binary_case(name, y, score, w=None, curves=True):
    y = np.asarray(y, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    kw = {} if w is None else {"sample_weight": w}
    pred = (score >= 0.5).astype(np.float64)
    fpr, tpr, thr = roc_curve(y, score, **kw)
    fpr_all, tpr_all, thr_all = roc_curve(y, score, drop_intermediate=False, **kw)
    prec, rec, pthr = precision_recall_curve(y, score, **kw)
    lengths = {"roc": len(fpr), "rocAll": len(fpr_all), "pr": len(prec)}
    if not curves:  # keep the file small: large cases check only the curve sizes and end points
        fpr, tpr, thr, fpr_all, tpr_all, thr_all, prec, rec, pthr = (
            a[[0, 1, -2, -1]] for a in (fpr, tpr, thr, fpr_all, tpr_all, thr_all, prec, rec, pthr))
    out = {
        "name": name,
        "yTrue": arr(y),
        "yScore": arr(score),
        "sampleWeight": None if w is None else arr(w),
        "curves": curves,
        "curveLengths": lengths,
        "expected": {
            "rocAuc": roc_auc_score(y, score, **kw),
            "averagePrecision": average_precision_score(y, score, **kw),
            "rocCurve": {"fpr": arr(fpr), "tpr": arr(tpr), "thresholds": arr(thr)},
            "rocCurveAll": {"fpr": arr(fpr_all), "tpr": arr(tpr_all), "thresholds": arr(thr_all)},
            "prCurve": {"precision": arr(prec), "recall": arr(rec), "thresholds": arr(pthr)},
            "yPred": arr(pred),
            "accuracy": accuracy_score(y, pred, **kw),
            "accuracyCount": accuracy_score(y, pred, normalize=False, **kw),
            "precision": precision_score(y, pred, zero_division=0, **kw),
            "recall": recall_score(y, pred, zero_division=0, **kw),
            "f1": f1_score(y, pred, zero_division=0, **kw),
            "f1Macro": f1_score(y, pred, average="macro", zero_division=0, **kw),
            "f1Micro": f1_score(y, pred, average="micro", zero_division=0, **kw),
            "confusion": arr(confusion_matrix(y, pred, **kw)),
        },
    }
    if np.all((score >= 0) & (score <= 1)):
        e = out["expected"]
        e["logLoss"] = log_loss(y, score, labels=[0, 1], **kw)
        e["logLossSum"] = log_loss(y, score, labels=[0, 1], normalize=False, **kw)
        e["brier"] = brier_score_loss(y, score, **kw)
        if w is None:  # calibration_curve takes no sample weights
            for strategy in ("uniform", "quantile"):
                for n_bins in (5, 10):
                    pt, pp = calibration_curve(y, score, n_bins=n_bins, strategy=strategy)
                    e[f"calibration_{strategy}_{n_bins}"] = {"probTrue": arr(pt), "probPred": arr(pp)}
    return out


def multiclass_case(name, y, proba, w=None):
    y = np.asarray(y, dtype=np.float64)
    k = proba.shape[1]
    kw = {} if w is None else {"sample_weight": w}
    pred = np.argmax(proba, axis=1).astype(np.float64)
    e = {
        "yPred": arr(pred),
        "logLoss": log_loss(y, proba, labels=list(range(k)), **kw),
        "accuracy": accuracy_score(y, pred, **kw),
        "confusion": arr(confusion_matrix(y, pred, **kw)),
        "confusionTrue": arr(confusion_matrix(y, pred, normalize="true", **kw)),
        "confusionPred": arr(confusion_matrix(y, pred, normalize="pred", **kw)),
        "confusionAll": arr(confusion_matrix(y, pred, normalize="all", **kw)),
    }
    for avg in ("macro", "micro", "weighted"):
        e[f"precision_{avg}"] = precision_score(y, pred, average=avg, zero_division=0, **kw)
        e[f"recall_{avg}"] = recall_score(y, pred, average=avg, zero_division=0, **kw)
        e[f"f1_{avg}"] = f1_score(y, pred, average=avg, zero_division=0, **kw)
    return {"name": name, "k": k, "yTrue": arr(y), "yProb": arr(proba), "sampleWeight": None if w is None else arr(w), "expected": e}


def regression_case(name, y, pred, w=None):
    kw = {} if w is None else {"sample_weight": w}
    return {
        "name": name,
        "yTrue": arr(y),
        "yPred": arr(pred),
        "sampleWeight": None if w is None else arr(w),
        "expected": {
            "mse": mean_squared_error(y, pred, **kw),
            "rmse": mean_squared_error(y, pred, squared=False, **kw),
            "mae": mean_absolute_error(y, pred, **kw),
            "mape": mean_absolute_percentage_error(y, pred, **kw),
            "r2": r2_score(y, pred, **kw),
        },
    }


binary = []
# Real predictions: breast cancer, a weak two-feature model so scores overlap.
X, y = load_breast_cancer(return_X_y=True)
Xs = StandardScaler().fit_transform(X[:, [1, 9]])
p = np.round(LogisticRegression().fit(Xs, y).predict_proba(Xs)[:, 1], 8)  # fewer digits, smaller file
binary.append(binary_case("breast_cancer_weak", y, p))
w_int = rng.integers(0, 4, size=len(y)).astype(np.float64)
binary.append(binary_case("breast_cancer_weak_int_weights", y, p, w_int))
binary.append(binary_case("breast_cancer_weak_float_weights", y, p, np.round(rng.uniform(0.1, 3.0, size=len(y)), 4)))
# Strong model: near-separable, probabilities close to 0 and 1 (log loss clipping matters less).
Xf = StandardScaler().fit_transform(X)
pf = np.round(LogisticRegression(C=10, max_iter=10000).fit(Xf, y).predict_proba(Xf)[:, 1], 12)
binary.append(binary_case("breast_cancer_strong", y, pf))
# Wine class 0 vs rest, rounded to 2 decimals: real predictions with many ties.
Xw, yw = load_wine(return_X_y=True)
yb = (yw == 0).astype(np.float64)
pw = LogisticRegression().fit(StandardScaler().fit_transform(Xw[:, [0, 3]]), yb).predict_proba(StandardScaler().fit_transform(Xw[:, [0, 3]]))[:, 1]
binary.append(binary_case("wine_class0_rounded", yb, np.round(pw, 2)))

# Adversarial ties.
n = 400
ya = rng.integers(0, 2, size=n).astype(np.float64)
sa = np.round(rng.uniform(size=n) * 0.5 + 0.3 * ya, 1)  # 10 distinct values, ties across classes
binary.append(binary_case("ties_one_decimal", ya, sa))
binary.append(binary_case("ties_one_decimal_weights_with_zeros", ya, sa, rng.integers(0, 3, size=n).astype(np.float64)))
binary.append(binary_case("all_scores_equal", ya[:50], np.full(50, 0.5)))
binary.append(binary_case("two_levels", np.array([0, 1, 0, 1, 1, 0, 0, 1.0]), np.array([0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.2, 0.2])))
binary.append(binary_case("exact_zero_and_one_probs", np.array([0, 1, 1, 0, 1, 0.0]), np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.5])))
binary.append(binary_case("signed_zero_scores", np.array([0, 1, 1, 0, 1.0]), np.array([-0.0, 0.0, 1.0, -1.0, -0.0])))
binary.append(binary_case("raw_scores_negative", ya[:120], rng.normal(size=120) + ya[:120]))
binary.append(binary_case("perfect_separation", np.array([0, 0, 1, 1.0]), np.array([0.1, 0.2, 0.8, 0.9])))
binary.append(binary_case("reversed", np.array([1, 1, 0, 0.0]), np.array([0.1, 0.2, 0.8, 0.9])))
binary.append(binary_case("sklearn_doc", np.array([0, 0, 1, 1.0]), np.array([0.1, 0.4, 0.35, 0.8])))
# Large enough to go through the radix argsort (>= 1024 rows), ties and weights.
nl = 2000
yl = rng.integers(0, 2, size=nl).astype(np.float64)
sl = np.round(rng.beta(2, 5, size=nl) + 0.15 * yl, 3)
binary.append(binary_case("large_ties_radix", yl, np.clip(sl, 0, 1), curves=False))
binary.append(binary_case("large_ties_radix_weights", yl, np.clip(sl, 0, 1), np.round(rng.uniform(0, 2, size=nl), 3), curves=False))
binary.append(binary_case("large_raw_negative_scores", yl, np.round(rng.normal(size=nl) * 3 + yl, 4), curves=False))

multiclass = []
Xw2 = StandardScaler().fit_transform(Xw[:, [0, 1]])
proba = np.round(LogisticRegression().fit(Xw2, yw).predict_proba(Xw2), 8)
multiclass.append(multiclass_case("wine_weak", yw, proba))
multiclass.append(multiclass_case("wine_weak_weights", yw, proba, rng.uniform(0.1, 2, size=len(yw))))
unnorm = np.round(proba, 1)  # rows no longer sum to one: log_loss renormalizes
multiclass.append(multiclass_case("wine_rounded_unnormalized", yw, unnorm))
multiclass.append(multiclass_case("class_never_predicted", np.array([0, 1, 2, 2, 1, 0.0]),
                                  np.array([[0.6, 0.4, 0], [0.3, 0.7, 0], [0.1, 0.5, 0.4], [0.5, 0.1, 0.4], [0.2, 0.8, 0], [0.9, 0.1, 0.0]])))

regression = []
Xd, yd = load_diabetes(return_X_y=True)
pd_ = np.round(LinearRegression().fit(Xd[:, :3], yd).predict(Xd[:, :3]), 6)
regression.append(regression_case("diabetes", yd, pd_))
regression.append(regression_case("diabetes_weights", yd, pd_, rng.uniform(0, 2, size=len(yd))))
regression.append(regression_case("with_zero_truth", np.array([0.0, 1.0, -2.0, 3.5]), np.array([0.1, 1.0, -1.0, 3.0])))
regression.append(regression_case("constant_truth", np.array([2.0, 2.0, 2.0]), np.array([2.0, 1.0, 3.0])))
regression.append(regression_case("perfect_constant", np.array([2.0, 2.0, 2.0]), np.array([2.0, 2.0, 2.0])))

out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "binary": binary, "multiclass": multiclass, "regression": regression}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"), default=float)
print("wrote", path)
