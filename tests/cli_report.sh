#!/usr/bin/env bash
# CLI tests of `nntune report` on a tiny real study (nntune tune on the blobs
# fixture): HTML that parses as XML with one <svg> per plot section, the
# Markdown, CSV and JSON forms, the suggested space run as a new study, the
# default output file, and errors.
# usage: cli_report.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_report.sh NNTUNE_BINARY}
NNT=$(cd "$(dirname "$NNT")" && pwd)/$(basename "$NNT")
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-report-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# ---- a tiny real study; its name is markup, which must come out escaped ----
STUDY='<b>blobs</b> & "co"'
"$NNT" tune --data "$DATA" --trials 4 --jobs 1 --seed 2 --storage s.db --study "$STUDY" \
    --sampler random --pruner none \
    --param epochs=6 --param lr=0.001:0.5:log --param batch_size=16,32 \
    --param neurons=4:32:log --param hidden_layers=1 --quiet > tune.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "nntune tune exits 0 (got $rc: $(tail -3 tune.out))"

# ---- HTML ------------------------------------------------------------------
"$NNT" report s.db -o r.html > report.out 2>&1
rc=$?
check "[ $rc -eq 0 ] && [ -s r.html ]" "report -o r.html writes the page (rc $rc: $(cat report.out))"
check "grep -q 'wrote r.html' report.out" "report says where it wrote"
cat > xmlcheck.py <<'EOF'
import sys, xml.etree.ElementTree as ET
H = '{http://www.w3.org/1999/xhtml}'
S = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == H + 'html', root.tag
plots = notes = 0
for sec in root.iter(H + 'section'):
    cls = (sec.get('class') or '').split()
    if 'plot' not in cls:
        continue
    n = len(list(sec.iter(S + 'svg')))
    if 'noplot' in cls:
        assert n == 0, sec.get('id')
        notes += 1
    else:
        assert n == 1, (sec.get('id'), n)
        plots += 1
for el in root.iter():
    assert not el.tag.endswith('}script'), 'script element'
    for k, v in el.attrib.items():
        if k in ('href', 'src') or k.endswith('}href'):
            assert v.startswith('#'), (k, v)
title = root.find(H + 'head/' + H + 'title').text
print('plots=%d notes=%d title=%s' % (plots, notes, title))
EOF
python3 xmlcheck.py r.html > xml.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "HTML parses as XML, one <svg> per plot section, no script ($(tail -1 xml.out))"
# 4 trials: importance (needs 4 complete) may or may not be drawn, pareto is a note
check "grep -Eq 'plots=(6|7) notes=(1|2)' xml.out" "plot sections drawn ($(cat xml.out))"
check "grep -qF 'title=nntune report: <b>blobs</b> & \"co\"' xml.out" "study name round-trips as text"
check "! grep -q '<b>blobs' r.html && grep -qF '&lt;b&gt;blobs&lt;/b&gt; &amp; &quot;co&quot;' r.html" \
      "study name escaped in the HTML"
for id in history parallel slices curves intermediate batch-lr; do
    check "grep -q '<section class=\"plot\" id=\"$id\">' r.html" "plot section $id drawn"
done
check "grep -q '<title>trial 0 (complete): accuracy' r.html" "points carry hover text"

# ---- Markdown, CSV, JSON ---------------------------------------------------
"$NNT" report s.db --format md > r.md
check "[ $? -eq 0 ] && grep -q '^## Summary' r.md && grep -q '^- Best: trial' r.md" "markdown summary on stdout"
check "grep -q '^| rank | trial | state | accuracy |' r.md" "markdown top-trials table"
"$NNT" report s.db -o out.md > /dev/null 2>&1
check "cmp -s r.md out.md" "-o FILE.md infers the format and matches stdout"

"$NNT" report s.db --format csv > r.csv
check "[ $? -eq 0 ]" "csv exits 0"
check "python3 -c \"
import csv, sys
rows = list(csv.DictReader(open('r.csv')))
cols = list(rows[0].keys())
want = ['number','state','value','value_spread','epochs','duration','error','params_epochs','params_lr','params_batch_size','params_neurons','params_hidden_layers']
assert cols == want, cols
assert len(rows) == 4, len(rows)
assert all(r['state'] == 'complete' for r in rows)
assert all(0 < float(r['value']) <= 1 for r in rows)
assert all(r['params_batch_size'] in ('16', '32') for r in rows)
assert all(0.001 <= float(r['params_lr']) <= 0.5 for r in rows)
\"" "csv: one column per parameter and metric, 4 rows"

"$NNT" report s.db --format json > r.json
check "python3 -c \"
import json
d = json.load(open('r.json'))
assert d['study'] == '<b>blobs</b> & \\\"co\\\"', d['study']
assert len(d['trials']) == 4
t = d['trials'][0]
assert set(d['columns']) == set(t.keys()), (d['columns'], list(t.keys()))
assert isinstance(t['params_lr'], float) and isinstance(t['params_batch_size'], int)
assert d['summary']['best']['number'] in range(4)
assert 'suggested_study' in d['summary']
\"" "json parses, trial records with every column"

# ---- suggested space: a study file that runs -------------------------------
"$NNT" report s.db --format csv --suggest-space sug.json > /dev/null 2> sug.err
check "[ $? -eq 0 ] && [ -s sug.json ]" "--suggest-space writes a file ($(cat sug.err))"
check "python3 -c \"import json; d = json.load(open('sug.json')); assert 'space' in d and 'lr' in d['space']\"" \
      "suggested study file has a space"
