//! Typed Rust bindings of one network for embedding crates (`rgenn-build` writes them into
//! `OUT_DIR`; `rgenn_runtime::include_model!` includes them).
//!
//! The bindings are one module named after the network: constants (batch size, steps, dt), a
//! struct of typed buffer handles per population and per connection, `Handles` with one field per
//! population and connection, its `rgenn_runtime::embed::Bindings` (the IR, cache key and entry
//! points the simulator was generated with) and `type Model = rgenn_runtime::embed::Model<Handles>`.
//! All behaviour lives in the runtime; the bindings only name things. Built with `quote` and
//! formatted with `prettyplease`, so the output is deterministic.

mod handles;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Network, Precision};

/// The C entry points of every generated simulator, without the `rgenn_` prefix, with their
/// parameter and return types as the runtime's `EntryPoints` names them.
pub const ENTRY_POINTS: [&str; 14] = [
    "abi_version",
    "cache_key",
    "create",
    "destroy",
    "buffer",
    "set_input",
    "reset",
    "step",
    "finish_trial",
    "begin_backward",
    "back_step",
    "set_learned_only",
    "optimizer_step",
    "profile",
];

/// Where the simulator behind the bindings comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Linkage {
    /// The C++ (`cpu`) sources, compiled and linked into the crate with every entry point
    /// `rgenn_<x>` renamed to `<prefix><x>` (so several networks can be linked into one program).
    LinkedC {
        /// Symbol prefix, e.g. `rgenn_sequence_detection_`.
        prefix: String,
    },
    /// The `rust` backend's `simulator.rs`, in the same folder as the bindings.
    RustKernels,
}

/// What the bindings need besides the IR.
#[derive(Clone, Debug)]
pub struct Options {
    /// Cache key of the generated simulator sources.
    pub cache_key: String,
    /// Folder of the network file (relative data paths in the IR are resolved against it).
    pub base_dir: String,
    /// The network file, for the header comment.
    pub source: String,
    /// Where the simulator comes from.
    pub linkage: Linkage,
    /// The module's name (usually [`module_name`]).
    pub module: String,
}

/// The default module name for `net`: its name as a Rust identifier (characters outside
/// `[A-Za-z0-9_]` become `_`).
pub fn module_name(net: &Network) -> String {
    rust_name(&net.name)
}

/// `name` as a module name (characters outside `[A-Za-z0-9_]` become `_`).
pub fn module_name_of(name: &str) -> String {
    rust_name(name)
}

/// The symbol prefix `rgenn-build` gives the C entry points of the network in `module`.
pub fn symbol_prefix(module: &str) -> String {
    format!("rgenn_{}_", rust_name(module))
}

