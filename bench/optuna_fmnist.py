#!/usr/bin/python3
"""The Optuna side of bench/fmnist_tune.sh: an Optuna study with the TPE
sampler and the median pruner over PyTorch MLPs on Fashion-MNIST, with the
search space of the issue (0-3 hidden layers of 50-200 neurons, Adam with a
learning rate of 1e-4..1e-1 on a log scale, batch size 32-256), the same
time budget and 2 parallel workers (processes sharing an SQLite storage, one
thread each). Each trial trains at most 30 epochs with early stopping
(patience 5) on 90 % of the training images, reports the validation accuracy
after every epoch (so the median pruner can stop it), and keeps its best
epoch's weights. A trial still running when the budget ends is stopped and
counted as failed, as nntune does. At the end the best trial's model is
evaluated on the 10000 test images.

usage: optuna_fmnist.py [--minutes M] [--jobs J] [--seed S] [--dir DIR]
Exit status 3 when optuna or torch cannot be imported.
"""
import argparse
import gzip
import math
import multiprocessing as mp
import os
import struct
import sys
import time

try:
    import numpy as np
    import optuna
    import torch
except ImportError as e:
    print(f"optuna_fmnist: cannot import optuna/torch ({e})", file=sys.stderr)
    sys.exit(3)

MAX_EPOCHS = 30
PATIENCE = 5


def load_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(root, stem):
    for suffix in (".gz", ""):
        p = os.path.join(root, stem + suffix)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(root, stem))


def load_data(seed):
    root = os.path.join(os.environ.get("NNTUNE_DATASETS_DIR", "/usr/share/datasets"),
                        "fashion-mnist")
    x = load_idx(find(root, "train-images-idx3-ubyte")).reshape(60000, -1).astype(np.float32) / 255
    y = load_idx(find(root, "train-labels-idx1-ubyte")).astype(np.int64)
    xt = load_idx(find(root, "t10k-images-idx3-ubyte")).reshape(10000, -1).astype(np.float32) / 255
    yt = load_idx(find(root, "t10k-labels-idx1-ubyte")).astype(np.int64)
    perm = np.random.default_rng(seed).permutation(60000)
    nv = 6000
    v, t = perm[:nv], perm[nv:]
    tt = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return tt(x[t]), tt(y[t]), tt(x[v]), tt(y[v]), tt(xt), tt(yt)


def build(trial):
    layers, d = [], 784
    for i in range(trial.suggest_int("n_layers", 0, 3)):
        n = trial.suggest_int(f"n_units_l{i}", 50, 200)
        layers += [torch.nn.Linear(d, n), torch.nn.ReLU()]
        d = n
    layers.append(torch.nn.Linear(d, 10))
    return torch.nn.Sequential(*layers)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def objective(trial, data, deadline, out_dir):
    xtr, ytr, xva, yva, _, _ = data
    model = build(trial)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    batch = trial.suggest_int("batch_size", 32, 256, log=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(trial.number)
    best, best_state, since = -1.0, None, 0
    for epoch in range(MAX_EPOCHS):
        perm = torch.randperm(len(xtr), generator=g)
        model.train()
        for i in range(0, len(xtr), batch):
            if time.time() > deadline:
                return float("nan")  # stopped by the budget: a failed trial
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        model.eval()
        acc = accuracy(model, xva, yva)
        if acc > best:
            best, since = acc, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
        trial.report(acc, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
        if not math.isfinite(acc) or since >= PATIENCE:
            break
    torch.save(best_state, os.path.join(out_dir, f"optuna-trial-{trial.number}.pt"))
    return best


def worker(storage, name, seed, deadline, out_dir, rank):
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # NaN (budget) trials warn
    data = load_data(seed)
    study = optuna.load_study(study_name=name, storage=storage,
                              sampler=optuna.samplers.TPESampler(seed=seed * 100 + rank),
                              pruner=optuna.pruners.MedianPruner())
    study.optimize(lambda t: objective(t, data, deadline, out_dir),
                   timeout=max(1.0, deadline - time.time()), catch=(RuntimeError,))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", default=".")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.dir, exist_ok=True)
    db = os.path.join(a.dir, "optuna.db")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    storage = f"sqlite:///{db}"
    name = "fmnist"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name=name, storage=storage, direction="maximize")
    t0 = time.time()
    budget = a.minutes * 60
    deadline = t0 + budget
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=worker, args=(storage, name, a.seed, deadline, a.dir, r))
             for r in range(a.jobs)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()

    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE
            and t.value is not None and math.isfinite(t.value)]

    def best_at(sec):
        v = [t.value for t in done if t.datetime_complete.timestamp() - t0 <= sec]
        return "%.4f" % max(v) if v else "-"

    print("Optuna %s TPE + median pruner (PyTorch %s MLPs):" % (optuna.__version__, torch.__version__))
    print("  best validation accuracy: " + ", ".join(
        "%g min %s" % (a.minutes * f, best_at(budget * f + 1e-6)) for f in (0.1, 0.2, 0.5, 1.0)))
    count = lambda s: sum(1 for t in trials if t.state == s)
    S = optuna.trial.TrialState
    print("  trials: %d complete, %d pruned, %d failed (stopped by the budget)"
          % (len(done), count(S.PRUNED), count(S.FAIL) + len([t for t in trials if t.state == S.COMPLETE]) - len(done)))
    if not done:
        print("  test accuracy of the best model: -")
        return
    best = max(done, key=lambda t: t.value)
    print("  best trial %d: %s" % (best.number, best.params))
    data = load_data(a.seed)
    model = build(optuna.trial.FixedTrial(best.params))
    model.load_state_dict(torch.load(os.path.join(a.dir, f"optuna-trial-{best.number}.pt")))
    model.eval()
    print("  test accuracy of the best model: %.4f" % accuracy(model, data[4], data[5]))


if __name__ == "__main__":
    main()
