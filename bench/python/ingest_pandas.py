"""Reference for `npm run bench:ingest`: pandas' read_csv alone on the CSV the bench wrote.

    /usr/bin/python3 bench/python/ingest_pandas.py <file.csv>

Times `pandas.read_csv(path)` with its defaults (the C parser; the date column stays text) inside
this process, so interpreter start-up and `import pandas` are not counted, and prints one JSON line:
{"pandas", "seconds", "cpu_seconds", "rows", "columns"} (cpu_seconds: the process's CPU time in
read_csv, all threads).
"""
import json
import sys
import time

import pandas as pd


def main() -> None:
    path = sys.argv[1]
    started = time.perf_counter()
    cpu_started = time.process_time()
    frame = pd.read_csv(path)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    print(json.dumps({"pandas": pd.__version__, "seconds": seconds, "cpu_seconds": cpu_seconds, "rows": int(frame.shape[0]), "columns": int(frame.shape[1])}))


if __name__ == "__main__":
    main()
