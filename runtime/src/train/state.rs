//! Training state inside a simulator: parameters and Adam moments read back, written, saved as
//! `.npz` parameter files and checkpoints; and the generated optimiser step.

use std::path::Path;

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Connectivity, Delays, Network, Precision};

use crate::data::npz::{self, NpzFile, OutArray};
use crate::error::{DataError, SimError};
use crate::sim::engine::Engine;
use crate::sim::init::{Params, param_shape, sparse_rows};

/// Adam moments of every learned parameter (empty vectors for parameters that are not learned).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Moments {
    /// Per connection: `(m, v)` of the weights.
    pub weight: Vec<(Vec<f64>, Vec<f64>)>,
    /// Per connection: `(m, v)` of the delays.
    pub delay: Vec<(Vec<f64>, Vec<f64>)>,
}

const MOMENT_ROLES: [(Role, Role); 2] = [
    (Role::WeightAdamM, Role::WeightAdamV),
    (Role::DelayAdamM, Role::DelayAdamV),
];

fn find(net: &Network, conn: usize, role: Role) -> Option<usize> {
    crate::sim::engine::find(net, Owner::Connection(conn as u32), role)
}

/// The current weights and delays of `sim` (learned delays from the simulator, fixed ones from
/// `initial`).
pub fn read_params<E: Engine + ?Sized>(sim: &mut E, initial: &Params) -> Result<Params, SimError> {
    let net = sim.network().clone();
    let mut p = initial.clone();
    for i in 0..net.connections.len() {
        if let Some(b) = find(&net, i, Role::Weight) {
            p.weights[i] = sim.read_buffer(b)?;
        }
        if let Some(b) = find(&net, i, Role::DelayMs) {
            p.delays_ms[i] = sim.read_buffer(b)?;
        }
    }
    Ok(p)
}

/// The Adam moments of `sim`.
pub fn read_moments<E: Engine + ?Sized>(sim: &mut E) -> Result<Moments, SimError> {
    let net = sim.network().clone();
    let mut m = Moments::default();
    for i in 0..net.connections.len() {
        for (k, (rm, rv)) in MOMENT_ROLES.iter().enumerate() {
            let pair = match (find(&net, i, *rm), find(&net, i, *rv)) {
                (Some(a), Some(b)) => (sim.read_buffer(a)?, sim.read_buffer(b)?),
                _ => (Vec::new(), Vec::new()),
            };
            if k == 0 { &mut m.weight } else { &mut m.delay }.push(pair);
        }
    }
    Ok(m)
}

/// Set the Adam moments of `sim` (`None`: zero, as at the start of training).
pub fn write_moments<E: Engine + ?Sized>(
    sim: &mut E,
    moments: Option<&Moments>,
) -> Result<(), SimError> {
    let net = sim.network().clone();
    for i in 0..net.connections.len() {
        for (k, (rm, rv)) in MOMENT_ROLES.iter().enumerate() {
            for (j, role) in [rm, rv].into_iter().enumerate() {
                let Some(b) = find(&net, i, *role) else {
                    continue;
                };
                let n = net.connections[i].n_synapses as usize;
                let values = match moments {
                    Some(m) => {
                        let pair = &if k == 0 { &m.weight } else { &m.delay }[i];
                        if j == 0 {
                            pair.0.clone()
                        } else {
                            pair.1.clone()
                        }
                    }
                    None => vec![0.0; n],
                };
                sim.write_buffer(b, &values)?;
            }
        }
    }
    Ok(())
}

fn float(net: &Network, v: &[f64]) -> OutArray {
    match net.precision {
        Precision::F32 => OutArray::F32(v.iter().map(|&x| x as f32).collect()),
        Precision::F64 => OutArray::F64(v.to_vec()),
    }
}

/// The arrays of a parameter file: `<conn>.weight`, `<conn>.delay` (ms, per-synapse delays only)
/// shaped like the parameters, and `<conn>.pre`, `<conn>.post` for sparse connections.
pub fn param_arrays(net: &Network, p: &Params) -> Vec<(String, Vec<u64>, OutArray)> {
    let mut arrays = Vec::new();
    for (i, c) in net.connections.iter().enumerate() {
        let shape = param_shape(net, c);
        arrays.push((
            format!("{}.weight", c.name),
            shape.clone(),
            float(net, &p.weights[i]),
        ));
        if matches!(c.delays, Delays::PerSynapse { .. }) {
            arrays.push((
                format!("{}.delay", c.name),
                shape.clone(),
                float(net, &p.delays_ms[i]),
            ));
        }
        if let (Connectivity::FixedProbability { .. }, Some((rows, post))) =
            (&c.connectivity, sparse_rows(net, c))
        {
            let pre: Vec<u32> = (0..rows.len() - 1)
                .flat_map(|r| std::iter::repeat_n(r as u32, (rows[r + 1] - rows[r]) as usize))
                .collect();
            arrays.push((format!("{}.pre", c.name), shape.clone(), OutArray::U32(pre)));
            arrays.push((format!("{}.post", c.name), shape, OutArray::U32(post)));
        }
    }
    arrays
}

