"""Write the NIR fixtures of rgenn's NIR tests with the real `nir` package (pinned in .ci/run).

Run from the repository root: `python tests/nir/make_fixtures.py` (needs nir==1.0.8, numpy, h5py).
Writes into tests/nir/fixtures/:
- accepted graphs (`<name>.nir`) and, for each, the reference spikes under rgenn's
  discretisation at dt 1 and 0.1 ms (`<name>.ref_dt<dt>.npz`), computed here from the equations
  in docs/nir.md (Dirac spikes, times in seconds);
- `input.npz`: the spike dataset the references were computed on;
- rejected graphs (`reject_<case>.nir`) and lenient ones (`lenient_<case>.nir`).
"""

import pathlib

import h5py
import nir
import numpy as np

OUT = pathlib.Path(__file__).parent / "fixtures"
DURATION_MS = 60.0
N_IN = 4
rng = np.random.default_rng(19)


def cuba_lif(n, tau_mem=0.02, tau_syn=0.005, thr=1.0, reset=0.0, r=None, w_in=None):
    return nir.CubaLIF(
        tau_mem=np.full(n, tau_mem),
        tau_syn=np.full(n, tau_syn),
        r=np.ones(n) if r is None else r,
        v_leak=np.zeros(n),
        v_threshold=np.full(n, thr),
        v_reset=np.full(n, reset),
        w_in=np.ones(n) if w_in is None else w_in,
    )


def cuba_li(n, tau_mem=0.01, tau_syn=0.005):
    return nir.CubaLI(
        tau_mem=np.full(n, tau_mem),
        tau_syn=np.full(n, tau_syn),
        r=np.ones(n),
        v_leak=np.zeros(n),
        w_in=np.ones(n),
    )


def weights(n_out, n_in, node, lo=0.2, hi=1.6):
    """NIR weights [out, in] that become rgenn weights in [lo, hi) under the Dirac convention."""
    target = rng.uniform(lo, hi, size=(n_out, n_in))
    gain = node.r * node.w_in / node.tau_syn
    return target / gain[:, None]


# ---- the reference: rgenn's discretisation, written from the equations ----


class Pop:
    def __init__(self, name, n, node=None):
        self.name, self.n, self.node = name, n, node


def simulate(pops, conns, data, dt):
    """pops: list of Pop (node None: spike input); conns: (src, tgt, W_nir[out,in], d_pre_s[in],
    d_post_s[out]). Returns {pop: (steps, units, offsets)} for the spiking populations."""
    T = int(round(DURATION_MS / dt))
    idx = {p.name: k for k, p in enumerate(pops)}
    syn = []
    for src, tgt, w, d_pre, d_post in conns:
        node = pops[idx[tgt]].node
        scale = node.r * node.w_in / node.tau_syn  # Dirac: the current jumps by w_in W / tau_syn
        w_r = (w * scale[:, None]).T  # rgenn [pre, post]
        d_ms = (d_pre[:, None] + d_post[None, :]) * 1000.0
        k = np.floor(d_ms / dt + 0.5).astype(int)  # round half away from zero (d >= 0)
        syn.append((idx[src], idx[tgt], w_r, k))
    out = {p.name: ([], [], [0]) for p in pops if p.node is not None and hasattr(p.node, "v_threshold")}
    times, units, offsets = data
    for trial in range(len(offsets) - 1):
        a, b = offsets[trial], offsets[trial + 1]
        in_steps = np.floor(times[a:b] / dt).astype(int)
        inp = [set() for _ in range(T)]
        for s, u in zip(in_steps, units[a:b]):
            if s < T:
                inp[s].add(int(u))
        state = {}
        for p in pops:
            if p.node is not None:
                tm, ts = p.node.tau_mem[0] * 1000.0, p.node.tau_syn[0] * 1000.0
                alpha, beta = np.exp(-dt / tm), np.exp(-dt / ts)
                c = (ts / dt) * (1.0 - beta)
                state[p.name] = dict(v=np.zeros(p.n), i=np.zeros(p.n), alpha=alpha, beta=beta, c=c,
                                     arrive=np.zeros((T + 200 * int(1 / dt) + 2, p.n)))
        spiked = {p.name: np.zeros(p.n, bool) for p in pops}
        for n in range(T):
            # 1. deliver the spikes of step n-1: they arrive k steps later (step n + k)
            if n > 0:
                for s, t, w_r, k in syn:
                    pre = np.nonzero(spiked[pops[s].name])[0]
                    st = state[pops[t].name]
                    for j in pre:
                        for i in range(pops[t].n):
                            st["arrive"][n + k[j, i], i] += w_r[j, i]
            now = {}
            # 2. update
            for p in pops:
                if p.node is None:
                    continue
                st = state[p.name]
                st["i"] = st["i"] + st["arrive"][n]
                st["v"] = st["alpha"] * st["v"] + (1.0 - st["alpha"]) * st["c"] * st["i"]
                st["i"] = st["beta"] * st["i"]
                if hasattr(p.node, "v_threshold"):
                    fire = st["v"] >= p.node.v_threshold
                    st["v"] = np.where(fire, p.node.v_reset, st["v"])
                    now[p.name] = fire
                    for u in np.nonzero(fire)[0]:
                        out[p.name][0].append(n)
                        out[p.name][1].append(u)
            # 3. inputs
            for p in pops:
                if p.node is None:
                    f = np.zeros(p.n, bool)
                    f[list(inp[n])] = True
                    now[p.name] = f
            for name in spiked:
                spiked[name] = now.get(name, np.zeros(len(spiked[name]), bool))
        for name in out:
            out[name][2].append(len(out[name][0]))
    return out


