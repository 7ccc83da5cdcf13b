//! The state of a generated Rust simulator: constants, the buffer type, the `State` struct with
//! one contiguous array per IR buffer (batched buffers hold every lane one after the other, as in
//! the C++), and the views kernels work on: `Lane` (one lane's part of every batched buffer,
//! `&mut`), `Shared` (parameters and connectivity, `&`) and `Whole` (what the optimiser updates).
//!
//! All `unsafe` of the generated module that concerns memory layout lives here, in `Buf` and in
//! the three view constructors; kernels are safe code over the views' slices.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ctx::{Gen, doc, usize_lit};
use crate::backend::plan::reset::{self, ResetValue, Timing};
use crate::backend::plan::{consts, readout};
use crate::backend::shared::{copies_note, describe};
use crate::ir::buffers::{Buffer, Elem, Owner, Role};

/// True for the buffers of `Shared`: read by forward or backward kernels, written by nobody
/// while lanes run.
fn is_shared(b: &Buffer) -> bool {
    !b.batched
        && matches!(
            b.role,
            Role::Weight | Role::DelaySteps | Role::RowStart | Role::PostIndex | Role::CountGrad
        )
}

/// The buffers the optimiser of `Whole` updates: learned parameters, their Adam moments and
/// every lane of their gradients.
pub fn whole_buffers<'b>(g: &Gen<'b>) -> Vec<&'b Buffer> {
    g.net
        .buffers
        .iter()
        .filter(|b| {
            let Owner::Connection(c) = b.owner else {
                return false;
            };
            let c = &g.net.connections[c as usize];
            let learn_delay = c.trains_delay();
            match b.role {
                Role::Weight | Role::WeightGrad | Role::WeightAdamM | Role::WeightAdamV => {
                    c.learn_weight
                }
                Role::DelayMs
                | Role::DelaySteps
                | Role::DelayGrad
                | Role::DelayAdamM
                | Role::DelayAdamV => learn_delay,
                _ => false,
            }
        })
        .collect()
}

/// Constants, index functions, `Buf` and `Input`.
pub fn prelude(g: &Gen) -> TokenStream {
    let net = g.net;
    let scalar = match net.precision {
        crate::ir::Precision::F32 => quote!(f32),
        crate::ir::Precision::F64 => quote!(f64),
    };
    let (n_steps, batch, dt) = (
        proc_macro2::Literal::u32_unsuffixed(net.n_steps),
        proc_macro2::Literal::u32_unsuffixed(net.batch_size),
        g.lit(net.dt_ms),
    );
    let pops = population_consts(g);
    let lane_group = if net.lane_group > 1 {
        let n = proc_macro2::Literal::u32_unsuffixed(net.lane_group);
        quote! {
            /// Lanes `l` with the same `l / LANE_GROUP` accumulate their weight and delay gradients
            /// into one copy, one lane after the other: the group's first lane zeroes it.
            const LANE_GROUP: u32 = #n;
        }
    } else {
        TokenStream::new()
    };
    let pairs = pairs_fn(g);
    let buf = buf_type();
    let flag_chunk = usize_lit(u64::from(consts::FLAG_CHUNK));
    quote! {
        use std::cell::UnsafeCell;
        use std::ffi::{c_char, c_void};
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::time::Instant;

        /// The float type of this network.
        pub type Scalar = #scalar;
        /// Steps per trial.
        const N_STEPS: u32 = #n_steps;
        /// Batch lanes.
        const BATCH_SIZE: u32 = #batch;
        #lane_group
        /// The time step (ms).
        const DT: Scalar = #dt;
        /// Neurons per chunk of one-byte flags in the spike and reverse-spike lists (a stack array
        /// of at most this many bytes, a multiple of 8, whatever the population's size); unused
        /// in networks without spiking populations.
        #[allow(dead_code)]
        const RGENN_FLAG_CHUNK: usize = #flag_chunk;
        #pops
        /// Profiling phases (nanoseconds per lane, summed while profiling is on).
        const PHASE_DELIVER: usize = 0;
        const PHASE_UPDATE: usize = 1;
        const PHASE_BACK_SPIKES: usize = 2;
        const PHASE_BACK_UPDATE: usize = 3;
        const N_PHASES: usize = 4;

        #buf
        #pairs

        /// One lane's input spikes of a spike-source population, binned to steps: the units of step
        /// `n` are `units[step_start[n]..step_start[n + 1]]` (no input at all when empty).
        #[derive(Default)]
        struct Input {
            step_start: Vec<u32>,
            units: Vec<u32>,
        }
    }
}

