#!/usr/bin/env bash
# Usage: ratchet.sh CORPUS_DIR RECORD_FILE — fails when fewer cases pass than RECORD_FILE says.
set -uo pipefail
corpus=$1 record=$2
if [[ ! -d $corpus || ! -f $record ]]; then echo "no $corpus or no $record; skipping"; exit 0; fi
out=$(bash "$corpus/check.sh" -j 2 "node dist/cli/main.js build" || true)
echo "$out" | tail -3
passed=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, .*/\1/p' | tail -1)
want=$(cat "$record")
if [[ -z $passed || $passed -lt $want ]]; then echo "$record: conformance dropped: ${passed:-none} < $want"; exit 1; fi
echo "$record: ratchet ok: $passed >= $want"
