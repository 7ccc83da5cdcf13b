//! What every part of the `rust` backend shares: the network, the generated names (constants,
//! index functions, buffers) and printers of model code.
//!
//! Input: the IR. Output: identifiers and tokens. Names follow the CPU backend's, so the two
//! sources read alike: `OUTPUT_SIZE`, `OUTPUT_RING_LEN`, `output_ring_idx`, `k_update_output`,
//! buffers by their IR names.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::print::{self, Names, Printer, Reserved, SymKey};
use crate::ir::buffers::{Elem, Owner, Role};
use crate::ir::{ModelKind, Network, NeuronModel, Population, Precision};

/// The network and the names generated for it.
pub struct Gen<'a> {
    /// The network.
    pub net: &'a Network,
    /// Its precision.
    pub precision: Precision,
    /// Names generated items take in the value namespace.
    pub reserved: Reserved,
}

/// A comment line in a function body: `rgenn_note!("...")`, turned into `// ...` after
/// formatting (see `super::comments`).
pub fn note(text: &str) -> TokenStream {
    let lit = Literal::string(text);
    quote!(rgenn_note!(#lit);)
}

/// `#[doc = "..."]` lines for an item: `text` wrapped at 92 columns, `\n` starting a new line.
pub fn doc(text: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.len() + 1 + word.len() > 92 {
                let l = format!(" {line}");
                out.extend(quote!(#[doc = #l]));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        let l = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        out.extend(quote!(#[doc = #l]));
    }
    out
}

/// A `usize` literal.
pub fn usize_lit(n: u64) -> Literal {
    Literal::usize_unsuffixed(n as usize)
}

/// `rgenn_pos_minus_len` (dense rows with per-synapse delays compute their slots from it), noted
/// with `why`; empty when `needed` is false.
pub fn pos_minus_len(needed: bool, why: &str, ring_len: &Ident) -> TokenStream {
    if !needed {
        return TokenStream::new();
    }
    let n = note(why);
    quote! {
        #n
        let rgenn_pos_minus_len = rgenn_pos as i32 - #ring_len as i32;
    }
}

/// One lane's step function `name`, documented by `d`: `first`, then `second`, each timed into
/// its profiling phase.
pub fn timed_step(
    d: TokenStream,
    name: Ident,
    g_param: TokenStream,
    (first, first_phase): (TokenStream, Ident),
    (second, second_phase): (TokenStream, Ident),
) -> TokenStream {
    quote! {
        #d
        fn #name(rgenn_s: &State, lane: u32, rgenn_l: &mut Lane<'_>, #g_param, rgenn_step: u32) {
            let rgenn_t0 = rgenn_s.clock();
            #first
            let rgenn_t1 = rgenn_s.clock();
            #second
            let rgenn_t2 = rgenn_s.clock();
            rgenn_s.record(lane, #first_phase, rgenn_t0, rgenn_t1);
            rgenn_s.record(lane, #second_phase, rgenn_t1, rgenn_t2);
        }
    }
}

impl<'a> Gen<'a> {
    /// A connection kernel `name` into population `target`, documented by `d`, with `body`;
    /// `generics` are its generic parameters (`<const ALL: bool>`) or empty.
    pub fn conn_kernel(
        &self,
        d: &TokenStream,
        (name, generics): (&Ident, TokenStream),
        target: usize,
        body: TokenStream,
    ) -> TokenStream {
        let allow = self.allow_case();
        let allow_ring = self.allow_ring(target);
        quote! {
            #d
            #allow
            #allow_ring
            fn #name #generics(rgenn_l: &mut Lane<'_>, rgenn_g: &Shared<'_>, rgenn_step: u32) {
                #body
            }
        }
    }

    /// The generator of `net`.
    pub fn new(net: &'a Network) -> Gen<'a> {
        let mut names: BTreeSet<String> = ["DT", "N_STEPS", "BATCH_SIZE", "N_PHASES"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        names.extend(
            [
                "PHASE_DELIVER",
                "PHASE_UPDATE",
                "PHASE_BACK_SPIKES",
                "PHASE_BACK_UPDATE",
                "begin_backward",
                "back_step",
                "optimizer_step",
            ]
            .map(String::from),
        );
        for p in &net.populations {
            let upper = p.name.to_uppercase();
            for suffix in ["SIZE", "RING_LEN", "TAPE_CAPACITY"] {
                names.insert(format!("{upper}_{suffix}"));
            }
            names.insert(format!("{}_ring_idx", p.name));
            for k in ["update", "inputs", "back_spikes", "back_update"] {
                names.insert(format!("k_{k}_{}", p.name));
            }
        }
        for c in &net.connections {
            for k in ["deliver", "back", "optimize"] {
                names.insert(format!("k_{k}_{}", c.name));
            }
        }
        Gen {
            net,
            precision: net.precision,
            reserved: Reserved(names),
        }
    }

    /// `#[allow(non_snake_case)]` when some generated name has capitals (from a YAML name).
    pub fn allow_case(&self) -> TokenStream {
        let upper = |s: &str| s.chars().any(|c| c.is_ascii_uppercase());
        let any = self.net.buffers.iter().any(|b| upper(&b.name))
            || self.net.populations.iter().any(|p| upper(&p.name))
            || self.net.connections.iter().any(|c| upper(&c.name))
            || self.net.models.iter().any(|m| {
                m.vars
                    .iter()
                    .chain(&m.params)
                    .chain(&m.derived)
                    .any(|n| upper(n))
                    || m.adjoint.as_ref().is_some_and(|a| {
                        a.vars
                            .iter()
                            .chain(&a.tape)
                            .chain(&a.history)
                            .any(|n| upper(n))
                    })
            });
        if any {
            quote!(#[allow(non_snake_case)])
        } else {
            TokenStream::new()
        }
    }

    /// `#[allow(clippy::modulo_one)]` when population `pop`'s ring has one slot (positions are
    /// then always 0, and the kernel keeps its general form).
    pub fn allow_ring(&self, pop: usize) -> TokenStream {
        if self.net.populations[pop].ring_len == 1 {
            quote!(#[allow(clippy::modulo_one)])
        } else {
            TokenStream::new()
        }
    }

    /// A float literal in the network's precision.
    pub fn lit(&self, v: f64) -> TokenStream {
        print::literal(v, self.precision)
    }

    /// The buffer of `owner` with `role`.
    pub fn buf(&self, owner: Owner, role: Role) -> Ident {
        let b = crate::backend::plan::buffer(self.net, owner, role)
            .unwrap_or_else(|| panic!("validated: {owner:?} has a {role:?} buffer"));
        format_ident!("{}", b.name)
    }

    /// The buffer of population `pop` with `role`.
    pub fn pop_buf(&self, pop: usize, role: Role) -> Ident {
        self.buf(Owner::Population(pop as u32), role)
    }

    /// The buffer of connection `conn` with `role`.
    pub fn conn_buf(&self, conn: usize, role: Role) -> Ident {
        self.buf(Owner::Connection(conn as u32), role)
    }

    /// `<POP>_SIZE`.
    pub fn size(&self, pop: usize) -> Ident {
        format_ident!("{}_SIZE", self.net.populations[pop].name.to_uppercase())
    }

    /// `<POP>_RING_LEN`.
    pub fn ring_len(&self, pop: usize) -> Ident {
        format_ident!("{}_RING_LEN", self.net.populations[pop].name.to_uppercase())
    }

    /// `<POP>_TAPE_CAPACITY`.
    pub fn tape_capacity(&self, pop: usize) -> Ident {
        format_ident!(
            "{}_TAPE_CAPACITY",
            self.net.populations[pop].name.to_uppercase()
        )
    }

    /// `<pop>_ring_idx`.
    pub fn ring_idx(&self, pop: usize) -> Ident {
        format_ident!("{}_ring_idx", self.net.populations[pop].name)
    }

    /// The Rust type of a buffer element.
    pub fn elem(&self, e: Elem) -> TokenStream {
        match e {
            Elem::Scalar => quote!(Scalar),
            Elem::U32 => quote!(u32),
            Elem::U16 => quote!(u16),
        }
    }

    /// The identifier of a model name.
    pub fn ident(&self, name: &str) -> Ident {
        self.reserved.ident(name)
    }

    /// The model of population `pop`.
    pub fn model(&self, pop: usize) -> &'a NeuronModel {
        self.net.model_of(&self.net.populations[pop])
    }

    /// The adjoint of population `pop`'s model (validated to exist wherever a backward pass runs).
    pub fn adjoint(&self, pop: usize) -> &'a crate::ir::Adjoint {
        self.model(pop)
            .adjoint
            .as_ref()
            .expect("validated: has_backward")
    }

    /// True for spike-source populations.
    pub fn is_source(&self, pop: usize) -> bool {
        self.model(pop).kind == ModelKind::SpikeSource
    }

    /// A printer of population `pop`'s code with the given vars, inputs and locals.
    pub fn printer<'p>(
        &'p self,
        pop: usize,
        vars: &'p [String],
        inputs: &'p [String],
        locals: &'p [String],
    ) -> Printer<'p> {
        let m = self.model(pop);
        Printer {
            precision: self.precision,
            names: Names {
                params: &m.params,
                derived: &m.derived,
                vars,
                inputs,
            },
            locals,
            reserved: &self.reserved,
        }
    }

    /// `let name: Scalar = value;` for every param and derived param of `pop` in `used`, plus `t`
    /// and `dt` when used.
    pub fn constants(&self, pop: usize, used: &BTreeSet<SymKey>) -> TokenStream {
        let pop_ir: &Population = &self.net.populations[pop];
        let m = self.model(pop);
        let mut out = TokenStream::new();
        if used.contains(&SymKey::Dt) {
            out.extend(quote!(let dt: Scalar = DT;));
        }
        if used.contains(&SymKey::T) {
            out.extend(quote!(let t: Scalar = rgenn_step as Scalar * DT;));
        }
        for (i, (name, v)) in m.params.iter().zip(&pop_ir.params).enumerate() {
            if used.contains(&SymKey::Param(i as u32)) {
                let (n, v) = (self.ident(name), self.lit(*v));
                out.extend(quote!(let #n: Scalar = #v;));
            }
        }
        for (i, (name, v)) in m.derived.iter().zip(&pop_ir.derived).enumerate() {
            if used.contains(&SymKey::Derived(i as u32)) {
                let (n, v) = (self.ident(name), self.lit(*v));
                out.extend(quote!(let #n: Scalar = #v;));
            }
        }
        out
    }
}
