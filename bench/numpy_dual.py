#!/usr/bin/env python3
"""The TTT-Linear dual form in float64 numpy: the yardstick for `ttt bench`.

It computes what the Go dual form computes for one head: Z, the per-token
losses at W0, at the mini-batch start, before and after each token's step,
and the final weights. `--check CASE.json` replays a reference case and
prints the max error; `--bench` times T = 2048, d = 64, b = 16 on seeded
inputs and prints the median tokens/s; `--make-case` writes a new TTT-Linear
head case (any T, D, d, b, seed) with numpy's float64 outputs, which the Go
tests replay as cases the project has never seen.

    python3 bench/numpy_dual.py --check ttt/golden/testdata/linear_T56_b16_dual.json
    python3 bench/numpy_dual.py --bench
    python3 bench/numpy_dual.py --make-case -T 45 -D 10 -d 7 -b 5 --seed 3 > case.json
"""
import argparse
import json
import time

import numpy as np

EPS = 1e-6


def ln(z, gamma, beta):
    mu = z.mean(-1, keepdims=True)
    r = 1.0 / np.sqrt(((z - mu) ** 2).mean(-1, keepdims=True) + EPS)
    return gamma * (z - mu) * r + beta


def ln_l2_grad(z, target, gamma, beta):
    d = z.shape[-1]
    mu = z.mean(-1, keepdims=True)
    r = 1.0 / np.sqrt(((z - mu) ** 2).mean(-1, keepdims=True) + EPS)
    xh = (z - mu) * r
    e = gamma * xh + beta - target
    h = gamma * e
    g = r * (h - h.mean(-1, keepdims=True) - xh * (h * xh).mean(-1, keepdims=True))
    return g, (e ** 2).mean(-1)


def mse(z, target, gamma, beta):
    return ((ln(z, gamma, beta) - target) ** 2).mean(-1)


def dual(XQ, XK, XV, lr, W, b, gamma, beta, tau, B):
    T, d = XQ.shape
    W0, b0 = W.copy(), b.copy()
    Z = np.empty((T, d))
    loss = {k: np.empty(T) for k in ("loss_w0", "loss_start", "loss_before", "loss_after")}
    loss["loss_w0"] = mse(XK @ W0 + b0, XV - XK, gamma, beta)
    for t0 in range(0, T, B):
        Q, K, V, eta = XQ[t0:t0 + B], XK[t0:t0 + B], XV[t0:t0 + B], lr[t0:t0 + B]
        n = len(eta)
        s = np.maximum(0.0, 1.0 / np.arange(1, n + 1) + tau[:n])
        E = np.tril(np.outer(s, eta))                            # [n,n]
        Eb = np.vstack([np.zeros((1, n)), E[:-1]])               # row i−1 of E
        Zk = K @ W + b                                           # [n,d]
        target = V - K
        G, loss["loss_start"][t0:t0 + n] = ln_l2_grad(Zk, target, gamma, beta)
        Zbar = Q @ W + b - (E * (np.tril(Q @ K.T) + 1)) @ G      # [n,d]
        Z[t0:t0 + n] = Q + ln(Zbar, gamma, beta)
        AK = K @ K.T + 1
        loss["loss_after"][t0:t0 + n] = mse(Zk - (E * AK) @ G, target, gamma, beta)
        loss["loss_before"][t0:t0 + n] = mse(Zk - (Eb * AK) @ G, target, gamma, beta)
        e = E[-1][:, None]
        W = W - K.T @ (e * G)
        b = b - (e * G).sum(0)
    return Z, loss, W, b


