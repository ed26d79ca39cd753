# shellcheck shell=bash
# bench/scale.sh: the scale table of bench/run (sourced by it when --names is
# over 2,000,000; see bench/README.md, "Scale"). scamblock alone at 1M, 5M and
# N names: cold load, restart from the snapshot, RSS and bytes per name of the
# whole process, lookup CPU ns on the snapshot; Unbound (2 threads) at 1M only.
# Uses run's helpers: log, die, free_port, rss_kb, stop, wait_log, unbound_conf, PIDS, BIN, WORK.

# rss_parts PID: "VmRSS RssAnon RssFile" in KiB.
rss_parts() { awk '/^(VmRSS|RssAnon|RssFile):/ { v[$1] = $2 } END { print v["VmRSS:"] + 0, v["RssAnon:"] + 0, v["RssFile:"] + 0 }' "/proc/$1/status" 2>/dev/null || echo "0 0 0"; }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo "-"; }

# scale_sb SIZE DIR: cold start, the move onto the snapshot, restart; fills S[SIZE,*].
scale_sb() {
	local n=$1 dir=$2 port pid start probe limit
	probe=$(tail -1 "$dir/feed/list.txt")
	limit="$((48 + n * 96 / 1048576))MiB"
	for phase in cold restart; do
		port=$(free_port)
		local feeds moved settled shed
		feeds=$(($(grep -c "feed updated\|feed unchanged since the lists' snapshot" "$dir/server.log" 2>/dev/null || true) + 1))
		moved=$(($(grep -c "lists now read from the snapshot file.*names=[1-9]" "$dir/server.log" 2>/dev/null || true) + 1))
		settled=$(($(grep -c "lists now read from the snapshot file.*names=[1-9]\|feeds unchanged since the lists were compiled; no rebuild" "$dir/server.log" 2>/dev/null || true) + 1))
		shed=$(($(grep -c "heap returned to the OS" "$dir/server.log" 2>/dev/null || true) + 1))
		start=$(date +%s%N)
		"$BIN/sb-under-test" serve --no-default-feeds --ranking "" --feed "bench=$dir/feed/list.txt" --feed-max-size 8GiB \
			--dns-listen "127.0.0.1:$port" --http-listen "" --upstream "udp://127.0.0.1:9" \
			--data-dir "$dir/data" --cache-size 100000 --log-level info --memory-limit "$limit" >>"$dir/server.log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		S[$n,$phase]=$("$BIN/probe" -server "127.0.0.1:$port" -name "$probe" -rcode NXDOMAIN -start "$start" -timeout 900s) ||
			{ tail -5 "$dir/server.log" >&2; die "scamblock ($n names, $phase) did not block $probe"; }
		S[$n,$phase,cpu]=$(cpu_s "$pid")
		# Settled: the feed was read (cold: parsed; restart: its SHA-256
		# checked against the snapshot's record, parsed only if it changed),
		# the rebuild (if any) has moved onto the snapshot file, and the heap
		# it left was collected and returned (memlimit.Shedder logs it; it
		# skips a small heap, hence the short wait).
		wait_log "$dir/server.log" "feed updated\|feed unchanged since the lists' snapshot" "$feeds" 1800 || log "warning: scamblock ($n, $phase) did not read its feed within 30 min"
		wait_log "$dir/server.log" "lists now read from the snapshot file.*names=[1-9]\|feeds unchanged since the lists were compiled; no rebuild" "$settled" 1800 || log "warning: scamblock ($n, $phase) did not settle within 30 min"
		if (($(grep -c "lists now read from the snapshot file.*names=[1-9]" "$dir/server.log" 2>/dev/null || true) >= moved)); then
			wait_log "$dir/server.log" "heap returned to the OS" "$shed" 60 || log "note: scamblock ($n, $phase): no heap returned within 60 s of the move"
		fi
		sleep 3
		read -r S[$n,$phase,rss] S[$n,$phase,anon] S[$n,$phase,file] < <(rss_parts "$pid")
		log "scamblock $n names, $phase: first NXDOMAIN after ${S[$n,$phase]} s (process CPU by then ${S[$n,$phase,cpu]} s, when settled $(cpu_s "$pid") s), settled RSS $((S[$n,$phase,rss] / 1024)) MiB"
		stop "$pid"
	done
	S[$n,snap]=$(stat -c %s "$dir/data/lists.snapshot")
	read -r S[$n,hit] S[$n,sub] S[$n,miss] _ S[$n,mem] S[$n,table] < <("$BIN/lookupns" -snapshot "$dir/data/lists.snapshot" -list "$dir/feed/list.txt" | tr '=' ' ' | awk '{ print $2, $4, $6, $8, $10, $12 }')
}

