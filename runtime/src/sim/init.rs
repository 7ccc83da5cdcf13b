//! Initial parameters: connectivity, weights and delays from the IR's initialisers (seeded), or
//! from a parameter `.npz` (`<conn>.weight`, `<conn>.delay` in ms; dense `[n_pre, n_post]`,
//! otherwise 1-D in synapse order).

use std::path::Path;

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Connection, Connectivity, Delays, Init, Network};
use rgenn_codegen::rng::{self, Rng};

use crate::data::npz::NpzFile;
use crate::error::{DataError, SimError};
use crate::sim::engine::{Engine, find};

/// Parameters of every connection, in f64, delays in ms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    /// Per connection: weights in synapse order.
    pub weights: Vec<Vec<f64>>,
    /// Per connection: delays in ms in synapse order (empty for uniform delays).
    pub delays_ms: Vec<Vec<f64>>,
}

fn values(
    init: &Init,
    n: u64,
    seed: u64,
    base_dir: &Path,
    npz_key: &str,
) -> Result<Vec<f64>, DataError> {
    let mut rng = Rng::new(seed);
    Ok(match init {
        Init::Constant(v) => vec![*v; n as usize],
        Init::Values(v) => v.clone(),
        Init::Normal { mean, sd } => (0..n).map(|_| mean + sd * rng.normal()).collect(),
        Init::Uniform { min, max } => (0..n).map(|_| min + (max - min) * rng.uniform()).collect(),
        Init::File { path, key } => {
            let path = base_dir.join(path);
            let mut f = NpzFile::open(&path)?;
            let a = f.floats(if key.is_empty() { npz_key } else { key })?;
            if a.values.len() as u64 != n {
                return Err(DataError::WrongShape {
                    path,
                    name: key.clone(),
                    expected: vec![n],
                    found: a.shape,
                });
            }
            a.values
        }
    })
}

/// The seeded initial parameters of `net`.
pub fn initial_params(net: &Network, base_dir: &Path) -> Result<Params, DataError> {
    let mut p = Params::default();
    for c in &net.connections {
        let seed = rng::stream_seed(c.seed, &c.name, "weight");
        p.weights.push(values(
            &c.weight,
            c.n_synapses,
            seed,
            base_dir,
            &format!("{}.weight", c.name),
        )?);
        p.delays_ms.push(match &c.delays {
            Delays::Uniform { .. } => Vec::new(),
            Delays::PerSynapse { init } => {
                let seed = rng::stream_seed(c.seed, &c.name, "delay");
                values(
                    init,
                    c.n_synapses,
                    seed,
                    base_dir,
                    &format!("{}.delay", c.name),
                )?
            }
        });
    }
    Ok(p)
}

/// Expected shape of a parameter array of `c`.
pub fn param_shape(net: &Network, c: &Connection) -> Vec<u64> {
    match c.connectivity {
        Connectivity::Dense => vec![net.pop(c.source).size as u64, net.pop(c.target).size as u64],
        _ => vec![c.n_synapses],
    }
}

/// Override `params` with the arrays present in a parameter `.npz` (missing ones keep their value).
pub fn read_params(net: &Network, path: &Path, params: &mut Params) -> Result<(), DataError> {
    let mut f = NpzFile::open(path)?;
    for (i, c) in net.connections.iter().enumerate() {
        let shape = param_shape(net, c);
        for (suffix, target) in [
            ("weight", &mut params.weights[i]),
            ("delay", &mut params.delays_ms[i]),
        ] {
            let name = format!("{}.{suffix}", c.name);
            if !f.has(&name) {
                continue;
            }
            if suffix == "delay" && matches!(c.delays, Delays::Uniform { .. }) {
                return Err(DataError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "`{name}` given, but connection `{}` has one fixed delay; give it per-synapse delays (e.g. `learn: [delay]` or a delay initialiser) to load them",
                        c.name
                    ),
                });
            }
            let a = f.floats(&name)?;
            if a.shape != shape {
                return Err(DataError::WrongShape {
                    path: path.to_path_buf(),
                    name,
                    expected: shape.clone(),
                    found: a.shape,
                });
            }
            if let Some(k) = a
                .values
                .iter()
                .position(|v| !v.is_finite() || (suffix == "delay" && *v < 0.0))
            {
                return Err(DataError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "`{name}[{k}]` is {}; weights must be finite and delays finite and at least 0 ms",
                        a.values[k]
                    ),
                });
            }
            *target = a.values;
        }
    }
    Ok(())
}

/// Connectivity arrays of a fixed-probability connection: `(row_start, post)`.
pub fn sparse_rows(net: &Network, c: &Connection) -> Option<(Vec<u32>, Vec<u32>)> {
    let Connectivity::FixedProbability { probability, .. } = c.connectivity else {
        return None;
    };
    let seed = rng::stream_seed(net.seed, &c.name, "connectivity");
    Some(rng::fixed_probability(
        net.pop(c.source).size,
        net.pop(c.target).size,
        probability,
        seed,
    ))
}

/// Step delay of a delay in ms: `round(d / dt)` half away from zero, clamped to `[0, max]`.
pub fn delay_steps(delay_ms: f64, dt_ms: f64, max_steps: u32) -> u32 {
    (delay_ms / dt_ms).round().clamp(0.0, max_steps as f64) as u32
}

/// Write connectivity, weights and delays (and their step delays) into any simulator.
pub fn upload<E: Engine + ?Sized>(sim: &mut E, params: &Params) -> Result<(), SimError> {
    let net = sim.network().clone();
    for (i, c) in net.connections.iter().enumerate() {
        let owner = Owner::Connection(i as u32);
        let find = |role: Role| find(&net, owner, role);
        if let Some(w) = find(Role::Weight) {
            sim.write_buffer(w, &params.weights[i])?;
        }
        if let Some(d) = find(Role::DelayMs) {
            sim.write_buffer(d, &params.delays_ms[i])?;
        }
        if let Some(d) = find(Role::DelaySteps) {
            let steps: Vec<f64> = params.delays_ms[i]
                .iter()
                .map(|&ms| delay_steps(ms, net.dt_ms, c.max_delay_steps) as f64)
                .collect();
            sim.write_buffer(d, &steps)?;
        }
        if let Some((rows, post)) = sparse_rows(&net, c) {
            let to_f = |v: Vec<u32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
            sim.write_buffer(
                find(Role::RowStart).expect("sparse connections have row starts"),
                &to_f(rows),
            )?;
            sim.write_buffer(
                find(Role::PostIndex).expect("sparse connections have post indices"),
                &to_f(post),
            )?;
        }
    }
    Ok(())
}