def dataset():
    times, units, offsets = [], [], [0]
    for trial in range(3):
        n = 24
        t = np.sort(rng.integers(0, int(DURATION_MS) - 15, size=n)) + 0.05 + 0.1 * rng.integers(0, 9, size=n)
        u = rng.integers(0, N_IN, size=n)
        times += list(t)
        units += list(u)
        offsets.append(len(times))
    return np.array(times, np.float32), np.array(units, np.uint32), np.array(offsets, np.uint64)


def save(name, graph, pops, conns, data):
    nir.write(OUT / f"{name}.nir", graph)
    for dt in (1.0, 0.1):
        ref = simulate(pops, conns, data, dt)
        arrays = {}
        for pop, (steps, u, off) in ref.items():
            arrays[f"{pop}.steps"] = np.array(steps, np.int64)
            arrays[f"{pop}.units"] = np.array(u, np.int64)
            arrays[f"{pop}.offsets"] = np.array(off, np.int64)
        np.savez(OUT / f"{name}.ref_dt{dt:g}.npz", **arrays)


def G(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def accepted(data):
    z = lambda n: np.zeros(n)  # noqa: E731
    # Feedforward, with per-neuron r and w_in (they fold into the weights).
    lif1 = cuba_lif(5, r=rng.uniform(0.5, 2.0, 5), w_in=rng.uniform(0.5, 2.0, 5))
    li = cuba_li(3)
    fc1, fc2 = weights(5, N_IN, lif1), weights(3, 5, li, -0.5, 0.5)
    g = G(
        {"input": nir.Input(np.array([N_IN])), "fc1": nir.Linear(fc1), "lif1": lif1,
         "fc2": nir.Linear(fc2), "li": li, "output": nir.Output(np.array([3]))},
        [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "li"), ("li", "output")],
    )
    pops = [Pop("input", N_IN), Pop("lif1", 5, lif1), Pop("li", 3, li)]
    save("feedforward", g, pops, [("input", "lif1", fc1, z(N_IN), z(5)), ("lif1", "li", fc2, z(5), z(3))], data)

    # Delays before and after a Linear, and masked Linear -> Delay branches (per-synapse delays).
    lif = cuba_lif(5, tau_mem=0.01)
    fc = weights(5, N_IN, lif, 0.1, 0.8)
    d_pre, d_post = rng.integers(0, 4, N_IN) * 1e-3, rng.integers(0, 6, 5) * 1e-3
    full = weights(5, N_IN, lif, 0.1, 0.8)
    mask = rng.integers(0, 2, size=full.shape).astype(bool)
    w_k0, w_k7 = np.where(mask, 0.0, full), np.where(mask, full, 0.0)
    g = G(
        {"input": nir.Input(np.array([N_IN])), "d_pre": nir.Delay(d_pre), "fc": nir.Linear(fc),
         "d_post": nir.Delay(d_post), "w_k0": nir.Linear(w_k0), "w_k7": nir.Linear(w_k7),
         "w_k7_delay": nir.Delay(np.full(5, 7e-3)), "lif": lif, "out": nir.Output(np.array([5]))},
        [("input", "d_pre"), ("d_pre", "fc"), ("fc", "d_post"), ("d_post", "lif"),
         ("input", "w_k0"), ("w_k0", "lif"), ("input", "w_k7"), ("w_k7", "w_k7_delay"),
         ("w_k7_delay", "lif"), ("lif", "out")],
    )
    conns = [("input", "lif", fc, d_pre, d_post), ("input", "lif", w_k0, z(N_IN), z(5)),
             ("input", "lif", w_k7, z(N_IN), np.full(5, 7e-3))]
    save("delays", g, [Pop("input", N_IN), Pop("lif", 5, lif)], conns, data)

    # Recurrence as a plain cycle, with a delay on the recurrent weights.
    lif = cuba_lif(6)
    fc_in, w_rec = weights(6, N_IN, lif, 0.3, 1.2), weights(6, 6, lif, -0.6, 0.4)
    d_rec = rng.integers(0, 5, 6) * 1e-3
    g = G(
        {"input": nir.Input(np.array([N_IN])), "fc_in": nir.Linear(fc_in), "lif": lif,
         "w_rec": nir.Linear(w_rec), "d_rec": nir.Delay(d_rec), "out": nir.Output(np.array([6]))},
        [("input", "fc_in"), ("fc_in", "lif"), ("lif", "w_rec"), ("w_rec", "d_rec"),
         ("d_rec", "lif"), ("lif", "out")],
    )
    conns = [("input", "lif", fc_in, z(N_IN), z(6)), ("lif", "lif", w_rec, z(6), d_rec)]
    save("recurrent", g, [Pop("input", N_IN), Pop("lif", 6, lif)], conns, data)

    # Recurrence as snnTorch's RSynaptic subgraph (input, lif, w_rec, output inside).
    lif = cuba_lif(6, tau_syn=0.004)
    fc_in, w_rec = weights(6, N_IN, lif, 0.3, 1.2), weights(6, 6, lif, -0.6, 0.4)
    rsyn = G(
        {"input": nir.Input(np.array([6])), "lif": lif, "w_rec": nir.Linear(w_rec),
         "output": nir.Output(np.array([6]))},
        [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    g = G(
        {"input": nir.Input(np.array([N_IN])), "fc_in": nir.Linear(fc_in), "rsyn": rsyn,
         "out": nir.Output(np.array([6]))},
        [("input", "fc_in"), ("fc_in", "rsyn"), ("rsyn.output", "out")],
    )
    conns = [("input", "rsyn_lif", fc_in, z(N_IN), z(6)), ("rsyn_lif", "rsyn_lif", w_rec, z(6), z(6))]
    save("rsynaptic", g, [Pop("input", N_IN), Pop("rsyn_lif", 6, lif)], conns, data)


def small(n_in=3, n=2, lif=None, extra=None, edges=None):
    lif = lif or cuba_lif(n)
    nodes = {"input": nir.Input(np.array([n_in])), "fc": nir.Linear(np.full((n, n_in), 0.01)), "lif": lif,
             "out": nir.Output(np.array([n]))}
    nodes.update(extra or {})
    return G(nodes, edges or [("input", "fc"), ("fc", "lif"), ("lif", "out")])


def rejected():
    base = [("input", "fc"), ("fc", "lif"), ("lif", "out")]
    cases = {
        "lif_node": small(lif=nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2),
                                      v_threshold=np.ones(2), v_reset=np.zeros(2))),
        "conv": small(extra={"conv": nir.Conv1d(4, np.ones((2, 2, 1)), 1, 0, 1, 1, np.zeros(2))},
                      edges=base + [("lif", "conv")]),
        "affine_bias": small(extra={"fc": nir.Affine(np.full((2, 3), 0.01), np.array([0.0, 0.5]))}),
        "v_leak": small(lif=nir.CubaLIF(tau_mem=np.full(2, 0.02), tau_syn=np.full(2, 0.005), r=np.ones(2),
                                        v_leak=np.full(2, 0.1), v_threshold=np.ones(2), v_reset=np.zeros(2),
                                        w_in=np.ones(2))),
        "differ": small(lif=nir.CubaLIF(tau_mem=np.array([0.02, 0.03]), tau_syn=np.full(2, 0.005), r=np.ones(2),
                                        v_leak=np.zeros(2), v_threshold=np.ones(2), v_reset=np.zeros(2),
                                        w_in=np.ones(2))),
        "output_linear": small(extra={"fc2": nir.Linear(np.ones((2, 2)))},
                               edges=[("input", "fc"), ("fc", "lif"), ("lif", "fc2"), ("fc2", "out")]),
        "cycle": small(extra={"d_a": nir.Delay(np.full(2, 1e-3)), "d_b": nir.Delay(np.full(2, 1e-3))},
                       edges=base + [("lif", "d_a"), ("d_a", "d_b"), ("d_b", "d_a"), ("d_b", "lif")]),
        "multidim": small(extra={"input": nir.Input(np.array([3, 2])), "fc": nir.Linear(np.full((2, 6), 0.01))}),
    }
    for name, g in cases.items():
        nir.write(OUT / f"reject_{name}.nir", g, compression=None)  # small files
    # An unknown node type: nir has no constructor for one, so rename a type in the file.
    nir.write(OUT / "reject_unknown.nir", small(), compression=None)
    with h5py.File(OUT / "reject_unknown.nir", "r+") as f:
        del f["node/nodes/lif/type"]
        f["node/nodes/lif"].create_dataset("type", data="Hodgkin", dtype=h5py.string_dtype())