# scale_unbound DIR: Unbound 2 threads on the 1M list: load time and RSS.
scale_unbound() {
	local dir=$1 port pid start probe
	probe=$(tail -1 "$dir/feed/list.txt")
	awk 'NR > 1 && !/^#/ { printf "local-zone: \"%s.\" always_nxdomain\n", $0 }' "$dir/feed/list.txt" >"$dir/unbound-zones.conf"
	port=$(free_port)
	LIST=$dir unbound_conf 2 "$port" "$dir" >"$dir/unbound.conf"
	unbound-checkconf "$dir/unbound.conf" >/dev/null || die "unbound-checkconf failed on $dir/unbound.conf"
	start=$(date +%s%N)
	unbound -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	S[u,load]=$("$BIN/probe" -server "127.0.0.1:$port" -name "$probe" -rcode NXDOMAIN -start "$start" -timeout 900s) || die "Unbound did not block $probe"
	sleep 3
	S[u,rss]=$(rss_kb "$pid")
	stop "$pid"
}

# scale_ratios FIRST TOP: each lookup column's growth from FIRST to TOP names
# beside the log bound log(TOP)/log(FIRST) and the memory reference's growth.
scale_ratios() {
	local a=$1 b=$2
	awk -v a="$a" -v b="$b" -v h1="${S[$a,hit]}" -v h2="${S[$b,hit]}" -v s1="${S[$a,sub]}" -v s2="${S[$b,sub]}" \
		-v m1="${S[$a,miss]}" -v m2="${S[$b,miss]}" -v r1="${S[$a,mem]}" -v r2="${S[$b,mem]}" 'BEGIN {
		bound = log(b) / log(a); h = h2 / h1; s = s2 / s1; m = m2 / m1; r = r2 / r1
		worst = h; if (s > worst) worst = s; if (m > worst) worst = m
		printf "lookup growth %d -> %d names: hit %.2fx, sub %.2fx, miss %.2fx; log bound log(%d)/log(%d) = %.3fx; memory reference %.2fx\n", a, b, h, s, m, b, a, bound, r
		if (worst <= bound) print "         growth <= log(n): met"
		else if (worst <= r) printf "         growth <= log(n): NOT met (worst %.2fx), but within the memory reference'"'"'s %.2fx: the growth is the memory hierarchy'"'"'s (same reads per lookup, each dearer)\n", worst, r
		else printf "         growth <= log(n): NOT met (worst %.2fx, above the memory reference'"'"'s %.2fx)\n", worst, r
	}'
}

