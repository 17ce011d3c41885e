#!/usr/bin/env bash
# The HTML report in a real browser: renders the report of a small real
# study in headless Chromium, checks that the page loads with no console
# messages (the page has no scripts, so any console output is an error: a
# blocked or failed resource, a parse problem), that the plots are in the
# DOM, and that a screenshot of the whole page is not blank (colours overall
# and drawing inside every plot's box); the screenshot stays in the build
# folder for a person to look at.
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

# Where each plot is: a copy of the page with a script that logs every <svg>'s
# box and the page height to the console (the report itself has no script).
cp "$BUILD/report.html" probe.html
cat >> probe.html <<'PROBE'
<script>
var boxes = [].slice.call(document.querySelectorAll('svg')).map(function (s) {
  var b = s.getBoundingClientRect();
  return [Math.round(b.left + scrollX), Math.round(b.top + scrollY), Math.round(b.width), Math.round(b.height)];
});
console.log('NNT_PROBE ' + JSON.stringify({height: document.documentElement.scrollHeight, svgs: boxes}));
</script>
PROBE
browser --window-size=1280,2000 --dump-dom "file://$T/probe.html" > /dev/null 2> probe.log
height=$(grep -o 'NNT_PROBE {"height":[0-9]*' probe.log | grep -o '[0-9]*$')
check "[ -n \"$height\" ] && [ \"$height\" -ge 1000 ]" "the plots' positions are measured (page height ${height:-?} px)"
[ -n "$height" ] && [ "$height" -le 16000 ] || height=16000

rm -f "$BUILD/report.png"
browser --screenshot="$BUILD/report.png" --window-size=1280,"$height" --hide-scrollbars \
    "file://$BUILD/report.html" > shot.out 2> shot.log
rc=$?
check "[ $rc -eq 0 ] && [ -s '$BUILD/report.png' ]" "screenshot of the whole page saved (rc $rc)"
check "[ \"\$(head -c 8 '$BUILD/report.png' | od -An -tx1 | tr -d ' \n')\" = 89504e470d0a1a0a ]" \
      "the screenshot is a PNG"
if grep -E 'CONSOLE|Uncaught' shot.log > console.txt; then
    fail "console output while taking the screenshot: $(head -5 console.txt)"
fi

# The picture itself is not blank: many colours over the page, and inside
# every plot's box (from the probe) some drawing: at least 32 colours and 1.5 %
# of its pixels off the box's own background. Debian's python3 with
# python3-pil (scripts/install-deps.sh). A blank picture of the same size must
# fail the same check, or the check proves nothing.
cat > picture.py <<'PY'
import json, re, sys
from PIL import Image
probe = json.loads(re.search(r"NNT_PROBE (\{.*\})", open(sys.argv[2]).read()).group(1))
im = Image.open(sys.argv[1]).convert("RGB")
bad = []
n = len(im.getcolors(1 << 24) or [])
if n < 256:
    bad.append("only %d colours on the page" % n)
plots = [b for b in probe["svgs"] if b[2] >= 100 and b[3] >= 80]
if len(plots) < 7:
    bad.append("only %d plot boxes measured" % len(plots))
for x, y, w, h in plots:
    cols = sorted(im.crop((x, y, x + w, y + h)).getcolors(1 << 24) or [], reverse=True)
    drawn = 1 - cols[0][0] / float(w * h) if cols else 0
    if len(cols) < 32 or drawn < 0.015:
        bad.append("plot at (%d, %d) %dx%d: %d colours, %.1f %% drawn" % (x, y, w, h, len(cols), 100 * drawn))
print("; ".join(bad) if bad else "%d colours, %d plots drawn" % (n, len(plots)))
sys.exit(1 if bad else 0)
PY
if /usr/bin/python3 -c 'import PIL' 2> /dev/null; then
    pic=$(/usr/bin/python3 picture.py "$BUILD/report.png" probe.log 2>&1)
    check "[ $? -eq 0 ]" "the screenshot is not blank: $pic"
    /usr/bin/python3 -c "from PIL import Image; Image.new('RGB', Image.open('$BUILD/report.png').size, (255, 255, 255)).save('blank.png')"
    blank=$(/usr/bin/python3 picture.py blank.png probe.log 2>&1)
    check "[ $? -eq 1 ]" "a blank picture fails that check ($(echo "$blank" | cut -c1-70)...)"
elif [ "${CI:-}" = "true" ]; then
    fail "/usr/bin/python3 has no PIL; CI must install python3-pil (scripts/install-deps.sh)"
else
    echo "SKIP: picture checks need python3-pil (apt-get install python3-pil); not in CI, so skipping"
fi
echo "screenshot: $BUILD/report.png"
echo "report:     $BUILD/report.html"

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all browser checks passed"
