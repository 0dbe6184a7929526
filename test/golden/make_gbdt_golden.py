"""Golden quality metrics for Sluice's gradient-boosted trees (test/ml/gbdt.golden.test.ts).

Depends on: Python 3 with scikit-learn 1.2.1 and numpy (Debian: apt-get install python3-sklearn).
Only this generator needs them; the TypeScript tests read the committed JSON and test/golden/data/ (through test/helpers/golden.ts) and never call Python.

Run once with Debian's scikit-learn 1.2 and commit the output:

    /usr/bin/python3 test/golden/make_gbdt_golden.py > test/golden/gbdt.json

Each data set is split deterministically (row i is a test row when i % 3 == 0) so that the
TypeScript test can rebuild the same split without any random generator. The model is
HistGradientBoosting with the settings Sluice uses by default: 100 iterations, learning rate 0.1,
31 leaves, 20 samples per leaf, no L2, 255 bins, no early stopping.
"""
import gzip
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score

# The same files the TypeScript test reads (test/helpers/golden.ts): scikit-learn 1.2.1's bundled data, gzipped.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
PARAMS = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
              l2_regularization=0.0, max_bins=255, early_stopping=False, random_state=0)


def load_header_csv(name):
    with gzip.open(os.path.join(DATA, name + ".gz"), "rt") as f:
        f.readline()  # "n_samples,n_features,class names..."
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


def classification(name, x, y):
    xtr, ytr, xte, yte = split(x, y)
    m = HistGradientBoostingClassifier(**PARAMS).fit(xtr, ytr)
    p = m.predict_proba(xte)
    out = {"rows": int(len(y)), "features": int(x.shape[1]), "classes": int(len(np.unique(y))),
           "accuracy": float(accuracy_score(yte, m.predict(xte))), "log_loss": float(log_loss(yte, p))}
    if p.shape[1] == 2:
        out["auc"] = float(roc_auc_score(yte, p[:, 1]))
    return out


def regression(name, x, y):
    xtr, ytr, xte, yte = split(x, y)
    m = HistGradientBoostingRegressor(**PARAMS).fit(xtr, ytr)
    pred = m.predict(xte)
    return {"rows": int(len(y)), "features": int(x.shape[1]), "r2": float(r2_score(yte, pred)),
            "rmse": float(np.sqrt(mean_squared_error(yte, pred)))}


def main():
    out = {
        "generator": "test/golden/make_gbdt_golden.py",
        "sklearn": sklearn.__version__,
        "split": "row i is a test row when i % 3 == 0",
        "params": PARAMS,
        "breast_cancer": classification("breast_cancer", *load_header_csv("breast_cancer.csv")),
        "diabetes": regression("diabetes", *load_diabetes()),
        "iris": classification("iris", *load_header_csv("iris.csv")),
        "wine": classification("wine", *load_header_csv("wine_data.csv")),
        "digits": classification("digits", *load_digits()),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