scale_run() {
	declare -gA S
	local sizes=(1000000) n big="$WORK/scale/list"
	((NAMES >= 5000000)) && sizes+=(5000000)
	((NAMES > 5000000)) && sizes+=("$NAMES")
	# BENCH_SCALE_SIZES="50000 100000" (with --names above 2000000): a smoke run of this table.
	[[ -z "${BENCH_SCALE_SIZES:-}" ]] || read -r -a sizes <<<"$BENCH_SCALE_SIZES"
	local first=${sizes[0]} top=${sizes[-1]}
	log "scale table: building the list of $top names"
	"$BIN/listgen" -n "$top" -feeds "$feeds_arg" -out "$big" -list-only >&2
	for n in "${sizes[@]}"; do
		local dir="$WORK/scale/$n"
		mkdir -p "$dir/feed" "$dir/data"
		head -n $((n + 1)) "$big/list.txt" >"$dir/feed/list.txt"
		rm -f "$dir/data/lists.snapshot"
		scale_sb "$n" "$dir"
		rm -f "$dir/data/lists.snapshot"
	done
	scale_unbound "$WORK/scale/$first"
	{
		echo "scamblock at scale: $(cat "$big/counts.txt")"
		echo "machine: $(nproc) CPUs, $(uname -r), $(go version | awk '{print $3}'), scamblock $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- 2>/dev/null || echo '+dirty')"
		echo "load average: $LOAD_START; $(cut -d' ' -f1-3 /proc/loadavg) at the end (wall-clock times are upper bounds on a shared machine)"
		echo "first answer = process start → first NXDOMAIN for a listed name (CPU: the process's user+system seconds by then); RSS = VmRSS of the whole process once settled (rebuild moved onto the snapshot file), B/name = RSS / names; lookup = CPU ns per Lookup on the snapshot, $((200000)) sampled names each (hit, 1-2 labels below a hit, miss), asked in random order, median of 5 rounds; mem = CPU ns per random dependent 8-byte read over an anonymous array as large as the slot table (table MB): the hardware's cost of one cache miss at that size"
		echo
		printf '%-9s | %15s %8s %7s | %15s %8s %7s | %19s %11s | %22s | %s\n' names "cold s (CPU)" "RSS MiB" "B/name" "restart s (CPU)" "RSS MiB" "B/name" "anon/file cold;rest" "snapshot MB" "lookup ns hit/sub/miss" "mem ns (table MB)"
		for n in "${sizes[@]}"; do
			printf '%-9s | %15s %8s %7s | %15s %8s %7s | %19s %11s | %22s | %s (%s)\n' "$n" \
				"${S[$n,cold]} (${S[$n,cold,cpu]})" "$((S[$n,cold,rss] / 1024))" "$(awk -v r="${S[$n,cold,rss]}" -v n="$n" 'BEGIN { printf "%.1f", r * 1024 / n }')" \
				"${S[$n,restart]} (${S[$n,restart,cpu]})" "$((S[$n,restart,rss] / 1024))" "$(awk -v r="${S[$n,restart,rss]}" -v n="$n" 'BEGIN { printf "%.1f", r * 1024 / n }')" \
				"$((S[$n,cold,anon] / 1024))/$((S[$n,cold,file] / 1024));$((S[$n,restart,anon] / 1024))/$((S[$n,restart,file] / 1024))" "$((S[$n,snap] / 1000000))" "${S[$n,hit]}/${S[$n,sub]}/${S[$n,miss]}" "${S[$n,mem]}" "${S[$n,table]}"
		done
		scale_ratios "$first" "$top"
		echo
		echo "Unbound 2 threads, $first names: load (= first answer after a restart) ${S[u,load]} s, RSS $((S[u,rss] / 1024)) MiB, $(awk -v r="${S[u,rss]}" 'BEGIN { printf "%.0f", r * 1024 / 1000000 }') B/name;"
		echo "  not run at 5M and 10M: at ~430 B/name it needs ~2.2 and ~4.3 GB, more than this shared machine should give one run."
		echo "ratios at $first, scamblock / unbound-2t: restart to first answer $(ratio "${S[$first,restart]}" "${S[u,load]}")×, RSS $(ratio "${S[$first,restart,rss]}" "${S[u,rss]}")×"
		echo "targets: first answer after a restart <= 0.2 s at $first: ${S[$first,restart]} s: $(cmp "${S[$first,restart]}" '<=' 0.2 && echo met || echo 'NOT met')"
		local worst
		worst=$(awk -v a="${S[$top,cold,rss]}" -v b="${S[$top,restart,rss]}" -v n="$top" 'BEGIN { r = a > b ? a : b; printf "%.1f", r * 1024 / n }')
		echo "         <= 25 B/name for the whole process at $top, settled after the cold load and after the restart (the larger): $worst: $(cmp "$worst" '<=' 25 && echo met || echo 'NOT met')"
	} | tee "$WORK/report.txt"
	[[ -z "$OUT" ]] || cp "$WORK/report.txt" "$OUT"
}
