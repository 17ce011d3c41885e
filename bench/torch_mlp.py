#!/usr/bin/python3
"""PyTorch peer of bench_train: the same 784-256-128-10 relu MLP, Adam lr 0.01,
CrossEntropyLoss, one thread, default settings, plain tensor slicing over a
shuffled index (no DataLoader). Times whole epochs (at least --seconds) after a
warm-up, per batch size, and prints one line per batch size:

    batch N samples_per_s X

which bench_train --torch FILE reads to print the nntune/PyTorch ratio.
With --infer: eval mode + torch.no_grad(), lines "infer batch 1024
samples_per_s X" and "infer latency_us Y" for bench_predict --torch FILE.
Exit status 3 when torch cannot be imported (bench/run.sh then skips it).
"""
import argparse
import gzip
import os
import struct
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as e:  # python3-torch not installed
    print(f"torch_mlp: cannot import torch ({e})", file=sys.stderr)
    sys.exit(3)


def load_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_data(synthetic):
    """Fashion-MNIST train set scaled to [0,1] when installed, else uniform
    pixels labelled by a random linear teacher (as bench_train does)."""
    root = os.path.join(os.environ.get("NNTUNE_DATASETS_DIR", "/usr/share/datasets"),
                        "fashion-mnist")
    images = os.path.join(root, "train-images-idx3-ubyte.gz")
    labels = os.path.join(root, "train-labels-idx1-ubyte.gz")
    if not synthetic and os.path.exists(images) and os.path.exists(labels):
        x = load_idx(images).reshape(-1, 784).astype(np.float32) / 255.0
        y = load_idx(labels).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y), "Fashion-MNIST train"
    g = torch.Generator().manual_seed(12345)
    x = torch.rand(60000, 784, generator=g)
    teacher = torch.randn(784, 10, generator=g)
    y = ((x - 0.5) @ teacher).argmax(dim=1)
    return x, y, "synthetic"


def bench(x, y, batch, seconds, clock=time.perf_counter):
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]

    def epoch(max_steps=None):
        order = torch.randperm(n)
        steps = samples = 0
        for start in range(0, n, batch):
            if max_steps is not None and steps >= max_steps:
                break
            idx = order[start:start + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            steps += 1
            samples += idx.shape[0]
        return samples

    epoch(max_steps=30000 // batch + 20)  # warm-up
    t0 = clock()
    samples = 0
    while True:
        samples += epoch()
        dt = clock() - t0
        if dt >= seconds:
            return samples / dt


def bench_infer(x, seconds, rounds, clock):
    """Eval mode and torch.no_grad(): throughput on 1024 rows (median of the
    rounds) and the median latency of one row over 2000 calls, timed with
    `clock` (time.thread_time by default, as bench_predict)."""
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1))
    model.eval()
    xb, x1 = x[:1024].contiguous(), x[:1].contiguous()
    rates = []
    with torch.no_grad():
        for _ in range(20):
            model(xb)
        for _ in range(rounds):
            calls, t0 = 0, clock()
            while True:
                model(xb)
                calls += 1
                dt = clock() - t0
                if dt >= seconds:
                    break
            rates.append(calls * 1024 / dt)
        lat = []
        for i in range(2050):
            t0 = clock()
            model(x1)
            if i >= 50:
                lat.append(clock() - t0)
    rates.sort()
    lat.sort()
    return rates[(len(rates) - 1) // 2], lat[(len(lat) - 1) // 2]


def bench_e2e(x, y, batch, epochs):
    """nntune train's loop in PyTorch: 90/10 split, per epoch one pass of
    Adam steps over the training rows and a validation pass (eval mode,
    no_grad, loss and accuracy, 1024-row chunks). Returns the epochs' wall
    times (perf_counter, as nntune's elapsed_s)."""
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    perm = torch.randperm(x.shape[0])
    n_valid = x.shape[0] // 10
    xv, yv = x[perm[:n_valid]], y[perm[:n_valid]]
    xt, yt = x[perm[n_valid:]], y[perm[n_valid:]]
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(xt.shape[0])
        for start in range(0, xt.shape[0], batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct, total = 0, 0.0
            for start in range(0, n_valid, 1024):
                out = model(xv[start:start + 1024])
                total += float(loss_fn(out, yv[start:start + 1024])) * out.shape[0]
                correct += int((out.argmax(1) == yv[start:start + 1024]).sum())
        times.append(time.perf_counter() - t0)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--batch", type=int, action="append")
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ftz", action="store_true", help="torch.set_flush_denormal(True)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with this thread's CPU clock (one torch thread runs on it)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds over the batch sizes; the median rate is printed (as bench_train)")
    ap.add_argument("--infer", action="store_true",
                    help="inference only (eval, no_grad): 1024-row throughput, one-row latency")
    ap.add_argument("--wall", action="store_true", help="--infer: wall clock, not thread CPU time")
    ap.add_argument("--no-trainer", action="store_true", help="bench_train's option; ignored")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (bench/run.sh passes bench_train's --threads)")
    ap.add_argument("--e2e", type=int, default=0, metavar="EPOCHS",
                    help="nntune train's loop (epoch + validation pass) for EPOCHS epochs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 0.3
    torch.set_num_threads(max(1, a.threads))
    if a.ftz:
        torch.set_flush_denormal(True)
    x, y, source = load_data(a.synthetic)
    print(f"# torch {torch.__version__}, {max(1, a.threads)} thread(s), data: {source}", flush=True)
    if a.e2e > 0:
        for b in a.batch or [32, 128, 512]:
            t = sorted(bench_e2e(x, y, b, a.e2e)[1:] or [0.0])
            print(f"e2e batch {b} epoch_s {t[(len(t) - 1) // 2]:.3f}", flush=True)
        return
    if a.infer:
        clock = time.perf_counter if a.wall else time.thread_time
        sps, lat = bench_infer(x, 0.5 if not a.quick else 0.2, 1 if a.quick else max(1, a.rounds),
                               clock)
        print(f"infer batch 1024 samples_per_s {sps:.1f}", flush=True)
        print(f"infer latency_us {lat * 1e6:.2f}", flush=True)
        return
    sizes = a.batch or [32, 128, 512]
    rounds = 1 if a.quick else max(1, a.rounds)
    rates = {b: [] for b in sizes}
    for _ in range(rounds):
        for b in sizes:
            rates[b].append(bench(x, y, b, a.seconds,
                                  time.thread_time if a.cpu_time else time.perf_counter))
    for b in sizes:
        r = sorted(rates[b])
        print(f"batch {b} samples_per_s {r[(len(r) - 1) // 2]:.1f}", flush=True)


if __name__ == "__main__":
    main()
