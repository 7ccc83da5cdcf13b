"""Read a `.nir` file with `nir.read` (type checks on) and dump what it holds, for tests/nir_export.rs.

Usage: python tests/nir/read_back.py IN.nir OUT.npz OUT.json. The npz holds every array field as
`<node>:<field>` (float64); the json holds `types` (node -> type) and `edges`.
"""

import json
import sys

import nir
import numpy as np


def main(src, npz, js):
    g = nir.read(src)
    arrays, types = {}, {}
    for name, node in g.nodes.items():
        d = node.to_dict()
        types[name] = d["type"]
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                arrays[f"{name}:{k}"] = np.asarray(v, np.float64)
    np.savez(npz, **arrays)
    with open(js, "w") as f:
        json.dump({"types": types, "edges": [list(e) for e in g.edges], "version": nir.version}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
