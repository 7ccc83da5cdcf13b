//! Readouts in the `rust` backend: what each step or spike accumulates (forward) and how the
//! readout's gradient drives the adjoint (backward), printed from the plan's readout semantics.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ctx::Gen;
use super::forward::local;
use crate::backend::plan::{Accumulate, Drive, ReadoutPlan, readout};
use crate::ir::buffers::Role;

/// The readout of population `pi`: its views (added to `views`), and its code run
/// `(every step, on a spike)`.
pub fn accumulate(g: &Gen, pi: usize, views: &mut TokenStream) -> (TokenStream, TokenStream) {
    let (mut each_step, mut on_spike) = (TokenStream::new(), TokenStream::new());
    let Some(r) = ReadoutPlan::of_pop(&g.net.populations[pi]) else {
        return (each_step, on_spike);
    };
    let m = g.model(pi);
    let size = g.size(pi);
    let (acc, rs) = (
        local(&format_ident!("readout")),
        local(&format_ident!("readout_step")),
    );
    let acc_buf = g.pop_buf(pi, Role::Readout);
    views.extend(quote!(let #acc = &mut rgenn_l.#acc_buf[..#size];));
    if r.records_step {
        let rs_buf = g.pop_buf(pi, Role::ReadoutStep);
        views.extend(quote!(let #rs = &mut rgenn_l.#rs_buf[..#size];));
    }
    let var = || {
        let v = m
            .readout_var
            .expect("validated: sum, mean, mean_exp and max read a readout variable");
        g.ident(&m.vars[v.0 as usize])
    };
    let duration = g.lit(g.net.duration_ms);
    match r.accumulate {
        Accumulate::Sum => {
            let var = var();
            each_step.extend(quote!(#acc[rgenn_j] += #var;));
        }
        Accumulate::ExpWeightedSum => {
            let var = var();
            each_step.extend(quote!(#acc[rgenn_j] += Scalar::exp(-t / #duration) * #var;));
        }
        Accumulate::Max => {
            let var = var();
            each_step.extend(quote! {
                if #var > #acc[rgenn_j] {
                    #acc[rgenn_j] = #var;
                    #rs[rgenn_j] = rgenn_step;
                }
            });
        }
        Accumulate::FirstSpike => {
            on_spike.extend(quote! {
                if #acc[rgenn_j].is_infinite() {
                    #acc[rgenn_j] = t;
                    #rs[rgenn_j] = rgenn_step;
                }
            });
        }
    }
    (each_step, on_spike)
}

/// How the readout's gradient enters population `pi`'s reverse step: `(drive, addition to
/// dloss_dt at a spike)`, as in `shared::adjoint::readout_drive`; they read the readout gradient
/// and step through the lane's views cut to size (`rgenn_<buffer>`).
pub fn drive(g: &Gen, pi: usize) -> (TokenStream, TokenStream) {
    let pop = &g.net.populations[pi];
    let zero = g.lit(0.0);
    let Some(r) = readout::drive(pop) else {
        return (zero, TokenStream::new());
    };
    let grad = local(&g.pop_buf(pi, Role::ReadoutGrad));
    let grad = quote!(#grad[rgenn_j]);
    let at_step = || {
        let rs = local(&g.pop_buf(pi, Role::ReadoutStep));
        quote!(if rgenn_step == #rs[rgenn_j] { #grad } else { #zero })
    };
    let duration = g.lit(g.net.duration_ms);
    match r {
        Drive::Each => (grad, TokenStream::new()),
        Drive::EachMean => (quote!(#grad / N_STEPS as Scalar), TokenStream::new()),
        Drive::EachExpMean => (
            quote!(#grad * Scalar::exp(-t / #duration) / N_STEPS as Scalar),
            TokenStream::new(),
        ),
        Drive::AtStep => (at_step(), TokenStream::new()),
        Drive::SpikeTimeAtStep => {
            let s = at_step();
            (zero, quote!(+ (#s)))
        }
    }
}
