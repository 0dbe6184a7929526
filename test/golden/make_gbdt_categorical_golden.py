"""Golden metrics for gbdt's categorical splits on a small real data set
(test/ml/gbdt.categorical.test.ts).

Palmer penguins (344 birds; CC0; shipped by the npm package vega-datasets), copied once into
test/golden/penguins.csv so the test reads nothing outside the repository. Run once with Debian's
scikit-learn 1.2 and commit both outputs:

    /usr/bin/python3 test/golden/make_gbdt_categorical_golden.py > test/golden/gbdt-categorical.json

Each task is binary (one species against the others) on the island (3 categories, declared
categorical) and one or two measurements. Split: row i is a test row when i % 3 == 0. Model:
HistGradientBoostingClassifier with Sluice's default settings (100 iterations, learning rate 0.1,
31 leaves, 20 samples per leaf, no L2, 255 bins, no early stopping), island and sex native
categoricals.
"""
import csv
import json
import math
import os

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "node_modules", "vega-datasets", "data", "penguins.json")
CSV = os.path.join(HERE, "penguins.csv")
COLUMNS = ["Species", "Island", "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex"]
PARAMS = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
              l2_regularization=0.0, max_bins=255, early_stopping=False, random_state=0)
TASKS = [
    {"name": "gentoo_island_flipper", "species": "Gentoo", "features": ["Island", "Flipper Length (mm)"]},
    {"name": "gentoo_island_sex_mass", "species": "Gentoo", "features": ["Island", "Sex", "Body Mass (g)"]},
]
CATEGORICAL = {"Island": ["Biscoe", "Dream", "Torgersen"], "Sex": ["FEMALE", "MALE"]}


def main():
    with open(SOURCE) as f:
        rows = json.load(f)
    with open(CSV, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if r[c] is None else r[c] for c in COLUMNS])
    out = {"generator": "test/golden/make_gbdt_categorical_golden.py", "sklearn": sklearn.__version__,
           "split": "row i is a test row when i % 3 == 0", "params": PARAMS, "tasks": {}}
    for task in TASKS:
        def value(r, c):
            v = r[c]
            if c in CATEGORICAL:
                return CATEGORICAL[c].index(v) if v in CATEGORICAL[c] else math.nan
            return math.nan if v is None else float(v)
        x = np.array([[value(r, c) for c in task["features"]] for r in rows])
        y = np.array([1 if r["Species"] == task["species"] else 0 for r in rows])
        test = np.arange(len(y)) % 3 == 0
        cat = [c in CATEGORICAL for c in task["features"]]
        m = HistGradientBoostingClassifier(categorical_features=cat, **PARAMS).fit(x[~test], y[~test])
        p = m.predict_proba(x[test])[:, 1]
        out["tasks"][task["name"]] = {"species": task["species"], "features": task["features"],
                                      "log_loss": float(log_loss(y[test], p)), "auc": float(roc_auc_score(y[test], p))}
    print(json.dumps(out, indent=2))


main()
