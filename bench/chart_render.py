"""How long rendering one KPI chart takes, cold (first chart in a process: matplotlib's
import and the CJK font's loading) and warm (each chart after that), and the PNG's size.

Each run is a fresh process; the chart is a month of days with Chinese labels.

    .venv/bin/python bench/chart_render.py [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, time
t0 = time.perf_counter()
from handlers.kpis import plot
from handlers.kpis.charts import Series
days = [f"2026-11-{d:02d}" for d in range(1, 31)]
series = Series("月度规划 Monthly planning · 01 Nov – 30 Nov 2026", days,
                [d % 7 for d in range(30)], [d % 5 for d in range(30)], [d % 3 for d in range(30)],
                [12.0 + d % 9 for d in range(30)], 15.0, [None] * 30)
words = {"logged": "登记", "resolved": "解决", "breaches": "超时",
         "first_response": "首次响应（分钟）", "target": "目标", "satisfaction": "满意度",
         "day": "日期"}
t1 = time.perf_counter()
png = plot.render(series, words)
t2 = time.perf_counter()
warm = []
for _ in range(5):
    a = time.perf_counter(); plot.render(series, words); warm.append(time.perf_counter() - a)
import resource
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cold": t2 - t1, "warm": min(warm), "bytes": len(png), "rss_mb": rss}))
"""


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout))
    for key, unit in (("cold", "s"), ("warm", "s"), ("bytes", "B"), ("rss_mb", "MB")):
        values = sorted(r[key] for r in results)
        print(
            f"{key:>6}: min {values[0]:.3f} {unit}, median {statistics.median(values):.3f} {unit},"
            f" max {values[-1]:.3f} {unit}"
        )


if __name__ == "__main__":
    main()
