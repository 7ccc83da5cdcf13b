//! The adjoint (EventProp) pass of the `rust` backend, kernel for kernel the CPU backend's
//! `backward.cpp`: reverse step n first lets every spike emitted in step n read its targets'
//! `weight_grad` and `delay_grad` at its arrival step (kept in per-neuron rings), adding to its
//! synapse's gradients and its neuron's `dloss_dt`; then every neuron applies its jump (if it
//! spiked in step n), one reverse step of its adjoint code, and stores `weight_grad` and
//! `delay_grad` for step n in its rings.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ctx::{Gen, doc, note, pos_minus_len, timed_step};
use super::forward::{flag_chunk, flag_list, local, uniform_slot, wrap_slot};
use super::print::{SymKey, assigned_syms, read_syms, read_syms_expr};
use super::state::next_step_field;
use super::update::Vars;
use crate::backend::plan::gradients::Trained;
use crate::backend::plan::quiet::QuietSkip;
use crate::backend::plan::{Delay, Delivery, Drive, Fanout, readout};
use crate::backend::shared::origin_text;
use crate::ir::Adjoint;
use crate::ir::buffers::Role;

/// True when population `pi` spikes and has an adjoint: it has a tape and a jump.
pub fn has_jump(g: &Gen, pi: usize) -> bool {
    let m = g.model(pi);
    m.threshold.is_some() && m.adjoint.is_some()
}

/// `k_back_spikes_<pop>`: the neurons whose next unreplayed tape entry is step n.
fn back_spikes(g: &Gen, pi: usize) -> TokenStream {
    let pop = &g.net.populations[pi];
    let name = format_ident!("k_back_spikes_{}", pop.name);
    let d = doc(&format!(
        "population \"{}\": the neurons whose next unreplayed tape entry is step n",
        pop.name
    ));
    let size = g.size(pi);
    let (next, list, count) = (
        next_step_field(g, pi),
        g.pop_buf(pi, Role::BackSpikes),
        g.pop_buf(pi, Role::BackSpikeCount),
    );
    let n = note("a chunk of neurons at a time: one flag byte per neuron (vectorises), then the");
    let n2 = note("flags read 8 at a time as words");
    let scan = flag_list(
        &quote!(rgenn_due),
        &quote!(rgenn_c0),
        &quote!(rgenn_list),
        &quote!(rgenn_n),
    );
    let chunk = flag_chunk(&size);
    let allow = g.allow_case();
    quote! {
        #d
        #allow
        fn #name(rgenn_l: &mut Lane<'_>, rgenn_step: u32) {
            #n
            #n2
            let rgenn_list = &mut rgenn_l.#list[..#size];
            let mut rgenn_n = 0;
            for rgenn_c0 in (0..#size).step_by(RGENN_FLAG_CHUNK) {
                let rgenn_c1 = #size.min(rgenn_c0 + RGENN_FLAG_CHUNK);
                let mut rgenn_due = [0u8; #chunk];
                for (rgenn_f, &rgenn_x) in rgenn_due.iter_mut().zip(&rgenn_l.#next[rgenn_c0..rgenn_c1]) {
                    *rgenn_f = (rgenn_x == rgenn_step) as u8;
                }
                #scan
            }
            rgenn_l.#count[0] = rgenn_n as u32;
        }
    }
}

