//! Run every trial of a dataset through any simulator ([`Engine`]), batch by batch, and collect spikes, readouts
//! and recorded traces in the output format of `rgenn simulate`.

use std::path::Path;

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Network, Precision};

use crate::data::SpikeDataset;
use crate::data::npz::{self, OutArray};
use crate::dist::tree::Layout;
use crate::dist::{Communicator, Single, checked};
use crate::error::SimError;
use crate::passes::{batches, bin_trials, input_of};
use crate::sim::cpu::{LaneRecord, Recording, SpikeSource};
use crate::sim::engine::{Engine, find};

/// Spikes of one population over all trials.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PopSpikes {
    /// Population index.
    pub pop: usize,
    /// Spike times in ms (`step * dt`).
    pub times: Vec<f64>,
    /// Units.
    pub units: Vec<u32>,
    /// Trial `k` is `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u64>,
}

/// Everything `simulate` produces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimOutput {
    /// Spikes of every spiking population.
    pub spikes: Vec<PopSpikes>,
    /// `(population, [n_trials][size])` readouts.
    pub readouts: Vec<(usize, Vec<f64>)>,
    /// `(population, variable, [n_trials][n_steps][size])` traces.
    pub traces: Vec<(usize, u32, Vec<f64>)>,
    /// Number of trials.
    pub n_trials: usize,
}

/// Run all trials of `data` (read from `data_path`) on `sim`, a batch at a time; CPU lanes on up
/// to `threads` threads (results never depend on it).
pub fn simulate<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
) -> Result<SimOutput, SimError> {
    simulate_until(sim, data, data_path, threads, &mut || false)
}

/// [`simulate`], asking `stop` before each batch: `true` ends the pass with
/// [`SimError::Interrupted`] (e.g. on Ctrl-C).
pub fn simulate_until<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
    stop: &mut dyn FnMut() -> bool,
) -> Result<SimOutput, SimError> {
    simulate_on(sim, data, data_path, threads, stop, &Single)
}

/// [`simulate_until`] as one of the processes of `comm` (docs/distributed.md): each rank runs its
/// lanes of every batch and every rank ends with the whole output, in trial order, the same as
/// one process makes.
pub fn simulate_on<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
    stop: &mut dyn FnMut() -> bool,
    comm: &dyn Communicator,
) -> Result<SimOutput, SimError> {
    let net = sim.network().clone();
    let input = input_of(sim)?;
    let (recording, mut out) = plan(&net, data.len());
    let layout = Layout::new(net.batch_size as usize, comm.size(), 1);
    for trials in batches(data.len(), net.batch_size as usize) {
        let lanes = layout.lanes(comm.rank(), trials.len());
        let mine = trials.start + lanes.start..trials.start + lanes.end;
        let local = if stop() {
            Err(SimError::Interrupted)
        } else {
            bin_trials(&net, input, data, data_path, mine).and_then(|inputs| {
                let records = sim.run_recorded(&inputs, &recording, threads)?;
                // Readouts of all lanes are read once per batch; lanes are stored one after another.
                let mut readouts = Vec::new();
                for (pop, _) in &out.readouts {
                    let b = find(&net, Owner::Population(*pop as u32), Role::Readout)
                        .expect("readout populations have a readout buffer");
                    let size = net.populations[*pop].size as usize;
                    readouts.push(sim.read_buffer(b)?[..inputs.len() * size].to_vec());
                }
                Ok((records, readouts))
            })
        };
        let parts = if comm.size() == 1 {
            vec![local?]
        } else {
            let bytes = local.map(|(r, o)| encode(&r, &o));
            checked::all_gather(comm, bytes)?
                .iter()
                .map(|b| decode(b, &recording, out.readouts.len()))
                .collect()
        };
        for (records, readouts) in parts {
            for rec in records {
                for (s, spikes) in out.spikes.iter_mut().zip(rec.spikes) {
                    s.times
                        .extend(spikes.iter().map(|&(n, _)| n as f64 * net.dt_ms));
                    s.units.extend(spikes.iter().map(|&(_, u)| u));
                    s.offsets.push(s.units.len() as u64);
                }
                for (t, values) in out.traces.iter_mut().zip(rec.traces) {
                    t.2.extend(values);
                }
            }
            for ((_, values), part) in out.readouts.iter_mut().zip(readouts) {
                values.extend_from_slice(&part);
            }
        }
    }
    Ok(out)
}

