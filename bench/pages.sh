#!/usr/bin/env bash
# bench/pages.sh: the size and render time of every web page (and the API
# documents next to them) of a real `scamblock serve` holding a 1M-name list,
# on loopback. Prints a Markdown table for web/README.md and the closing note.
#
#   bash bench/pages.sh            # N=1000000 REPS=20; WORK=a temporary directory
#   N=200000 REPS=50 WORK=/tmp/pages bash bench/pages.sh
#
# The list is bench/cmd/listgen's (the real hosts of ../shared/data/feeds plus
# generated names); a real feed (hagezi fake) and OFAC's sanctioned Bitcoin
# addresses are loaded beside it so that lookups show several listings and a
# wallet. Before measuring it signs in a submitter, a reviewer and an admin
# (tokens made with `scamblock token create`), files submissions and an appeal
# so that the queues are not empty, and sends DNS queries (dnsperf when
# installed, else dig) so that the dashboard has blocks to show.
#
# Each page is fetched REPS times with curl (one connection each, no
# compression asked); "bytes" is the body, "ms" the median and the worst of
# time_total - time_pretransfer: the server's time to render and send the page
# on loopback, without connecting. The machine is shared: the load average is
# printed beside the table.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
REPS=${REPS:-20}
WORK=${WORK:-$(mktemp -d)}
FEEDS=${FEEDS:-../shared/data/feeds}
HTTP=${HTTP:-127.0.0.1:18335}
DNS=${DNS:-127.0.0.1:15335}
base=http://$HTTP
mkdir -p "$WORK"

go build -o "$WORK/scamblock" ./cmd/scamblock
go build -o "$WORK/listgen" ./bench/cmd/listgen
if [ ! -s "$WORK/list/list.txt" ]; then
	feeds_arg=$FEEDS
	[ -d "$FEEDS" ] || feeds_arg=""
	"$WORK/listgen" -n "$N" -feeds "$feeds_arg" -out "$WORK/list" -list-only >&2
fi
extra=()
fake=$FEEDS/hagezi-fake/wildcard/fake.txt
btc=$FEEDS/ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_XBT.txt
[ -f "$fake" ] && extra+=(--feed "hagezi-fake=$fake")
[ -f "$btc" ] && extra+=(--feed "ofac-xbt=$btc")

data=$WORK/data
rm -rf "$data"
mkdir -p "$data"
token() { "$WORK/scamblock" token create --data-dir "$data" --role "$1" --name "$1-pages" --json | jq -r .token; }
SUB=$(token submitter)
REV=$(token reviewer)
ADM=$(token admin)
[ -n "$SUB" ] && [ -n "$REV" ] && [ -n "$ADM" ] || { echo "pages.sh: could not create tokens" >&2; exit 1; }

"$WORK/scamblock" serve --no-default-feeds --ranking "" --data-dir "$data" --feed-max-size 1GiB \
	--feed "bench=$WORK/list/list.txt" "${extra[@]}" \
	--dns-listen "$DNS" --http-listen "$HTTP" --upstream udp://127.0.0.1:9 \
	--block-mode ip:127.0.0.1 --log-level warn >"$WORK/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
# Ready when the list's probe name is blocked (/readyz also wants a healthy
# upstream, and there is none here).
listed=$(cat "$WORK/list/probe-name.txt")
start=$(date +%s)
until curl -s "$base/v1/check/$listed" | grep -q '"listed": *true'; do
	kill -0 "$server" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
	[ $(($(date +%s) - start)) -lt 600 ] || { echo "pages.sh: not ready after 600 s" >&2; exit 1; }
	sleep 1
done
echo "ready after $(($(date +%s) - start)) s" >&2

clean=www.example-unlisted.org
wallet=$(awk '!/^#/ && NF { print $1; exit }' "$btc" 2>/dev/null || true)
[ -n "$wallet" ] || wallet=0x8589427373d6d84e98730d7795d8f6f8731fda16

# Traffic for the dashboard: blocked names from the list, clean ones.
{
	awk '!/^#/ && n++ < 20000 { print $0 " A" }' "$WORK/list/list.txt"
	for i in $(seq 1 200); do echo "clean$i.example.org A"; done
} >"$WORK/queries.txt"
if command -v dnsperf >/dev/null; then
	dnsperf -s "${DNS%:*}" -p "${DNS##*:}" -d "$WORK/queries.txt" -n 1 -q 50 -t 2 >/dev/null 2>&1 || true
