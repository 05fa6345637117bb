#!/usr/bin/env bash
# Runs the peer benchmarks and the conformance suite, and writes what the
# README's Performance section shows:
#   results/raw.txt        go test -bench output, COUNT runs of each benchmark
#   results/benchstat.txt  benchstat with one column per library
#   results/ratios.md      this module beside the fastest peer, as ratios
#   results/conformance.md the conformance table
# Environment: COUNT (default 6), BENCH (a -bench pattern, default all),
# BENCHTIME (default 1s).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results

go test -run '^$' -bench "${BENCH:-.}" -benchmem -benchtime "${BENCHTIME:-1s}" \
	-count "${COUNT:-6}" . | tee results/raw.txt
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da \
	-col /lib results/raw.txt > results/benchstat.txt
awk -f ratios.awk results/raw.txt > results/ratios.md
CONFORMANCE_TABLE="$PWD/results/conformance.md" go test -race -count=1 -run '^TestConformance$' .

{
	echo "Machine: $(nproc) cores, $(go version | cut -d' ' -f3-)"
	echo "$(grep -m1 '^cpu:' results/raw.txt || true)"
} > results/machine.txt
cat results/machine.txt results/ratios.md
