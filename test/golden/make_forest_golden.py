"""Golden quality metrics for Sluice's random forests (test/ml/forest.golden.test.ts).

Depends on: Python 3 with scikit-learn 1.2.1 and numpy (Debian: apt-get install python3-sklearn).
Only this generator needs them; the TypeScript tests read the committed JSON and test/golden/data/ (through test/helpers/golden.ts) and never call Python.

Run once with Debian's scikit-learn 1.2 and commit the output:

    /usr/bin/python3 test/golden/make_forest_golden.py > test/golden/forest.json

Each data set is split deterministically (row i is a test row when i % 3 == 0) so that the
TypeScript test can rebuild the same split without any random generator. The models are
RandomForestClassifier / RandomForestRegressor with 100 trees and otherwise scikit-learn's
defaults (classification: max_features 'sqrt'; regression: all features; bootstrap; fully grown
trees), with oob_score on. A forest is random, so each metric is recorded for 5 seeds (mean, min,
max): the test compares Sluice's forest with that spread rather than with one draw.
"""
import gzip
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, brier_score_loss, mean_squared_error, r2_score, roc_auc_score

# The same files the TypeScript test reads (test/helpers/golden.ts): scikit-learn 1.2.1's bundled data, gzipped.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TREES = 100
SEEDS = [0, 1, 2, 3, 4]


def load_header_csv(name):
    with gzip.open(os.path.join(DATA, name + ".gz"), "rt") as f:
        f.readline()  # "n_samples,n_features,class names..."
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    return rows[:, :-1], rows[:, -1]


def load_boston():
    with gzip.open(os.path.join(DATA, "boston_house_prices.csv.gz"), "rt") as f:
        f.readline()  # counts
        f.readline()  # column names
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    return rows[:, :-1], rows[:, -1]


def load_digits():
    with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as f:
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    return rows[:, :-1], rows[:, -1]


def load_diabetes():
    with gzip.open(os.path.join(DATA, "diabetes_data_raw.csv.gz"), "rt") as f:
        x = np.array([[float(v) for v in line.split()] for line in f if line.strip()])
    with gzip.open(os.path.join(DATA, "diabetes_target.csv.gz"), "rt") as f:
        y = np.array([float(line) for line in f if line.strip()])
    return x, y


def split(x, y):
    test = np.arange(len(y)) % 3 == 0
    return x[~test], y[~test], x[test], y[test]


def spread(values):
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values))}


def summarize(runs, x, y):
    out = {"rows": int(len(y)), "features": int(x.shape[1])}
    for key in runs[0]:
        if key == "importance":
            out[key] = [float(v) for v in np.mean([r[key] for r in runs], axis=0)]
        else:
            out[key] = spread([r[key] for r in runs])
    return out


def classification(x, y):
    xtr, ytr, xte, yte = split(x, y)
    runs = []
    for seed in SEEDS:
        m = RandomForestClassifier(n_estimators=TREES, oob_score=True, random_state=seed).fit(xtr, ytr)
        p = m.predict_proba(xte)
        run = {"accuracy": accuracy_score(yte, m.predict(xte)), "oob_score": m.oob_score_,
               # Mean probability given to the true class: a smooth check of the probabilities.
               "true_class_proba": float(np.mean(p[np.arange(len(yte)), yte.astype(int)])),
               "importance": m.feature_importances_}
        if p.shape[1] == 2:
            run["auc"] = roc_auc_score(yte, p[:, 1])
            run["brier"] = brier_score_loss(yte, p[:, 1])
        runs.append(run)
    out = summarize(runs, x, y)
    out["classes"] = int(len(np.unique(y)))
    return out


def regression(x, y):
    xtr, ytr, xte, yte = split(x, y)
    runs = []
    for seed in SEEDS:
        m = RandomForestRegressor(n_estimators=TREES, oob_score=True, random_state=seed).fit(xtr, ytr)
        pred = m.predict(xte)
        runs.append({"r2": r2_score(yte, pred), "rmse": float(np.sqrt(mean_squared_error(yte, pred))),
                     "oob_score": m.oob_score_, "importance": m.feature_importances_})
    return summarize(runs, x, y)


def main():
    out = {
        "generator": "test/golden/make_forest_golden.py",
        "sklearn": sklearn.__version__,
        "split": "row i is a test row when i % 3 == 0",
        "trees": TREES,
        "seeds": SEEDS,
        "breast_cancer": classification(*load_header_csv("breast_cancer.csv")),
        "iris": classification(*load_header_csv("iris.csv")),
        "wine": classification(*load_header_csv("wine_data.csv")),
        "digits": classification(*load_digits()),
        "diabetes": regression(*load_diabetes()),
        "boston": regression(*load_boston()),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