def run_case(c):
    x = c["inputs"]
    X = np.array(x["X"])
    th, ep, nm, w0 = x["theta"], x["eta_params"], x["ttt_norm"], x["W0"]
    if c.get("share_qk") or c.get("rope_period") or c["kind"] != "linear":
        raise SystemExit("numpy_dual.py replays plain TTT-Linear head cases only")
    d = c["d"]
    XQ, XK, XV = X @ np.array(th["Q"]), X @ np.array(th["K"]), X @ np.array(th["V"])
    lr = ep["base_lr"] * ep.get("lr_mult", 1.0) / (1 + np.exp(-(X @ np.array(ep["theta_lr"]) + ep["b_lr"]))) / d
    return dual(XQ, XK, XV, lr, np.array(w0["W"]), np.array(w0["b"]),
                np.array(nm["gamma"]), np.array(nm["beta"]), np.array(ep["tau"]), c["mini_batch_size"])


def check(path):
    c = json.load(open(path))
    Z, loss, W, b = run_case(c)
    want = c["expected"]
    errs = {"Z": np.abs(Z - np.array(want["Z"])).max(),
            "final.W": np.abs(W - np.array(want["final"]["W"])).max(),
            "final.b": np.abs(b - np.array(want["final"]["b"])).max()}
    for k, v in loss.items():
        errs[k] = np.abs(v - np.array(want[k])).max()
    print(json.dumps({k: float(v) for k, v in errs.items()}))
    return max(errs.values())


def make_case(T, D, d, B, seed):
    rng = np.random.default_rng(seed)
    m = lambda r, k, std: (std * rng.standard_normal((r, k))).tolist()
    v = lambda n, mean, std: (mean + std * rng.standard_normal(n)).tolist()
    c = {"case": f"numpy_linear_T{T}_D{D}_d{d}_b{B}_seed{seed}", "kind": "linear", "T": T, "D": D, "d": d,
         "mini_batch_size": B, "scheme": "naive_online" if B == 1 else "dual", "share_qk": False,
         "rope_period": None, "ln_eps": EPS, "seed": seed,
         "inputs": {"X": m(T, D, 1.0),
                    "theta": {"Q": m(D, d, D ** -0.5), "K": m(D, d, D ** -0.5), "V": m(D, d, D ** -0.5)},
                    "eta_params": {"theta_lr": v(D, 0, D ** -0.5), "b_lr": 0.1, "base_lr": 1.0,
                                   "tau": v(B, 0, 0.05), "lr_mult": 1.0},
                    "ttt_norm": {"gamma": v(d, 1, 0.2), "beta": v(d, 0, 0.1)},
                    "W0": {"W": m(d, d, d ** -0.5), "b": v(d, 0, 0.1)}}}
    Z, loss, W, b = run_case(c)
    c["expected"] = {"Z": Z.tolist(), **{k: x.tolist() for k, x in loss.items()},
                     "final": {"W": W.tolist(), "b": b.tolist()}}
    print(json.dumps(c))


def bench(T, d, B, runs):
    rng = np.random.default_rng(1)
    XQ, XK, XV = (rng.standard_normal((T, d)) for _ in range(3))
    lr = 1.0 / (1 + np.exp(-rng.standard_normal(T))) / d
    W, b = rng.standard_normal((d, d)) / np.sqrt(d), 0.1 * rng.standard_normal(d)
    gamma, beta, tau = 1 + 0.2 * rng.standard_normal(d), 0.1 * rng.standard_normal(d), 0.05 * rng.standard_normal(B)
    dual(XQ, XK, XV, lr, W, b, gamma, beta, tau, B)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        dual(XQ, XK, XV, lr, W, b, gamma, beta, tau, B)
        times.append(time.perf_counter() - t)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"impl": "numpy float64 dual", "numpy": np.__version__, "T": T, "d": d, "b": B,
                      "runs": runs, "median_ms": med * 1e3, "tokens_per_s": T / med}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--check")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--make-case", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-D", type=int, default=0, help="input width for --make-case (default d)")
    ap.add_argument("-T", type=int, default=2048)
    ap.add_argument("-d", type=int, default=64)
    ap.add_argument("-b", type=int, default=16)
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()
    if a.check:
        raise SystemExit(0 if check(a.check) < 1e-9 else 1)
    if a.make_case:
        make_case(a.T, a.D or a.d, a.d, a.b, a.seed)
        raise SystemExit(0)
    bench(a.T, a.d, a.b, a.runs)
