#!/usr/bin/env python3
"""Regenerates the small synthetic CSV fixtures in this folder (fixed seed).

blobs.csv: 3 Gaussian blobs in 4 dimensions, text class names, 240 rows.
regress.csv: y = 2*x1 - x2 + 0.5*x3^2 + noise, 160 rows.
"""
import os
import random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240611)

centres = {"alpha": (0.0, 0.0, 1.0, -1.0),
           "beta": (2.5, 1.0, -1.0, 0.5),
           "gamma": (0.5, 3.0, 0.0, 2.0)}
rows = []
for name, c in centres.items():
    for _ in range(80):
        rows.append([round(v + rng.gauss(0, 0.9), 4) for v in c] + [name])
rng.shuffle(rows)
with open(os.path.join(here, "blobs.csv"), "w") as f:
    f.write("f1,f2,f3,f4,label\n")
    for r in rows:
        f.write(",".join(str(v) for v in r) + "\n")

with open(os.path.join(here, "regress.csv"), "w") as f:
    f.write("x1,x2,x3,y\n")
    for _ in range(160):
        x = [round(rng.uniform(-2, 2), 4) for _ in range(3)]
        y = 2 * x[0] - x[1] + 0.5 * x[2] ** 2 + rng.gauss(0, 0.1)
        f.write(",".join(str(v) for v in x) + ",%.4f\n" % y)
