#!/usr/bin/env bash
# The HTML report in a real browser: renders the report of a small real
# study in headless Chromium, checks that the page loads with no console
# messages (the page has no scripts, so any console output is an error: a
# blocked or failed resource, a parse problem), that the plots are in the
# DOM, and saves a screenshot in the build folder for a person to look at.
# Without /usr/bin/chromium the test fails in CI (CI=true) and is skipped
# elsewhere (scripts/install-deps.sh installs it).
# usage: cli_report_browser.sh NNTUNE_BINARY BUILD_DIR
set -u
NNT=${1:?usage: cli_report_browser.sh NNTUNE_BINARY BUILD_DIR}
BUILD=${2:-.}
NNT=$(cd "$(dirname "$NNT")" && pwd)/$(basename "$NNT")
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $CHROMIUM not found; CI must install Debian's chromium (scripts/install-deps.sh)"
        exit 1
    fi
    echo "SKIP: $CHROMIUM not found (apt-get install chromium); not in CI, so skipping"
    exit 0
fi

T=$(mktemp -d /tmp/nnt-cli-browser-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# A small real study: random search over learning rate, width, batch size
# and activation, some learning rates high enough to diverge or fail.
"$NNT" tune --data "$DATA" --trials 12 --jobs 1 --seed 5 --storage b.db --study browser-demo \
    --sampler random --pruner none \
    --param epochs=15 --param lr=0.001:1:log --param batch_size=8,16,32,64 \
    --param neurons=4:64:log --param hidden_layers=1:2 --param activation=relu,tanh \
    --quiet > tune.out 2>&1
check "[ $? -eq 0 ]" "nntune tune exits 0"
"$NNT" report b.db -o "$BUILD/report.html" > report.out 2>&1
check "[ $? -eq 0 ] && [ -s '$BUILD/report.html' ]" "nntune report writes $BUILD/report.html"
want_svg=$(grep -o '<svg' "$BUILD/report.html" | wc -l)
check "[ $want_svg -ge 7 ]" "the report has at least 7 plots ($want_svg)"

# Chromium: its own profile, no sandbox (containers, root), no GPU.
browser() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --user-data-dir="$T/profile" --enable-logging=stderr --v=0 "$@"
}
browser --dump-dom "file://$BUILD/report.html" > dom.html 2> dom.log
rc=$?
check "[ $rc -eq 0 ] && [ -s dom.html ]" "chromium loads the page and dumps the DOM (rc $rc)"
got_svg=$(grep -o '<svg' dom.html | wc -l)
check "[ $got_svg -eq $want_svg ]" "every plot is in the DOM ($got_svg of $want_svg <svg> elements)"
for h in 'Optimisation history' 'Parallel coordinates' 'Hyperparameter importance' \
         'Learning curves of the top trials' 'Batch size against learning rate' 'Summary'; do
    check "grep -q '<h2>$h</h2>' dom.html" "section heading '$h' rendered"
done
check "grep -q '<circle' dom.html && grep -q '<polyline' dom.html" "points and lines rendered"
# Console messages come as "...:CONSOLE(line)] "message"" lines; the page
# has no script, so there must be none, nor uncaught errors or failed loads.
if grep -E 'CONSOLE|Uncaught|Failed to load resource|net::ERR_' dom.log > console.txt; then
    fail "console output while loading the page: $(head -5 console.txt)"
else
    echo "ok: no console messages or errors from the page"
fi

rm -f "$BUILD/report.png"
browser --screenshot="$BUILD/report.png" --window-size=1280,2000 --hide-scrollbars \
    "file://$BUILD/report.html" > shot.out 2> shot.log
rc=$?
check "[ $rc -eq 0 ] && [ -s '$BUILD/report.png' ]" "screenshot saved (rc $rc)"
check "[ \"\$(head -c 8 '$BUILD/report.png' | od -An -tx1 | tr -d ' \n')\" = 89504e470d0a1a0a ]" \
      "the screenshot is a PNG"
if grep -E 'CONSOLE|Uncaught' shot.log > console.txt; then
    fail "console output while taking the screenshot: $(head -5 console.txt)"
fi
echo "screenshot: $BUILD/report.png"
echo "report:     $BUILD/report.html"

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all browser checks passed"