else
	head -500 "$WORK/queries.txt" | while read -r n _; do dig +short +tries=1 +time=1 -p "${DNS##*:}" @"${DNS%:*}" "$n" >/dev/null || true; done
fi

# Queues: submissions waiting for review, an appeal.
for i in 1 2 3 4 5; do
	curl -s -o /dev/null -H "Authorization: Bearer $SUB" \
		-d "{\"indicators\":[\"pages-bench-$i.top\",\"www.pages-bench-$i.top\"],\"category\":\"investment-scam\",\"evidence\":[\"https://web.archive.org/pages-bench-$i\"]}" \
		"$base/v1/submissions"
done
curl -s -o /dev/null -d "{\"indicator\":\"$listed\",\"reason\":\"this is my shop\",\"contact\":\"me@example.org\"}" "$base/v1/appeals"

# signin JAR TOKEN: a session cookie in JAR.
signin() {
	local csrf
	csrf=$(curl -s -c "$1" -b "$1" "$base/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
	csrf=${csrf%%$'\n'*}
	curl -s -o /dev/null -c "$1" -b "$1" -H "Origin: $base" --data-urlencode "token=$2" --data-urlencode "csrf=$csrf" "$base/signin"
}
signin "$WORK/sub.jar" "$SUB"
signin "$WORK/rev.jar" "$REV"
signin "$WORK/adm.jar" "$ADM"
: >"$WORK/anon.jar"

# page LABEL PATH [JAR [HOST]]: one table row.
page() {
	local label=$1 path=$2 jar=${3:-$WORK/anon.jar} host=${4:-}
	local hdr=()
	[ -n "$host" ] && hdr=(-H "Host: $host")
	for _ in $(seq 1 "$REPS"); do
		curl -s -o /dev/null -b "$jar" "${hdr[@]}" -w '%{http_code} %{size_download} %{time_pretransfer} %{time_total}\n' "$base$path"
		sleep 0.06 # under the API's check rate limit (20/s per client)
	done | awk '{ print ($4 - $3) * 1000, $1, $2 }' | sort -n | awk -v label="$label" -v path="$path" '
		{ ms[NR] = $1; code = $2; bytes = $3 }
		END { printf "| %s | `%s` | %s | %d | %.1f | %.1f |\n", label, path, code, bytes, ms[int((NR + 1) / 2)], ms[NR] }'
}

echo "Pages at $N names ($(grep -c . "$WORK/list/list.txt") list lines$([ ${#extra[@]} -gt 0 ] && echo " + hagezi fake + OFAC XBT")), $REPS requests each, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg) before"
echo
echo "| page | path | status | bytes | median ms | worst ms |"
echo "|---|---|---|---|---|---|"
q() { printf %s "$1" | jq -sRr @uri; }
page "home" "/"
page "lookup: listed name" "/lookup?q=$(q "$listed")"
page "lookup: subdomain of a listed name" "/lookup?q=$(q "a.b.$listed")"
page "lookup: clean name" "/lookup?q=$(q "$clean")"
page "lookup: wallet address" "/lookup?q=$(q "$wallet")"
page "lookup: URL" "/lookup?q=$(q "https://$listed/login")"
page "lookup (admin: allow button)" "/lookup?q=$(q "$listed")" "$WORK/adm.jar"
page "dashboard" "/dashboard"
page "dashboard live part" "/dashboard/live"
page "sign in" "/signin"
page "submit (submitter)" "/submit" "$WORK/sub.jar"
page "my submissions (submitter)" "/submissions" "$WORK/sub.jar"
page "review queue (reviewer)" "/review" "$WORK/rev.jar"
page "allowlist (admin)" "/allowlist" "$WORK/adm.jar"
page "appeal form" "/appeal"
page "block page (Host: listed name)" "/" "$WORK/anon.jar" "$listed"
page "not found" "/no-such-page"
page "stylesheet" "/static/style.css"
page "script" "/static/app.js"
page "OpenAPI document" "/v1/openapi.json"
page "API check: listed name" "/v1/check/$listed"
page "API check: clean name" "/v1/check/$clean"
page "API feeds" "/v1/feeds"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); serve's resident memory: $(awk '/VmRSS/ { printf "%d MiB", $2 / 1024 }' /proc/$server/status)"
