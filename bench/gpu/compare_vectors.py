#!/usr/bin/env python3
"""Cosine of every pair of vectors in two JSON-lines files ({"embedding": [...]} per line, same order).
Prints one JSON object (count, min, mean, the worst lines, below-threshold count); exits 1 if any
cosine is below --min-cosine or a line is missing or an error. Pure Python: runs anywhere."""
import argparse
import json
import math
import sys


def vectors(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("candidate")
parser.add_argument("--inputs", help="the ids file, to report each line's length")
parser.add_argument("--min-cosine", type=float, default=0.999)
parser.add_argument("--label", default="")
args = parser.parse_args()

ref, cand = vectors(args.reference), vectors(args.candidate)
lengths = [len(x["ids"]) for x in vectors(args.inputs)] if args.inputs else [None] * len(ref)
rows, errors = [], []
for i, (a, b) in enumerate(zip(ref, cand)):
    if "embedding" not in a or "embedding" not in b:
        errors.append({"line": i + 1, "reference": a.get("error"), "candidate": b.get("error")})
        continue
    x, y = a["embedding"], b["embedding"]
    dot = sum(p * q for p, q in zip(x, y))
    cos = dot / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
    rows.append((cos, i + 1, lengths[i] if i < len(lengths) else None))
rows.sort()
result = {
    "label": args.label,
    "count": len(rows),
    "lines_reference": len(ref),
    "lines_candidate": len(cand),
    "min_cosine": rows[0][0] if rows else None,
    "mean_cosine": sum(r[0] for r in rows) / len(rows) if rows else None,
    "below": sum(1 for r in rows if r[0] < args.min_cosine),
    "threshold": args.min_cosine,
    "worst": [{"cosine": c, "line": line, "length": n} for c, line, n in rows[:5]],
    "errors": errors,
}
print(json.dumps(result))
ok = rows and not errors and len(ref) == len(cand) and result["below"] == 0
sys.exit(0 if ok else 1)
