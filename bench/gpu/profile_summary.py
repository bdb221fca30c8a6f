#!/usr/bin/env python3
"""Summarises an ONNX Runtime profile (the JSON trace bench --profile writes): time per operator type and
the slowest nodes and GPU kernels, summed over every run, as a plain-text table."""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))
by_op = collections.Counter()
by_node = collections.Counter()
kernels = collections.Counter()
runs = 0
for e in events:
    if e.get("ph") != "X":
        continue
    name, args, dur = e.get("name", ""), e.get("args", {}), e.get("dur", 0)
    if e.get("cat") == "Session" and name == "model_run":
        runs += 1
    elif e.get("cat") == "Node" and name.endswith("_kernel_time"):
        by_op[args.get("op_name", "?")] += dur
        by_node[name[: -len("_kernel_time")]] += dur
    elif e.get("cat") == "Kernel":
        kernels[name] += dur
total = sum(by_op.values()) or 1
print(f"runs: {runs}; node time {total / 1000:.1f} ms in all")
print("\n| operator | ms | share |\n|---|---|---|")
for op, dur in by_op.most_common(20):
    print(f"| {op} | {dur / 1000:.2f} | {100 * dur / total:.1f}% |")
print("\n| slowest nodes | ms |\n|---|---|")
for node, dur in by_node.most_common(15):
    print(f"| {node} | {dur / 1000:.2f} |")
if kernels:
    ktotal = sum(kernels.values())
    print(f"\nGPU kernels: {ktotal / 1000:.1f} ms in all\n| kernel | ms | share |\n|---|---|---|")
    for k, dur in kernels.most_common(20):
        print(f"| {k[:120]} | {dur / 1000:.2f} | {100 * dur / ktotal:.1f}% |")
