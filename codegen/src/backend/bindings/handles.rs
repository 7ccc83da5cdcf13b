//! The handle structs of the bindings: one per population and per connection, with a typed
//! handle (`LaneVar<T>` or `Param<T>`) for each buffer a user reads or writes.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::{ident, pascal};
use crate::ir::buffers::{Buffer, Elem, Owner, Role};
use crate::ir::{Connectivity, Network, Precision};

/// One population or connection.
pub(super) struct Group {
    /// Field of `Model`.
    pub field: Ident,
    /// Handle struct.
    pub type_name: Ident,
    /// Doc comment of the field and struct.
    pub doc: String,
    /// `SIZE` constant: neurons or synapses.
    size: u64,
    members: Vec<Member>,
}

struct Member {
    field: Ident,
    doc: String,
    per_lane: bool,
    elem: TokenStream,
    index: usize,
}

/// Every population, then every connection, in IR order.
pub(super) fn groups(net: &Network) -> Vec<Group> {
    let mut out = Vec::new();
    for (i, pop) in net.populations.iter().enumerate() {
        let model = net.model_of(pop);
        out.push(Group {
            field: ident(&pop.name),
            type_name: format_ident!("{}Population", pascal(&pop.name)),
            doc: format!(
                " Population `{}`: {} `{}` neurons.",
                pop.name, pop.size, model.name
            ),
            size: pop.size as u64,
            members: members(
                net,
                Owner::Population(i as u32),
                &format!("pop_{}_", pop.name),
            ),
        });
    }
    for (i, c) in net.connections.iter().enumerate() {
        let kind = match c.connectivity {
            Connectivity::Dense => "dense, synapse `pre * n_post + post`",
            _ => "sparse, synapses in `row_start`/`post` order",
        };
        out.push(Group {
            field: ident(&c.name),
            type_name: format_ident!("{}Connection", pascal(&c.name)),
            doc: format!(
                " Connection `{}`: `{}` -> `{}`, {} synapses ({kind}).",
                c.name,
                net.pop(c.source).name,
                net.pop(c.target).name,
                c.n_synapses
            ),
            size: c.n_synapses,
            members: members(
                net,
                Owner::Connection(i as u32),
                &format!("conn_{}_", c.name),
            ),
        });
    }
    out
}

/// The buffers of `owner` a user reads or writes; field names are the buffer names without
/// `prefix` (buffer names are unique, so fields are too).
fn members(net: &Network, owner: Owner, prefix: &str) -> Vec<Member> {
    net.buffers
        .iter()
        .enumerate()
        .filter(|(_, b)| b.owner == owner)
        .filter_map(|(index, b)| {
            let doc = describe(b)?;
            let name = b.name.strip_prefix(prefix).unwrap_or(&b.name);
            Some(Member {
                field: ident(name),
                doc: format!(" {doc} (`{}`).", b.name),
                per_lane: b.batched,
                elem: elem(b.elem, net.precision),
                index,
            })
        })
        .collect()
}

/// What a user-facing buffer holds; `None` for the simulator's internal buffers.
fn describe(b: &Buffer) -> Option<&'static str> {
    Some(match b.role {
        Role::Var(_) => "State variable, per neuron",
        Role::SpikeCount => "Number of neurons that spiked in the last step",
        Role::Spikes => "Neurons that spiked in the last step (the first `spike_count`)",
        Role::Readout => "Readout of each neuron",
        Role::ReadoutStep => "Step of each neuron's readout (maximum or first spike)",
        Role::AdjointVar(_) => "Adjoint variable, per neuron",
        Role::Weight => "Weights, per synapse",
        Role::DelayMs => "Delays in ms, per synapse",
        Role::RowStart => "First synapse of each presynaptic neuron",
        Role::PostIndex => "Postsynaptic neuron of each synapse",
        Role::WeightGrad => "Gradient of the loss with respect to each weight",
        Role::DelayGrad => "Gradient of the loss with respect to each delay, per ms",
        _ => return None,
    })
}

fn elem(elem: Elem, precision: Precision) -> TokenStream {
    match (elem, precision) {
        (Elem::Scalar, Precision::F32) => quote!(f32),
        (Elem::Scalar, Precision::F64) => quote!(f64),
        (Elem::U32, _) => quote!(u32),
        (Elem::U16, _) => quote!(u16),
    }
}

impl Member {
    fn handle_type(&self) -> TokenStream {
        let elem = &self.elem;
        if self.per_lane {
            quote!(LaneVar<#elem>)
        } else {
            quote!(Param<#elem>)
        }
    }
}

impl Group {
    /// The handle struct with its `SIZE`.
    pub fn definition(&self) -> TokenStream {
        let (name, doc) = (&self.type_name, &self.doc);
        let size = Literal::u64_unsuffixed(self.size);
        let fields = self.members.iter().map(|m| {
            let (field, doc, ty) = (&m.field, &m.doc, m.handle_type());
            quote! { #[doc = #doc] pub #field: #ty, }
        });
        let unit = if name.to_string().ends_with("Population") {
            " Neurons."
        } else {
            " Synapses."
        };
        quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug)]
            pub struct #name {
                #(#fields)*
            }

            impl #name {
                #[doc = #unit]
                pub const SIZE: u64 = #size;
            }
        }
    }

    /// The struct's value (every handle's buffer index).
    pub fn value(&self) -> TokenStream {
        let name = &self.type_name;
        let fields = self.members.iter().map(|m| {
            let (field, index) = (&m.field, Literal::usize_unsuffixed(m.index));
            let ty = if m.per_lane {
                quote!(LaneVar)
            } else {
                quote!(Param)
            };
            quote! { #field: #ty::new(#index), }
        });
        quote!(#name { #(#fields)* })
    }
}
