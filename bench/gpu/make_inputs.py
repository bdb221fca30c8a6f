#!/usr/bin/env python3
"""Writes the fidelity set: {"ids": [...]} lines of varied lengths (1 .. max), random ids, in an order
that puts short and long sequences into the same padded batches of 8 (embed --batch 8)."""
import argparse
import json
import random

parser = argparse.ArgumentParser()
parser.add_argument("--max-length", type=int, default=8192)
parser.add_argument("--vocab", type=int, default=128256)
parser.add_argument("--seed", type=int, default=12)
args = parser.parse_args()

rng = random.Random(args.seed)
lengths = [1, 2, 3, 5, 8, 13, 21, 32, 50, 64, 100, 128, 200, 256, 333, 512, 700, 1000, 1024, 1500, 2048, 3000, 4096, 6000, 8191, 8192]
lengths = [n for n in lengths if n <= args.max_length]
lengths += [rng.randint(1, min(600, args.max_length)) for _ in range(22)]
rng.shuffle(lengths)
for n in lengths:
    # id 128000 (<|begin_of_text|>) first, as the tokenizer's post-processor adds it
    ids = [min(128000, args.vocab - 1)] + [rng.randrange(1, min(args.vocab, 128000)) for _ in range(n - 1)]
    print(json.dumps({"ids": ids}))
