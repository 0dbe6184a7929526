"""Golden AUCs for test/ml/forest.thresholds.test.ts: scikit-learn 1.2's random forest on the first
60,000 rows of flights-200k (node_modules/vega-datasets), departure time and distance, label
delay > 15, row i a test row when i % 3 == 0, 50 fully grown trees, seeds 0, 1, 2.

    /usr/bin/python3 test/golden/make_forest_thresholds_golden.py > test/golden/forest-thresholds.json
"""
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

ROWS = 60000
TREES = 50
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "node_modules", "vega-datasets", "data", "flights-200k.json")) as f:
    d = json.load(f)[:ROWS]
x = np.array([[r["time"], r["distance"]] for r in d], float)
y = np.array([1 if r["delay"] > 15 else 0 for r in d])
test = np.arange(len(y)) % 3 == 0
aucs = []
for seed in range(3):
    m = RandomForestClassifier(n_estimators=TREES, random_state=seed, n_jobs=2).fit(x[~test], y[~test])
    aucs.append(float(roc_auc_score(y[test], m.predict_proba(x[test])[:, 1])))
print(json.dumps({"generator": "test/golden/make_forest_thresholds_golden.py", "sklearn": sklearn.__version__,
                  "rows": ROWS, "trees": TREES, "auc": aucs}, indent=2))
