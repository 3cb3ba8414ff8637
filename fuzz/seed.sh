#!/usr/bin/env bash
# Builds the seed corpora from the project's own sample files (fake data):
# fuzz/corpus/<target>/. read_any's seeds start with the byte that picks the
# file name's extension (see fuzz_targets/read_any.rs).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/read_any corpus/detect_text corpus/normalize
i=0
while IFS= read -r -d '' f; do
  case "$f" in
    *.csv) pick='\x01' ;;
    *) pick='\x00' ;;
  esac
  { printf "$pick"; cat "$f"; } > "corpus/read_any/sample$i"
  iconv -f utf-8 -t utf-8 "$f" >/dev/null 2>&1 && cp "$f" "corpus/detect_text/sample$i" && cp "$f" "corpus/normalize/sample$i"
  i=$((i + 1))
done < <(find ../samples -type f -print0)
echo "seeded $i files"
