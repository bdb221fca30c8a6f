#!/usr/bin/env bash
# Builds NvEmbed's images: publishes each service (framework-dependent, Release) into artifacts/containers/ and builds
# deploy/containers/Containerfile's targets from it. Prints the image names.
#
#   deploy/containers/build-images.sh [--base-image IMAGE] [--prefix PREFIX] [--tag TAG] [--cuda]
#
#   --base-image  the ASP.NET Core 10 runtime image to build on, e.g. mcr.microsoft.com/dotnet/aspnet:10.0 (default
#                 $NVEMBED_BASE_IMAGE, else the local Debian one from build-base.sh, built once and then cached: for
#                 machines without a registry)
#   --prefix      image names are PREFIX-<service> (default $NVEMBED_IMAGE_PREFIX, else localhost/nvembed)
#   --tag         image tag (default $NVEMBED_TAG, else latest)
#   --cuda        build only the CUDA inference image (PREFIX-inference-cuda, cuda.Containerfile; needs the nvidia/cuda
#                 and Microsoft base images from their registries)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=${NVEMBED_IMAGE_PREFIX:-localhost/nvembed}
tag=${NVEMBED_TAG:-latest}
base=
cuda=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --base-image) base=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --cuda) cuda=true; shift ;;
    *) echo "build-images: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

log() { echo "build-images: $*" >&2; }
context=$repo/artifacts/containers
mkdir -p "$context"
cp "$here/nvembed-health" "$here/nvembed-model" "$context/"
labels=(--label "org.opencontainers.image.revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)")

# Publishes build in their own folders (--artifacts-path), apart from the projects' bin/ and obj/: the Release restore
# and build for the images never touch what `dotnet build` and `dotnet test` use, and the CUDA build never the CPU one.
publish() { # publish <project> <folder> <build folder> [msbuild properties...]
  local project=$1 folder=$2 build=$3
  shift 3
  log "dotnet publish $project -> artifacts/containers/$folder"
  rm -rf "${context:?}/$folder"
  dotnet publish "$repo/$project" -c Release -p:UseAppHost=false --artifacts-path "$repo/artifacts/$build" \
    -p:PublishDocumentationFiles=false -o "$context/$folder" -nologo -v q "$@" >&2
}

if [[ $cuda == true ]]; then
  # The CUDA 13 build of ONNX Runtime (-p:NvEmbedCuda=true; see NvEmbed.InferenceWorker/Models/README.md).
  publish NvEmbed.InferenceWorker inference-cuda publish-cuda -p:NvEmbedCuda=true
  podman build --format docker -f "$here/cuda.Containerfile" "${labels[@]}" -t "$prefix-inference-cuda:$tag" "$context" >&2
  echo "$prefix-inference-cuda:$tag"
  exit 0
fi

base=${base:-${NVEMBED_BASE_IMAGE:-$("$here/build-base.sh")}}
declare -A projects=([tokenizer]=NvEmbed.Tokenizer [inference]=NvEmbed.InferenceWorker [api]=NvEmbed.Api [gateway]=NvEmbed.Gateway)
for service in tokenizer inference api gateway; do
  publish "${projects[$service]}" "$service" publish-cpu
done

for service in tokenizer inference api gateway; do
  log "podman build --target $service -> $prefix-$service:$tag (on $base)"
  podman build --quiet --format docker -f "$here/Containerfile" --target "$service" --build-arg BASE_IMAGE="$base" \
    "${labels[@]}" -t "$prefix-$service:$tag" "$context" >/dev/null
  echo "$prefix-$service:$tag"
done
