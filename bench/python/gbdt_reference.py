"""Reference models for `npm run bench:gbdt`: XGBoost `hist` and scikit-learn's
HistGradientBoostingClassifier, fitted on the exact features Sluice sees.

Run once per model so that each has its own process and its own peak memory:

    /usr/bin/python3 bench/python/gbdt_reference.py --manifest bench/out/gbdt/manifest.json --model xgboost

Reads the raw little-endian float64 columns the bench wrote (numpy.fromfile), fits, predicts the
test rows once per `predict` line on stdin and, on `done`, writes the last probabilities to
<dir>/pred_<model>.f64. JSON lines on stdout: {"ready", "fit_seconds"} after the fit,
{"predict_seconds", "cpu_seconds"} per prediction (the bench alternates XGBoost's predictions with
Sluice's), and {"model", "version", "fit_seconds", "peak_rss_mb"} at the end. Metrics (AUC, log loss) are
computed by the bench, in TypeScript, with the same code for every model.

Settings, matching Sluice's bench settings: 100 trees, 31 leaves, 255 bins, learning rate 0.1,
2 threads. XGBoost grows leaf-wise (grow_policy=lossguide, max_depth=0, max_leaves=31), the same
growth as Sluice and LightGBM, so both build trees of the same shape; its other parameters keep
their defaults (lambda=1, min_child_weight=1). XGBoost 1.7 sees origin/destination as numeric codes
(its categorical support needs pandas categoricals and is experimental in 1.7); scikit-learn gets
them as native categorical features. Fit time includes building the DMatrix (binning), because
Sluice's fit time includes its binning; prediction uses inplace_predict on the raw array.
"""
import argparse
import json
import os
import resource
import time

import numpy as np

from model_protocol import answer_predictions


def load(manifest_path):
    with open(manifest_path) as f:
        m = json.load(f)
    d = os.path.dirname(manifest_path)

    def col(split, name, rows):
        a = np.fromfile(os.path.join(d, f"{split}_{name}.f64"), dtype="<f8")
        assert a.shape[0] == rows, (split, name, a.shape, rows)
        return a

    names = [f["name"] for f in m["features"]]
    cat = np.array([bool(f["categorical"]) for f in m["features"]])
    xtr = np.column_stack([col("train", n, m["trainRows"]) for n in names])
    xte = np.column_stack([col("test", n, m["testRows"]) for n in names])
    ytr = col("train", "label", m["trainRows"])
    return m, d, names, cat, xtr, ytr, xte


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--manifest", required=True)
    p.add_argument("--model", choices=["xgboost", "sklearn"], required=True)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    m, d, names, cat, xtr, ytr, xte = load(a.manifest)
    trees, leaves, bins, lr = m["trees"], m["leaves"], m["bins"], m["learningRate"]

    if a.model == "xgboost":
        import xgboost as xgb
        version = xgb.__version__
        t0 = time.perf_counter()
        dtrain = xgb.DMatrix(xtr, label=ytr, nthread=a.threads)
        params = {
            "objective": "binary:logistic", "tree_method": "hist", "nthread": a.threads,
            "max_bin": bins, "eta": lr, "grow_policy": "lossguide", "max_leaves": leaves,
            "max_depth": 0, "eval_metric": "logloss",
        }
        booster = xgb.train(params, dtrain, num_boost_round=trees)
        fit = time.perf_counter() - t0

        def predict():
            return booster.inplace_predict(xte)
    else:
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier
        version = sklearn.__version__
        model = HistGradientBoostingClassifier(
            max_iter=trees, max_leaf_nodes=leaves, learning_rate=lr, max_bins=bins,
            categorical_features=cat, early_stopping=False, random_state=0)
        t0 = time.perf_counter()
        model.fit(xtr, ytr)
        fit = time.perf_counter() - t0

        def predict():
            return model.predict_proba(xte)[:, 1]

    pred = answer_predictions(fit, predict)
    np.asarray(pred, dtype="<f8").tofile(os.path.join(d, f"pred_{a.model}.f64"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(json.dumps({"model": a.model, "version": version, "fit_seconds": fit, "peak_rss_mb": peak}), flush=True)


if __name__ == "__main__":
    main()
