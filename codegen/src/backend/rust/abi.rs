//! The C ABI of the `rust` backend: the functions of `rgenn.h` with the same names and
//! signatures, as `pub unsafe extern "C" fn` items of the generated module (not exported, so two
//! models can live in one program), and the `cdylib.rs` crate root that exports them under their
//! C names for the runtime to load like the C++ library.
//!
//! Calling contract (the runtime's, see `runtime/src/simulator.rs`): `sim` comes from
//! `rgenn_create` and is destroyed once; calls for different lanes may run at the same time on
//! different threads, calls for the same lane never overlap; `rgenn_buffer` pointers are used
//! only while no lane runs; `rgenn_set_input`, `rgenn_profile`, `rgenn_set_learned_only` and
//! `rgenn_optimizer_step` run while nothing else does.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::ctx::{Gen, doc, note, usize_lit};
use super::state::inputs;
use crate::backend::ABI_VERSION;
use crate::backend::plan::{gradients, status};
use crate::ir::buffers::Role;

/// A status code of the plan (`plan::status`), printed as the negative literal it is.
fn status(code: i32) -> TokenStream {
    let n = Literal::i32_unsuffixed(-code);
    quote!(-#n)
}

/// One ABI function: name, parameters, return type.
struct Entry {
    name: &'static str,
    params: TokenStream,
    args: TokenStream,
    ret: TokenStream,
}

/// The ABI functions, in `rgenn.h` order.
fn entries() -> Vec<Entry> {
    let e = |name, params: TokenStream, args: TokenStream, ret: TokenStream| Entry {
        name,
        params,
        args,
        ret,
    };
    vec![
        e("rgenn_abi_version", quote!(), quote!(), quote!(-> u32)),
        e(
            "rgenn_cache_key",
            quote!(),
            quote!(),
            quote!(-> *const c_char),
        ),
        e("rgenn_create", quote!(), quote!(), quote!(-> *mut c_void)),
        e(
            "rgenn_destroy",
            quote!(sim: *mut c_void),
            quote!(sim),
            quote!(),
        ),
        e(
            "rgenn_buffer",
            quote!(sim: *mut c_void, index: u32),
            quote!(sim, index),
            quote!(-> *mut c_void),
        ),
        e(
            "rgenn_set_input",
            quote!(sim: *mut c_void, population: u32, lane: u32, step_start: *const u32, units: *const u32, n_units: u64),
            quote!(sim, population, lane, step_start, units, n_units),
            quote!(-> i32),
        ),
        e(
            "rgenn_reset",
            quote!(sim: *mut c_void, lane: u32),
            quote!(sim, lane),
            quote!(),
        ),
        e(
            "rgenn_step",
            quote!(sim: *mut c_void, lane: u32, step: u32),
            quote!(sim, lane, step),
            quote!(),
        ),
        e(
            "rgenn_finish_trial",
            quote!(sim: *mut c_void, lane: u32),
            quote!(sim, lane),
            quote!(),
        ),
        e(
            "rgenn_profile",
            quote!(sim: *mut c_void, enable: i32, out: *mut u64),
            quote!(sim, enable, out),
            quote!(),
        ),
        e(
            "rgenn_begin_backward",
            quote!(sim: *mut c_void, lane: u32),
            quote!(sim, lane),
            quote!(-> i32),
        ),
        e(
            "rgenn_back_step",
            quote!(sim: *mut c_void, lane: u32, step: u32),
            quote!(sim, lane, step),
            quote!(),
        ),
        e(
            "rgenn_set_learned_only",
            quote!(sim: *mut c_void, on: i32),
            quote!(sim, on),
            quote!(),
        ),
        e(
            "rgenn_optimizer_step",
            quote!(sim: *mut c_void, n_lanes: u32, hyper: *const f64),
            quote!(sim, n_lanes, hyper),
            quote!(-> i32),
        ),
    ]
}

/// The state behind a handle, shared: every entry point makes only `&State`, so lanes running
/// at once never hold a `&mut` to the same memory.
fn state_ref() -> TokenStream {
    let n = note("SAFETY: `sim` is a live state from `rgenn_create` (the caller's contract).");
    quote! {
        #n
        let rgenn_s = unsafe { &*sim.cast::<State>() };
    }
}

/// The `match index` arms of `rgenn_buffer`.
fn buffer_arms(g: &Gen) -> Vec<TokenStream> {
    let net = g.net;
    net.buffers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let i = Literal::u32_unsuffixed(i as u32);
            if b.role == Role::DelayGradRing {
                // The second half of the interleaved weight_grad history (see
                // `state::GRAD_RING_NOTE`).
                let ring = g.buf(b.owner, Role::WeightGradRing);
                let half = usize_lit(b.len * net.batch_size as u64);
                return quote!(#i => rgenn_s.#ring.ptr.wrapping_add(#half).cast(),);
            }
            let name = format_ident!("{}", b.name);
            quote!(#i => rgenn_s.#name.ptr.cast(),)
        })
        .collect()
}

/// The body of `rgenn_set_input`.
fn set_input_body(g: &Gen) -> TokenStream {
    let (err_lane, err_unit, err_population, err_input) = (
        status(status::RGENN_ERR_LANE),
        status(status::RGENN_ERR_UNIT),
        status(status::RGENN_ERR_POPULATION),
        status(status::RGENN_ERR_INPUT),
    );
    let s = state_ref();
    let has_inputs = !inputs(g).is_empty();
    let set_input = inputs(g).into_iter().map(|(field, pi)| {
        let (index, size) = (Literal::u32_unsuffixed(pi as u32), g.size(pi));
        quote! {
            #index => {
                if rgenn_units.iter().any(|&u| u as usize >= #size) {
                    return #err_unit;
                }
                if rgenn_start.windows(2).any(|w| w[0] > w[1] || (w[1] - w[0]) as usize > #size)
                    || rgenn_start[N_STEPS as usize] as u64 > n_units
                {
                    return #err_input;
                }
                rgenn_note!("SAFETY: lane checked; nothing else runs (the caller's contract).");
                let rgenn_input = unsafe { &mut *rgenn_s.#field[lane as usize].get() };
                rgenn_input.step_start = rgenn_start.to_vec();
                rgenn_input.units = rgenn_units.to_vec();
                0
            }
        }
    });
    if !has_inputs {
        quote! {
            let _ = (sim, population, step_start, units, n_units);
            if lane >= BATCH_SIZE { #err_lane } else { #err_population }
        }
    } else {
        quote! {
            if lane >= BATCH_SIZE || step_start.is_null() || (units.is_null() && n_units > 0) {
                return #err_lane;
            }
            #s
            rgenn_note!("SAFETY: the caller passes N_STEPS + 1 step starts and n_units units.");
            let rgenn_start = unsafe { std::slice::from_raw_parts(step_start, N_STEPS as usize + 1) };
            let rgenn_units: &[u32] = if n_units == 0 {
                &[]
            } else {
                rgenn_note!("SAFETY: as above.");
                unsafe { std::slice::from_raw_parts(units, n_units as usize) }
            };
            match population {
                #(#set_input)*
                _ => #err_population,
            }
        }
    }
}

/// The statements that borrow the views a lane entry point runs on: the lane alone, the lane
/// while nobody writes the shared buffers, and the shared buffers.
struct Views {
    lane_only: TokenStream,
    lane_shared: TokenStream,
    shared: TokenStream,
}

/// The [`Views`] statements of the lane entry points.
fn views() -> Views {
    let lane_view = |what: &str| {
        let n = note(&format!(
            "SAFETY: lane checked; the caller runs nothing else on this lane{what}."
        ));
        quote! {
            #n
            let mut rgenn_l = unsafe { rgenn_s.lane(lane) };
        }
    };
    let lane_only = lane_view("");
    let lane_shared = lane_view(", and nothing writes the shared buffers meanwhile");
    let shared = quote! {
        rgenn_note!("SAFETY: nothing writes the shared buffers while lanes run (the caller's contract).");
        let rgenn_g = unsafe { rgenn_s.shared() };
    };
    Views {
        lane_only,
        lane_shared,
        shared,
    }
}

/// The bodies of `rgenn_reset_lane`, `rgenn_forward_step` and `rgenn_finish_lane`.
fn forward_bodies(v: &Views) -> Vec<TokenStream> {
    let s = state_ref();
    let Views {
        lane_only,
        lane_shared,
        shared,
    } = v;
    let (lane_guard, step_guard) = (
        quote!(if lane >= BATCH_SIZE {
            return;
        }),
        quote!(if lane >= BATCH_SIZE || step >= N_STEPS {
            return;
        }),
    );
    vec![
        quote! {
            #lane_guard
            #s
            #lane_only
            reset_lane(&mut rgenn_l);
        },
        quote! {
            #step_guard
            #s
            #lane_shared
            #shared
            forward_step(rgenn_s, lane, &mut rgenn_l, &rgenn_g, step);
        },
        quote! {
            #lane_guard
            #s
            #lane_only
            finish_lane(&mut rgenn_l);
        },
    ]
}

/// The body of `rgenn_profile`.
fn profile_body() -> TokenStream {
    let s = state_ref();
    quote! {
        #s
        rgenn_s.profiling.store(enable != 0, Ordering::Relaxed);
        if !out.is_null() {
            rgenn_note!("SAFETY: `out` points to N_PHASES values (the caller's contract).");
            let rgenn_out = unsafe { std::slice::from_raw_parts_mut(out, N_PHASES) };
            for (rgenn_k, rgenn_x) in rgenn_out.iter_mut().enumerate() {
                *rgenn_x = rgenn_s.profile.iter().map(|p| p[rgenn_k].swap(0, Ordering::Relaxed)).sum();
            }
        }
    }
}

/// The body of `rgenn_set_learned_only`: on the switch to learned-only, the gradients training
/// does not read are zeroed in every lane once (`begin_backward` then leaves them alone).
fn set_learned_only_body(g: &Gen) -> TokenStream {
    let s = state_ref();
    let zero = g.lit(0.0);
    let skipped = g
        .net
        .buffers
        .iter()
        .filter(|b| gradients::training_skips(g.net, b));
    let fills: Vec<TokenStream> = skipped
        .map(|b| {
            let name = format_ident!("{}", b.name);
            quote!(unsafe { rgenn_s.#name.part_mut(0, rgenn_s.#name.len) }.fill(#zero);)
        })
        .collect();
    let zero_skipped = if fills.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            if rgenn_on && !rgenn_s.learned_only.load(Ordering::Relaxed) {
                rgenn_note!("SAFETY: nothing else runs (the caller's contract).");
                #(#fills)*
            }
        }
    };
    quote! {
        #s
        let rgenn_on = on != 0;
        #zero_skipped
        rgenn_s.learned_only.store(rgenn_on, Ordering::Relaxed);
    }
}

/// The bodies of `rgenn_begin_backward`, `rgenn_backward_step`, `rgenn_set_learned_only` and
/// `rgenn_optimizer_step`:
/// the adjoint pass where the network has one, a status code (or nothing) where it has not.
fn backward_bodies(g: &Gen, v: &Views) -> Vec<TokenStream> {
    let (err_lane, err_no_adjoint) = (
        status(status::RGENN_ERR_LANE),
        status(status::RGENN_ERR_NO_ADJOINT),
    );
    let s = state_ref();
    let (lane_only, lane_shared, shared) = (&v.lane_only, &v.lane_shared, &v.shared);
    let backward = g.net.has_backward();
    // with lane groups, the adjoint entry points attach the group's gradient copies to the view
    // and the group's first lane zeroes them
    let (group, first_of_group) = if g.net.lane_group > 1 {
        let n =
            note("SAFETY: lane checked; the caller runs the group's lanes one after the other.");
        (
            quote! {
                #n
                unsafe { rgenn_s.group_gradients(lane, &mut rgenn_l) };
            },
            quote!(, lane % LANE_GROUP == 0),
        )
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    let begin_backward = if backward {
        quote! {
            #s
            #lane_only
            #group
            rgenn_note!("zeroing the lane's gradients here is part of the backward spike processing in the profile");
            let rgenn_t0 = rgenn_s.clock();
            let rgenn_rc = begin_backward(&mut rgenn_l, rgenn_s.learned_only.load(Ordering::Relaxed) #first_of_group);
            rgenn_s.record(lane, PHASE_BACK_SPIKES, rgenn_t0, rgenn_s.clock());
            rgenn_rc
        }
    } else {
        quote!(#err_no_adjoint)
    };
    let back_step = if backward {
        quote! {
            #s
            #lane_shared
            #group
            #shared
            back_step(rgenn_s, lane, &mut rgenn_l, &rgenn_g, step);
        }
    } else {
        quote!()
    };
    let optimizer = if backward {
        quote! {
            if n_lanes == 0 || n_lanes > BATCH_SIZE || hyper.is_null() {
                return #err_lane;
            }
            #s
            rgenn_note!("SAFETY: `hyper` points to 12 values, and nothing else runs (the caller's contract).");
            unsafe { optimizer_step(rgenn_s, n_lanes as usize, &*hyper.cast::<[f64; 12]>()) };
            0
        }
    } else {
        quote!(#err_no_adjoint)
    };
    let back_guard = if backward {
        quote!(if lane >= BATCH_SIZE || step >= N_STEPS {
            return;
        })
    } else {
        quote!(let _ = (sim, lane, step);)
    };
    let begin_guard = if backward {
        quote!(if lane >= BATCH_SIZE {
            return #err_lane;
        })
    } else {
        quote!(let _ = (sim, lane);)
    };
    let optimizer_guard = if backward {
        quote!()
    } else {
        quote!(let _ = (sim, n_lanes, hyper);)
    };
    vec![
        quote! {
            #begin_guard
            #begin_backward
        },
        quote! {
            #back_guard
            #back_step
        },
        set_learned_only_body(g),
        quote! {
            #optimizer_guard
            #optimizer
        },
    ]
}

/// The doc line of each ABI function, in the order of [`entries`].
const DOCS: [&str; 14] = [
    "The version of the C ABI this simulator speaks.",
    "The build-cache key of the generated sources (a NUL-terminated string).",
    "A new, zeroed state (reset each lane before use), or null when memory runs out.",
    "Free a state made by `rgenn_create`.",
    "The first element of buffer `index` (see the list in rgenn.h), or null.",
    "Input spikes of spike-source population `population` for `lane`: `step_start[N_STEPS + 1]`, `units[n_units]`. Returns 0, or -1 (bad lane or pointers), -2 (unit out of range), -3 (not a spike-source population), -6 (bad step starts): the codes of rgenn.h.",
    "Reset one lane's state to the start of a trial.",
    "Forward step `step` of one lane.",
    "The end of one lane's trial (final readout values).",
    "Turn per-phase timing on or off; when `out` is not null, it receives the nanoseconds since the last read, summed over lanes (forward delivery, forward update, backward spikes, backward update), and the sums reset.",
    "Start the adjoint pass of `lane`: 0, -8 without an adjoint, -1 for a bad lane, or 1 + the index of the first population whose spike tape overflowed.",
    "Reverse step `step` of one lane (call for N_STEPS - 1 down to 0).",
    "With `on` nonzero, later backward passes accumulate only the gradients of learned weights and delays (what training reads) and leave every other gradient at zero, in every lane; with `on` zero (the default), every gradient.",
    "Sum the gradients of lanes 0..n_lanes into lane 0 and take one Adam step (`hyper[12]`, see rgenn.h). Returns 0, -8 without an adjoint pass, -1 for a bad lane count or a null `hyper`.",
];

/// The ABI functions of the generated module.
pub fn functions(g: &Gen, cache_key: &str) -> TokenStream {
    let key = std::ffi::CString::new(cache_key).expect("a hex cache key has no NUL");
    let key = Literal::c_string(&key);
    let s = state_ref();
    let v = views();
    let buffers = buffer_arms(g);
    let abi_version = Literal::u32_unsuffixed(ABI_VERSION);
    let mut bodies: Vec<TokenStream> = vec![
        quote!(#abi_version),
        quote!(#key.as_ptr()),
        quote! {
            match State::new() {
                Some(rgenn_s) => Box::into_raw(Box::new(rgenn_s)).cast(),
                None => std::ptr::null_mut(),
            }
        },
        quote! {
            if !sim.is_null() {
                rgenn_note!("SAFETY: made by `rgenn_create`, destroyed once (the caller's contract).");
                drop(unsafe { Box::from_raw(sim.cast::<State>()) });
            }
        },
        quote! {
            #s
            match index {
                #(#buffers)*
                _ => std::ptr::null_mut(),
            }
        },
        set_input_body(g),
    ];
    bodies.extend(forward_bodies(&v));
    bodies.push(profile_body());
    bodies.extend(backward_bodies(g, &v));
    let mut out = TokenStream::new();
    for ((e, body), d) in entries().into_iter().zip(bodies).zip(DOCS) {
        let (name, params, ret) = (format_ident!("{}", e.name), e.params, e.ret);
        let d = doc(&format!(
            "{d}\n\n# Safety\n\nSee the calling contract at the top of this file."
        ));
        out.extend(quote! {
            #d
            pub unsafe extern "C" fn #name(#params) #ret {
                #body
            }
        });
    }
    out
}

/// The crate root that exports every ABI function under its C name.
pub fn cdylib() -> TokenStream {
    let wrappers = entries().into_iter().map(|e| {
        let (name, params, args, ret) = (format_ident!("{}", e.name), e.params, e.args, e.ret);
        let d = format!(" `{}` of rgenn.h, exported.", e.name);
        quote! {
            #[doc = #d]
            #[doc = ""]
            #[doc = " # Safety"]
            #[doc = ""]
            #[doc = " As the function of the simulator module it calls."]
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn #name(#params) #ret {
                rgenn_note!("SAFETY: the caller's contract is the simulator module's, passed on unchanged.");
                unsafe { simulator::#name(#args) }
            }
        }
    });
    quote! {
        #[path = "simulator.rs"]
        mod simulator;

        use std::ffi::{c_char, c_void};

        #(#wrappers)*
    }
}