/// Per population: its size constant and, where it has them, its ring and spike tape constants.
fn population_consts(g: &Gen) -> TokenStream {
    let net = g.net;
    let mut pops = TokenStream::new();
    for (i, p) in net.populations.iter().enumerate() {
        let size = g.size(i);
        let n = usize_lit(p.size as u64);
        let d = doc(&format!(
            "population \"{}\" ({}) — {}",
            p.name,
            g.model(i).name,
            p.origin
        ));
        pops.extend(quote!(#d const #size: usize = #n;));
        if p.ring_len > 0 {
            let (len, idx, n) = (g.ring_len(i), g.ring_idx(i), usize_lit(p.ring_len as u64));
            pops.extend(quote! {
                const #len: usize = #n;
                fn #idx(slot: usize, neuron: usize) -> usize {
                    slot * #size + neuron
                }
                const _: () = assert!(#len * #size < 1 << 31, "ring indices of one lane fit in 31 bits");
            });
        }
        let jump = g.model(i).threshold.is_some() && g.model(i).adjoint.is_some();
        if jump && net.has_backward() {
            let (cap, n) = (g.tape_capacity(i), usize_lit(p.spike_capacity as u64));
            pops.extend(quote!(const #cap: usize = #n;));
        }
    }
    pops
}

/// The `pairs` view of interleaved gradient histories, in networks with a backward pass and
/// connections.
fn pairs_fn(g: &Gen) -> TokenStream {
    let net = g.net;
    // Pairs of the interleaved weight_grad and delay_grad histories, for the kernels that read
    // them at every synapse of a spike: one bounds check and one load per pair.
    if net.has_backward() && !net.connections.is_empty() {
        quote! {
            /// `s` as pairs: the weight_grad and delay_grad of one neuron and step, side by side.
            fn pairs(s: &[Scalar]) -> &[[Scalar; 2]] {
                rgenn_note!("SAFETY: [Scalar; 2] is two Scalars without padding, aligned as Scalar, and the");
                rgenn_note!("len / 2 pairs lie inside `s`, borrowed for as long.");
                unsafe { std::slice::from_raw_parts(s.as_ptr().cast(), s.len() / 2) }
            }
        }
    } else {
        TokenStream::new()
    }
}

/// `Buf`: one buffer's allocation, with its part and whole views and its drop.
fn buf_type() -> TokenStream {
    quote! {
        /// One buffer: `len` elements in one allocation, reached through a raw pointer so that lanes
        /// running on different threads can each borrow their own part.
        struct Buf<T> {
            ptr: *mut T,
            len: usize,
        }

        impl<T: Copy + Default> Buf<T> {
            /// `len` default (zero) values, or a null buffer when memory runs out (see
            /// `State::new`). Not inlined: one copy serves every buffer.
            #[inline(never)]
            fn new(len: usize) -> Buf<T> {
                let mut v: Vec<T> = Vec::new();
                if v.try_reserve_exact(len).is_err() {
                    return Buf { ptr: std::ptr::null_mut(), len: 0 };
                }
                v.resize(len, T::default());
                let ptr = Box::into_raw(v.into_boxed_slice()).cast::<T>();
                Buf { ptr, len }
            }
        }

        impl<T> Buf<T> {
            /// The allocation succeeded.
            fn ok(&self) -> bool {
                !self.ptr.is_null()
            }

            /// Elements `[start, start + n)`, mutable.
            ///
            /// # Safety
            ///
            /// While the slice lives, nothing else reads or writes these elements.
            unsafe fn part_mut<'a>(&self, start: usize, n: usize) -> &'a mut [T] {
                assert!(start <= self.len && n <= self.len - start, "buffer part out of bounds");
                rgenn_note!("SAFETY: in bounds of a live allocation (checked above); exclusive by the contract.");
                unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), n) }
            }

            /// Every element, shared.
            ///
            /// # Safety
            ///
            /// While the slice lives, nothing writes the buffer.
            unsafe fn all<'a>(&self) -> &'a [T] {
                rgenn_note!("SAFETY: the whole live allocation; no writer by the contract.");
                unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
            }
        }

        impl<T> Drop for Buf<T> {
            fn drop(&mut self) {
                if self.ptr.is_null() {
                    return;
                }
                let slice = std::ptr::slice_from_raw_parts_mut(self.ptr, self.len);
                rgenn_note!("SAFETY: `ptr` and `len` come from the boxed slice made in `new`, freed only here.");
                drop(unsafe { Box::from_raw(slice) });
            }
        }
    }
}

/// True for the buffers with no allocation of their own: a population's `delay_grad` history
/// lives in its `weight_grad` history's array (see [`grad_ring_note`]).
pub fn shares_storage(b: &Buffer) -> bool {
    b.role == Role::DelayGradRing
}

/// How a population's `weight_grad` and `delay_grad` histories are laid out, as in the CPU
/// backend: one array, the two values of a neuron and step side by side (`[ring_len][size][2]`
/// per lane), so a synapse reads both from one cache line; the IR's `weight_grad_ring` buffer is
/// its first half and `delay_grad_ring` its second (as `rgenn_buffer` hands them out), and only the
/// generated code knows the layout.
pub const GRAD_RING_NOTE: &str =
    "weight_grad and delay_grad per step, interleaved [ring_len][size][2], per lane";

/// Elements of buffer `b` in one lane of the generated state (the `weight_grad` history holds
/// `delay_grad` too).
pub fn lane_len(b: &Buffer) -> u64 {
    if b.role == Role::WeightGradRing {
        2 * b.len
    } else {
        b.len
    }
}

/// The field of population `pop`'s next replayed tape step per neuron (`u32::MAX`: none left).
pub fn next_step_field(g: &Gen, pop: usize) -> proc_macro2::Ident {
    format_ident!("{}_back_next_step", g.net.populations[pop].name)
}

/// The populations with a per-neuron next replayed tape step: those that spike and have an
/// adjoint, in a network with a backward pass.
pub fn next_step_pops(g: &Gen) -> Vec<usize> {
    if !g.net.has_backward() {
        return Vec::new();
    }
    (0..g.net.populations.len())
        .filter(|&i| {
            let m = g.model(i);
            m.kind != crate::ir::ModelKind::SpikeSource
                && m.threshold.is_some()
                && m.adjoint.is_some()
        })
        .collect()
}

fn input_field(g: &Gen, pop: usize) -> proc_macro2::Ident {
    format_ident!("input_{}", g.net.populations[pop].name)
}

/// The per-lane input fields: `(field, population index)`.
pub fn inputs(g: &Gen) -> Vec<(proc_macro2::Ident, usize)> {
    (0..g.net.populations.len())
        .filter(|&i| g.is_source(i))
        .map(|i| (input_field(g, i), i))
        .collect()
}

/// `State`, its constructor and the view constructors; the view structs.
pub fn state(g: &Gen) -> TokenStream {
    let allow = g.allow_case();
    let (fields, init, checks) = state_fields(g);
    let (lane_fields, lane_init) = lane_view(g);
    let (shared_fields, shared_init) = shared_view(g);
    let (whole, whole_fn) = whole_view(g);
    let group_gradients = group_gradients_fn(g);
    quote! {
        /// The simulator's state: every buffer of the network, batch lanes one after the other.
        #allow
        struct State {
            /// Profiling is on.
            profiling: AtomicBool,
            /// The backward pass accumulates only the gradients training reads
            /// (`rgenn_set_learned_only`).
            learned_only: AtomicBool,
            /// Nanoseconds per lane and phase since the last read.
            profile: Box<[[AtomicU64; N_PHASES]]>,
            #fields
        }

        /// One batch lane's part of every per-lane buffer.
        #allow
        struct Lane<'a> { #lane_fields }

        /// The buffers every lane reads and nobody writes while lanes run.
        #allow
        struct Shared<'a> { #shared_fields }

        #whole

        impl State {
            /// A zeroed state, or `None` when memory runs out.
            fn new() -> Option<State> {
                let rgenn_s = State {
                    profiling: AtomicBool::new(false),
                    learned_only: AtomicBool::new(false),
                    profile: (0..BATCH_SIZE).map(|_| Default::default()).collect(),
                    #init
                };
                let rgenn_ok = #(#checks)&&*;
                rgenn_ok.then_some(rgenn_s)
            }

            /// Lane `lane`'s view.
            ///
            /// # Safety
            ///
            /// `lane < BATCH_SIZE`, and nothing else uses this lane while the view lives.
            unsafe fn lane(&self, lane: u32) -> Lane<'_> {
                let rgenn_b = lane as usize;
                rgenn_note!("SAFETY: each field is a different allocation, and lane b's part of it is");
                rgenn_note!("[b * len, (b + 1) * len): disjoint from every other lane's; exclusive by the contract.");
                unsafe { Lane { #lane_init } }
            }

            /// The shared buffers.
            ///
            /// # Safety
            ///
            /// Nothing writes them while the view lives (the optimiser and the host only write
            /// them between runs).
            unsafe fn shared(&self) -> Shared<'_> {
                rgenn_note!("SAFETY: read-only while lanes run, by the contract.");
                unsafe { Shared { #shared_init } }
            }

            #whole_fn

            #group_gradients

            /// The time now, when profiling.
            fn clock(&self) -> Option<Instant> {
                self.profiling.load(Ordering::Relaxed).then(Instant::now)
            }

            /// Add the time from `from` to `to` to `phase` of `lane`.
            fn record(&self, lane: u32, phase: usize, from: Option<Instant>, to: Option<Instant>) {
                if let (Some(a), Some(b)) = (from, to) {
                    let ns = b.duration_since(a).as_nanos() as u64;
                    self.profile[lane as usize][phase].fetch_add(ns, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The `State` fields of every buffer, next-step array and input, their initialisers in
/// `State::new` and the allocation checks.
fn state_fields(g: &Gen) -> (TokenStream, TokenStream, Vec<TokenStream>) {
    let net = g.net;
    let mut fields = TokenStream::new();
    let mut init = TokenStream::new();
    let mut checks = Vec::new();
    for b in net.buffers.iter().filter(|b| !shares_storage(b)) {
        let (name, t) = (format_ident!("{}", b.name), g.elem(b.elem));
        let total = usize_lit(lane_len(b) * net.copies(b));
        let d = if b.role == Role::WeightGradRing {
            doc(GRAD_RING_NOTE)
        } else {
            doc(&format!("{}{}", describe(b.role), copies_note(net, b)))
        };
        fields.extend(quote!(#d #name: Buf<#t>,));
        init.extend(quote!(#name: Buf::new(#total),));
        checks.push(quote!(rgenn_s.#name.ok()));
    }
    for pi in next_step_pops(g) {
        let (name, size) = (next_step_field(g, pi), g.size(pi));
        let d = doc(&format!(
            "step of each neuron of \"{}\"'s next unreplayed tape entry (`u32::MAX`: none), per lane",
            net.populations[pi].name
        ));
        fields.extend(quote!(#d #name: Buf<u32>,));
        init.extend(quote!(#name: Buf::new(BATCH_SIZE as usize * #size),));
        checks.push(quote!(rgenn_s.#name.ok()));
    }
    for (field, pop) in inputs(g) {
        let d = doc(&format!(
            "input spikes of \"{}\", per lane",
            net.populations[pop].name
        ));
        fields.extend(quote!(#d #field: Box<[UnsafeCell<Input>]>,));
        init.extend(quote!(#field: (0..BATCH_SIZE).map(|_| UnsafeCell::default()).collect(),));
    }
    (fields, init, checks)
}

/// True for a buffer held once per lane group (`lane_group:` above 1): the gradients, shared by
/// the lanes of a group, so not part of the lane's own view.
fn grouped(g: &Gen, b: &Buffer) -> bool {
    g.net.lane_group > 1 && b.batched && b.role.per_lane_group()
}

/// `State::group_gradients`, which points a lane's view at its group's gradient copies (only with
/// `lane_group:` above 1).
fn group_gradients_fn(g: &Gen) -> TokenStream {
    let mut init = TokenStream::new();
    for b in g.net.buffers.iter().filter(|b| grouped(g, b)) {
        let (name, n) = (format_ident!("{}", b.name), usize_lit(b.len));
        init.extend(quote!(rgenn_l.#name = unsafe { self.#name.part_mut(rgenn_c * #n, #n) };));
    }
    if init.is_empty() {
        return TokenStream::new();
    }
    quote! {
        /// Point `rgenn_l`, lane `lane`'s view, at its group's gradient copies.
        ///
        /// # Safety
        ///
        /// `lane < BATCH_SIZE`, and no other view of the group's gradients lives meanwhile: a
        /// group's lanes run their adjoint passes one after the other.
        unsafe fn group_gradients<'a>(&'a self, lane: u32, rgenn_l: &mut Lane<'a>) {
            let rgenn_c = (lane / LANE_GROUP) as usize;
            rgenn_note!("SAFETY: in bounds (checked by part_mut); exclusive by the contract.");
            #init
        }
    }
}

/// The fields of `Lane` and their initialisers in `State::lane`.
fn lane_view(g: &Gen) -> (TokenStream, TokenStream) {
    let net = g.net;
    let (mut lane_fields, mut lane_init) = (TokenStream::new(), TokenStream::new());
    for b in net
        .buffers
        .iter()
        .filter(|b| b.batched && !shares_storage(b))
    {
        let (name, t, n) = (
            format_ident!("{}", b.name),
            g.elem(b.elem),
            usize_lit(lane_len(b)),
        );
        lane_fields.extend(quote!(#name: &'a mut [#t],));
        if grouped(g, b) {
            // the group's copy, attached by `State::group_gradients` for the adjoint pass only
            lane_init.extend(quote!(#name: &mut [],));
            continue;
        }
        let start = if b.len == 1 {
            quote!(rgenn_b)
        } else {
            quote!(rgenn_b * #n)
        };
        lane_init.extend(quote!(#name: self.#name.part_mut(#start, #n),));
    }
    for pi in next_step_pops(g) {
        let (name, size) = (next_step_field(g, pi), g.size(pi));
        lane_fields.extend(quote!(#name: &'a mut [u32],));
        lane_init.extend(quote!(#name: self.#name.part_mut(rgenn_b * #size, #size),));
    }
    for (field, _) in inputs(g) {
        lane_fields.extend(quote!(#field: &'a mut Input,));
        lane_init.extend(quote!(#field: &mut *self.#field[rgenn_b].get(),));
    }
    (lane_fields, lane_init)
}

/// The fields of `Shared` and their initialisers in `State::shared`.
fn shared_view(g: &Gen) -> (TokenStream, TokenStream) {
    let net = g.net;
    let (mut shared_fields, mut shared_init) = (TokenStream::new(), TokenStream::new());
    for b in net.buffers.iter().filter(|b| is_shared(b)) {
        let (name, t) = (format_ident!("{}", b.name), g.elem(b.elem));
        shared_fields.extend(quote!(#name: &'a [#t],));
        shared_init.extend(quote!(#name: self.#name.all(),));
    }
    (shared_fields, shared_init)
}

/// The `Whole` struct and `State::whole`, both empty in networks with nothing to learn.
fn whole_view(g: &Gen) -> (TokenStream, TokenStream) {
    let allow = g.allow_case();
    let (mut whole_fields, mut whole_init) = (TokenStream::new(), TokenStream::new());
    for b in whole_buffers(g) {
        let (name, t) = (format_ident!("{}", b.name), g.elem(b.elem));
        whole_fields.extend(quote!(#name: &'a mut [#t],));
        whole_init.extend(quote!(#name: self.#name.part_mut(0, self.#name.len),));
    }
    let whole = if whole_buffers(g).is_empty() {
        TokenStream::new()
    } else {
        quote! {
            /// The buffers the optimiser updates, every lane.
            #allow
            struct Whole<'a> { #whole_fields }
        }
    };
    let whole_fn = if whole_buffers(g).is_empty() {
        TokenStream::new()
    } else {
        quote! {
            /// The optimiser's view.
            ///
            /// # Safety
            ///
            /// Nothing else uses the state while the view lives.
            unsafe fn whole(&self) -> Whole<'_> {
                rgenn_note!("SAFETY: each field is a different allocation; exclusive by the contract.");
                unsafe { Whole { #whole_init } }
            }
        }
    };
    (whole, whole_fn)
}

/// The value every element of a lane of `b` is reset to, or `None` (see `shared::reset_value`).
fn reset_tokens(g: &Gen, b: &Buffer) -> Option<TokenStream> {
    let value = reset::value(g.net, b)?;
    // As on the CPU (`plan::reset::timing`); gradients are zeroed in `begin_backward`.
    if reset::timing(b) != Timing::Trial {
        return None;
    }
    Some(match value {
        ResetValue::Zero => match b.elem {
            Elem::Scalar => g.lit(0.0),
            Elem::U32 | Elem::U16 => quote!(0),
        },
        ResetValue::Init(v) => g.lit(v),
        ResetValue::NegInfinity => quote!(-Scalar::INFINITY),
        ResetValue::Infinity => quote!(Scalar::INFINITY),
        ResetValue::NoStep => quote!(u32::MAX),
    })
}

/// `reset_lane` and `finish_lane`.
pub fn lane_functions(g: &Gen) -> TokenStream {
    let mut resets = TokenStream::new();
    for b in g.net.buffers.iter().filter(|b| b.batched) {
        if let Some(v) = reset_tokens(g, b) {
            let name = format_ident!("{}", b.name);
            resets.extend(quote!(rgenn_l.#name.fill(#v);));
        }
    }
    let mut finish = TokenStream::new();
    for b in g
        .net
        .buffers
        .iter()
        .filter(|b| b.batched && b.role == Role::Readout)
    {
        let Owner::Population(i) = b.owner else {
            continue;
        };
        if readout::finishes(&g.net.populations[i as usize]) {
            let name = format_ident!("{}", b.name);
            finish.extend(quote! {
                for rgenn_x in rgenn_l.#name.iter_mut() {
                    *rgenn_x /= N_STEPS as Scalar;
                }
            });
        }
    }
    let finish_param = if finish.is_empty() {
        quote!(_rgenn_l: &mut Lane<'_>)
    } else {
        quote!(rgenn_l: &mut Lane<'_>)
    };
    quote! {
        /// Every per-lane buffer back to its value at the start of a trial (input spikes are kept).
        fn reset_lane(rgenn_l: &mut Lane<'_>) {
            #resets
        }

        /// The end of a trial: `mean` and `mean_exp` readouts divided by the number of steps.
        fn finish_lane(#finish_param) {
            #finish
        }
    }
}
