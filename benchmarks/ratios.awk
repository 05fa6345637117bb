# Summarises `go test -bench` output whose sub-benchmarks are named
# lib=NAME into a Markdown table: for each benchmark, this module's median
# ns/op and allocs/op beside the fastest peer's, and their ratio. A ratio
# below 1 means this module is faster. The lib=direct-call baseline is
# shown in its own column and is never the best peer. A variant of this
# module named lib=resilience-NAME gets a row of its own.

$1 ~ /^Benchmark/ && $1 ~ /\/lib=/ {
	name = $1
	sub(/-[0-9]+$/, "", name)              # the GOMAXPROCS suffix
	split(name, part, "/lib=")
	bench = part[1]; lib = part[2]
	sub(/^Benchmark/, "", bench)
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "ns/op") ns[bench, lib, ++n_ns[bench, lib]] = $i
		if ($(i + 1) == "allocs/op") allocs[bench, lib] = $i
	}
	if (!((bench, lib) in seen)) { seen[bench, lib] = 1; libs[bench] = libs[bench] " " lib }
	if (!(bench in order)) { order[bench] = ++n_bench; benches[n_bench] = bench }
}

function median(bench, lib,    n, i, j, v, tmp) {
	n = n_ns[bench, lib]
	for (i = 1; i <= n; i++) v[i] = ns[bench, lib, i] + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# reference returns the peer this module replaces most directly in bench,
# whose ratio gets a column of its own beside the fastest peer's.
function reference(bench) {
	if (bench ~ /^Breaker/) return "gobreaker"
	if (bench ~ /^Retry/) return "cenkalti"
	if (bench ~ /^RedactURL/) return "url.Redacted"
	if (bench ~ /^Redact/) return "naive-regexp"
	if (bench ~ /^WebSocket/) return "gorilla-raw"
	return ""
}

END {
	print "| benchmark | resilience ns/op | allocs/op | fastest peer | peer ns/op | peer allocs/op | ratio | reference peer | ratio to it | direct call ns/op |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (b = 1; b <= n_bench; b++) {
		bench = benches[b]
		split(substr(libs[bench], 2), names, " ")
		best = ""; bestNs = 0
		for (k in names) {
			lib = names[k]
			if (lib ~ /^resilience/ || lib == "direct-call") continue
			m = median(bench, lib)
			if (best == "" || m < bestNs) { best = lib; bestNs = m }
		}
		direct = ((bench, "direct-call") in seen) ? sprintf("%.2f", median(bench, "direct-call")) : "-"
		for (k = 1; k in names; k++) {
			lib = names[k]
			if (lib !~ /^resilience/) continue
			row = bench
			if (lib != "resilience") row = row " (" substr(lib, 12) ")"
			ours = median(bench, lib)
			ref = reference(bench)
			refRatio = ((bench, ref) in seen) ? sprintf("%.2f", ours / median(bench, ref)) : "-"
			if (best == "")
				printf "| %s | %.1f | %s | - | - | - | - | - | - | %s |\n", row, ours, allocs[bench, lib], direct
			else
				printf "| %s | %.1f | %s | %s | %.1f | %s | %.2f | %s | %s | %s |\n", row, ours,
					allocs[bench, lib], best, bestNs, allocs[bench, best], ours / bestNs,
					ref, refRatio, direct
		}
	}
}
