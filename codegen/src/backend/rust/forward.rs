//! Forward kernels of the `rust` backend: spike delivery per connection, neuron update per
//! population, input spikes per spike source. Each is safe Rust over one lane's view and mirrors
//! the CPU backend's kernel of the same name statement by statement, so results are bit-identical.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::ctx::{Gen, doc, note, usize_lit};
use super::print::{SymKey, assigned_syms, read_syms, read_syms_expr};
use super::state::inputs;
use crate::backend::shared::origin_text;
use crate::ir::buffers::Role;
use crate::ir::{Connection, Connectivity, Delays, Readout};

/// Posts per block of a dense row's delivery with per-synapse delays (the row, or this when it is
/// longer), as in the CPU backend.
const MAX_BLOCK: u32 = 512;

/// `rgenn_slot = rgenn_pos + delay`, wrapped once around the ring.
pub fn wrap_slot(g: &Gen, target: usize, delay: TokenStream) -> TokenStream {
    let len = g.ring_len(target);
    quote! {
        let mut rgenn_slot = rgenn_pos + #delay;
        if rgenn_slot >= #len {
            rgenn_slot -= #len;
        }
    }
}

/// `rgenn_slot` for a delay of `steps` steps, the same for every synapse.
pub fn uniform_slot(g: &Gen, target: usize, steps: u32) -> TokenStream {
    if steps == 0 {
        quote!(let rgenn_slot = rgenn_pos;)
    } else {
        wrap_slot(g, target, usize_lit(steps as u64).into_token_stream())
    }
}

/// A one-line description of a connection, for comments.
pub fn describe_conn(g: &Gen, c: &Connection) -> String {
    let (src, tgt) = (g.net.pop(c.source), g.net.pop(c.target));
    let kind = match c.connectivity {
        Connectivity::Dense => "dense".to_string(),
        Connectivity::OneToOne => "one-to-one".to_string(),
        Connectivity::FixedProbability { probability, .. } => {
            format!("fixed probability {probability}")
        }
    };
    let delay = match &c.delays {
        Delays::Uniform { steps } => format!("delay {steps} steps"),
        Delays::PerSynapse { .. } => {
            format!("per-synapse delays up to {} steps", c.max_delay_steps)
        }
    };
    format!(
        "connection \"{}\": {} -> {}, {kind}, {delay} — {}",
        c.name, src.name, tgt.name, c.origin
    )
}

