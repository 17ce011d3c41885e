#!/usr/bin/env bash
# Crash soak: a study whose trials take a few seconds is killed with SIGKILL
# at KILLS moments and resumed after each. The kills are aimed at four phases
# and each is checked afterwards for where it really landed:
#   between   upon a trial_end event, before that worker's next trial is on record
#   mid-epoch a random moment inside an epoch of a running trial
#   refit     between refit_start and refit_end (the refit writes nothing until its end)
#   save      while a model file is being written: its temporary file exists
#             (the driver watches the model folder; a SIGKILL leaves the file behind)
# (others: "trial-start", a running trial with no epoch yet; "other").
# After every kill: every trial whose completion was announced (--json
# trial_end) is stored complete with that value; every trial stored complete
# before is unchanged (number, value, parameters); PRAGMA integrity_check is
# ok. At the end, after a last resume that runs to completion: the same, no
# trial left running, every interrupted trial rerun, and the best model loads
# (nntune eval). Prints the figures; exits 1 if any check failed.
# usage: bench/soak.sh [KILLS=20] [SEED=1] [NNTUNE=build/nntune]
set -euo pipefail
KILLS=${1:-20}
SEED=${2:-1}
NNT=${3:-build/nntune}
NNT=$(cd "$(dirname "$NNT")" && pwd)/$(basename "$NNT")
[ -x "$NNT" ] || { echo "soak: no nntune binary at $NNT (run make first)" >&2; exit 2; }
T=$(mktemp -d /tmp/nnt-soak-XXXXXX)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_NUM_THREADS=1
echo "soak: $KILLS kills, seed $SEED, in $T; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$NNT" "$T" "$KILLS" "$SEED" <<'PY'
import csv, io, json, os, random, signal, sqlite3, subprocess, sys, threading, time

nnt, tmp, kills_wanted, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
data, db, mdir = f"{tmp}/data.csv", f"{tmp}/soak.db", f"{tmp}/models"
model = f"{mdir}/best.nnt"
os.makedirs(mdir)

# 2000 rows, 32 features, 3 overlapping Gaussian classes: with a 2x1024
# network an epoch takes about half a second on one core and a model file is
# 4.4 MB, so saves take long enough to be caught.
r = random.Random(7)
centres = [[r.gauss(0, 1) for _ in range(32)] for _ in range(3)]
with open(data, "w") as f:
    f.write(",".join(f"f{j}" for j in range(32)) + ",label\n")
    for i in range(2000):
        c = r.randrange(3)
        f.write(",".join("%.4f" % (centres[c][j] + r.gauss(0, 2.0)) for j in range(32)) + f",c{c}\n")

ARGS = ["tune", "--data", data, "--storage", db, "--model-out", model, "--jobs", "2", "--cv", "1",
        "--seed", "5", "--sampler", "random", "--pruner", "none", "--refit", "--json",
        "--param", "epochs=4", "--param", "early_stopping=false", "--param", "hidden_layers=2",
        "--param", "neurons=1024", "--param", "batch_size=64", "--param", "lr=0.0003:0.03:log"]

fails = []
n_checks = 0
def check(ok, what):
    global n_checks
    n_checks += 1
    if not ok:
        fails.append(what)
        print("FAIL:", what, flush=True)

