//! Gradient reduction and Adam of the `rust` backend, as the CPU backend's `optimizer.cpp`: the
//! gradients of lanes 0..n_lanes are summed in lane order into lane 0, then every learned
//! parameter takes one Adam step; learned delays are clamped to [0, max_delay] ms and their step
//! delays recomputed by rounding half away from zero. `h` holds, for weights then delays: lr,
//! beta1, beta2, epsilon, 1 / (1 - beta1^t), 1 / (1 - beta2^t).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ctx::{Gen, doc, usize_lit};
use crate::backend::plan;
use crate::ir::buffers::{Owner, Role};

/// Sum lanes 1..n_lanes of `grad` into lane 0, then read the six hyperparameters from `h[at..]`.
fn reduce_and_hyper(grad: &proc_macro2::Ident, at: usize) -> TokenStream {
    let h: Vec<proc_macro2::Literal> = (at..at + 6)
        .map(proc_macro2::Literal::usize_unsuffixed)
        .collect();
    let [h0, h1, h2, h3, h4, h5] = &h[..] else {
        unreachable!("six hyperparameters")
    };
    quote! {
        let (rgenn_g, rgenn_rest) = rgenn_w.#grad.split_at_mut(rgenn_n);
        for rgenn_lg in rgenn_rest.chunks_exact(rgenn_n).take(rgenn_n_lanes - 1) {
            for (rgenn_a, rgenn_b) in rgenn_g.iter_mut().zip(rgenn_lg) {
                *rgenn_a += *rgenn_b;
            }
        }
        let rgenn_lr = rgenn_h[#h0] as Scalar;
        let rgenn_b1 = rgenn_h[#h1] as Scalar;
        let rgenn_b2 = rgenn_h[#h2] as Scalar;
        let rgenn_eps = rgenn_h[#h3] as Scalar;
        let rgenn_s1 = rgenn_h[#h4] as Scalar;
        let rgenn_s2 = rgenn_h[#h5] as Scalar;
    }
}

/// `k_optimize_<conn>`, or nothing when the connection learns nothing.
/// Adam's moment updates of synapse `rgenn_k` from its gradient.
fn adam_moments(one: &TokenStream) -> TokenStream {
    quote! {
        let rgenn_gk = rgenn_g[rgenn_k];
        rgenn_m[rgenn_k] = rgenn_b1 * rgenn_m[rgenn_k] + (#one - rgenn_b1) * rgenn_gk;
        rgenn_v[rgenn_k] = rgenn_b2 * rgenn_v[rgenn_k] + (#one - rgenn_b2) * rgenn_gk * rgenn_gk;
    }
}

/// Adam's step of synapse `rgenn_k` (subtracted from the parameter).
fn adam_step() -> TokenStream {
    quote!(
        rgenn_lr * rgenn_m[rgenn_k] * rgenn_s1
            / (Scalar::sqrt(rgenn_v[rgenn_k] * rgenn_s2) + rgenn_eps)
    )
}

fn optimize(g: &Gen, ci: usize) -> Option<TokenStream> {
    let c = &g.net.connections[ci];
    let learn_delay = c.trains_delay();
    if !c.learn_weight && !learn_delay {
        return None;
    }
    let name = format_ident!("k_optimize_{}", c.name);
    let d = doc(&format!("connection \"{}\"", c.name));
    let n = usize_lit(c.n_synapses);
    let one = g.lit(1.0);
    let (moments, step) = (adam_moments(&one), adam_step());
    let mut body = TokenStream::new();
    if c.learn_weight {
        let (grad, w, m, v) = (
            g.conn_buf(ci, Role::WeightGrad),
            g.conn_buf(ci, Role::Weight),
            g.conn_buf(ci, Role::WeightAdamM),
            g.conn_buf(ci, Role::WeightAdamV),
        );
        let head = reduce_and_hyper(&grad, 0);
        body.extend(quote! {
            {
                #head
                let rgenn_x = &mut *rgenn_w.#w;
                let rgenn_m = &mut *rgenn_w.#m;
                let rgenn_v = &mut *rgenn_w.#v;
                for rgenn_k in 0..rgenn_n {
                    #moments
                    rgenn_x[rgenn_k] -= #step;
                }
            }
        });
    }
    if learn_delay {
        let (grad, dms, steps, m, v) = (
            g.conn_buf(ci, Role::DelayGrad),
            g.conn_buf(ci, Role::DelayMs),
            g.conn_buf(ci, Role::DelaySteps),
            g.conn_buf(ci, Role::DelayAdamM),
            g.conn_buf(ci, Role::DelayAdamV),
        );
        let steps_type = g.elem(
            plan::buffer(g.net, Owner::Connection(ci as u32), Role::DelaySteps)
                .expect("validated: learned delays have step delays")
                .elem,
        );
        let head = reduce_and_hyper(&grad, 6);
        let max_ms = g.lit(c.max_delay_steps as f64 * g.net.dt_ms);
        let max_steps = g.lit(c.max_delay_steps as f64);
        let zero = g.lit(0.0);
        body.extend(quote! {
            {
                #head
                let rgenn_d = &mut *rgenn_w.#dms;
                let rgenn_steps = &mut *rgenn_w.#steps;
                let rgenn_m = &mut *rgenn_w.#m;
                let rgenn_v = &mut *rgenn_w.#v;
                for rgenn_k in 0..rgenn_n {
                    #moments
                    let mut rgenn_dk = rgenn_d[rgenn_k] - #step;
                    rgenn_dk = Scalar::min(Scalar::max(rgenn_dk, #zero), #max_ms);
                    rgenn_d[rgenn_k] = rgenn_dk;
                    rgenn_steps[rgenn_k] = Scalar::min(Scalar::round(rgenn_dk / DT), #max_steps) as #steps_type;
                }
            }
        });
    }
    let allow = g.allow_case();
    Some(quote! {
        #d
        #allow
        #[allow(clippy::needless_range_loop)]
        fn #name(rgenn_w: &mut Whole<'_>, rgenn_n_lanes: usize, rgenn_h: &[f64; 12]) {
            let rgenn_n: usize = #n;
            #body
        }
    })
}

/// Every optimiser kernel and `optimizer_step` calling them.
pub fn kernels(g: &Gen) -> TokenStream {
    let mut out = TokenStream::new();
    let mut calls = TokenStream::new();
    for ci in 0..g.net.connections.len() {
        if let Some(k) = optimize(g, ci) {
            out.extend(k);
            let name = format_ident!("k_optimize_{}", g.net.connections[ci].name);
            calls.extend(quote!(#name(&mut rgenn_w, rgenn_n_lanes, rgenn_h);));
        }
    }
    let body = if calls.is_empty() {
        quote!(let _ = (rgenn_s, rgenn_n_lanes, rgenn_h);)
    } else {
        // with lane groups, the copies to sum are the groups' (lane l adds to l / LANE_GROUP)
        let copies = if g.net.lane_group > 1 {
            quote!(let rgenn_n_lanes = rgenn_n_lanes.div_ceil(LANE_GROUP as usize);)
        } else {
            TokenStream::new()
        };
        quote! {
            #copies
            rgenn_note!("SAFETY: the caller runs nothing else on this state meanwhile.");
            let mut rgenn_w = unsafe { rgenn_s.whole() };
            #calls
        }
    };
    out.extend(quote! {
        /// Sum the gradients of lanes 0..n_lanes into lane 0 and take one Adam step.
        ///
        /// # Safety
        ///
        /// Nothing else uses the state meanwhile; `0 < n_lanes <= BATCH_SIZE`.
        unsafe fn optimizer_step(rgenn_s: &State, rgenn_n_lanes: usize, rgenn_h: &[f64; 12]) {
            #body
        }
    });
    out
}
