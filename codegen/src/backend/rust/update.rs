//! The neuron-update kernel of the `rust` backend (`k_update_<pop>`), printed in the shape the
//! plan's [`Update`] strategy names: one loop over the neurons, or the flag pass, the fired list
//! and a loop over the neurons that fired. Mirrors the CPU backend statement by statement.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::ctx::{Gen, doc, note};
use super::forward::{flag_chunk, flag_list, local};
use super::print::{Printer, SymKey, assigned_syms, read_syms, read_syms_expr};
use crate::backend::plan::{ReadoutPlan, Update};
use crate::backend::shared::origin_text;
use crate::ir::buffers::Role;

/// Every state variable of a population: its name in the code, the local view of its buffer and
/// its index.
pub struct Vars(pub Vec<(Ident, Ident, u32)>);

impl Vars {
    /// The variables `names` of population `pi` held in its buffers of `role`, their views cut
    /// to size added to `views`.
    pub fn of(
        g: &Gen,
        pi: usize,
        names: &[String],
        role: fn(u32) -> Role,
        views: &mut TokenStream,
    ) -> Vars {
        let size = g.size(pi);
        Vars(
            names
                .iter()
                .enumerate()
                .map(|(v, var)| {
                    let buf = g.pop_buf(pi, role(v as u32));
                    let local = local(&buf);
                    views.extend(quote!(let #local = &mut rgenn_l.#buf[..#size];));
                    (g.ident(var), local, v as u32)
                })
                .collect(),
        )
    }

    /// Load every variable into a local, `mut` where `mutable` says it is assigned.
    pub fn load(&self, mutable: &dyn Fn(u32) -> bool) -> TokenStream {
        let mut out = TokenStream::new();
        for (ident, local, v) in &self.0 {
            if mutable(*v) {
                out.extend(quote!(let mut #ident = #local[rgenn_j];));
            } else {
                out.extend(quote!(let #ident = #local[rgenn_j];));
            }
        }
        out
    }

    /// Store every local back.
    pub fn store(&self) -> TokenStream {
        self.0
            .iter()
            .map(|(ident, local, _)| quote!(#local[rgenn_j] = #ident;))
            .collect()
    }
}

/// The spike tape of population `pi` for the adjoint pass, written at a spike (empty without
/// one).
fn tape(g: &Gen, pi: usize, plain: &Printer) -> TokenStream {
    let m = g.model(pi);
    let Some(a) = m
        .adjoint
        .as_ref()
        .filter(|_| g.net.has_backward() && m.threshold.is_some())
    else {
        return TokenStream::new();
    };
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
    let n =
        note("spike tape for the adjoint pass (an overflow is reported before the backward pass)");
    quote! {
        #n
        let rgenn_count = rgenn_l.#tc[rgenn_j] as usize;
        if rgenn_count < #cap {
            let rgenn_e = rgenn_j * #cap + rgenn_count;
            rgenn_l.#ts[rgenn_e] = rgenn_step;
            #values
        }
        rgenn_l.#tc[rgenn_j] += 1;
    }
}

/// The history of population `pi` for the adjoint pass: this step's row of each history buffer
/// (added to `views`) and the stores of one neuron's values into it (empty without a history).
fn history(g: &Gen, pi: usize, plain: &Printer, views: &mut TokenStream) -> TokenStream {
    let m = g.model(pi);
    let Some(a) = m.adjoint.as_ref().filter(|_| g.net.has_backward()) else {
        return TokenStream::new();
    };
    let size = g.size(pi);
    let mut writes = TokenStream::new();
    for (k, code) in a.history_code.iter().enumerate() {
        let buf = g.pop_buf(pi, Role::HistoryValue(k as u32));
        let row = format_ident!("rgenn_history_{}", k);
        let e = plain.expr(&code.code);
        views.extend(quote!(let #row = &mut rgenn_l.#buf[rgenn_step as usize * #size..][..#size];));
        writes.extend(quote!(#row[rgenn_j] = #e;));
    }
    if !writes.is_empty() {
        let n = note("history for the adjoint pass");
        writes = quote!(#n #writes);
    }
    writes
}

/// The constants of population `pi`'s model its update reads.
fn constants(g: &Gen, pi: usize) -> TokenStream {
    let m = g.model(pi);
    let mut used = BTreeSet::new();
    read_syms(&m.sim.code.stmts, &mut used);
    read_syms(&m.reset.code.stmts, &mut used);
    if let Some(th) = &m.threshold {
        read_syms_expr(&th.code, &mut used);
    }
    if let Some(a) = m
        .adjoint
        .as_ref()
        .filter(|_| g.net.has_backward() && m.threshold.is_some())
    {
        a.tape_code
            .iter()
            .for_each(|c| read_syms_expr(&c.code, &mut used));
    }
    if let Some(a) = m.adjoint.as_ref().filter(|_| g.net.has_backward()) {
        a.history_code
            .iter()
            .for_each(|c| read_syms_expr(&c.code, &mut used));
    }
    if ReadoutPlan::of_pop(&g.net.populations[pi]).is_some_and(|r| r.reads_time) {
        used.insert(SymKey::T);
    }
    g.constants(pi, &used)
}

/// `k_update_<pop>`: take the ring slot, run the model's code, detect spikes (recording them on
/// the spike tape), update the readout.
pub fn update(g: &Gen, pi: usize) -> TokenStream {
    let pop = &g.net.populations[pi];
    let m = g.model(pi);
    let name = format_ident!("k_update_{}", pop.name);
    let d = doc(&format!(
        "population \"{}\" ({}) — {}",
        pop.name, m.name, pop.origin
    ));
    let printer = g.printer(pi, &m.vars, &[], &m.sim.code.locals);
    let reset_printer = g.printer(pi, &m.vars, &[], &m.reset.code.locals);
    let plain = g.printer(pi, &m.vars, &[], &[]);
    let (mut sim_assigned, mut reset_assigned) = (BTreeSet::new(), BTreeSet::new());
    assigned_syms(&m.sim.code.stmts, &mut sim_assigned);
    assigned_syms(&m.reset.code.stmts, &mut reset_assigned);
    let constants = constants(g, pi);
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
    let vars = Vars::of(g, pi, &m.vars, Role::Var, &mut views);
    let store = vars.store();
    let input = g.ident(&m.vars[input_v as usize]);
    let sim_note = note(&format!("update code — {}", origin_text(&m.sim.origin)));
    let sim = printer.block(&m.sim.code);
    let (each_step, on_spike) = super::readout::accumulate(g, pi, &mut views);
    let ring_note = note("input from the delay ring");
    let zero = g.lit(0.0);
    views.extend(quote!(let rgenn_ring_row = &mut rgenn_l.#ring[#idx(rgenn_pos, 0)..][..#size];));
    let history = history(g, pi, &plain, &mut views);
    let take_input = quote! {
        #ring_note
        #input += rgenn_ring_row[rgenn_j];
        rgenn_ring_row[rgenn_j] = #zero;
        #history
        #sim_note
        #sim
    };
    let allow = g.allow_case();
    let kernel = |body: TokenStream| {
        quote! {
            #d
            #allow
            #[allow(unused_assignments, clippy::all)]
            fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
                #constants
                let rgenn_pos = rgenn_step as usize % #ring_len;
                #views
                #body
            }
        }
    };
    let sim_mut = |v: u32| v == input_v || sim_assigned.contains(&SymKey::Var(v));
    let Some(th) = &m.threshold else {
        let load = vars.load(&sim_mut);
        return kernel(quote! {
            for rgenn_j in 0..#size {
                #load
                #take_input
                #each_step
                #store
            }
        });
    };
    let spikes = g.pop_buf(pi, Role::Spikes);
    let count = g.pop_buf(pi, Role::SpikeCount);
    let cond = plain.expr(&th.code);
    let th_note = note(&format!("threshold — {}", origin_text(&th.origin)));
    let reset_note = note(&format!("reset code — {}", origin_text(&m.reset.origin)));
    let reset = reset_printer.block(&m.reset.code);
    let tape = tape(g, pi, &plain);
    let on_spike = quote! {
        #tape
        #on_spike
        #reset_note
        #reset
    };
    if Update::of(g.net, pop) == Update::Loop {
        // A readout every step: one loop, as in the CPU backend.
        let load = vars.load(&|v| sim_mut(v) || reset_assigned.contains(&SymKey::Var(v)));
        return kernel(quote! {
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
        });
    }
    let update_load = vars.load(&sim_mut);
    let spike_load = vars.load(&|v: u32| reset_assigned.contains(&SymKey::Var(v)));
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
    kernel(quote! {
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
    })
}
