#!/usr/bin/env bash
# Builds a documentation corpus (JSON lines {"text": "..."}) from Debian packages (see docs-corpus.js):
#   english:      Node.js's API reference, Python's documentation sources and `fortunes`, ~12 MB;
#   translations: the Debian Reference in German, Spanish, French, Indonesian, Italian, Japanese, Portuguese and
#                 Simplified and Traditional Chinese.
#   bash NvEmbed.Tests/js/tokenizer/docs-corpus.sh english|translations OUT.jsonl
# Needs apt's package lists (`apt-get update` once) and dpkg-deb; installs nothing (the packages are unpacked into a
# temporary folder). The same package versions give the same corpus.
set -euo pipefail
set_name="${1:?usage: docs-corpus.sh english|translations OUT.jsonl}"
out="${2:?usage: docs-corpus.sh english|translations OUT.jsonl}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
chmod 755 "$work" # apt downloads as its own user
trap 'rm -rf "$work"' EXIT
case "$set_name" in
  english) packages=(nodejs-doc python3.11-doc fortunes) ;;
  translations) packages=(debian-reference-{de,es,fr,id,it,ja,pt,zh-cn,zh-tw}) ;;
  *) echo "docs-corpus: unknown set '$set_name'" >&2; exit 2 ;;
esac
(cd "$work" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/*.deb; do
  echo "docs-corpus: $(basename "$deb")" >&2
  dpkg-deb -x "$deb" "$work/root"
done
node "$here/docs-corpus.js" "$work/root" "$set_name" > "$out"
