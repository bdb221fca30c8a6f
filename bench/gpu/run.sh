#!/usr/bin/env bash
# Every GPU measurement and check of issue 12, in one script, for the lent GPU machine (see the worker's
# Models/README.md, "The GPU run"). It runs from the folder of a `dotnet publish` of the CUDA worker
# (NvEmbed.InferenceWorker.dll there) with this folder copied in as bench-gpu/, and writes its results
# under $OUT (at most 8 files per phase: the device tool brings back 8).
#
#   bash bench-gpu/run.sh prepare   # generate the full-size model, build fp32/fp16/bf16/fp16-mha graphs  (~3 min)
#   bash bench-gpu/run.sh bench     # shapes × precisions, budget sweep, sessions 1 vs 2, profile         (~5 min)
#                                   (the three phases and the machine's start fit the 15 minutes of a lease only
#                                   just: run prepare with the staging, then bench and checks back to back)
#   bash bench-gpu/run.sh checks    # fidelity vs fp32, Hugging Face vectors and speed, oversized budget   (~4 min)
#   bash bench-gpu/run.sh all       # the three, for a dry run
#
# Settings (environment): NVEMBED_GPU_DEVICE (cuda; cpu for a dry run), NVEMBED_GPU_MODEL (target: the
# create-model --target-size model; tiny: a 2-layer model for dry runs), NVEMBED_GPU_WORK (model folders,
# default /root/gpu/work or a temp folder), NVEMBED_GPU_PRECISIONS (fp16 bf16), NVEMBED_GPU_SHAPES,
# NVEMBED_GPU_BUDGETS, NVEMBED_GPU_SECONDS (scheduler seconds per point), NVEMBED_GPU_PROFILE_SHAPES,
# NVEMBED_GPU_FIDELITY_MAX (longest fidelity sequence, 8192), NVEMBED_GPU_OOM_TOKENS (the oversized budget),
# NVEMBED_GPU_VARIANT (fused; fused-mha if ONNX Runtime's Attention kernel turns out unusable there: then
# rerun prepare with it).
set -uo pipefail
phase=${1:-all}
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/gpu-results}
mkdir -p "$OUT"
device=${NVEMBED_GPU_DEVICE:-cuda}
size=${NVEMBED_GPU_MODEL:-target}
work=${NVEMBED_GPU_WORK:-$([ -d /root/gpu ] && echo /root/gpu/work || echo "${TMPDIR:-/tmp}/nvembed-gpu-work")}
precisions=${NVEMBED_GPU_PRECISIONS:-fp16 bf16}
shapes=${NVEMBED_GPU_SHAPES:-1x32,32x32,256x32,16x512,64x512,128x512,8x2048,2x8192}
budgets=${NVEMBED_GPU_BUDGETS:-8192,16384,32768,65536}
seconds=${NVEMBED_GPU_SECONDS:-5}
fidelity_max=${NVEMBED_GPU_FIDELITY_MAX:-8192}
variant=${NVEMBED_GPU_VARIANT:-fused}
W=(dotnet "$PWD/NvEmbed.InferenceWorker.dll")
export ORT_DISABLE_TELEMETRY=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1
log="$OUT/$phase.log"
failed=0

say() { echo "[$(date +%T)] $*" | tee -a "$log" >&2; }
run() { say "\$ $*"; "$@" 2>>"$log"; local rc=$?; [ $rc -eq 0 ] || { say "exit $rc: $1 ${2:-}"; failed=1; }; return $rc; }

# A model folder per graph: the same safetensors (linked), its own onnx/.
graph_dir() { echo "$work/$1"; }

prepare() {
  say "device $device, model $size, work $work"
  { nvidia-smi 2>&1 || echo "no nvidia-smi"; "${W[0]}" --list-runtimes; } >"$OUT/environment.txt"
  rm -rf "$work" && mkdir -p "$work"
  local flags=(--dtype bf16)
  if [ "$size" = target ]; then flags+=(--target-size); else flags+=(--hidden 128 --layers 2 --heads 4 --kv-heads 2 --intermediate 256 --vocab 128256); fi
  run "${W[@]}" create-model --out "$work/base" "${flags[@]}" || return
  local builds=()
  for graph in fp32 $precisions fp16-mha; do
    local dir; dir=$(graph_dir "$graph"); mkdir -p "$dir"
    for f in "$work/base"/*; do ln -s "$f" "$dir/"; done
    local precision=${graph%-mha} graph_variant=$variant
    [ "$graph" = fp16-mha ] && graph_variant=fused-mha
    say "building $graph ($graph_variant $precision) in the background"
    "${W[@]}" build --model-dir "$dir" --precision "$precision" --variant "$graph_variant" 2>>"$log" &
    builds+=($!)
  done
  for pid in "${builds[@]}"; do wait "$pid" || { say "a build failed (pid $pid)"; failed=1; }; done
  du -sh "$work"/*/onnx >>"$log" 2>&1
}