/// `k_deliver_<conn>`: add the weights of the spikes of step n-1 to the target's ring.
fn deliver(g: &Gen, ci: usize) -> TokenStream {
    let c = &g.net.connections[ci];
    let (src, tgt) = (c.source.0 as usize, c.target.0 as usize);
    let name = format_ident!("k_deliver_{}", c.name);
    let d = doc(&describe_conn(g, c));
    let (count, spikes) = (
        g.pop_buf(src, Role::SpikeCount),
        g.pop_buf(src, Role::Spikes),
    );
    let ring = g.pop_buf(tgt, Role::Ring);
    let (size, ring_len, idx) = (g.size(tgt), g.ring_len(tgt), g.ring_idx(tgt));
    let w = g.conn_buf(ci, Role::Weight);
    let per_synapse = matches!(c.delays, Delays::PerSynapse { .. });
    let steps = per_synapse.then(|| g.conn_buf(ci, Role::DelaySteps));
    let uniform = match &c.delays {
        Delays::Uniform { steps } => {
            let slot = uniform_slot(g, tgt, *steps);
            quote! {
                #slot
                let rgenn_row = &mut rgenn_ring[#idx(rgenn_slot, 0)..][..#size];
            }
        }
        Delays::PerSynapse { .. } => TokenStream::new(),
    };
    let body = match (&c.connectivity, &steps) {
        (Connectivity::Dense, Some(steps)) => {
            let block = usize_lit(u64::from(g.net.pop(c.target).size.clamp(1, MAX_BLOCK)));
            let n = note(
                "a block of the row at a time: first every ring index (no branch, vectorises), then the",
            );
            let n2 = note("additions, whose loads the processor can keep in flight together");
            quote! {
                let rgenn_w = &rgenn_g.#w[rgenn_pre * #size..][..#size];
                let rgenn_d = &rgenn_g.#steps[rgenn_pre * #size..][..#size];
                #n
                #n2
                for (rgenn_b, (rgenn_wb, rgenn_db)) in rgenn_w.chunks(#block).zip(rgenn_d.chunks(#block)).enumerate() {
                    let rgenn_first = rgenn_b * #block;
                    let mut rgenn_at = [0u32; #block];
                    for (rgenn_q, (rgenn_a, &rgenn_dk)) in rgenn_at.iter_mut().zip(rgenn_db).enumerate() {
                        let mut rgenn_slot = rgenn_pos_minus_len + rgenn_dk as i32;
                        rgenn_slot += if rgenn_slot < 0 { #ring_len as i32 } else { 0 };
                        *rgenn_a = #idx(rgenn_slot as usize, rgenn_first + rgenn_q) as u32;
                    }
                    for (&rgenn_a, &rgenn_wk) in rgenn_at.iter().zip(rgenn_wb) {
                        rgenn_ring[rgenn_a as usize] += rgenn_wk;
                    }
                }
            }
        }
        (Connectivity::Dense, None) => quote! {
            let rgenn_w = &rgenn_g.#w[rgenn_pre * #size..][..#size];
            for (rgenn_x, rgenn_wk) in rgenn_row.iter_mut().zip(rgenn_w) {
                *rgenn_x += *rgenn_wk;
            }
        },
        (Connectivity::OneToOne, Some(steps)) => {
            let slot = wrap_slot(g, tgt, quote!(rgenn_g.#steps[rgenn_pre] as usize));
            quote! {
                #slot
                rgenn_ring[#idx(rgenn_slot, rgenn_pre)] += rgenn_g.#w[rgenn_pre];
            }
        }
        (Connectivity::OneToOne, None) => quote! {
            rgenn_row[rgenn_pre] += rgenn_g.#w[rgenn_pre];
        },
        (Connectivity::FixedProbability { .. }, steps) => {
            let (row_start, post) = (
                g.conn_buf(ci, Role::RowStart),
                g.conn_buf(ci, Role::PostIndex),
            );
            let add = match steps {
                Some(steps) => {
                    let slot = wrap_slot(g, tgt, quote!(rgenn_g.#steps[rgenn_syn] as usize));
                    quote! {
                        #slot
                        rgenn_ring[#idx(rgenn_slot, rgenn_post)] += rgenn_g.#w[rgenn_syn];
                    }
                }
                None => quote!(rgenn_row[rgenn_post] += rgenn_g.#w[rgenn_syn];),
            };
            quote! {
                let rgenn_start = rgenn_g.#row_start[rgenn_pre] as usize;
                let rgenn_end = rgenn_g.#row_start[rgenn_pre + 1] as usize;
                for rgenn_syn in rgenn_start..rgenn_end {
                    let rgenn_post = rgenn_g.#post[rgenn_syn] as usize;
                    #add
                }
            }
        }
    };
    let pos_minus_len = if per_synapse && c.connectivity == Connectivity::Dense {
        let n = note(
            "arrival slot (pos + k) mod ring_len, as pos - ring_len + k plus ring_len when negative",
        );
        quote! {
            #n
            let rgenn_pos_minus_len = rgenn_pos as i32 - #ring_len as i32;
        }
    } else {
        TokenStream::new()
    };
    let allow = g.allow_case();
    let allow_ring = g.allow_ring(tgt);
    quote! {
        #d
        #allow
        #allow_ring
        fn #name(rgenn_l: &mut Lane<'_>, rgenn_g: &Shared<'_>, rgenn_step: u32) {
            let rgenn_spikes = &rgenn_l.#spikes[..rgenn_l.#count[0] as usize];
            let rgenn_ring = &mut *rgenn_l.#ring;
            let rgenn_pos = rgenn_step as usize % #ring_len;
            #uniform
            #pos_minus_len
            for &rgenn_pre in rgenn_spikes {
                let rgenn_pre = rgenn_pre as usize;
                #body
            }
        }
    }
}

/// `k_update_<pop>`: take the ring slot, run the model's code, detect spikes (recording them on
/// the spike tape), update the readout.
fn update(g: &Gen, pi: usize) -> TokenStream {
    let net = g.net;
    let pop = &net.populations[pi];
    let m = g.model(pi);
    let name = format_ident!("k_update_{}", pop.name);
    let d = doc(&format!(
        "population \"{}\" ({}) — {}",
        pop.name, m.name, pop.origin
    ));
    let printer = g.printer(pi, &m.vars, &[], &m.sim.code.locals);
    let reset_printer = g.printer(pi, &m.vars, &[], &m.reset.code.locals);
    let plain = g.printer(pi, &m.vars, &[], &[]);
    let adjoint = m.adjoint.as_ref().filter(|_| net.has_backward());
    // What the code reads and writes, to declare only the constants it uses.
    let mut used = BTreeSet::new();
    read_syms(&m.sim.code.stmts, &mut used);
    read_syms(&m.reset.code.stmts, &mut used);
    if let Some(th) = &m.threshold {
        read_syms_expr(&th.code, &mut used);
    }
    let tape_on = m.threshold.is_some() && adjoint.is_some();
    if let Some(a) = adjoint.filter(|_| tape_on) {
        a.tape_code
            .iter()
            .for_each(|c| read_syms_expr(&c.code, &mut used));
    }
    if matches!(pop.readout, Some(Readout::MeanExp | Readout::FirstSpike)) {
        used.insert(SymKey::T);
    }
    let (mut sim_assigned, mut reset_assigned) = (BTreeSet::new(), BTreeSet::new());
    assigned_syms(&m.sim.code.stmts, &mut sim_assigned);
    assigned_syms(&m.reset.code.stmts, &mut reset_assigned);
    let constants = g.constants(pi, &used);
    let (size, ring_len, idx) = (g.size(pi), g.ring_len(pi), g.ring_idx(pi));
    let ring = g.pop_buf(pi, Role::Ring);
    let input_v = m
        .input_var
        .expect("validated: neuron models have an input variable")
        .0;
    // Every state variable's part of the lane, cut to the population's size up front (so the
    // loops over the neurons have no bounds checks), loaded into a local per neuron and stored
    // back. `load(mutable)` takes whether a variable is assigned.
    let mut views = TokenStream::new();
    let vars: Vec<(Ident, Ident, u32)> = m
        .vars
        .iter()
        .enumerate()
        .map(|(v, var)| {
            let buf = g.pop_buf(pi, Role::Var(v as u32));
            let local = local(&buf);
            views.extend(quote!(let #local = &mut rgenn_l.#buf[..#size];));
            (g.ident(var), local, v as u32)
        })
        .collect();
    let load = |mutable: &dyn Fn(u32) -> bool| {
        let mut out = TokenStream::new();
        for (ident, local, v) in &vars {
            if mutable(*v) {
                out.extend(quote!(let mut #ident = #local[rgenn_j];));
            } else {
                out.extend(quote!(let #ident = #local[rgenn_j];));
            }
        }
        out
    };
    let store: TokenStream = vars
        .iter()
        .map(|(ident, local, _)| quote!(#local[rgenn_j] = #ident;))
        .collect();
    let input = g.ident(&m.vars[input_v as usize]);
    let sim_note = note(&format!("update code — {}", origin_text(&m.sim.origin)));
    let sim = printer.block(&m.sim.code);
    let readout_var = m.readout_var.map(|v| g.ident(&m.vars[v.0 as usize]));
    let (mut each_step, mut on_spike) = (TokenStream::new(), TokenStream::new());
    let (acc, rs) = (
        local(&format_ident!("readout")),
        local(&format_ident!("readout_step")),
    );
    if let Some(r) = pop.readout {
        let acc_buf = g.pop_buf(pi, Role::Readout);
        views.extend(quote!(let #acc = &mut rgenn_l.#acc_buf[..#size];));
        if matches!(r, Readout::Max | Readout::FirstSpike) {
            let rs_buf = g.pop_buf(pi, Role::ReadoutStep);
            views.extend(quote!(let #rs = &mut rgenn_l.#rs_buf[..#size];));
        }
        let var = || {
            readout_var
                .clone()
                .expect("validated: sum, mean, mean_exp and max read a readout variable")
        };
        let duration = g.lit(net.duration_ms);
        match r {
            Readout::Sum | Readout::Mean => {
                let var = var();
                each_step.extend(quote!(#acc[rgenn_j] += #var;));
            }
            Readout::MeanExp => {
                let var = var();
                each_step.extend(quote!(#acc[rgenn_j] += Scalar::exp(-t / #duration) * #var;));
            }
            Readout::Max => {
                let var = var();
                each_step.extend(quote! {
                    if #var > #acc[rgenn_j] {
                        #acc[rgenn_j] = #var;
                        #rs[rgenn_j] = rgenn_step;
                    }
                });
            }
            Readout::FirstSpike => {
                on_spike.extend(quote! {
                    if #acc[rgenn_j].is_infinite() {
                        #acc[rgenn_j] = t;
                        #rs[rgenn_j] = rgenn_step;
                    }
                });
            }
        }
    }
    let ring_note = note("input from the delay ring");
    let zero = g.lit(0.0);
    views.extend(quote!(let rgenn_ring_row = &mut rgenn_l.#ring[#idx(rgenn_pos, 0)..][..#size];));
    let take_input = quote! {
        #ring_note
        #input += rgenn_ring_row[rgenn_j];
        rgenn_ring_row[rgenn_j] = #zero;
        #sim_note
        #sim
    };
    let allow = g.allow_case();
    let head = quote! {
        #d
        #allow
        #[allow(unused_assignments, clippy::all)]
    };
    let Some(th) = &m.threshold else {
        let mutable = |v: u32| v == input_v || sim_assigned.contains(&SymKey::Var(v));
        let load = load(&mutable);
        return quote! {
            #head
            fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
                #constants
                let rgenn_pos = rgenn_step as usize % #ring_len;
                #views
                for rgenn_j in 0..#size {
                    #load
                    #take_input
                    #each_step
                    #store
                }
            }
        };
    };
    let spikes = g.pop_buf(pi, Role::Spikes);
    let count = g.pop_buf(pi, Role::SpikeCount);
    let cond = plain.expr(&th.code);
    let th_note = note(&format!("threshold — {}", origin_text(&th.origin)));
    let reset_note = note(&format!("reset code — {}", origin_text(&m.reset.origin)));
    let reset = reset_printer.block(&m.reset.code);
    let mut tape = TokenStream::new();
    if let Some(a) = adjoint.filter(|_| tape_on) {
        let (tc, ts, cap) = (
            g.pop_buf(pi, Role::TapeCount),
            g.pop_buf(pi, Role::TapeStep),
            g.tape_capacity(pi),
        );
        let mut values = TokenStream::new();
        for (k, code) in a.tape_code.iter().enumerate() {
            let (buf, e) = (
                g.pop_buf(pi, Role::TapeValue(k as u32)),
                plain.expr(&code.code),
            );
            values.extend(quote!(rgenn_l.#buf[rgenn_e] = #e;));
        }
        let n = note(
            "spike tape for the adjoint pass (an overflow is reported before the backward pass)",
        );
        tape = quote! {
            #n
            let rgenn_count = rgenn_l.#tc[rgenn_j] as usize;
            if rgenn_count < #cap {
                let rgenn_e = rgenn_j * #cap + rgenn_count;
                rgenn_l.#ts[rgenn_e] = rgenn_step;
                #values
            }
            rgenn_l.#tc[rgenn_j] += 1;
        };
    }
    let on_spike = quote! {
        #tape
        #on_spike
        #reset_note
        #reset
    };
    if !each_step.is_empty() {
        // A readout every step: one loop, as in the CPU backend.
        let mutable = |v: u32| {
            v == input_v
                || sim_assigned.contains(&SymKey::Var(v))
                || reset_assigned.contains(&SymKey::Var(v))
        };
        let load = load(&mutable);
        return quote! {
            #head
            fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
                #constants
                let rgenn_pos = rgenn_step as usize % #ring_len;
                #views
                let mut rgenn_n_spikes = 0;
                for rgenn_j in 0..#size {
                    #load
                    #take_input
                    #th_note
                    if #cond {
                        rgenn_l.#spikes[rgenn_n_spikes] = rgenn_j as u32;
                        rgenn_n_spikes += 1;
                        #on_spike
                    }
                    #each_step
                    #store
                }
                rgenn_l.#count[0] = rgenn_n_spikes as u32;
            }
        };
    }
    let update_load = load(&|v: u32| v == input_v || sim_assigned.contains(&SymKey::Var(v)));
    let spike_load = load(&|v: u32| reset_assigned.contains(&SymKey::Var(v)));
    let n1 = note(
        "1. a chunk of neurons at a time, every neuron's update and threshold test without branches",
    );
    let n1b = note(
        "(the loop vectorises), one flag byte each (padded with zeros to whole words of 8); 2. the",
    );
    let n2 =
        note("neurons of the chunk that fired, in ascending order, from its flags read as words");
    let list = flag_list(
        &quote!(rgenn_fired),
        &quote!(rgenn_c0),
        &quote!(rgenn_spikes),
        &quote!(rgenn_n_spikes),
    );
    let chunk = flag_chunk(&size);
    let n3 = note("3. only those: spike tape, readout and reset from their updated state");
    quote! {
        #head
        fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
            #constants
            let rgenn_pos = rgenn_step as usize % #ring_len;
            #views
            #n1
            #n1b
            #n2
            let rgenn_spikes = &mut rgenn_l.#spikes[..#size];
            let mut rgenn_n_spikes = 0;
            for rgenn_c0 in (0..#size).step_by(RGENN_FLAG_CHUNK) {
                let rgenn_c1 = #size.min(rgenn_c0 + RGENN_FLAG_CHUNK);
                let mut rgenn_fired = [0u8; #chunk];
                for rgenn_j in rgenn_c0..rgenn_c1 {
                    #update_load
                    #take_input
                    #th_note
                    rgenn_fired[rgenn_j - rgenn_c0] = (#cond) as u8;
                    #store
                }
                #list
            }
            #n3
            for &rgenn_j in &rgenn_spikes[..rgenn_n_spikes] {
                let rgenn_j = rgenn_j as usize;
                #spike_load
                #on_spike
                #store
            }
            rgenn_l.#count[0] = rgenn_n_spikes as u32;
        }
    }
}

/// The local name of a lane's buffer cut to size: `rgenn_<buffer>`.
pub fn local(buf: &Ident) -> Ident {
    format_ident!("rgenn_{}", buf)
}

/// The length of the flag array of a chunk of population `size`: the population rounded up to
/// whole words of 8, or `RGENN_FLAG_CHUNK` when larger.
pub fn flag_chunk(size: &Ident) -> TokenStream {
    quote! {
        if #size < RGENN_FLAG_CHUNK { #size.div_ceil(8) * 8 } else { RGENN_FLAG_CHUNK }
    }
}

/// Append to `list` (a `&mut [u32]`, counting in `count`) `first` plus the index of every nonzero
/// byte of `flags` (a byte array whose length is a multiple of 8) in ascending order, reading the
/// flags 8 at a time as little-endian words.
pub fn flag_list(
    flags: &TokenStream,
    first: &TokenStream,
    list: &TokenStream,
    count: &TokenStream,
) -> TokenStream {
    quote! {
        for (rgenn_b, rgenn_c) in #flags.chunks_exact(8).enumerate() {
            let mut rgenn_word = u64::from_le_bytes(rgenn_c.try_into().unwrap());
            while rgenn_word != 0 {
                #list[#count] = (#first + rgenn_b * 8) as u32 + rgenn_word.trailing_zeros() / 8;
                #count += 1;
                rgenn_word &= rgenn_word - 1;
            }
        }
    }
}

/// `k_inputs_<pop>`: the input spikes of step n.
fn inputs_kernel(g: &Gen, pi: usize, field: &proc_macro2::Ident) -> TokenStream {
    let pop = &g.net.populations[pi];
    let name = format_ident!("k_inputs_{}", pop.name);
    let d = doc(&format!(
        "population \"{}\" (spike source) — {}",
        pop.name, pop.origin
    ));
    let (spikes, count) = (g.pop_buf(pi, Role::Spikes), g.pop_buf(pi, Role::SpikeCount));
    let allow = g.allow_case();
    quote! {
        #d
        #allow
        fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
            let rgenn_input = &*rgenn_l.#field;
            let rgenn_spikes = &mut *rgenn_l.#spikes;
            let mut rgenn_n_spikes = 0;
            if !rgenn_input.step_start.is_empty() {
                let rgenn_n = rgenn_step as usize;
                let rgenn_first = rgenn_input.step_start[rgenn_n] as usize;
                let rgenn_end = rgenn_input.step_start[rgenn_n + 1] as usize;
                for &rgenn_unit in &rgenn_input.units[rgenn_first..rgenn_end] {
                    rgenn_spikes[rgenn_n_spikes] = rgenn_unit;
                    rgenn_n_spikes += 1;
                }
            }
            rgenn_l.#count[0] = rgenn_n_spikes as u32;
        }
    }
}

/// Every forward kernel, and `forward_step` calling them in the CPU backend's order.
pub fn kernels(g: &Gen) -> TokenStream {
    let net = g.net;
    let mut out = TokenStream::new();
    let mut deliver_calls = TokenStream::new();
    let mut update_calls = TokenStream::new();
    for ci in 0..net.connections.len() {
        out.extend(deliver(g, ci));
        let k = format_ident!("k_deliver_{}", net.connections[ci].name);
        deliver_calls.extend(quote!(#k(rgenn_l, rgenn_g, rgenn_step);));
    }
    for pi in (0..net.populations.len()).filter(|&i| !g.is_source(i)) {
        out.extend(update(g, pi));
        let k = format_ident!("k_update_{}", net.populations[pi].name);
        update_calls.extend(quote!(#k(rgenn_l, rgenn_step);));
    }
    for (field, pi) in inputs(g) {
        out.extend(inputs_kernel(g, pi, &field));
        let k = format_ident!("k_inputs_{}", net.populations[pi].name);
        update_calls.extend(quote!(#k(rgenn_l, rgenn_step);));
    }
    let g_param = if net.connections.is_empty() {
        quote!(_rgenn_g: &Shared<'_>)
    } else {
        quote!(rgenn_g: &Shared<'_>)
    };
    out.extend(quote! {
        /// Forward step n of one lane: deliver the spikes of step n-1 into the delay rings, update
        /// every neuron (taking its ring slot first), then emit the input spikes of step n.
        fn forward_step(rgenn_s: &State, lane: u32, rgenn_l: &mut Lane<'_>, #g_param, rgenn_step: u32) {
            let rgenn_t0 = rgenn_s.clock();
            #deliver_calls
            let rgenn_t1 = rgenn_s.clock();
            #update_calls
            let rgenn_t2 = rgenn_s.clock();
            rgenn_s.record(lane, PHASE_DELIVER, rgenn_t0, rgenn_t1);
            rgenn_s.record(lane, PHASE_UPDATE, rgenn_t1, rgenn_t2);
        }
    });
    out
}