/// `k_back_<conn>`: gradients of the spikes the source emitted in step n.
fn back_conn(g: &Gen, ci: usize) -> TokenStream {
    let c = &g.net.connections[ci];
    let (src, tgt) = (c.source.0 as usize, c.target.0 as usize);
    let name = format_ident!("k_back_{}", c.name);
    let d = doc(&format!(
        "connection \"{}\": gradients of the spikes {} emitted in step n",
        c.name, g.net.populations[src].name
    ));
    let source_is_input = g.is_source(src);
    let spikes = spike_list(g, src);
    let (size, ring_len, idx) = (g.size(tgt), g.ring_len(tgt), g.ring_idx(tgt));
    let grad_ring = g.pop_buf(tgt, Role::WeightGradRing);
    let (gw, gd) = (
        g.conn_buf(ci, Role::WeightGrad),
        g.conn_buf(ci, Role::DelayGrad),
    );
    let delivery = Delivery::of(g.net, c);
    let steps = delivery
        .per_synapse_delay()
        .then(|| g.conn_buf(ci, Role::DelaySteps));
    let dense = delivery.fanout == Fanout::Dense;
    let uniform = match delivery.delay {
        Delay::Fixed { steps } => {
            let slot = uniform_slot(g, tgt, steps);
            let rows = if dense {
                quote! {
                    let rgenn_grad_row = &rgenn_grad_ring[#idx(rgenn_slot, 0)..][..#size];
                }
            } else {
                TokenStream::new()
            };
            quote!(#slot #rows)
        }
        Delay::PerSynapse { .. } => TokenStream::new(),
    };
    let body = synapse_body(g, ci, steps.as_ref(), source_is_input);
    let (generics, idle) = learned_only_parts(Trained::of(g.net, c));
    let quiet = quiet_skip(g, ci);
    let (start_sum, end_sum) = if source_is_input {
        (TokenStream::new(), TokenStream::new())
    } else {
        let zero = g.lit(0.0);
        (
            quote!(let mut rgenn_dt_sum: Scalar = #zero;),
            quote!(rgenn_dloss_dt[rgenn_pre] += rgenn_dt_sum;),
        )
    };
    let pos_note = note(
        "ring position of step n + 1; a synapse of step delay k reads slot (n + 1 + k) mod ring_len",
    );
    let pos_minus_len = pos_minus_len(
        steps.is_some() && dense,
        "(pos + k) mod ring_len as pos - ring_len + k, plus ring_len when negative",
        &ring_len,
    );
    g.conn_kernel(
        &d,
        (&name, generics),
        tgt,
        quote! {
            #idle
            #quiet
            #spikes
            let rgenn_grad_ring = &pairs(rgenn_l.#grad_ring)[..#ring_len * #size];
            let rgenn_gw = &mut *rgenn_l.#gw;
            let rgenn_gd = &mut *rgenn_l.#gd;
            #pos_note
            let rgenn_pos = (rgenn_step as usize + 1) % #ring_len;
            #uniform
            #pos_minus_len
            for &rgenn_pre in rgenn_spikes {
                let rgenn_pre = rgenn_pre as usize;
                #start_sum
                #body
                #end_sum
            }
        },
    )
}

/// The early return of `k_back_<conn>` in a reverse step whose arrival steps all hold zero
/// histories (`plan::quiet`).
fn quiet_skip(g: &Gen, ci: usize) -> TokenStream {
    let c = &g.net.connections[ci];
    let latest = g.pop_buf(c.target.0 as usize, Role::NonzeroGradStep);
    let reach = proc_macro2::Literal::u32_unsuffixed(QuietSkip::of(g.net, c).reach);
    let n = note(&format!(
        "the target's histories are zero at every arrival step read (n + 1 ... n + {reach}): only zeros to add"
    ));
    quote! {
        if rgenn_l.#latest[0] > rgenn_step + #reach {
            #n
            return;
        }
    }
}

/// A connection kernel with a gradient training does not read is generic over `ALL` (also
/// accumulate those): its generic parameters, and the early return of a kernel that has nothing
/// to do without `ALL` (nothing learned, and an input's spikes need no `dloss_dt`).
fn learned_only_parts(trained: Trained) -> (TokenStream, TokenStream) {
    if !trained.partial() {
        return (TokenStream::new(), TokenStream::new());
    }
    let idle = if trained.idle {
        let n = note("nothing learned, and an input's spikes need no dloss_dt");
        quote! {
            if !ALL {
                #n
                return;
            }
        }
    } else {
        TokenStream::new()
    };
    (quote!(<const ALL: bool>), idle)
}

/// The additions to a synapse's weight and delay gradients, each as it is where training reads
/// the gradient (`trained`), else only in the `ALL` instance of the kernel (one block for both).
fn gradient_adds(
    (weight, delay): (bool, bool),
    (add_w, add_d): (TokenStream, TokenStream),
) -> TokenStream {
    match (weight, delay) {
        (true, true) => quote!(#add_w #add_d),
        (false, false) => quote!(if ALL { #add_w #add_d }),
        (true, false) => quote!(#add_w if ALL { #add_d }),
        (false, true) => quote!(if ALL { #add_w } #add_d),
    }
}

/// The spikes `k_back_<conn>` walks: the input units of step n of a spike-source population,
/// or the source's reverse-spike list (with its `dloss_dt`).
fn spike_list(g: &Gen, src: usize) -> TokenStream {
    if g.is_source(src) {
        let field = format_ident!("input_{}", g.net.populations[src].name);
        quote! {
            let rgenn_input = &*rgenn_l.#field;
            if rgenn_input.step_start.is_empty() {
                return;
            }
            let rgenn_n = rgenn_step as usize;
            let rgenn_first = rgenn_input.step_start[rgenn_n] as usize;
            let rgenn_end = rgenn_input.step_start[rgenn_n + 1] as usize;
            let rgenn_spikes = &rgenn_input.units[rgenn_first..rgenn_end];
        }
    } else {
        let (list, count, dloss) = (
            g.pop_buf(src, Role::BackSpikes),
            g.pop_buf(src, Role::BackSpikeCount),
            g.pop_buf(src, Role::DlossDt),
        );
        quote! {
            let rgenn_spikes = &rgenn_l.#list[..rgenn_l.#count[0] as usize];
            let rgenn_dloss_dt = &mut *rgenn_l.#dloss;
        }
    }
}

/// The gradients of one spike's synapses in `k_back_<conn>`, by the connection's fanout;
/// `steps` is the per-synapse delay buffer, if any.
fn synapse_body(
    g: &Gen,
    ci: usize,
    steps: Option<&proc_macro2::Ident>,
    source_is_input: bool,
) -> TokenStream {
    let c = &g.net.connections[ci];
    let tgt = c.target.0 as usize;
    let (size, ring_len, idx) = (g.size(tgt), g.ring_len(tgt), g.ring_idx(tgt));
    let w = g.conn_buf(ci, Role::Weight);
    let delivery = Delivery::of(g.net, c);
    let Trained { weight, delay, .. } = Trained::of(g.net, c);
    // Add to `rgenn_dt_sum` only where someone reads it.
    let sum = |x: TokenStream| {
        if source_is_input {
            TokenStream::new()
        } else {
            quote!(rgenn_dt_sum += #x;)
        }
    };
    match delivery.fanout {
        Fanout::Dense => {
            let add = sum(quote!(rgenn_gv));
            let add_d = quote!(rgenn_gd_row[rgenn_post] += rgenn_gv;);
            let (d_row, at, add_w) = match steps {
                Some(steps) => (
                    quote!(let rgenn_d = &rgenn_g.#steps[rgenn_row..][..#size];),
                    quote! {
                        let mut rgenn_slot = rgenn_pos_minus_len + rgenn_d[rgenn_post] as i32;
                        rgenn_slot += if rgenn_slot < 0 { #ring_len as i32 } else { 0 };
                        let rgenn_at = rgenn_grad_ring[#idx(rgenn_slot as usize, rgenn_post)];
                        let rgenn_gv = rgenn_w[rgenn_post] * rgenn_at[1];
                    },
                    quote!(rgenn_gw_row[rgenn_post] += rgenn_at[0];),
                ),
                None => (
                    TokenStream::new(),
                    quote! {
                        let rgenn_gv = rgenn_w[rgenn_post] * rgenn_grad_row[rgenn_post][1];
                    },
                    quote!(rgenn_gw_row[rgenn_post] += rgenn_grad_row[rgenn_post][0];),
                ),
            };
            let adds = gradient_adds((weight, delay), (add_w, add_d));
            quote! {
                let rgenn_row = rgenn_pre * #size;
                let rgenn_w = &rgenn_g.#w[rgenn_row..][..#size];
                let rgenn_gw_row = &mut rgenn_gw[rgenn_row..][..#size];
                let rgenn_gd_row = &mut rgenn_gd[rgenn_row..][..#size];
                #d_row
                for rgenn_post in 0..#size {
                    #at
                    #adds
                    #add
                }
            }
        }
        Fanout::OneToOne => {
            let add = sum(quote!(rgenn_gv));
            let slot = match steps {
                Some(steps) => wrap_slot(g, tgt, quote!(rgenn_g.#steps[rgenn_pre] as usize)),
                None => TokenStream::new(),
            };
            let accumulate = ring_grads(
                (&idx, &w),
                (quote!(rgenn_pre), quote!(rgenn_pre)),
                (weight, delay),
                add,
            );
            quote! {
                #slot
                #accumulate
            }
        }
        Fanout::Sparse { .. } => {
            let add = sum(quote!(rgenn_gv));
            let accumulate = ring_grads(
                (&idx, &w),
                (quote!(rgenn_syn), quote!(rgenn_post)),
                (weight, delay),
                add,
            );
            let (row_start, post) = (
                g.conn_buf(ci, Role::RowStart),
                g.conn_buf(ci, Role::PostIndex),
            );
            let slot = match steps {
                Some(steps) => wrap_slot(g, tgt, quote!(rgenn_g.#steps[rgenn_syn] as usize)),
                None => TokenStream::new(),
            };
            quote! {
                let rgenn_start = rgenn_g.#row_start[rgenn_pre] as usize;
                let rgenn_end = rgenn_g.#row_start[rgenn_pre + 1] as usize;
                for rgenn_syn in rgenn_start..rgenn_end {
                    let rgenn_post = rgenn_g.#post[rgenn_syn] as usize;
                    #slot
                    #accumulate
                }
            }
        }
    }
}

/// Synapse `syn`'s weight and delay gradients from target `post`'s history ring (each only
/// in the `ALL` instance where training does not read it), then `add`.
fn ring_grads(
    (idx, w): (&proc_macro2::Ident, &proc_macro2::Ident),
    (syn, post): (TokenStream, TokenStream),
    (weight, delay): (bool, bool),
    add: TokenStream,
) -> TokenStream {
    let adds = gradient_adds(
        (weight, delay),
        (
            quote!(rgenn_gw[#syn] += rgenn_at[0];),
            quote!(rgenn_gd[#syn] += rgenn_gv;),
        ),
    );
    quote! {
        let rgenn_at = rgenn_grad_ring[#idx(rgenn_slot, #post)];
        let rgenn_gv = rgenn_g.#w[#syn] * rgenn_at[1];
        #adds
        #add
    }
}

/// `k_back_update_<pop>`: one reverse step of the adjoint.
fn back_update(g: &Gen, pi: usize) -> TokenStream {
    let pop = &g.net.populations[pi];
    let m = g.model(pi);
    let a: &Adjoint = m.adjoint.as_ref().expect("validated: has_backward");
    let name = format_ident!("k_back_update_{}", pop.name);
    let d = doc(&format!(
        "population \"{}\" ({}): one reverse step of the adjoint",
        pop.name, m.name
    ));
    let jump = has_jump(g, pi);
    let sim_inputs = a.sim_inputs();
    let sim_printer = g.printer(pi, &a.vars, &sim_inputs, &a.sim.code.locals);
    let (mut used, mut jump_used) = (BTreeSet::new(), BTreeSet::new());
    read_syms(&a.sim.code.stmts, &mut used);
    read_syms_expr(&a.weight_grad.code, &mut used);
    read_syms_expr(&a.delay_grad.code, &mut used);
    if jump {
        read_syms(&a.jump.code.stmts, &mut jump_used);
    }
    let (drive, spike_loss) = super::readout::drive(g, pi);
    let drive_used = used.contains(&SymKey::Input(0));
    if drive_used && readout::drive(pop).is_some_and(Drive::reads_time) {
        used.insert(SymKey::T);
    }
    // Jump inputs are a separate namespace from the sim's: keep only forward symbols.
    let constants_used: BTreeSet<SymKey> = used
        .iter()
        .chain(&jump_used)
        .filter(|k| !matches!(k, SymKey::Input(_)))
        .copied()
        .collect();
    let constants = g.constants(pi, &constants_used);
    let (mut sim_assigned, mut jump_assigned) = (BTreeSet::new(), BTreeSet::new());
    assigned_syms(&a.sim.code.stmts, &mut sim_assigned);
    if jump {
        assigned_syms(&a.jump.code.stmts, &mut jump_assigned);
    }
    let size = g.size(pi);
    // The adjoint variables' parts of the lane, cut to size up front (no bounds checks in the
    // loop over every neuron).
    let mut views = TokenStream::new();
    let vars = Vars::of(g, pi, &a.vars, Role::AdjointVar, &mut views);
    let (load, store) = (
        vars.load(&|v| sim_assigned.contains(&SymKey::Var(v))),
        vars.store(),
    );
    // The readout gradient and step, where the drive or the jump reads them.
    let drive_kind = readout::drive(pop);
    let need_drive = drive_used && drive_kind.is_some_and(Drive::each_step);
    let n_tape = a.tape.len();
    let need_spike_loss = jump
        && jump_used.contains(&SymKey::Input(n_tape as u32))
        && drive_kind == Some(Drive::SpikeTimeAtStep);
    if need_drive || need_spike_loss {
        let buf = g.pop_buf(pi, Role::ReadoutGrad);
        let l = local(&buf);
        views.extend(quote!(let #l = &rgenn_l.#buf[..#size];));
    }
    if (need_drive && drive_kind.is_some_and(Drive::reads_step)) || need_spike_loss {
        let buf = g.pop_buf(pi, Role::ReadoutStep);
        let l = local(&buf);
        views.extend(quote!(let #l = &rgenn_l.#buf[..#size];));
    }
    let jump_code = if jump {
        jump_block(g, pi, &vars, &jump_used, &jump_assigned, &spike_loss)
    } else {
        TokenStream::new()
    };
    let drive_code = if drive_used {
        let ident = g.ident(Adjoint::DRIVE);
        quote!(let #ident: Scalar = #drive;)
    } else {
        TokenStream::new()
    };
    // The history values of step n the adjoint code reads (inputs after `drive`).
    let mut history = TokenStream::new();
    for (k, h) in a.history.iter().enumerate() {
        if used.contains(&SymKey::Input(k as u32 + 1)) {
            let (ident, buf) = (g.ident(h), g.pop_buf(pi, Role::HistoryValue(k as u32)));
            let row = format_ident!("rgenn_history_{}", k);
            views.extend(quote!(let #row = &rgenn_l.#buf[rgenn_step as usize * #size..][..#size];));
            history.extend(quote!(let #ident: Scalar = #row[rgenn_j];));
        }
    }
    let sim_note = note(&format!("adjoint code — {}", origin_text(&a.sim.origin)));
    let sim = sim_printer.block(&a.sim.code);
    let (pos, rings, latest) = grad_rings(g, pi);
    let g_param = if jump && jump_used.contains(&SymKey::Input(a.tape.len() as u32 + 1)) {
        quote!(rgenn_g: &Shared<'_>)
    } else {
        quote!(_rgenn_g: &Shared<'_>)
    };
    let allow = g.allow_case();
    quote! {
        #d
        #allow
        #[allow(unused_assignments, clippy::all)]
        fn #name(rgenn_l: &mut Lane<'_>, #g_param, rgenn_step: u32) {
            #constants
            #views
            #jump_code
            #pos
            for rgenn_j in 0..#size {
                #load
                #drive_code
                #history
                #sim_note
                #sim
                #rings
                #store
            }
            #latest
        }
    }
}

/// The jump of the neurons that spiked in step n, in `k_back_update_<pop>`: each reads its tape
/// entry, applies the adjoint jump and steps its tape back one entry.
fn jump_block(
    g: &Gen,
    pi: usize,
    vars: &Vars,
    jump_used: &BTreeSet<SymKey>,
    jump_assigned: &BTreeSet<SymKey>,
    spike_loss: &TokenStream,
) -> TokenStream {
    let pop = &g.net.populations[pi];
    let a: &Adjoint = g.adjoint(pi);
    let jump_inputs = a.jump_inputs();
    let jump_printer = g.printer(pi, &a.vars, &jump_inputs, &a.jump.code.locals);
    let n_tape = a.tape.len();
    let (cap, read, step, dloss, count_grad, list, count) = (
        g.tape_capacity(pi),
        g.pop_buf(pi, Role::TapeRead),
        g.pop_buf(pi, Role::TapeStep),
        g.pop_buf(pi, Role::DlossDt),
        g.pop_buf(pi, Role::CountGrad),
        g.pop_buf(pi, Role::BackSpikes),
        g.pop_buf(pi, Role::BackSpikeCount),
    );
    let next = next_step_field(g, pi);
    let (mut jload, mut jstore) = (TokenStream::new(), TokenStream::new());
    for (ident, local, v) in &vars.0 {
        let key = &SymKey::Var(*v);
        if jump_assigned.contains(key) {
            jload.extend(quote!(let mut #ident = #local[rgenn_j];));
            jstore.extend(quote!(#local[rgenn_j] = #ident;));
        } else if jump_used.contains(key) {
            jload.extend(quote!(let #ident = #local[rgenn_j];));
        }
    }
    let mut inputs = TokenStream::new();
    for (k, tape_name) in a.tape.iter().enumerate() {
        if jump_used.contains(&SymKey::Input(k as u32)) {
            let (ident, buf) = (g.ident(tape_name), g.pop_buf(pi, Role::TapeValue(k as u32)));
            inputs.extend(quote!(let #ident = rgenn_l.#buf[rgenn_e];));
        }
    }
    if jump_used.contains(&SymKey::Input(n_tape as u32)) {
        let ident = g.ident(Adjoint::DLOSS_DT);
        inputs.extend(quote!(let #ident = rgenn_l.#dloss[rgenn_j] #spike_loss;));
    }
    if jump_used.contains(&SymKey::Input(n_tape as u32 + 1)) {
        let ident = g.ident(Adjoint::COUNT_GRAD);
        inputs.extend(quote!(let #ident = rgenn_g.#count_grad[rgenn_j];));
    }
    let jump_note = note(&format!("jump — {}", origin_text(&a.jump.origin)));
    let list_note = note(&format!(
        "the neurons that spiked in step n (k_back_spikes_{} listed them) first apply their jump",
        pop.name
    ));
    let code = jump_printer.block(&a.jump.code);
    let zero = g.lit(0.0);
    let no_entry = note("no tape entry left: only without begin_backward (zeroed next steps)");
    quote! {
        #list_note
        for &rgenn_j in &rgenn_l.#list[..rgenn_l.#count[0] as usize] {
            let rgenn_j = rgenn_j as usize;
            #jload
            let rgenn_r = rgenn_l.#read[rgenn_j] as usize;
            if rgenn_r == 0 {
                #no_entry
                continue;
            }
            let rgenn_e = rgenn_j * #cap + rgenn_r - 1;
            #inputs
            #jump_note
            #code
            #jstore
            rgenn_l.#dloss[rgenn_j] = #zero;
            rgenn_l.#read[rgenn_j] = (rgenn_r - 1) as u32;
            rgenn_l.#next[rgenn_j] = if rgenn_r > 1 { rgenn_l.#step[rgenn_e - 1] } else { u32::MAX };
        }
    }
}

/// Where `k_back_update_<pop>` stores each neuron's `weight_grad` and `delay_grad` for step n
/// (the ring row, the two stores, and the latest nonzero step after the loop), empty for a
/// population without rings.
fn grad_rings(g: &Gen, pi: usize) -> (TokenStream, TokenStream, TokenStream) {
    let pop = &g.net.populations[pi];
    let a: &Adjoint = g.adjoint(pi);
    let plain = g.printer(pi, &a.vars, &[], &[]);
    let size = g.size(pi);
    if pop.ring_len == 0 {
        return (TokenStream::new(), TokenStream::new(), TokenStream::new());
    }
    let (ring_len, idx) = (g.ring_len(pi), g.ring_idx(pi));
    let wg = g.pop_buf(pi, Role::WeightGradRing);
    let (wge, dge) = (
        plain.expr(&a.weight_grad.code),
        plain.expr(&a.delay_grad.code),
    );
    let n = note(&format!(
        "what incoming synapses read at arrival step n — {}",
        origin_text(&a.weight_grad.origin)
    ));
    let nz = note("some neuron stores a history value that is not zero (NaN counts)");
    let pos = quote! {
        let rgenn_pos = rgenn_step as usize % #ring_len;
        let rgenn_grad_row = &mut rgenn_l.#wg[2 * #idx(rgenn_pos, 0)..][..2 * #size];
        #nz
        let mut rgenn_nonzero = false;
    };
    let rings = quote! {
        #n
        let rgenn_weight_grad: Scalar = #wge;
        let rgenn_delay_grad: Scalar = #dge;
        rgenn_grad_row[2 * rgenn_j] = rgenn_weight_grad;
        rgenn_grad_row[2 * rgenn_j + 1] = rgenn_delay_grad;
        rgenn_nonzero |= (rgenn_weight_grad != 0.0) | (rgenn_delay_grad != 0.0);
    };
    let latest = g.pop_buf(pi, Role::NonzeroGradStep);
    let after = quote! {
        if rgenn_nonzero {
            rgenn_l.#latest[0] = rgenn_step;
        }
    };
    (pos, rings, after)
}

/// Every backward kernel, `begin_backward` and `back_step`.
pub fn kernels(g: &Gen) -> TokenStream {
    let net = g.net;
    let mut out = TokenStream::new();
    let neurons: Vec<usize> = (0..net.populations.len())
        .filter(|&i| !g.is_source(i))
        .collect();
    let (mut spike_calls, mut conn_calls, mut update_calls, mut begin) = (
        TokenStream::new(),
        TokenStream::new(),
        TokenStream::new(),
        TokenStream::new(),
    );
    for &pi in neurons.iter().filter(|&&i| has_jump(g, i)) {
        out.extend(back_spikes(g, pi));
        let k = format_ident!("k_back_spikes_{}", net.populations[pi].name);
        spike_calls.extend(quote!(#k(rgenn_l, rgenn_step);));
        let (size, cap, count, read, step) = (
            g.size(pi),
            g.tape_capacity(pi),
            g.pop_buf(pi, Role::TapeCount),
            g.pop_buf(pi, Role::TapeRead),
            g.pop_buf(pi, Role::TapeStep),
        );
        let next = next_step_field(g, pi);
        let code = proc_macro2::Literal::i32_unsuffixed(pi as i32 + 1);
        begin.extend(quote! {
            for rgenn_j in 0..#size {
                let rgenn_c = rgenn_l.#count[rgenn_j] as usize;
                if rgenn_c > #cap {
                    return #code;
                }
                rgenn_l.#read[rgenn_j] = rgenn_c as u32;
                rgenn_l.#next[rgenn_j] = if rgenn_c > 0 { rgenn_l.#step[rgenn_j * #cap + rgenn_c - 1] } else { u32::MAX };
            }
        });
    }
    let (mut zero_grads, mut zero_unread) = (TokenStream::new(), TokenStream::new());
    for (ci, c) in net.connections.iter().enumerate() {
        let zero = g.lit(0.0);
        let trained = Trained::of(net, c);
        for (role, read) in [
            (Role::WeightGrad, trained.weight),
            (Role::DelayGrad, trained.delay),
        ] {
            let buf = g.conn_buf(ci, role);
            let fill = quote!(rgenn_l.#buf.fill(#zero););
            if read {
                zero_grads.extend(fill);
            } else {
                zero_unread.extend(fill);
            }
        }
        out.extend(back_conn(g, ci));
        let k = format_ident!("k_back_{}", c.name);
        conn_calls.extend(if trained.partial() {
            quote! {
                if rgenn_learned_only {
                    #k::<false>(rgenn_l, rgenn_g, rgenn_step);
                } else {
                    #k::<true>(rgenn_l, rgenn_g, rgenn_step);
                }
            }
        } else {
            quote!(#k(rgenn_l, rgenn_g, rgenn_step);)
        });
    }
    if !zero_unread.is_empty() {
        let n = note("gradients training does not read: left at zero while learned-only");
        zero_grads.extend(quote! {
            if !rgenn_learned_only {
                #n
                #zero_unread
            }
        });
    }
    let any_partial = net
        .connections
        .iter()
        .any(|c| Trained::of(net, c).partial());
    let (learned_only_param, learned_only_flag) = if any_partial {
        (
            quote!(rgenn_learned_only: bool),
            quote!(let rgenn_learned_only = rgenn_s.learned_only.load(Ordering::Relaxed);),
        )
    } else {
        (quote!(_rgenn_learned_only: bool), TokenStream::new())
    };
    for &pi in &neurons {
        out.extend(back_update(g, pi));
        let k = format_ident!("k_back_update_{}", net.populations[pi].name);
        update_calls.extend(quote!(#k(rgenn_l, rgenn_g, rgenn_step);));
    }
    // with lane groups, only the group's first lane zeroes the group's gradients
    let (zero_grads, first_param) = if net.lane_group > 1 && !zero_grads.is_empty() {
        (
            quote! {
                if rgenn_first_of_group {
                    #zero_grads
                }
            },
            quote!(, rgenn_first_of_group: bool),
        )
    } else if net.lane_group > 1 {
        (zero_grads, quote!(, _rgenn_first_of_group: bool))
    } else {
        (zero_grads, TokenStream::new())
    };
    let begin = quote!(#zero_grads #begin);
    let begin_param = if begin.is_empty() {
        quote!(_rgenn_l: &mut Lane<'_>)
    } else {
        quote!(rgenn_l: &mut Lane<'_>)
    };
    let g_param = if neurons.is_empty() && net.connections.is_empty() {
        quote!(_rgenn_g: &Shared<'_>)
    } else {
        quote!(rgenn_g: &Shared<'_>)
    };
    let back_step = timed_step(
        quote! {
            /// Reverse step n of one lane.
        },
        format_ident!("back_step"),
        g_param,
        (
            quote!(#learned_only_flag #spike_calls #conn_calls),
            format_ident!("PHASE_BACK_SPIKES"),
        ),
        (update_calls, format_ident!("PHASE_BACK_UPDATE")),
    );
    out.extend(quote! {
        /// Zero the lane's gradients (while learned-only, those training reads) and prepare the
        /// replay of the spike tapes: 0, or 1 + the index of the first population whose tape
        /// overflowed.
        fn begin_backward(#begin_param, #learned_only_param #first_param) -> i32 {
            #begin
            0
        }

        #back_step
    });
    out
}
