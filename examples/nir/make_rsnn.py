"""Write examples/nir/rsnn.nir: a small recurrent network laid out as snnTorch exports one.

20 inputs -> Linear -> an RSynaptic-style subgraph (32 CubaLIF neurons with recurrent weights inside)
-> Linear -> 4 CubaLI outputs. Times in seconds; weights sized for a unit pulse of one 1 ms step
(`--spike step:0.001` on import). Needs nir==1.0.8 and numpy: `python examples/nir/make_rsnn.py`.
"""

import pathlib

import nir
import numpy as np

rng = np.random.default_rng(1)
n_in, n_hid, n_out = 20, 32, 4
tau_syn, tau_mem = 0.005, 0.02


def full(n, x):
    return np.full(n, x)


lif = nir.CubaLIF(tau_mem=full(n_hid, tau_mem), tau_syn=full(n_hid, tau_syn), r=full(n_hid, 1.0),
                  v_leak=full(n_hid, 0.0), v_threshold=full(n_hid, 1.0), v_reset=full(n_hid, 0.0),
                  w_in=full(n_hid, 1.0))
rsyn = nir.NIRGraph(
    nodes={"input": nir.Input(np.array([n_hid])), "lif": lif,
           "w_rec": nir.Linear(rng.normal(0.0, 0.2, (n_hid, n_hid))), "output": nir.Output(np.array([n_hid]))},
    edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    type_check=False,
)
li = nir.CubaLI(tau_mem=full(n_out, tau_mem), tau_syn=full(n_out, tau_syn), r=full(n_out, 1.0),
                v_leak=full(n_out, 0.0), w_in=full(n_out, 1.0))
graph = nir.NIRGraph(
    nodes={"input": nir.Input(np.array([n_in])), "fc1": nir.Linear(rng.normal(1.0, 0.5, (n_hid, n_in))),
           "rsyn": rsyn, "fc2": nir.Linear(rng.normal(0.0, 0.5, (n_out, n_hid))), "li": li,
           "output": nir.Output(np.array([n_out]))},
    edges=[("input", "fc1"), ("fc1", "rsyn.input"), ("rsyn.output", "fc2"), ("fc2", "li"), ("li", "output")],
    type_check=False,
)
nir.write(pathlib.Path(__file__).parent / "rsnn.nir", graph)
