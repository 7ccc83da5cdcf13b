//! A safe handle on a loaded simulator: buffers as typed slices, lanes run on several threads.

use std::ffi::c_void;
use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::backend::plan::status;
use rgenn_codegen::ir::{Buffer, Elem, Network, Precision};

mod engine_impl;
mod lanes;
mod optimizer;
mod profiling;

use crate::build::cache;
use crate::build::library::{EntryPoints, Library};
use crate::error::{BuildError, SimError};

/// One trial's input spikes for the spike-source population, already binned to steps:
/// `step_start[n]..step_start[n + 1]` are the units firing in step `n` (each at most once).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrialInput {
    /// First spike of every step, `n_steps + 1` entries.
    pub step_start: Vec<u32>,
    /// Units in step order.
    pub units: Vec<u32>,
}

/// Spikes of one population to record: buffer indices of its spike count and spike list.
#[derive(Clone, Debug)]
pub struct SpikeSource {
    /// Buffer index of the per-lane spike count.
    pub count: usize,
    /// Buffer index of the per-lane spike list.
    pub units: usize,
    /// Population size.
    pub size: u32,
}

/// What to record while running lanes.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Populations whose spikes are recorded.
    pub spikes: Vec<SpikeSource>,
    /// `(buffer index, population size)` of variables recorded every step.
    pub traces: Vec<(usize, u32)>,
}

/// What one lane recorded in one trial.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneRecord {
    /// Per recorded population: `(step, unit)` of every spike, in step order.
    pub spikes: Vec<Vec<(u32, u32)>>,
    /// Per recorded variable: `[n_steps][size]` values, flattened.
    pub traces: Vec<Vec<f64>>,
}

