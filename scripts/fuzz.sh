#!/usr/bin/env bash
# Builds and runs one libFuzzer target over the HL7 sources (TESTPLAN T14).
#   scripts/fuzz.sh TARGET SECONDS      TARGET: ER7Parser | HeaderPeek | AckBuilder | XMLMapper
# XMLMapper compiles the HL7 and HL7XML sources as one module against the system libxml2
# (CLibXML2 module map; libxml2 itself is not instrumented).
# The seed corpus lives in Fuzz/corpus/TARGET (kept in git); new inputs go to .fuzz/corpus-TARGET
# so the repo corpus stays small (merge them in with: scripts/fuzz.sh TARGET merge).
# Prints libFuzzer's final stats and one JSON line; exits non-zero on a crash, timeout or OOM.
set -euo pipefail
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS|merge}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .fuzz "Fuzz/corpus/$target" ".fuzz/corpus-$target"
dict=Fuzz/hl7.dict
extra=()
case "$target" in
  ER7Parser|HeaderPeek|AckBuilder) sources=$(find Sources/HL7 -name '*.swift' | sort) ;;
  XMLMapper)
    sources=$(find Sources/HL7 Sources/HL7XML -name '*.swift' | sort)
    dict=Fuzz/xml.dict
    extra=(-I Sources/CLibXML2 $(pkg-config --cflags libxml-2.0 | sed 's/-I/-Xcc -I/g') -lxml2) ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
binary=".fuzz/$target"
if [ ! -x "$binary" ] || [ -n "$(find Sources/HL7 Sources/HL7XML Sources/CLibXML2 "Fuzz/$target.swift" -newer "$binary" -print -quit)" ]; then
  echo "building $binary" >&2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name HL7Fuzz -use-ld=lld \
    "${extra[@]}" $sources "Fuzz/$target.swift" -o "$binary"
fi
if [ "$seconds" = merge ]; then
  mkdir -p ".fuzz/merged-$target"
  SWIFT_BACKTRACE=enable=no "$binary" -merge=1 ".fuzz/merged-$target" "Fuzz/corpus/$target" ".fuzz/corpus-$target"
  rm -rf "Fuzz/corpus/$target" && mv ".fuzz/merged-$target" "Fuzz/corpus/$target"
  exit 0
fi
log=".fuzz/$target.log"
set +e
SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -dict="$dict" -artifact_prefix=".fuzz/$target-" \
  ".fuzz/corpus-$target" "Fuzz/corpus/$target" 2>"$log"
status=$?
set -e
tail -n 20 "$log" | grep -E '^stat::|ERROR|SUMMARY' || true
execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
corpus=$(ls ".fuzz/corpus-$target" "Fuzz/corpus/$target" | wc -l)
crashes=$([ $status -eq 0 ] && echo 0 || echo 1)
echo "{\"test\":\"T14\",\"target\":\"$target\",\"pass\":$([ $status -eq 0 ] && echo true || echo false),\"seconds\":$seconds,\"execs\":$execs,\"exec_per_s\":$rate,\"cov\":$cov,\"corpus_size\":$corpus,\"crashes\":$crashes}"
exit $status
