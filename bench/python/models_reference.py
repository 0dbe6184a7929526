"""scikit-learn side of `npm run bench:models`: reads the prepared flights features (raw float64
files and a manifest written by bench/models.bench.ts), fits one model, times fit and predict,
writes its test predictions, and prints one JSON line.

  /usr/bin/python3 bench/python/models_reference.py --manifest M --model logistic|forest --threads 2

then one line `predict` on stdin per prediction, `done` to finish (see bench/models.bench.ts).
"""
import argparse
import json
import os
import resource
import time

import numpy as np

from model_protocol import answer_predictions

p = argparse.ArgumentParser()
p.add_argument('--manifest', required=True)
p.add_argument('--model', required=True, choices=['logistic', 'forest'])
p.add_argument('--threads', type=int, default=2)
args = p.parse_args()

with open(args.manifest) as f:
    m = json.load(f)
base = os.path.dirname(args.manifest)


def load(split, name):
    return np.fromfile(os.path.join(base, f'{split}_{name}.f64'), dtype='<f8')


numeric = m['numeric']
categorical = m['categorical']
names = numeric + categorical
train = np.column_stack([load('train', n) for n in names])
test = np.column_stack([load('test', n) for n in names])
y_train = load('train', 'label')

import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

num_idx = list(range(len(numeric)))
cat_idx = list(range(len(numeric), len(names)))

if args.model == 'logistic':
    model = Pipeline([
        ('features', ColumnTransformer([
            ('num', StandardScaler(), num_idx),
            ('cat', OneHotEncoder(handle_unknown='ignore'), cat_idx),
        ])),
        ('lr', LogisticRegression(C=m['C'], max_iter=m['maxIter'], solver='lbfgs')),
    ])
    X_train, X_test, y_fit = train, test, y_train
else:
    # The forest sees category codes as numbers, on the sampled training rows (forest_*.f64).
    model = RandomForestClassifier(n_estimators=m['numTrees'], max_depth=m['depth'], n_jobs=args.threads, random_state=0)
    X_train = np.column_stack([load('forest', n) for n in names])
    X_test, y_fit = test, load('forest', 'label')

t0 = time.perf_counter()
model.fit(X_train, y_fit)
fit_seconds = time.perf_counter() - t0
# Fitted: say so, then predict once per `predict` line on stdin; `done` writes the last prediction.
pred = answer_predictions(fit_seconds, lambda: model.predict_proba(X_test)[:, 1])
pred.astype('<f8').tofile(os.path.join(base, f'pred_sklearn_{args.model}.f64'))
print(json.dumps({
    'model': f'scikit-learn {args.model}', 'version': sklearn.__version__, 'fit_seconds': fit_seconds,
    'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}), flush=True)