"$NNT" tune sug.json --data "$DATA" --trials 2 --jobs 1 --storage s2.db --quiet > tune2.out 2>&1
check "[ $? -eq 0 ]" "the suggested study file runs with nntune tune ($(tail -2 tune2.out))"

# ---- importance: the same numbers in nntune importance, the HTML bars and
# the summary in words (one computation, one format) --------------------------
"$NNT" tune --data "$DATA" --trials 12 --jobs 1 --seed 3 --storage imp.db --sampler random \
    --pruner none --param epochs=3 --param lr=0.0005:1:log --param batch_size=16,64 \
    --param neurons=2:32:log --quiet > imp-tune.out 2>&1
check "[ $? -eq 0 ]" "importance study runs ($(tail -2 imp-tune.out))"
"$NNT" importance imp.db > imp.txt 2>&1
check "[ $? -eq 0 ]" "nntune importance exits 0 ($(tail -2 imp.txt))"
"$NNT" importance imp.db --format json > imp.json 2>&1
"$NNT" report imp.db -o imp.html > /dev/null 2>&1
"$NNT" report imp.db --format json > imp-report.json 2>&1
cat > samenum.py <<'EOF'
import json, re, sys, xml.etree.ElementTree as ET
H = '{http://www.w3.org/1999/xhtml}'
S = '{http://www.w3.org/2000/svg}'
# nntune importance: "  lr   40.2%  ####"
txt = open('imp.txt').read()
cli = dict(re.findall(r'^  (\w+) +([0-9.]+)%', txt, re.M))
cli_total = re.search(r'Main effects together explain ([0-9.]+)%', txt).group(1)
root = ET.parse('imp.html').getroot()
sec = [s for s in root.iter(H + 'section') if s.get('id') == 'importance'][0]
# the bars: <rect><title>lr: 40.2% of the variance</title></rect>
bars = dict(re.match(r'(\w+): ([0-9.]+)% of the variance$', t.text).groups()
            for t in sec.iter(S + 'title'))
texts = ' '.join(t.text or '' for t in sec.iter(S + 'text'))
html_total = re.search(r'main effects together: ([0-9.]+)%', texts).group(1)
summary = [li.text for s in root.iter(H + 'section') if s.get('id') == 'summary'
           for li in s.iter(H + 'li')]
line = [l for l in summary if 'mattered most' in l][0]
words = dict(re.findall(r'(\w+) \(([0-9.]+)%', line))
words_total = re.search(r'Main effects together explain ([0-9.]+)%', line).group(1)
assert cli and cli == bars, (cli, bars)
assert words and all(cli[k] == v for k, v in words.items()), (cli, words)
assert cli_total == html_total == words_total, (cli_total, html_total, words_total)
# and the raw numbers of both JSON forms are the same doubles
a = {e['param']: e['importance'] for e in json.load(open('imp.json'))['importance']}
b = json.load(open('imp-report.json'))['summary']['importance']
assert set(a) <= set(b) and all(a[k] == b[k] for k in a), (a, b)
for k, v in cli.items():
    assert abs(float(v) - 100 * a[k]) <= 0.05 + 1e-9, (k, v, a[k])
print('same numbers:', cli, 'together', cli_total)
EOF
python3 samenum.py > samenum.out 2>&1
check "[ $? -eq 0 ]" "importance: CLI table, HTML bars, summary and JSON agree ($(tail -1 samenum.out))"

# ---- default output and errors ---------------------------------------------
mkdir sub && (cd sub && "$NNT" report ../s.db > /dev/null 2>&1)
check "[ -s sub/report.html ]" "HTML without -o goes to report.html"
"$NNT" report missing.db > err.out 2>&1
rc=$?
check "[ $rc -eq 1 ] && grep -q 'missing.db' err.out" "missing storage: exit 1 naming the file (rc $rc)"
"$NNT" report s.db --study nope > err.out 2>&1
rc=$?
check "[ $rc -eq 1 ] && grep -q 'nope' err.out" "unknown study: exit 1 naming it (rc $rc)"
"$NNT" report s.db --format pdf > err.out 2>&1
rc=$?
check "[ $rc -eq 2 ] && grep -q 'html, md, csv or json' err.out" "bad --format: usage error (rc $rc)"
"$NNT" report s.db -o /nonexistent-dir/r.html > err.out 2>&1
rc=$?
check "[ $rc -eq 1 ] && grep -q '/nonexistent-dir/r.html' err.out" "unwritable output: exit 1 naming it"
"$NNT" report --help > help.out 2>&1
check "[ $? -eq 0 ] && grep -q -- '--suggest-space' help.out" "--help"

# an empty study reports "no completed trials yet" and exits 0
"$NNT" tune --data "$DATA" --trials 1 --jobs 1 --storage e.db --param epochs=1 \
    --param lr=1e9 --quiet > /dev/null 2>&1
"$NNT" report e.db -o e.html > /dev/null 2>&1
check "[ $? -eq 0 ] && python3 xmlcheck.py e.html > /dev/null" "report of a study without a complete trial"
check "grep -q 'No completed trials yet' e.html" "says no completed trials yet"

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all report CLI checks passed"
