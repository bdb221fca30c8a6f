#!/usr/bin/env python3
"""Hugging Face transformers' LlamaModel on the same safetensors as NvEmbed, run bidirectionally the way
the model's own code does (is_causal=False on every attention module, a 4-D additive padding mask),
mean-pooled and L2-normalised. Two jobs:

  vectors: embeds the {"ids": [...]} lines of --inputs in padded batches of --batch and writes
           {"embedding": [...]} lines to --out (compare them with compare_vectors.py);
  speed:   times --shapes (BxS, full rows) and prints one JSON line per shape (B, S, ms, tok_s), the
           format of NvEmbed's bench command.

Needs torch, transformers and safetensors (the GPU machine has them); nothing is downloaded.
"""
import argparse
import json
import random
import time

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, LlamaModel


def load(model_dir, dtype, device, attn):
    config = AutoConfig.from_pretrained(model_dir)
    config._attn_implementation = attn
    with torch.device("meta"):
        model = LlamaModel(config)
    state = {}
    for name, tensor in load_file(f"{model_dir}/model.safetensors").items():
        state[name[len("model."):] if name.startswith("model.") else name] = tensor
    model.load_state_dict(state, strict=True, assign=True)
    model = model.to(device=device, dtype=dtype).eval()
    # The rotary inverse frequencies are a buffer, not a weight: made after the cast, in float32, as
    # from_pretrained leaves them (a bf16 copy would shift the angles of late positions).
    model.rotary_emb = type(model.rotary_emb)(config=config, device=device)
    for module in model.modules():
        if hasattr(module, "is_causal"):
            module.is_causal = False
    return model


def padding_mask_4d(mask, dtype):
    # [B, S] of 1/0 -> [B, 1, S, S] additive: 0 where the key is a real token, the dtype's minimum where padding.
    keys = (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
    return keys.expand(mask.shape[0], 1, mask.shape[1], mask.shape[1])


@torch.inference_mode()
def embed(model, ids, mask, dtype):
    hidden = model(input_ids=ids, attention_mask=padding_mask_4d(mask, dtype)).last_hidden_state
    m = mask.to(torch.float32).unsqueeze(-1)
    pooled = (hidden.to(torch.float32) * m).sum(1) / m.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def vectors(model, args, dtype):
    rows = [json.loads(line)["ids"] for line in open(args.inputs) if line.strip()]
    with open(args.out, "w") as out:
        for start in range(0, len(rows), args.batch):
            chunk = rows[start:start + args.batch]
            width = max(len(r) for r in chunk)
            ids = torch.zeros(len(chunk), width, dtype=torch.long)
            mask = torch.zeros(len(chunk), width, dtype=torch.long)
            for i, r in enumerate(chunk):
                ids[i, :len(r)] = torch.tensor(r)
                mask[i, :len(r)] = 1
            pooled = embed(model, ids.to(args.device), mask.to(args.device), dtype).cpu()
            for v in pooled:
                out.write(json.dumps({"embedding": [round(float(x), 7) for x in v]}) + "\n")


def speed(model, args, dtype):
    rng = random.Random(7)
    for shape in args.shapes.split(","):
        b, s = (int(x) for x in shape.lower().split("x"))
        ids = torch.tensor([[rng.randrange(1, 32000) for _ in range(s)] for _ in range(b)], device=args.device)
        mask = torch.ones_like(ids)
        line = {"kind": "shape", "engine": "hf-transformers", "dtype": args.dtype, "attn": args.attn, "B": b, "S": s}
        try:
            for _ in range(3):
                embed(model, ids, mask, dtype)
            times = []
            for _ in range(args.runs):
                if args.device == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                embed(model, ids, mask, dtype)
                if args.device == "cuda":
                    torch.cuda.synchronize()
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            ms = times[len(times) // 2]
            line.update(ms=round(ms, 3), tok_s=round(b * s / (ms / 1000)), runs=len(times))
        except torch.OutOfMemoryError as e:
            line["error"] = str(e).splitlines()[0]
            torch.cuda.empty_cache()
        print(json.dumps(line), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=["vectors", "speed"])
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], default="bf16")
    parser.add_argument("--attn", default="sdpa", help="transformers attention implementation (sdpa, eager)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--inputs")
    parser.add_argument("--out")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--shapes", default="1x32,32x32,256x32,16x512,64x512,128x512,8x2048,2x8192")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    model = load(args.model_dir, dtype, args.device, args.attn)
    if args.job == "vectors":
        vectors(model, args, dtype)
    else:
        speed(model, args, dtype)


if __name__ == "__main__":
    main()
