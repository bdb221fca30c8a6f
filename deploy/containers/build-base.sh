#!/usr/bin/env bash
# Builds, once, the base image NvEmbed's service images use where no registry can be reached, and prints its name:
# a Debian 12 root filesystem made from Debian's packages by mmdebstrap, plus the .NET and ASP.NET Core runtimes of the
# .NET SDK on this machine (base.Containerfile). With a registry, use mcr.microsoft.com/dotnet/aspnet:10.0 instead
# (build-images.sh --base-image ...).
#
# Cached outside the repository: the image is tagged localhost/nvembed-base:<key>, <key> a hash of its recipe (this
# script, base.Containerfile, the runtime version), and the root filesystem is kept as a tarball in the cache folder
# ($NVEMBED_CONTAINER_CACHE, default <NvEmbed cache>/containers: $NIM_CACHE_PATH, else $XDG_CACHE_HOME/nvembed, else
# ~/.cache/nvembed). An unchanged recipe returns at once; a changed one builds a new image (old ones are left for
# `podman rmi`). Needs: podman, mmdebstrap (root, or unshare mode with subuids), a Debian mirror, the .NET 10 SDK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NVEMBED_CONTAINER_CACHE:-${NIM_CACHE_PATH:-${XDG_CACHE_HOME:-$HOME/.cache}/nvembed}/containers}
suite=bookworm
packages=ca-certificates,libicu72,libssl3,libstdc++6,zlib1g,tzdata

log() { echo "build-base: $*" >&2; }

# The runtimes to put in: the newest 10.0 ASP.NET Core runtime of the SDK on the PATH, with its .NET runtime.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
aspnet_version=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" && $2 ~ /^10\./ { print $2 }' | sort -V | tail -n 1)
dotnet_version=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { print $2 }' | sort -V | tail -n 1)
fxr_version=$(ls "$dotnet_root/host/fxr" | sort -V | tail -n 1)
if [[ -z $aspnet_version || -z $dotnet_version || -z $fxr_version ]]; then
  log "no .NET 10 runtime found under $dotnet_root (dotnet --list-runtimes)"
  exit 1
fi

rootfs_key=$(printf '%s\n' "$suite" "$packages" "$(sha256sum "$0" | cut -c1-64)" | sha256sum | cut -c1-12)
key=$(printf '%s\n' "$rootfs_key" "$(sha256sum "$here/base.Containerfile" | cut -c1-64)" "$dotnet_version" "$aspnet_version" "$fxr_version" \
  | sha256sum | cut -c1-12)
image=localhost/nvembed-base:$key

mkdir -p "$cache"
exec 9>"$cache/base.lock"
flock 9 # one build at a time; the others then find it built

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

rootfs=$cache/rootfs-$suite-$rootfs_key.tar
if [[ ! -f $rootfs ]]; then
  log "creating the Debian $suite root filesystem (mmdebstrap, ~40 s) in $rootfs"
  # Essential packages plus what .NET needs (ICU for the tokenizer's Unicode normalisation, OpenSSL, libstdc++, zlib,
  # time zones, CA certificates); merged /usr without the usrmerge package (which would pull in perl); no man pages,
  # translations or docs beyond the copyright files.
  mmdebstrap --quiet --format=tar --variant=essential --include="$packages" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "$suite" "$rootfs.partial" >"$cache/mmdebstrap.log" 2>&1 || { cat "$cache/mmdebstrap.log" >&2; exit 1; }
  mv "$rootfs.partial" "$rootfs"
fi

log "building $image (Debian $suite, .NET $dotnet_version, ASP.NET Core $aspnet_version)"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/dotnet/host/fxr" "$context/dotnet/shared/Microsoft.NETCore.App" "$context/dotnet/shared/Microsoft.AspNetCore.App"
cp "$dotnet_root/dotnet" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$context/dotnet/"
cp -r "$dotnet_root/host/fxr/$fxr_version" "$context/dotnet/host/fxr/"
cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$dotnet_version" "$context/dotnet/shared/Microsoft.NETCore.App/"
cp -r "$dotnet_root/shared/Microsoft.AspNetCore.App/$aspnet_version" "$context/dotnet/shared/Microsoft.AspNetCore.App/"

rootfs_image=localhost/nvembed-rootfs:$rootfs_key
podman import --quiet "$rootfs" "$rootfs_image" >/dev/null
podman build --quiet --format docker -f "$here/base.Containerfile" \
  --build-arg ROOTFS="$rootfs_image" --build-arg DOTNET_VERSION="$dotnet_version" --build-arg ASPNET_VERSION="$aspnet_version" \
  --label org.opencontainers.image.title=nvembed-base -t "$image" "$context" >/dev/null
podman untag "$rootfs_image" # its layer lives on in the base image
echo "$image"