/// One rank's records and readouts of a batch as bytes: each list as its length (u64) and its
/// items, little-endian.
fn encode(records: &[LaneRecord], readouts: &[Vec<f64>]) -> Vec<u8> {
    let mut b = Vec::new();
    let len = |b: &mut Vec<u8>, n: usize| b.extend_from_slice(&(n as u64).to_le_bytes());
    len(&mut b, records.len());
    for r in records {
        for s in &r.spikes {
            len(&mut b, s.len());
            s.iter().for_each(|&(n, u)| {
                b.extend_from_slice(&n.to_le_bytes());
                b.extend_from_slice(&u.to_le_bytes());
            });
        }
        for t in &r.traces {
            len(&mut b, t.len());
            t.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        }
    }
    for o in readouts {
        len(&mut b, o.len());
        o.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
    }
    b
}

/// [`encode`] read back, for `recording` and `n_readouts` readout populations.
fn decode(b: &[u8], recording: &Recording, n_readouts: usize) -> (Vec<LaneRecord>, Vec<Vec<f64>>) {
    let mut at = 0;
    let mut u64_ = || {
        let v = u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        at += 8;
        v
    };
    let mut records = Vec::new();
    let mut readouts = Vec::new();
    let n = u64_() as usize;
    for _ in 0..n {
        let mut r = LaneRecord::default();
        for _ in &recording.spikes {
            let k = u64_() as usize;
            r.spikes.push(
                (0..k)
                    .map(|_| {
                        let v = u64_();
                        (v as u32, (v >> 32) as u32)
                    })
                    .collect(),
            );
        }
        for _ in &recording.traces {
            let k = u64_() as usize;
            r.traces
                .push((0..k).map(|_| f64::from_bits(u64_())).collect());
        }
        records.push(r);
    }
    for _ in 0..n_readouts {
        let k = u64_() as usize;
        readouts.push((0..k).map(|_| f64::from_bits(u64_())).collect());
    }
    (records, readouts)
}

/// What to record of `net` (every spiking population's spikes and the variables it records) and
/// the empty output of `n_trials` trials that collects it.
fn plan(net: &Network, n_trials: usize) -> (Recording, SimOutput) {
    let mut recording = Recording::default();
    let mut out = SimOutput {
        n_trials,
        ..Default::default()
    };
    for (i, pop) in net.populations.iter().enumerate() {
        let owner = Owner::Population(i as u32);
        if let (Some(count), Some(units)) = (
            find(net, owner, Role::SpikeCount),
            find(net, owner, Role::Spikes),
        ) {
            recording.spikes.push(SpikeSource {
                count,
                units,
                size: pop.size,
            });
            out.spikes.push(PopSpikes {
                pop: i,
                offsets: vec![0],
                ..Default::default()
            });
        }
        for v in &pop.record {
            let b = find(net, owner, Role::Var(v.0)).expect("every variable has a buffer");
            recording.traces.push((b, pop.size));
            out.traces.push((i, v.0, Vec::new()));
        }
        if pop.readout.is_some() {
            out.readouts.push((i, Vec::new()));
        }
    }
    (recording, out)
}

/// Write `out` as the `simulate` output `.npz` (atomically).
pub fn write_output(net: &Network, out: &SimOutput, path: &Path) -> Result<(), SimError> {
    npz::write(path, &output_arrays(net, out)).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The arrays of the `simulate` output `.npz`, by name, with their shapes, in the file's order.
pub fn output_arrays(net: &Network, out: &SimOutput) -> Vec<(String, Vec<u64>, OutArray)> {
    let float = |v: &[f64]| match net.precision {
        Precision::F32 => OutArray::F32(v.iter().map(|&x| x as f32).collect()),
        Precision::F64 => OutArray::F64(v.to_vec()),
    };
    let mut arrays = Vec::new();
    for s in &out.spikes {
        let name = &net.populations[s.pop].name;
        let n = s.units.len() as u64;
        arrays.push((
            format!("{name}.times"),
            vec![n],
            OutArray::F32(s.times.iter().map(|&t| t as f32).collect()),
        ));
        arrays.push((
            format!("{name}.units"),
            vec![n],
            OutArray::U32(s.units.clone()),
        ));
        arrays.push((
            format!("{name}.offsets"),
            vec![s.offsets.len() as u64],
            OutArray::U64(s.offsets.clone()),
        ));
    }
    for (pop, values) in &out.readouts {
        let p = &net.populations[*pop];
        arrays.push((
            format!("{}.readout", p.name),
            vec![out.n_trials as u64, p.size as u64],
            float(values),
        ));
    }
    for (pop, var, values) in &out.traces {
        let p = &net.populations[*pop];
        let var_name = &net.model_of(p).vars[*var as usize];
        let shape = vec![out.n_trials as u64, net.n_steps as u64, p.size as u64];
        arrays.push((format!("{}.{var_name}", p.name), shape, float(values)));
    }
    arrays
}
