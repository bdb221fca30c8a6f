#!/usr/bin/env bash
# Builds the English documentation corpus (JSON lines {"text": "..."}) from Debian packages: Node.js's API reference
# (nodejs-doc), Python's documentation sources (python3.11-doc) and the fortune cookies of `fortunes`, ~12 MB.
#   bash NvEmbed.Tests/js/tokenizer/docs-corpus.sh OUT.jsonl
# Needs apt's package lists (`apt-get update` once) and dpkg-deb; installs nothing (the packages are unpacked into a
# temporary folder). The same package versions give the same corpus.
set -euo pipefail
out="${1:?usage: docs-corpus.sh OUT.jsonl}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
chmod 755 "$work" # apt downloads as its own user
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download nodejs-doc python3.11-doc fortunes >/dev/null)
for deb in "$work"/*.deb; do
  echo "docs-corpus: $(basename "$deb")" >&2
  dpkg-deb -x "$deb" "$work/root"
done
node "$here/docs-corpus.js" "$work/root" > "$out"
