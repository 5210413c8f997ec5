#!/usr/bin/env python3
"""Apache Otava's change points for the series of `buildtime-bench stats`, run side by side with buildtime's.

Reads one JSON array of numbers per line on stdin and writes, per line, the JSON array of the indices where Otava's
E-divisive detector (`otava.analysis.compute_change_points`, its defaults) says a new level starts. Exits 3 with a
message when Otava is not installed (`pip install apache-otava`).
"""
import json
import sys

try:
    from otava.analysis import compute_change_points
except ImportError:
    print("Apache Otava is not installed (pip install apache-otava): its column is left out", file=sys.stderr)
    sys.exit(3)

for line in sys.stdin:
    values = json.loads(line)
    points, _ = compute_change_points(values)
    print(json.dumps(sorted(int(point.index) for point in points)), flush=True)
