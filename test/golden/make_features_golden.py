"""Writes test/golden/features.json: scikit-learn 1.2 transformer outputs on real small data sets.

Depends on: Python 3 with scikit-learn 1.2.1, numpy and pandas (Debian: apt-get install python3-sklearn python3-pandas).
Only this generator needs them; the TypeScript tests read the committed JSON (through test/helpers/golden.ts) and never call Python.

Run once with Debian's interpreter (scikit-learn 1.2.1, numpy, pandas):
    /usr/bin/python3 test/golden/make_features_golden.py
The TypeScript tests (test/features/golden.test.ts) rebuild each input Frame from the data stored in
the JSON, run the Sluice transformer named by the case with the case's options, and compare every
output column's name and values; they never call Python.

Data: penguins, cars and flights-2k from the npm package vega-datasets (node_modules), diabetes and
wine from scikit-learn's bundled CSV files.

References that scikit-learn 1.2 does not have are computed by hand here, each documented:
- target encoding: scikit-learn 1.3's TargetEncoder (smooth='auto' and float smooth, out-of-fold
  cross fitting) re-implemented below from its published algorithm (_fit_encoding_fast and
  _fit_encoding_fast_auto_smooth); the fold of every row is written to the JSON so both sides use
  the same folds (scikit-learn's KFold / StratifiedKFold with shuffle, random_state=0).
- date parts: pandas' dt accessors (dayofweek Monday=0) and the sin/cos of value / period * 2 pi of
  scikit-learn's time-related feature engineering example.
"""
import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import FeatureHasher
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler
from sklearn.utils import murmurhash3_32

HERE = os.path.dirname(os.path.abspath(__file__))
VEGA = os.path.join(HERE, "..", "..", "node_modules", "vega-datasets", "data")
SKDATA = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")


def load_json(name):
    with open(os.path.join(VEGA, name)) as f:
        return pd.DataFrame(json.load(f))


def nan_to_none(values):
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, (bool, np.bool_)):
            out.append(int(v))
        elif isinstance(v, (np.floating, float, np.integer, int)) and not isinstance(v, bool):
            f = float(v)
            out.append(int(f) if f.is_integer() and abs(f) < 2**53 else f)  # 1 rather than 1.0: a smaller file
        else:
            out.append(str(v))
    return out


def text_col(s):
    """Object column with np.nan for missing (scikit-learn's missing marker for object arrays)."""
    return s.astype(object).where(s.notna(), np.nan)