def stored():
    out = subprocess.run([nnt, "trials", db, "--format", "csv"], capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    return {int(t["number"]): t for t in csv.DictReader(io.StringIO(out.stdout))}

def epochs_of_running():
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(c.execute(
            "SELECT t.number, COUNT(e.epoch) FROM trials t LEFT JOIN trial_epochs e "
            "ON e.trial_id = t.id WHERE t.state = 'running' GROUP BY t.id").fetchall())
    finally:
        c.close()

def integrity():
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()

def temp_files(known):
    return [f for f in os.listdir(mdir) if f != "best.nnt" and f not in known]

class Run:
    """One `nntune tune --json` process; a reader thread collects its events
    and, for the 'between' phase, kills it the moment a trial_end arrives."""
    def __init__(self, budget, target):
        self.target, self.events, self.killed_at = target, [], None
        self.max_started_at_kill = -1
        self.lock = threading.Lock()
        self.p = subprocess.Popen([nnt] + ARGS + ["--trials", str(budget)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, bufsize=0)
        self.reader = threading.Thread(target=self.read)
        self.reader.start()
    def started(self):
        return max([e["trial"] for e in self.events if e["event"] == "trial_start"], default=-1)
    def kill(self):
        with self.lock:
            if self.killed_at is None and self.p.poll() is None:
                self.max_started_at_kill = self.started()
                os.kill(self.p.pid, signal.SIGKILL)
                self.killed_at = time.monotonic()
    def read(self):
        for line in self.p.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            e["t"] = time.monotonic()
            with self.lock:
                self.events.append(e)
            if self.target == "between" and e["event"] == "trial_end":
                self.kill()
    def kinds(self):
        with self.lock:
            return [e["event"] for e in self.events]

phases = ["between", "mid-epoch", "refit", "save"]
aimed = {p: 0 for p in phases}
landed = {p: 0 for p in phases + ["trial-start", "other"]}
hit = {p: 0 for p in phases}  # landed where aimed
kept = {}                     # number -> (value, params) of trials stored complete
budget, kills, runs, finished_runs, leftovers = 1, 0, 0, 0, 0
epoch_s = 0.5                 # running estimate of one epoch's duration
t0 = time.monotonic()

while kills < kills_wanted and runs < 6 * kills_wanted:
    runs += 1
    budget += 2
    target = min(phases, key=lambda p: (hit[p], aimed[p], rng.random()))
    known = set(os.listdir(mdir))
    run = Run(budget, target)
    delay, armed_at = None, None
    while run.p.poll() is None and run.killed_at is None:
        ev = run.events
        if target == "save" and temp_files(known):
            run.kill()
        elif target in ("mid-epoch", "refit") and armed_at is None:
            want = "epoch" if target == "mid-epoch" else "refit_start"
            if any(e["event"] == want for e in ev):
                # Epochs last epoch_s; the refit a few of them: land inside.
                span = epoch_s if target == "mid-epoch" else 3 * epoch_s
                delay, armed_at = rng.uniform(0.1, 0.8) * span, time.monotonic()
        elif armed_at is not None and time.monotonic() - armed_at >= delay:
            run.kill()
        time.sleep(0.0002 if target == "save" else 0.002)
    run.p.wait()
    run.reader.join()
    ep = [e["t"] for e in run.events if e["event"] == "epoch"]
    if len(ep) > 4:
        epoch_s = 2 * (ep[-1] - ep[0]) / (len(ep) - 1)  # two workers share the epochs
    if run.killed_at is None:
        finished_runs += 1
        check(run.p.returncode == 0, f"run {runs} (not killed) exits 0, got {run.p.returncode}: "
              f"{run.p.stderr.read().decode()[-300:]}")
        continue
    kills += 1
    aimed[target] += 1
    # Where did it land?
    kinds = run.kinds()
    tmpf = temp_files(known)
    now = stored()
    running = epochs_of_running()
    if tmpf:
        where = "save"
        leftovers += len(tmpf)
    elif "refit_start" in kinds and "refit_end" not in kinds:
        where = "refit"
    elif target == "between" and max(now, default=-1) <= run.max_started_at_kill and "refit_start" not in kinds:
        where = "between"
    elif running and all(n == 0 for n in running.values()):
        where = "trial-start"
    elif running:
        where = "mid-epoch"
    else:
        where = "other"
    landed[where] += 1
    hit[target] += where == target
    # Announced completions are stored; earlier completions are unchanged.
    announced = {e["trial"]: e["value"] for e in run.events
                 if e["event"] == "trial_end" and e["state"] == "complete"}
    for n, v in announced.items():
        t = now.get(n)
        check(t is not None and t["state"] == "complete" and abs(float(t["value"]) - v) < 1e-6,
              f"kill {kills}: announced complete trial {n} ({v}) is stored complete: {t and t['state']}")
    for n, (v, params) in kept.items():
        t = now.get(n)
        check(t is not None and t["state"] == "complete" and t["value"] == v and t["params"] == params,
              f"kill {kills}: trial {n} completed earlier is unchanged")
    check(integrity() == "ok", f"kill {kills}: PRAGMA integrity_check")
    kept.update({n: (t["value"], t["params"]) for n, t in now.items() if t["state"] == "complete"})
    print(f"kill {kills:2d} at {time.monotonic() - t0:6.1f} s: aimed {target:9s} landed {where:11s}"
          f" ({len(now)} trials on record, {len(kept)} complete, running {running})", flush=True)

# The last resume runs to completion.
final = subprocess.run([nnt] + ARGS + ["--trials", str(budget)], capture_output=True, text=True)
check(final.returncode == 0, f"final resume exits 0, got {final.returncode}: {final.stderr[-300:]}")
now = stored()
for n, (v, params) in kept.items():
    t = now.get(n)
    check(t is not None and t["state"] == "complete" and t["value"] == v and t["params"] == params,
          f"final: trial {n} completed before a kill is unchanged")
check(not any(t["state"] == "running" for t in now.values()), "final: no trial left running")
interrupted = [n for n, t in now.items() if t["interrupted"] == "1"]
reruns = {int(t["retry_of"]) for t in now.values() if t["retry_of"]}
check(set(interrupted) <= reruns, f"final: every interrupted trial rerun ({len(interrupted)} interrupted)")
counted = sum(1 for t in now.values() if t["interrupted"] == "0")
check(counted == budget, f"final: the budget of {budget} trials is finished ({counted})")
check(integrity() == "ok", "final: PRAGMA integrity_check")
ev = subprocess.run([nnt, "eval", "--model", model, "--data", data], capture_output=True, text=True)
check(ev.returncode == 0 and "accuracy" in ev.stdout, f"final: the best model loads (nntune eval): {ev.stderr[-200:]}")
best = subprocess.run([nnt, "best", db], capture_output=True, text=True)
check(best.returncode == 0 and model in best.stdout, "final: nntune best names the model file")

print()
print(f"kills: {kills} in {runs} runs ({finished_runs} runs finished before their kill), "
      f"{time.monotonic() - t0:.0f} s")
print("aimed at:  " + ", ".join(f"{p} {aimed[p]}" for p in phases))
print("landed in: " + ", ".join(f"{p} {landed[p]}" for p in landed))
print(f"trials on record: {len(now)}, complete {sum(t['state'] == 'complete' for t in now.values())}, "
      f"interrupted and rerun {len(interrupted)}; completed before a kill and checked: {len(kept)}")
print(f"temporary model files left by kills during a save: {leftovers}")
print(f"checks: {n_checks - len(fails)} of {n_checks} passed")
sys.exit(1 if fails or kills < kills_wanted else 0)
PY