bench() {
  local out="$OUT/bench.jsonl"; : >"$out"
  for p in $precisions; do
    run "${W[@]}" bench --model-dir "$(graph_dir "$p")" --device "$device" --precision "$p" --variant "$variant" --shapes "$shapes" \
      --scheduler-seconds "$seconds" --budgets "$budgets" --concurrency 64 >>"$out"
  done
  # The same shapes with MultiHeadAttention (K/V repeated) instead of ONNX Attention's grouped-query kernel.
  run "${W[@]}" bench --model-dir "$(graph_dir fp16-mha)" --device "$device" --precision fp16 --variant fused-mha \
    --shapes "${NVEMBED_GPU_MHA_SHAPES:-1x32,16x512,128x512,2x8192}" --scheduler-seconds 0 >>"$out"
  # Several sessions on one GPU: the mixed load at the middle budget with 2 sessions (compare with 1 above).
  local first=${precisions%% *}
  run "${W[@]}" bench --model-dir "$(graph_dir "$first")" --device "$device" --precision "$first" --variant "$variant" --shapes 1x32 --seconds 0.2 \
    --sessions 2 --scheduler-seconds "$seconds" --budgets 16384 --concurrency 64 >>"$out"
  # Where the time goes: ONNX Runtime's profile of two shapes, summarised per operator and kernel.
  rm -f "$work"/profile-*.json
  run "${W[@]}" bench --model-dir "$(graph_dir "$first")" --device "$device" --precision "$first" --variant "$variant" --shapes "${NVEMBED_GPU_PROFILE_SHAPES:-1x32,16x512,2x8192}" \
    --seconds 0.3 --scheduler-seconds 0 --profile "$work/profile-$first" >/dev/null
  local profile; profile=$(ls -t "$work"/profile-*.json 2>/dev/null | head -1)
  if [ -n "$profile" ]; then python3 "$here/profile_summary.py" "$profile" >"$OUT/profile-summary.md" 2>>"$log" || failed=1
  else say "no profile written"; failed=1; fi
}

checks() {
  local inputs="$work/fidelity-inputs.jsonl" out="$OUT/fidelity.jsonl"; : >"$out"
  python3 "$here/make_inputs.py" --max-length "$fidelity_max" >"$inputs"
  # The float32 graph, one sequence at a time, is the reference; the 16-bit graphs run padded batches of 8.
  run "${W[@]}" embed --model-dir "$(graph_dir fp32)" --device "$device" --precision fp32 --variant "$variant" --batch 1 <"$inputs" >"$work/vectors-fp32.jsonl"
  for p in $precisions; do
    run "${W[@]}" embed --model-dir "$(graph_dir "$p")" --device "$device" --precision "$p" --variant "$variant" --batch 8 <"$inputs" >"$work/vectors-$p.jsonl"
    python3 "$here/compare_vectors.py" "$work/vectors-fp32.jsonl" "$work/vectors-$p.jsonl" --inputs "$inputs" --label "nvembed-$p-vs-fp32" >>"$out" || failed=1
  done
  if python3 -c "import torch, transformers, safetensors" 2>>"$log"; then
    local hf="$OUT/hf.jsonl"; : >"$hf"
    for dt in bf16 fp16; do
      run python3 "$here/hf_compare.py" vectors --model-dir "$work/base" --dtype "$dt" --device "$device" --inputs "$inputs" --out "$work/vectors-hf-$dt.jsonl" --batch 8
      python3 "$here/compare_vectors.py" "$work/vectors-hf-$dt.jsonl" "$work/vectors-fp32.jsonl" --inputs "$inputs" --label "hf-$dt-vs-nvembed-fp32" >>"$out" || failed=1
      for p in $precisions; do
        python3 "$here/compare_vectors.py" "$work/vectors-hf-$dt.jsonl" "$work/vectors-$p.jsonl" --inputs "$inputs" --label "hf-$dt-vs-nvembed-$p" >>"$out" || failed=1
      done
      run python3 "$here/hf_compare.py" speed --model-dir "$work/base" --dtype "$dt" --device "$device" --shapes "$shapes" >>"$hf"
    done
  elif [ "$device" = cuda ]; then say "torch/transformers/safetensors not importable: the Hugging Face comparison did not run"; failed=1
  else say "torch/transformers not importable here: Hugging Face comparison skipped (dry run)"; fi
  # Out of memory contained: warm up at an oversized budget, come down, then serve the mixed load through
  # the worker's gRPC service wiring on loopback.
  local first=${precisions%% *}
  run "${W[@]}" bench --model-dir "$(graph_dir "$first")" --device "$device" --precision "$first" --variant "$variant" --shapes 1x32 --seconds 0.2 \
    --oom-check "${NVEMBED_GPU_OOM_TOKENS:-4194304}" --scheduler-seconds "$seconds" --concurrency 64 --via grpc >"$OUT/oom-grpc.jsonl"
}

case "$phase" in
  prepare) prepare ;;
  bench) bench ;;
  checks) checks ;;
  all) prepare && bench && checks ;;
  *) echo "usage: run.sh prepare|bench|checks|all" >&2; exit 2 ;;
esac
say "phase $phase done, failed=$failed"
exit $failed