/// `bindings.rs` for `net`; the IR goes next to it as `network.json` ([`Network::to_json`]).
pub fn render(net: &Network, opts: &Options) -> String {
    let module = ident(&opts.module);
    let name = &net.name;
    let batch_size = Literal::u32_unsuffixed(net.batch_size);
    let n_steps = Literal::u32_unsuffixed(net.n_steps);
    let dt_ms = Literal::f64_unsuffixed(net.dt_ms);
    let scalar = match net.precision {
        Precision::F32 => quote!(f32),
        Precision::F64 => quote!(f64),
    };
    let cache_key = &opts.cache_key;
    let base_dir = &opts.base_dir;
    let groups = handles::groups(net);
    let structs = groups.iter().map(handles::Group::definition);
    let fields = groups.iter().map(|g| {
        let (field, ty, doc) = (&g.field, &g.type_name, &g.doc);
        quote! { #[doc = #doc] pub #field: #ty, }
    });
    let inits = groups.iter().map(|g| {
        let (field, value) = (&g.field, g.value());
        quote! { #field: #value, }
    });
    let entry = entry_points(&opts.linkage);
    let doc = format!(
        " Typed bindings of network `{name}`: `Model::new()` starts its simulator; `Model` \
         dereferences to [`Handles`], one field per population and connection."
    );
    let tokens = quote! {
        #[doc = #doc]
        #[allow(dead_code, clippy::all)]
        pub mod #module {
            use rgenn_runtime::embed::{Bindings, LaneVar, Param};

            /// Network name.
            pub const NAME: &str = #name;
            /// Batch lanes.
            pub const BATCH_SIZE: u32 = #batch_size;
            /// Time steps per trial.
            pub const N_STEPS: u32 = #n_steps;
            /// Time step, ms.
            pub const DT_MS: f64 = #dt_ms;

            /// The network's floating-point type.
            pub type Scalar = #scalar;

            /// The network's simulator (`Model::new()`), dereferencing to its [`Handles`].
            pub type Model = rgenn_runtime::embed::Model<Handles>;

            /// Typed handles on the buffers of every population and connection.
            #[derive(Clone, Copy, Debug)]
            pub struct Handles {
                #(#fields)*
            }

            #(#structs)*

            impl Bindings for Handles {
                const IR: &'static str = include_str!("network.json");
                const CACHE_KEY: &'static str = #cache_key;
                const BASE_DIR: &'static str = #base_dir;

                fn entry_points() -> rgenn_runtime::EntryPoints {
                    simulator::entry_points()
                }

                fn handles() -> Handles {
                    Handles { #(#inits)* }
                }
            }

            #entry
        }
    };
    let file: syn::File = syn::parse2(tokens).expect("the bindings are valid Rust syntax");
    format!(
        "// Generated by rgenn from {}. Do not edit.\n\n{}",
        opts.source,
        prettyplease::unparse(&file)
    )
}

/// The `simulator` module: `entry_points()` from linked C symbols or from the Rust kernels.
fn entry_points(linkage: &Linkage) -> TokenStream {
    let fields: Vec<Ident> = ENTRY_POINTS.iter().map(|e| format_ident!("{e}")).collect();
    match linkage {
        Linkage::LinkedC { prefix } => {
            let decls = ENTRY_POINTS.iter().map(|e| {
                let f = format_ident!("{e}");
                let symbol = format!("{prefix}{e}");
                let sig = signature(e);
                quote! { #[link_name = #symbol] pub fn #f #sig; }
            });
            quote! {
                /// The simulator's C entry points, compiled and linked by `rgenn-build`.
                mod simulator {
                    use std::ffi::{c_char, c_void};

                    unsafe extern "C" {
                        #(#decls)*
                    }

                    pub fn entry_points() -> rgenn_runtime::EntryPoints {
                        rgenn_runtime::EntryPoints { #(#fields,)* }
                    }
                }
            }
        }
        Linkage::RustKernels => {
            let items = fields.iter().map(|f| {
                let symbol = format_ident!("rgenn_{f}");
                quote! { #f: kernels::#symbol, }
            });
            quote! {
                /// The simulator's kernels, generated as Rust (the `rust` backend).
                mod simulator {
                    mod kernels {
                        include!("simulator.rs");
                    }

                    pub fn entry_points() -> rgenn_runtime::EntryPoints {
                        rgenn_runtime::EntryPoints { #(#items)* }
                    }
                }
            }
        }
    }
}

/// Parameters and return type of entry point `e` (see `codegen/templates/cpu/rgenn.h.tera`).
fn signature(e: &str) -> TokenStream {
    match e {
        "abi_version" => quote!(() -> u32),
        "cache_key" => quote!(() -> *const c_char),
        "create" => quote!(() -> *mut c_void),
        "destroy" => quote!((sim: *mut c_void)),
        "buffer" => quote!((sim: *mut c_void, index: u32) -> *mut c_void),
        "set_input" => quote! {
            (
                sim: *mut c_void,
                population: u32,
                lane: u32,
                step_start: *const u32,
                units: *const u32,
                n_units: u64,
            ) -> i32
        },
        "reset" | "finish_trial" => quote!((sim: *mut c_void, lane: u32)),
        "step" | "back_step" => quote!((sim: *mut c_void, lane: u32, step: u32)),
        "begin_backward" => quote!((sim: *mut c_void, lane: u32) -> i32),
        "optimizer_step" => quote!((sim: *mut c_void, n_lanes: u32, hyper: *const f64) -> i32),
        "profile" => quote!((sim: *mut c_void, enable: i32, out: *mut u64)),
        "set_learned_only" => quote!((sim: *mut c_void, on: i32)),
        other => unreachable!("entry point {other} has no signature"),
    }
}

/// `name` as a Rust identifier: other characters become `_`, a leading digit gets a `_` before
/// it, and keywords become raw identifiers when printed.
fn rust_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// An identifier, raw when `name` is a keyword.
fn ident(name: &str) -> Ident {
    let mut name = rust_name(name);
    if matches!(name.as_str(), "_" | "self" | "Self" | "super" | "crate") {
        name.push('_');
    }
    if syn::parse_str::<Ident>(&name).is_ok() {
        Ident::new(&name, Span::call_site())
    } else {
        Ident::new_raw(&name, Span::call_site())
    }
}

/// `snake_case` as `PascalCase`.
fn pascal(name: &str) -> String {
    rust_name(name)
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