/// A typed view of one buffer.
pub enum View<'a> {
    /// f32 scalars.
    F32(&'a mut [f32]),
    /// f64 scalars.
    F64(&'a mut [f64]),
    /// u32 values.
    U32(&'a mut [u32]),
    /// u16 values.
    U16(&'a mut [u16]),
}

/// A loaded simulator of one network.
pub struct Simulator {
    pub(crate) lib: Library,
    pub(crate) handle: *mut c_void,
    net: Network,
    /// Source population fed by datasets.
    pub input_pop: Option<usize>,
    /// Input spikes set on each lane for its current trial.
    input_counts: Vec<u64>,
    /// The backward pass accumulates only learned gradients (see [`Simulator::set_learned_only`]).
    learned_only: bool,
}

// SAFETY: the handle is owned by this struct; the generated functions touch only the state of the
// lane they are given, and `&mut self` methods serialise everything else.
unsafe impl Send for Simulator {}

#[derive(Clone, Copy)]
pub(crate) struct Handle(pub(crate) *mut c_void);

impl Handle {
    pub(crate) fn get(&self) -> *mut c_void {
        self.0
    }
}
// SAFETY: used only to run distinct lanes on distinct threads (see `Simulator::run_lanes`) and to
// sum disjoint blocks of lane gradients on distinct threads (the CPU optimiser step).
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Simulator {
    /// Build (or reuse from the cache) and load the CPU simulator of `net`.
    pub fn build(net: &Network) -> Result<Simulator, BuildError> {
        let built = cache::build(net, Backend::Cpu)?;
        Self::load(net, &built.library, &built.cache_key)
    }

    /// Build (or reuse from the cache) and load the simulator of `net` for `backend`: `cpu` (the
    /// C++ kernels) or `rust` (the same kernels as Rust, built with rustc; identical results).
    /// The `cuda` backend runs behind its own handle, [`crate::sim::cuda::CudaSimulator`].
    pub fn build_with(net: &Network, backend: Backend) -> Result<Simulator, BuildError> {
        if backend == Backend::Cuda {
            return Err(BuildError::WrongHandle {
                backend: backend.name(),
                handle: "rgenn_runtime::sim::cuda::CudaSimulator",
            });
        }
        let built = cache::build(net, backend)?;
        Self::load(net, &built.library, &built.cache_key)
    }

    /// Load an already built library.
    pub fn load(net: &Network, library: &Path, cache_key: &str) -> Result<Simulator, BuildError> {
        let lib = Library::load(library, cache_key)?;
        Self::start(net, lib).map_err(|message| BuildError::Load {
            path: library.to_path_buf(),
            message,
        })
    }

    /// Drive a simulator linked into this program (see [`EntryPoints`]) whose IR is `net` and whose
    /// sources were generated with `cache_key`.
    pub fn from_entry_points(
        net: &Network,
        entry: EntryPoints,
        cache_key: &str,
    ) -> Result<Simulator, BuildError> {
        let linked = |message: String| BuildError::Linked {
            network: net.name.clone(),
            message,
        };
        let lib = Library::linked(entry, cache_key).map_err(linked)?;
        Self::start(net, lib).map_err(linked)
    }

    fn start(net: &Network, lib: Library) -> Result<Simulator, String> {
        // SAFETY: `create` allocates a fresh state and returns null on failure.
        let handle = unsafe { (lib.create)() };
        if handle.is_null() {
            return Err("out of memory creating the simulator state".into());
        }
        let input_pop = net
            .populations
            .iter()
            .position(|p| net.model_of(p).kind == rgenn_codegen::ir::ModelKind::SpikeSource);
        let mut sim = Simulator {
            lib,
            handle,
            net: net.clone(),
            input_pop,
            input_counts: vec![0; net.batch_size as usize],
            learned_only: false,
        };
        for lane in 0..net.batch_size {
            sim.reset(lane);
        }
        Ok(sim)
    }

    /// The network this simulator runs.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// With `on`, later backward passes accumulate only the gradients of learned weights and
    /// delays, the ones training reads (the learned ones come out bit for bit the same); every
    /// other gradient then reads zero in every lane. Off (the default), every gradient is
    /// accumulated, as `rgenn grad` reports them.
    pub fn set_learned_only(&mut self, on: bool) {
        if self.learned_only != on {
            // SAFETY: valid handle; `&mut self` means no lane runs.
            unsafe { (self.lib.set_learned_only)(self.handle, i32::from(on)) };
            self.learned_only = on;
        }
    }

    /// Index of the buffer called `name`.
    pub fn buffer_index(&self, name: &str) -> Option<usize> {
        self.net.buffers.iter().position(|b| b.name == name)
    }

    /// Mutable typed access to buffer `index` (all lanes).
    pub fn view(&mut self, index: usize) -> View<'_> {
        let b: &Buffer = &self.net.buffers[index];
        let len = (b.len * self.net.copies(b)) as usize;
        // SAFETY: `rgenn_buffer` returns the start of a live std::vector of exactly `len` elements of
        // the buffer's element type (generated from the same IR); `&mut self` makes the borrow unique.
        unsafe {
            let ptr = (self.lib.buffer)(self.handle, index as u32);
            assert!(
                !ptr.is_null() || len == 0,
                "generated simulator has no buffer {index}"
            );
            if len == 0 {
                return match (b.elem, self.net.precision) {
                    (Elem::Scalar, Precision::F32) => View::F32(&mut []),
                    (Elem::Scalar, Precision::F64) => View::F64(&mut []),
                    (Elem::U32, _) => View::U32(&mut []),
                    (Elem::U16, _) => View::U16(&mut []),
                };
            }
            match (b.elem, self.net.precision) {
                (Elem::Scalar, Precision::F32) => {
                    View::F32(std::slice::from_raw_parts_mut(ptr.cast(), len))
                }
                (Elem::Scalar, Precision::F64) => {
                    View::F64(std::slice::from_raw_parts_mut(ptr.cast(), len))
                }
                (Elem::U32, _) => View::U32(std::slice::from_raw_parts_mut(ptr.cast(), len)),
                (Elem::U16, _) => View::U16(std::slice::from_raw_parts_mut(ptr.cast(), len)),
            }
        }
    }

    /// Buffer `index` as f64 values (scalars converted exactly from f32).
    pub fn read_f64(&mut self, index: usize) -> Vec<f64> {
        match self.view(index) {
            View::F32(x) => x.iter().map(|&v| v as f64).collect(),
            View::F64(x) => x.to_vec(),
            View::U32(x) => x.iter().map(|&v| v as f64).collect(),
            View::U16(x) => x.iter().map(|&v| v as f64).collect(),
        }
    }

    /// Write f64 values into buffer `index` (rounded to the buffer's type).
    pub fn write_f64(&mut self, index: usize, values: &[f64]) {
        match self.view(index) {
            View::F32(x) => x.iter_mut().zip(values).for_each(|(d, &s)| *d = s as f32),
            View::F64(x) => x.copy_from_slice(values),
            View::U32(x) => x.iter_mut().zip(values).for_each(|(d, &s)| *d = s as u32),
            View::U16(x) => x.iter_mut().zip(values).for_each(|(d, &s)| *d = s as u16),
        }
    }

    /// Reset one lane's state to its initial values.
    pub fn reset(&mut self, lane: u32) {
        assert!(lane < self.net.batch_size, "lane {lane} out of range");
        // SAFETY: valid handle, lane checked.
        unsafe { (self.lib.reset)(self.handle, lane) }
    }

    /// Set one lane's input spikes.
    pub fn set_input(&mut self, lane: u32, input: &TrialInput) -> Result<(), SimError> {
        let pop = crate::sim::engine::input_population(self.input_pop)?;
        crate::sim::engine::check_input(&self.net, input)?;
        // SAFETY: the slices outlive the call; the generated code copies them.
        let rc = unsafe {
            (self.lib.set_input)(
                self.handle,
                pop as u32,
                lane,
                input.step_start.as_ptr(),
                input.units.as_ptr(),
                input.units.len() as u64,
            )
        };
        match rc {
            0 => {
                self.input_counts[lane as usize] = input.units.len() as u64;
                Ok(())
            }
            status::RGENN_ERR_LANE => Err(SimError::Network(format!("lane {lane} out of range"))),
            status::RGENN_ERR_UNIT => Err(SimError::Network(format!(
                "an input unit is outside population `{}` (size {})",
                self.net.populations[pop].name, self.net.populations[pop].size
            ))),
            status::RGENN_ERR_INPUT => Err(SimError::Network(
                "the input's step starts decrease or exceed its number of spikes".into(),
            )),
            _ => Err(SimError::Network(
                "input population rejected by the simulator".into(),
            )),
        }
    }

    /// Run every step of a trial on each of `lanes` (inputs set and lanes reset beforehand),
    /// spreading the lanes over up to `threads` threads, and record what `what` asks for after
    /// every step. Lanes are independent, so the result does not depend on `threads`.
    pub fn run_lanes(
        &mut self,
        lanes: &[u32],
        threads: usize,
        what: &Recording,
    ) -> Vec<LaneRecord> {
        let ptr = |i: usize| Handle(unsafe { (self.lib.buffer)(self.handle, i as u32) });
        let spikes: Vec<(Handle, Handle, u64)> = what
            .spikes
            .iter()
            .map(|s| (ptr(s.count), ptr(s.units), s.size as u64))
            .collect();
        let traces: Vec<(Handle, u64)> = what
            .traces
            .iter()
            .map(|&(i, size)| (ptr(i), size as u64))
            .collect();
        let precision = self.net.precision;
        let handle = Handle(self.handle);
        let (step, finish) = (self.lib.step, self.lib.finish_trial);
        let n_steps = self.net.n_steps;
        let run = |lane: u32| {
            let mut rec = LaneRecord {
                spikes: vec![Vec::new(); spikes.len()],
                traces: vec![Vec::new(); traces.len()],
            };
            for n in 0..n_steps {
                // SAFETY: each lane is run by exactly one thread; lanes share only read-only data,
                // and the lane's own regions of the spike and trace buffers are read only here.
                unsafe {
                    step(handle.get(), lane, n);
                    for (k, (count, units, size)) in spikes.iter().enumerate() {
                        let c = *(count.get() as *const u32).add(lane as usize);
                        let base = (units.get() as *const u32).add((lane as u64 * size) as usize);
                        rec.spikes[k].extend((0..c as usize).map(|j| (n, *base.add(j))));
                    }
                    for (k, (buf, size)) in traces.iter().enumerate() {
                        let off = (lane as u64 * size) as usize;
                        match precision {
                            Precision::F32 => {
                                let b = (buf.get() as *const f32).add(off);
                                rec.traces[k].extend((0..*size as usize).map(|j| *b.add(j) as f64));
                            }
                            Precision::F64 => {
                                let b = (buf.get() as *const f64).add(off);
                                rec.traces[k].extend((0..*size as usize).map(|j| *b.add(j)));
                            }
                        }
                    }
                }
            }
            // SAFETY: as above.
            unsafe { finish(handle.get(), lane) };
            rec
        };
        for_lanes(lanes, threads, run)
    }

    /// Forward synaptic events of the trials just run on `lanes`: every spike times the number of
    /// synapses leaving its neuron (on average, for random connectivity). Spikes of neuron
    /// populations come from their spike tapes, so only networks with an adjoint pass count them.
    pub fn forward_events(&mut self, lanes: &[u32]) -> u64 {
        self.lane_events(lanes, true).iter().sum::<f64>() as u64
    }

    /// Synaptic events of each of `lanes` (in that order): the input spikes set on the lane, and
    /// with `recorded` also the spikes its last trial left on the spike tapes, each times the
    /// number of synapses leaving its neuron. A lane's simulation time grows with it.
    pub(crate) fn lane_events(&mut self, lanes: &[u32], recorded: bool) -> Vec<f64> {
        use rgenn_codegen::ir::buffers::{Owner, Role};
        let net = self.net.clone();
        let mut events = vec![0.0; lanes.len()];
        for (i, pop) in net.populations.iter().enumerate() {
            let degree: f64 = pop
                .outgoing
                .iter()
                .map(|&c| net.conn(c).n_synapses as f64 / pop.size.max(1) as f64)
                .sum();
            if degree == 0.0 {
                continue;
            }
            let spikes: Vec<f64> = if Some(i) == self.input_pop {
                lanes
                    .iter()
                    .map(|&l| self.input_counts[l as usize] as f64)
                    .collect()
            } else if let Some(b) = recorded
                .then(|| {
                    crate::sim::engine::find(&net, Owner::Population(i as u32), Role::TapeCount)
                })
                .flatten()
            {
                let counts = self.read_f64(b);
                let size = pop.size as usize;
                lanes
                    .iter()
                    .map(|&l| {
                        counts[l as usize * size..(l as usize + 1) * size]
                            .iter()
                            .sum::<f64>()
                    })
                    .collect()
            } else {
                continue;
            };
            for (e, s) in events.iter_mut().zip(spikes) {
                *e += s * degree;
            }
        }
        events
    }

    /// Advance one lane by one step (for callers that observe every step).
    pub fn step(&mut self, lane: u32, step: u32) {
        assert!(lane < self.net.batch_size && step < self.net.n_steps);
        // SAFETY: valid handle, lane and step checked.
        unsafe { (self.lib.step)(self.handle, lane, step) }
    }

    /// Finish a lane's trial (final readout values).
    pub fn finish_trial(&mut self, lane: u32) {
        assert!(lane < self.net.batch_size);
        // SAFETY: valid handle, lane checked.
        unsafe { (self.lib.finish_trial)(self.handle, lane) }
    }
}

/// Run `run` for every lane, spreading contiguous chunks of `lanes` over up to `threads` threads;
/// results come back in the order of `lanes`.
pub(crate) fn for_lanes<T: Send>(
    lanes: &[u32],
    threads: usize,
    run: impl Fn(u32) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, lanes.len().max(1));
    if threads == 1 {
        return lanes.iter().map(|&l| run(l)).collect();
    }
    let chunk = lanes.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .chunks(chunk)
            .map(|part| {
                let run = &run;
                scope.spawn(move || part.iter().map(|&l| run(l)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a simulation thread panicked"))
            .collect()
    })
}

/// Run `f` on every item on up to `threads` threads, each thread taking the next item not yet
/// started, and return the results in item order.
pub(crate) fn for_each_balanced<I: Sync, T: Send>(
    items: &[I],
    threads: usize,
    f: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let order: Vec<usize> = (0..items.len()).collect();
    run_balanced(items, &order, threads, f)
}

/// [`for_each_balanced`] starting the items in `order` (positions into `items`, each once);
/// the results still come back in item order.
pub(crate) fn run_balanced<I: Sync, T: Send>(
    items: &[I],
    order: &[usize],
    threads: usize,
    f: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (f, next) = (&f, &next);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    while let Some(&k) =
                        order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        out.push((k, f(&items[k])));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a simulation thread panicked"))
            .collect()
    });
    done.sort_by_key(|&(k, _)| k);
    done.into_iter().map(|(_, t)| t).collect()
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // SAFETY: the handle came from `create` and is destroyed once.
        unsafe { (self.lib.destroy)(self.handle) }
    }
}