# ---------------------------------------------------------------- data sets
penguins = load_json("penguins.json")
penguins["Sex"] = text_col(penguins["Sex"])
cars = load_json("cars.json")
flights = load_json("flights-2k.json").iloc[:1000].reset_index(drop=True)
flights["late"] = (flights["delay"] > 15).astype(float)
flights["delay"] = flights["delay"].astype(float)
flights["distance"] = flights["distance"].astype(float)
flights["date_ms"] = (pd.to_datetime(flights["date"], format="%Y/%m/%d %H:%M").astype("int64") // 1_000_000).astype(float)
seattle = pd.read_csv(os.path.join(VEGA, "seattle-weather.csv")).iloc[:400]  # Jan 2012 to Feb 2013: every month, a leap day
seattle["date_ms"] = (pd.to_datetime(seattle["date"]).astype("int64") // 1_000_000).astype(float)
diabetes = pd.read_csv(os.path.join(SKDATA, "diabetes_data_raw.csv.gz"), sep=" ", header=None)
diabetes.columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
diabetes = diabetes.astype(float)
wine = pd.read_csv(os.path.join(SKDATA, "wine_data.csv"), skiprows=1, header=None)
wine = wine.iloc[:, :13].astype(float)
wine.columns = [f"w{j}" for j in range(13)]

TIMESTAMPS = {("flights", "date_ms"), ("seattle", "date_ms")}
DATASETS = {"penguins": penguins, "cars": cars, "flights": flights, "seattle": seattle, "diabetes": diabetes, "wine": wine}


def dataset_json(name, df):
    cols = []
    for c in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[c]) and df[c].dtype != object
        kind = "number" if numeric else "string"
        entry = {"name": c, "kind": kind, "values": nan_to_none(df[c].tolist())}
        if (name, c) in TIMESTAMPS:
            entry["logical"] = "timestamp"
        cols.append(entry)
    return {"columns": cols}


cases = []


def out_frame(names, matrix):
    matrix = np.asarray(matrix, dtype=object if np.asarray(matrix).dtype == object else np.float64)
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    return {"names": [str(n) for n in names], "values": [nan_to_none(matrix[:, j].tolist()) for j in range(matrix.shape[1])]}


def add(name, dataset, transformer, columns, options, names, matrix, fit_rows=None, extra=None):
    case = {"name": name, "dataset": dataset, "transformer": transformer, "columns": columns, "options": options,
            "fitRows": fit_rows, "expected": out_frame(names, matrix)}
    if extra:
        case.update(extra)
    cases.append(case)


def rows(df, fit_rows):
    return df if fit_rows is None else df.iloc[fit_rows]


every_other = [i for i in range(344) if i % 3 != 0]  # penguins rows used to fit in split cases

# ---------------------------------------------------------------- scalers
PENGUIN_NUM = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"]
for ds, cols, fit_rows in [("penguins", PENGUIN_NUM, None), ("diabetes", list(diabetes.columns), None),
                           ("wine", list(wine.columns), list(range(120)))]:
    df = DATASETS[ds]
    sc = StandardScaler().fit(rows(df, fit_rows)[cols])
    add(f"standard scaler {ds}", ds, "standard-scaler", cols, {}, cols, sc.transform(df[cols]), fit_rows)
for ds, cols, opts, kw in [("penguins", PENGUIN_NUM, {}, {}),
                           ("wine", list(wine.columns), {"quantileRange": [10, 90]}, {"quantile_range": (10, 90)}),
                           ("diabetes", list(diabetes.columns), {"withCentering": False}, {"with_centering": False})]:
    df = DATASETS[ds]
    sc = RobustScaler(**kw).fit(df[cols])
    add(f"robust scaler {ds} {opts}", ds, "robust-scaler", cols, opts, cols, sc.transform(df[cols]))

# ---------------------------------------------------------------- imputation
for strategy in ["mean", "median", "most_frequent", "constant"]:
    kw = {"fill_value": -1.0} if strategy == "constant" else {}
    opts = {"strategy": strategy, "addIndicator": True, **({"fillValue": -1} if strategy == "constant" else {})}
    imp = SimpleImputer(strategy=strategy, add_indicator=True, **kw).fit(penguins.iloc[every_other][PENGUIN_NUM])
    names = imp.get_feature_names_out(PENGUIN_NUM)
    add(f"imputer penguins {strategy}", "penguins", "imputer", PENGUIN_NUM, opts, names, imp.transform(penguins[PENGUIN_NUM]), every_other)
for strategy, kw, opts in [("most_frequent", {}, {}), ("constant", {"fill_value": "missing"}, {"fillValue": "missing"})]:
    imp = SimpleImputer(strategy=strategy, add_indicator=True, **kw).fit(penguins[["Sex", "Island"]])
    names = imp.get_feature_names_out(["Sex", "Island"])
    out = imp.transform(penguins[["Sex", "Island"]])
    add(f"imputer penguins text {strategy}", "penguins", "imputer", ["Sex", "Island"], {"strategy": strategy, "addIndicator": True, **opts}, names, out)
cars_num = ["Miles_per_Gallon", "Horsepower", "Weight_in_lbs"]
cars_fit = list(range(0, 300))
imp = SimpleImputer(strategy="mean", add_indicator=True).fit(cars.iloc[cars_fit][cars_num])
add("imputer cars mean, fitted on the first 300 rows", "cars", "imputer", cars_num, {"strategy": "mean", "addIndicator": True},
    imp.get_feature_names_out(cars_num), imp.transform(cars[cars_num]), cars_fit)

# ---------------------------------------------------------------- one-hot
for cols, kw, opts, fit_rows in [
    (["Species", "Island", "Sex"], {}, {}, None),
    (["Island", "Sex"], {"min_frequency": 2, "handle_unknown": "infrequent_if_exist"}, {"minFrequency": 2, "handleUnknown": "infrequent_if_exist"}, None),
    (["Species", "Sex"], {"max_categories": 2, "handle_unknown": "ignore"}, {"maxCategories": 2, "handleUnknown": "ignore"}, None),
]:
    enc = OneHotEncoder(sparse_output=False, **kw).fit(rows(penguins, fit_rows)[cols])
    add(f"one-hot penguins {opts}", "penguins", "one-hot-encoder", cols, opts, enc.get_feature_names_out(cols), enc.transform(penguins[cols]), fit_rows)
fl_fit = list(range(700))
for cols, kw, opts in [
    (["origin"], {"min_frequency": 20, "handle_unknown": "infrequent_if_exist"}, {"minFrequency": 20, "handleUnknown": "infrequent_if_exist"}),
    (["origin", "destination"], {"min_frequency": 0.02, "handle_unknown": "ignore"}, {"minFrequency": 0.02, "handleUnknown": "ignore"}),
    (["destination"], {"max_categories": 8, "handle_unknown": "infrequent_if_exist"}, {"maxCategories": 8, "handleUnknown": "infrequent_if_exist"}),
    (["origin"], {"min_frequency": 10, "max_categories": 5, "handle_unknown": "infrequent_if_exist"}, {"minFrequency": 10, "maxCategories": 5, "handleUnknown": "infrequent_if_exist"}),
]:
    enc = OneHotEncoder(sparse_output=False, **kw).fit(flights.iloc[fl_fit][cols])
    add(f"one-hot flights {opts}", "flights", "one-hot-encoder", cols, opts, enc.get_feature_names_out(cols), enc.transform(flights[cols]), fl_fit)
enc = OneHotEncoder(sparse_output=False).fit(cars[["Origin"]])
add("one-hot cars", "cars", "one-hot-encoder", ["Origin"], {}, enc.get_feature_names_out(["Origin"]), enc.transform(cars[["Origin"]]))

# ---------------------------------------------------------------- ordinal
enc = OrdinalEncoder().fit(penguins[["Species", "Island", "Sex"]])
add("ordinal penguins", "penguins", "ordinal-encoder", ["Species", "Island", "Sex"], {}, ["Species", "Island", "Sex"],
    enc.transform(penguins[["Species", "Island", "Sex"]]))
enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(flights.iloc[fl_fit][["origin", "destination"]])
add("ordinal flights unknown -1", "flights", "ordinal-encoder", ["origin", "destination"], {"unknown": "use_encoded_value", "unknownValue": -1},
    ["origin", "destination"], enc.transform(flights[["origin", "destination"]]), fl_fit)

# ---------------------------------------------------------------- quantile bins
for ds, cols, k, fit_rows in [("diabetes", list(diabetes.columns), 5, None), ("wine", list(wine.columns), 10, list(range(100))),
                              ("cars", ["Cylinders", "Acceleration"], 6, None)]:
    df = DATASETS[ds]
    kb = KBinsDiscretizer(n_bins=k, encode="ordinal", strategy="quantile", subsample=None).fit(rows(df, fit_rows)[cols])
    add(f"quantile bins {ds} {k}", ds, "quantile-binner", cols, {"bins": k}, cols, kb.transform(df[cols]), fit_rows,
        {"edges": [[float(e) for e in edges] for edges in kb.bin_edges_]})

# ---------------------------------------------------------------- hashing
for cols, n, sign in [(["origin", "destination"], 32, True), (["origin"], 16, False), (["origin", "distance"], 8, True)]:
    h = FeatureHasher(n_features=n, input_type="dict", alternate_sign=sign)
    dicts = [{c: flights[c][i] for c in cols} for i in range(len(flights))]
    out = h.transform(dicts).toarray()
    add(f"hashing flights {cols} {n} {sign}", "flights", "feature-hasher", cols, {"features": n, "alternateSign": sign},
        [f"hash_{k}" for k in range(n)], out)
murmur = [{"text": t, "hash": int(murmurhash3_32(t, seed=0))} for t in
          ["", "a", "ab", "abc", "abcd", "origin=LAX", "destination=BNA", "héllo wörld", "日本語", "emoji 😀", "x" * 37]]


# ---------------------------------------------------------------- target encoding (scikit-learn 1.3, by hand)
def te_fit(codes, n_cats, y, smooth, y_mean, y_var):
    """scikit-learn 1.3 _fit_encoding_fast / _fit_encoding_fast_auto_smooth for one feature."""
    enc = np.empty(n_cats)
    if smooth == "auto":
        counts = np.zeros(n_cats)
        means = np.zeros(n_cats)
        for c, v in zip(codes, y):
            counts[c] += 1
            means[c] += v
        with np.errstate(invalid="ignore", divide="ignore"):
            means = means / counts
        ss = np.zeros(n_cats)
        for c, v in zip(codes, y):
            d = v - means[c]
            ss[c] += d * d
        for c in range(n_cats):
            with np.errstate(invalid="ignore", divide="ignore"):
                lam = y_var * counts[c] / (y_var * counts[c] + ss[c] / counts[c])
            enc[c] = y_mean if np.isnan(lam) else lam * means[c] + (1 - lam) * y_mean
    else:
        sums = np.full(n_cats, smooth * y_mean)
        counts = np.full(n_cats, float(smooth))
        for c, v in zip(codes, y):
            sums[c] += v
            counts[c] += 1
        for c in range(n_cats):
            enc[c] = y_mean if counts[c] == 0 else sums[c] / counts[c]
    return enc


def target_encoding_case(name, df, cols, target, smooth, binary, train_rows, test_rows):
    train = df.iloc[train_rows].reset_index(drop=True)
    y = train[target].to_numpy(dtype=float)
    if binary:
        classes = np.unique(y)
        y = (y == classes[-1]).astype(float)
        folds_iter = StratifiedKFold(5, shuffle=True, random_state=0).split(train, y)
    else:
        folds_iter = KFold(5, shuffle=True, random_state=0).split(train)
    fold = np.empty(len(train), dtype=int)
    for f, (_, test_idx) in enumerate(folds_iter):
        fold[test_idx] = f
    full_out = np.empty((len(test_rows), len(cols)))
    oof_out = np.empty((len(train), len(cols)))
    y_mean, y_var = np.mean(y), np.var(y)
    for j, c in enumerate(cols):
        col = text_col(train[c])
        cats = sorted(v for v in col.dropna().unique())
        if col.isna().any():
            cats.append(None)
        index = {v: k for k, v in enumerate(cats)}
        codes = np.array([index[None if (isinstance(v, float) and np.isnan(v)) else v] for v in col])
        enc = te_fit(codes, len(cats), y, smooth, y_mean, y_var)
        test_col = text_col(df.iloc[test_rows][c])
        full_out[:, j] = [enc[index[key]] if key in index else y_mean
                          for key in (None if (isinstance(v, float) and np.isnan(v)) else v for v in test_col)]
        for f in range(5):
            tr = fold != f
            fm, fv = np.mean(y[tr]), np.var(y[tr])
            enc_f = te_fit(codes[tr], len(cats), y[tr], smooth, fm, fv)
            oof_out[~tr, j] = enc_f[codes[~tr]]
    opts = {"target": target, "smooth": smooth, "targetType": "binary" if binary else "continuous"}
    add(name, name.split()[2], "target-encoder", cols, opts, cols, full_out, train_rows,
        {"transformRows": test_rows, "folds": fold.tolist(), "outOfFold": out_frame(cols, oof_out)})


target_encoding_case("target encoding flights delay auto", flights, ["origin", "destination"], "delay", "auto", False, list(range(700)), list(range(700, 1000)))
target_encoding_case("target encoding flights delay smooth-10", flights, ["origin", "destination"], "delay", 10.0, False, list(range(700)), list(range(700, 1000)))
target_encoding_case("target encoding flights late auto", flights, ["origin", "destination"], "late", "auto", True, list(range(700)), list(range(700, 1000)))
weighed = [i for i in range(len(penguins)) if not np.isnan(penguins["Body Mass (g)"][i])]
target_encoding_case("target encoding penguins mass auto", penguins, ["Island", "Sex"], "Body Mass (g)", "auto", False, weighed[0::2], weighed[1::2])


# ---------------------------------------------------------------- date parts (pandas)
def date_parts(series):
    d = pd.to_datetime(series)
    v = {"year": d.dt.year, "month": d.dt.month, "day": d.dt.day, "dayOfWeek": d.dt.dayofweek, "dayOfYear": d.dt.dayofyear,
         "hour": d.dt.hour, "minute": d.dt.minute, "weekend": (d.dt.dayofweek >= 5).astype(int)}
    return {k: s.to_numpy(dtype=float) for k, s in v.items()}


PERIODS = {"month": 12, "day": 31, "dayOfWeek": 7, "dayOfYear": 365, "hour": 24, "minute": 60}
for ds, col, parts, cyclic in [("flights", "date", ["year", "month", "day", "dayOfWeek", "dayOfYear", "hour", "minute", "weekend"], ["hour", "dayOfWeek", "month"]),
                               ("flights", "date_ms", ["hour", "weekend"], ["minute", "dayOfYear"]),
                               ("seattle", "date", ["year", "month", "dayOfWeek", "weekend"], ["month", "day", "dayOfYear"]),
                               ("seattle", "date_ms", ["dayOfYear"], ["dayOfWeek"])]:
    df = DATASETS[ds]
    series = pd.to_datetime(df[col], unit="ms") if col.endswith("_ms") else pd.to_datetime(df[col], format="%Y/%m/%d %H:%M" if ds == "flights" else "%Y-%m-%d")
    v = date_parts(series)
    names, mat = [], []
    for p in parts:
        names.append(f"{col}_{p}")
        mat.append(v[p])
    for p in cyclic:
        names += [f"{col}_{p}_sin", f"{col}_{p}_cos"]
        mat += [np.sin(v[p] / PERIODS[p] * 2 * np.pi), np.cos(v[p] / PERIODS[p] * 2 * np.pi)]
    add(f"date parts {ds} {col}", ds, "date-parts", [col], {"parts": parts, "cyclic": cyclic}, names, np.column_stack(mat))

# ---------------------------------------------------------------- column transformer
num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False))
for verbose, remainder in [(False, "drop"), (True, "drop")]:
    ct = ColumnTransformer([("num", num, PENGUIN_NUM), ("cat", cat, ["Island", "Sex"])], remainder=remainder,
                           verbose_feature_names_out=verbose)
    ct.fit(penguins.iloc[every_other])
    add(f"column transformer penguins prefix={verbose}", "penguins", "column-transformer", [], {"prefixNames": verbose, "remainder": remainder},
        ct.get_feature_names_out(), ct.transform(penguins), every_other)
ct = ColumnTransformer([("bins", KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="quantile", subsample=None), ["age", "bmi"]),
                        ("robust", RobustScaler(), ["s1", "s2"])], remainder="passthrough", verbose_feature_names_out=False)
ct.fit(diabetes)
add("column transformer diabetes passthrough", "diabetes", "column-transformer-diabetes", [], {"remainder": "passthrough"},
    ct.get_feature_names_out(), ct.transform(diabetes))

out = {
    "sklearn": sklearn.__version__,
    "datasets": {name: dataset_json(name, df) for name, df in DATASETS.items()},
    "murmurhash": murmur,
    "cases": cases,
}
with open(os.path.join(HERE, "features.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"), allow_nan=False)
print(f"wrote {len(cases)} cases")