def lenient():
    # Values exact in float32, so that every variant imports to the same network as the base.
    w = np.arange(6).reshape(2, 3) / 64.0 + 1 / 128.0
    args = dict(tau_mem=0.03125, tau_syn=0.0078125, v_threshold=0.5, r=1.0, w_in=0.25)

    def lif(kind=np.float64, zero_d=False):
        arr = (lambda x: np.array(x, kind)) if zero_d else (lambda x: np.full(2, x, kind))
        return nir.CubaLIF(tau_mem=arr(args["tau_mem"]), tau_syn=arr(args["tau_syn"]), r=arr(args["r"]),
                           v_leak=arr(0.0), v_threshold=arr(args["v_threshold"]), v_reset=arr(0.0),
                           w_in=arr(args["w_in"]))

    edges = [("input", "fc"), ("fc", "lif"), ("lif", "out")]
    make = lambda lif_node, wt=w, shape=3: G(  # noqa: E731
        {"input": nir.Input(np.array([shape])), "fc": nir.Linear(wt), "lif": lif_node,
         "out": nir.Output(np.array([2]))}, edges)
    nir.write(OUT / "lenient_base.nir", make(lif()))
    nir.write(OUT / "lenient_float32.nir", make(lif(np.float32), w.astype(np.float32)))
    nir.write(OUT / "lenient_zero_d.nir", make(lif(zero_d=True)), compression=None)  # 0-d: no filters
    nir.write(OUT / "lenient_shape.nir", make(lif(), shape=7))
    nir.write(OUT / "lenient_no_v_reset.nir", make(lif()))
    with h5py.File(OUT / "lenient_no_v_reset.nir", "r+") as f:
        del f["node/nodes/lif/v_reset"]


def main():
    OUT.mkdir(exist_ok=True)
    data = dataset()
    np.savez(OUT / "input.npz", times=data[0], units=data[1], offsets=data[2])
    accepted(data)
    rejected()
    lenient()


if __name__ == "__main__":
    main()