/// Write a parameter file (atomically).
pub fn write_params(net: &Network, p: &Params, path: &Path) -> Result<(), SimError> {
    npz::write(path, &param_arrays(net, p)).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Where a run stands: what a checkpoint holds besides parameters and moments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Epochs completed.
    pub epochs_done: u32,
    /// Optimiser steps taken.
    pub steps: u64,
    /// Best selection accuracy so far (NaN before the first).
    pub best: f64,
    /// Epochs since the best.
    pub since_best: u32,
}

/// Write a checkpoint: parameters, Adam moments (always f64, so resuming is exact) and progress.
pub fn write_checkpoint(
    net: &Network,
    p: &Params,
    m: &Moments,
    progress: &Progress,
    path: &Path,
) -> Result<(), SimError> {
    let mut arrays = param_arrays(net, p);
    for (i, c) in net.connections.iter().enumerate() {
        for (kind, pair) in [("weight", &m.weight[i]), ("delay", &m.delay[i])] {
            if pair.0.is_empty() {
                continue;
            }
            let n = vec![c.n_synapses];
            arrays.push((
                format!("{}.{kind}_adam_m", c.name),
                n.clone(),
                OutArray::F64(pair.0.clone()),
            ));
            arrays.push((
                format!("{}.{kind}_adam_v", c.name),
                n,
                OutArray::F64(pair.1.clone()),
            ));
        }
    }
    arrays.push((
        NETWORK_KEY.into(),
        vec![1],
        OutArray::U64(vec![network_key(net)]),
    ));
    arrays.push((
        "progress".into(),
        vec![4],
        OutArray::F64(vec![
            progress.epochs_done as f64,
            progress.steps as f64,
            progress.best,
            progress.since_best as f64,
        ]),
    ));
    npz::write(path, &arrays).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The checkpoint array that names the network it was written for.
const NETWORK_KEY: &str = "network_key";

/// 64 bits of the hash of everything in `net` that a checkpoint's values depend on: populations,
/// models, params, connections. Run settings (data, training), spike-tape capacities and source
/// positions are left out, so a resumed run may change its learning rate, let its tapes grow, or
/// come from a renamed or re-commented file.
pub fn network_key(net: &Network) -> u64 {
    use sha2::{Digest, Sha256};
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("origin");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut shaped = net.clone();
    shaped.run = Default::default();
    shaped.buffers.clear();
    for p in &mut shaped.populations {
        p.spike_capacity = 0;
        p.spike_capacity_fixed = false;
    }
    let mut value = serde_json::to_value(&shaped).unwrap_or_default();
    strip(&mut value);
    let digest = Sha256::digest(value.to_string().as_bytes());
    u64::from_le_bytes(digest[..8].try_into().unwrap_or([0; 8]))
}

/// Read a checkpoint written by [`write_checkpoint`] into `params` (which holds the initial
/// values for anything not stored). A checkpoint written for another network (its
/// [`network_key`] differs) is refused.
pub fn read_checkpoint(
    net: &Network,
    path: &Path,
    params: &mut Params,
) -> Result<(Moments, Progress), DataError> {
    let mut f = NpzFile::open(path)?;
    if f.has(NETWORK_KEY) && f.unsigned(NETWORK_KEY)?.values != [network_key(net)] {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "this checkpoint was written for another version of network `{}` (its populations, models, params or connections changed since); resume with the network it was trained with (the run folder keeps it as model.yaml), or start a new run with another --out",
                net.name
            ),
        });
    }
    crate::sim::init::read_params(net, path, params)?;
    let mut m = Moments::default();
    for c in &net.connections {
        for kind in ["weight", "delay"] {
            let name = |x: &str| format!("{}.{kind}_adam_{x}", c.name);
            let pair = if f.has(&name("m")) {
                (f.floats(&name("m"))?.values, f.floats(&name("v"))?.values)
            } else {
                (Vec::new(), Vec::new())
            };
            if kind == "weight" {
                &mut m.weight
            } else {
                &mut m.delay
            }
            .push(pair);
        }
    }
    let p = f.floats("progress")?.values;
    if p.len() != 4 {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: "`progress` must hold 4 values".into(),
        });
    }
    Ok((
        m,
        Progress {
            epochs_done: p[0] as u32,
            steps: p[1] as u64,
            best: p[2],
            since_best: p[3] as u32,
        },
    ))
}
