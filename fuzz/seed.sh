#!/usr/bin/env bash
# Builds the seed corpora from the project's own sample files (fake data):
# fuzz/corpus/<target>/. read_any's seeds start with the byte that picks the
# file name's extension (see fuzz_targets/read_any.rs).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/read_any corpus/detect_text corpus/normalize corpus/pdf
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
# PDF seeds: a page of text in a standard font, and one in a compressed
# stream, with a correct cross-reference table.
pdf() { # pdf CONTENT-STREAM-DICT-AND-DATA
  local objs=("<< /Type /Catalog /Pages 2 0 R >>"
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
    "$1"
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
  local out="%PDF-1.4"$'\n' offsets=() n=1
  for o in "${objs[@]}"; do
    offsets+=("$(LC_ALL=C; echo ${#out})")
    out+="$n 0 obj"$'\n'"$o"$'\n'"endobj"$'\n'
    n=$((n + 1))
  done
  local xref; xref=$(LC_ALL=C; echo ${#out})
  out+="xref"$'\n'"0 $n"$'\n'"0000000000 65535 f "$'\n'
  for off in "${offsets[@]}"; do out+="$(printf '%010d' "$off") 00000 n "$'\n'; done
  out+="trailer"$'\n'"<< /Size $n /Root 1 0 R >>"$'\n'"startxref"$'\n'"$xref"$'\n'"%%EOF"$'\n'
  printf '%s' "$out"
}
text='BT /F1 12 Tf 50 800 Td (TEL 090-2468-1357) Tj ET'
pdf "<< /Length ${#text} >>"$'\n'"stream"$'\n'"$text"$'\n'"endstream" > corpus/pdf/text.pdf
text='BT /F1 12 Tf 50 800 Td (Mail taro@example.jp) Tj T* (0120-123-456) Tj ET'
pdf "<< /Length ${#text} >>"$'\n'"stream"$'\n'"$text"$'\n'"endstream" > corpus/pdf/lines.pdf
echo "seeded $i files and 2 PDFs"
