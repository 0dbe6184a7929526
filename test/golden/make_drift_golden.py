"""Writes test/golden/drift.json: SciPy's values for the statistics behind Sluice's drift tests.

Depends on: Python 3 with SciPy 1.10 and numpy (Debian: apt-get install python3-scipy, a dependency of python3-sklearn).
Only this generator needs them; the TypeScript tests read the committed JSON (through test/helpers/golden.ts) and never call Python.
Run: /usr/bin/python3 test/golden/make_drift_golden.py
The samples are generated here from a seeded generator, rounded to 3 decimals and stored in the JSON
with the expected values, so the TypeScript tests (test/monitor/drift.golden.test.ts) never call Python.

Binning for Jensen-Shannon and PSI on numbers: `bins` equal-width bins over both samples' range
(numpy.histogram_bin_edges), shares with empty bins set to 0.0001, as Evidently does.
"""
import json
import os

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

rng = np.random.default_rng(20261202)


def finite(x):
    """JSON has no infinity: written as the string "Infinity", which the test reads back."""
    return float(x) if np.isfinite(x) else "Infinity"


def r(a):
    return [float(v) for v in np.round(np.asarray(a, dtype=np.float64), 3)]


def binned_shares(a, b, bins):
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=bins)
    pa = np.histogram(a, edges)[0] / len(a)
    pb = np.histogram(b, edges)[0] / len(b)
    pa = np.where(pa == 0, 0.0001, pa)
    pb = np.where(pb == 0, 0.0001, pb)
    return pa, pb


def numeric_case(name, a, b, bins=30):
    a = np.array(r(a))
    b = np.array(r(b))
    pa, pb = binned_shares(a, b, bins)
    ks_exact = stats.ks_2samp(a, b, method="exact") if len(a) * len(b) <= 10_000_000 else None
    en = len(a) * len(b) / (len(a) + len(b))
    d = stats.ks_2samp(a, b).statistic
    return {
        "name": name, "reference": list(a), "current": list(b), "bins": bins,
        "wasserstein": float(stats.wasserstein_distance(a, b)),
        "wasserstein_norm": float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)),
        "ks_statistic": float(d),
        "ks_p_exact": None if ks_exact is None else float(ks_exact.pvalue),
        "ks_p_asymptotic": float(stats.kstwobign.sf(np.sqrt(en) * d)),
        "jensen_shannon": float(distance.jensenshannon(pa, pb)),
        "psi": float(np.sum((pa - pb) * np.log(pa / pb))),
    }


def categorical_case(name, a, b):
    keys = sorted(set(a) | set(b))
    ca = np.array([a.count(k) for k in keys], dtype=np.float64)
    cb = np.array([b.count(k) for k in keys], dtype=np.float64)
    expected = ca * (len(b) / len(a))
    chi = stats.chisquare(cb, expected)
    pa = np.where(ca == 0, 0.0001, ca / len(a))
    pb = np.where(cb == 0, 0.0001, cb / len(b))
    return {
        "name": name, "reference": a, "current": b,
        "chi_statistic": finite(chi.statistic), "chi_p": float(chi.pvalue),
        "jensen_shannon": float(distance.jensenshannon(pa, pb)),
        "psi": float(np.sum((pa - pb) * np.log(pa / pb))),
    }


numeric = [
    numeric_case("same_normal", rng.normal(0, 1, 400), rng.normal(0, 1, 300)),
    numeric_case("shifted_normal", rng.normal(0, 1, 500), rng.normal(0.3, 1, 450)),
    numeric_case("wider", rng.normal(5, 1, 200), rng.normal(5, 2, 250)),
    numeric_case("skewed_vs_uniform", rng.exponential(2, 300), rng.uniform(0, 6, 320)),
    numeric_case("ties", rng.integers(0, 12, 350).astype(float), rng.integers(0, 14, 280).astype(float)),
    numeric_case("tiny", rng.normal(0, 1, 7), rng.normal(1, 1, 5), bins=5),
    numeric_case("big_asymptotic", rng.normal(0, 1, 4000), rng.normal(0.05, 1, 3000)),
]
cats = ["ATL", "BOS", "DEN", "JFK", "LAX", "ORD", "SFO"]
categorical = [
    categorical_case("same_mix", list(rng.choice(cats, 600, p=[.2, .1, .1, .2, .2, .1, .1])),
                     list(rng.choice(cats, 500, p=[.2, .1, .1, .2, .2, .1, .1]))),
    categorical_case("moved_mix", list(rng.choice(cats, 600, p=[.2, .1, .1, .2, .2, .1, .1])),
                     list(rng.choice(cats, 500, p=[.1, .1, .1, .1, .2, .2, .2]))),
    categorical_case("new_in_current", list(rng.choice(cats[:5], 300)), list(rng.choice(cats, 300))),
]
chi2_sf = [{"x": float(x), "df": int(df), "sf": float(stats.chi2.sf(x, df))}
           for x, df in [(0.5, 1), (3.84, 1), (10, 3), (25.3, 6), (100, 40), (0.01, 9), (300, 150), (1e-6, 2)]]
kolmogorov = [{"x": float(x), "sf": float(stats.kstwobign.sf(x))} for x in [0.3, 0.5, 0.8, 1.0, 1.36, 2.0, 3.0]]

out = {"scipy": scipy.__version__, "numpy": np.__version__, "numeric": numeric,
       "categorical": [{**c, "reference": [str(x) for x in c["reference"]], "current": [str(x) for x in c["current"]]}
                       for c in categorical],
       "chi2_sf": chi2_sf, "kolmogorov_sf": kolmogorov}
path = os.path.join(os.path.dirname(__file__), "drift.json")
with open(path, "w") as f:
    json.dump(out, f, allow_nan=False, default=str)
print("wrote", path, os.path.getsize(path), "bytes")
