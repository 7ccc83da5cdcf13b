//! Forward kernels of the `rust` backend: spike delivery per connection, input spikes per spike
//! source, and the forward step calling them with the neuron updates (`update.rs`). Each is safe Rust over one lane's view and mirrors
//! the CPU backend's kernel of the same name statement by statement, so results are bit-identical.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::ctx::{Gen, doc, note, pos_minus_len, timed_step, usize_lit};
use super::state::inputs;
use crate::backend::plan::{Delay, Delivery, Fanout, consts, delivery};
use crate::ir::Connection;
use crate::ir::buffers::Role;

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
    let kind = delivery::kind_note(c);
    let delay = Delivery::of(g.net, c).delay_note();
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
    let delivery = Delivery::of(g.net, c);
    let per_synapse = delivery.per_synapse_delay();
    let steps = per_synapse.then(|| g.conn_buf(ci, Role::DelaySteps));
    let uniform = match delivery.delay {
        Delay::Fixed { steps } => {
            let slot = uniform_slot(g, tgt, steps);
            quote! {
                #slot
                let rgenn_row = &mut rgenn_ring[#idx(rgenn_slot, 0)..][..#size];
            }
        }
        Delay::PerSynapse { .. } => TokenStream::new(),
    };
    let body = match (delivery.fanout, &steps) {
        (Fanout::Dense, Some(steps)) => {
            let block = usize_lit(u64::from(consts::dense_block(delivery.target_size)));
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
        (Fanout::Dense, None) => quote! {
            let rgenn_w = &rgenn_g.#w[rgenn_pre * #size..][..#size];
            for (rgenn_x, rgenn_wk) in rgenn_row.iter_mut().zip(rgenn_w) {
                *rgenn_x += *rgenn_wk;
            }
        },
        (Fanout::OneToOne, Some(steps)) => {
            let slot = wrap_slot(g, tgt, quote!(rgenn_g.#steps[rgenn_pre] as usize));
            quote! {
                #slot
                rgenn_ring[#idx(rgenn_slot, rgenn_pre)] += rgenn_g.#w[rgenn_pre];
            }
        }
        (Fanout::OneToOne, None) => quote! {
            rgenn_row[rgenn_pre] += rgenn_g.#w[rgenn_pre];
        },
        (Fanout::Sparse { .. }, steps) => {
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
    let pos_minus_len = pos_minus_len(
        per_synapse && delivery.fanout == Fanout::Dense,
        "arrival slot (pos + k) mod ring_len, as pos - ring_len + k plus ring_len when negative",
        &ring_len,
    );
    g.conn_kernel(
        &d,
        (&name, TokenStream::new()),
        tgt,
        quote! {
            let rgenn_spikes = &rgenn_l.#spikes[..rgenn_l.#count[0] as usize];
            let rgenn_ring = &mut *rgenn_l.#ring;
            let rgenn_pos = rgenn_step as usize % #ring_len;
            #uniform
            #pos_minus_len
            for &rgenn_pre in rgenn_spikes {
                let rgenn_pre = rgenn_pre as usize;
                #body
            }
        },
    )
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
        out.extend(super::update::update(g, pi));
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
    out.extend(timed_step(
        quote! {
            /// Forward step n of one lane: deliver the spikes of step n-1 into the delay rings, update
            /// every neuron (taking its ring slot first), then emit the input spikes of step n.
        },
        format_ident!("forward_step"),
        g_param,
        (deliver_calls, format_ident!("PHASE_DELIVER")),
        (update_calls, format_ident!("PHASE_UPDATE")),
    ));
    out
}
