//! Connections: endpoints, connectivity, weight and delay initialisers, step delays, ring lengths.

use crate::diag::Diagnostic;
use crate::ir::{self, ConnId, PopId};
use crate::model::{self, Connectivity, Init, Learn};
use crate::rng;
use crate::span::{Span, Spanned};

use super::Cx;
use super::populations::Lowered;

/// `round(ms / dt)` half away from zero, as the delay rule of the forward semantics says.
pub fn steps(ms: f64, dt_ms: f64) -> u64 {
    (ms / dt_ms).round().max(0.0) as u64
}

/// Lower every connection; fills `ring_len`, `incoming` and `outgoing` of the populations.
pub fn lower_connections(
    cx: &mut Cx,
    net: &model::Network,
    pops: &mut [Lowered],
    dt_ms: f64,
    seed: u64,
) -> Vec<ir::Connection> {
    let mut out = Vec::new();
    for c in &net.connections {
        if let Some(conn) = lower_connection(cx, c, pops, dt_ms, seed) {
            let id = ConnId(out.len() as u32);
            let k_max = match conn.delays {
                ir::Delays::Uniform { steps } => steps,
                ir::Delays::PerSynapse { .. } => conn.max_delay_steps,
            };
            let target = &mut pops[conn.target.0 as usize].ir;
            target.ring_len = target.ring_len.max(1 + k_max);
            target.incoming.push(id);
            pops[conn.source.0 as usize].ir.outgoing.push(id);
            out.push(conn);
        }
    }
    out
}

fn find_pop(cx: &mut Cx, pops: &[Lowered], name: &Spanned<String>) -> Option<PopId> {
    match pops.iter().position(|p| p.name == name.value) {
        Some(i) => Some(PopId(i as u32)),
        None => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::unknown_population",
                    name.span,
                    format!("no population is named `{}`", name.value),
                )
                .label("unknown population")
                .suggest(&name.value, pops.iter().map(|p| p.name.as_str())),
            );
            None
        }
    }
}

fn lower_connection(
    cx: &mut Cx,
    c: &model::Connection,
    pops: &[Lowered],
    dt_ms: f64,
    seed: u64,
) -> Option<ir::Connection> {
    let before = cx.diags.items.len();
    let source = find_pop(cx, pops, &c.source);
    let target = find_pop(cx, pops, &c.target);
    let (source, target) = (source?, target?);
    let (pre, post) = (&pops[source.0 as usize], &pops[target.0 as usize]);
    if post.is_source(cx) {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::input_as_target",
                c.target.span,
                format!(
                    "`{}` is an input population and cannot receive connections",
                    post.name
                ),
            )
            .help("spike sources only emit the dataset's spikes"),
        );
    }
    let (n_pre, n_post) = (pre.ir.size, post.ir.size);
    let conn_seed = rng::stream_seed(seed, &c.name.value, "connectivity");
    let (connectivity, n_synapses) = lower_connectivity(cx, c, pre, post, conn_seed);
    let (learn_weight, learn_delay) = learn_flags(cx, c);
    // Weights.
    let layout = Layout {
        connectivity: &c.connectivity.value,
        n_pre,
        n_post,
        n_synapses,
    };
    let weight = match &c.weight {
        Some(w) => lower_init(cx, w, &layout, &c.name.value, "weight"),
        None => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::missing_weight",
                    c.name.span,
                    format!("connection `{}` has no `weight`", c.name.value),
                )
                .label("this connection")
                .help("add e.g. `weight: 1.0` or `weight: {normal: {mean: 0.0, sd: 0.1}}`"),
            );
            None
        }
    };

    let (delays, max_delay_steps) = lower_delays(cx, c, post, &layout, learn_delay, dt_ms);
    if cx.diags.items.len() > before {
        return None;
    }
    Some(ir::Connection {
        name: c.name.value.clone(),
        source,
        target,
        connectivity,
        n_synapses,
        seed: rng::stream_seed(seed, &c.name.value, "init"),
        weight: weight?,
        delays,
        max_delay_steps: max_delay_steps as u32,
        learn_weight,
        learn_delay,
        origin: cx.origin(c.name.span),
    })
}

/// The connectivity of `c` from `pre` to `post` (fixed-probability realised with `conn_seed`) and
/// its number of synapses.
fn lower_connectivity(
    cx: &mut Cx,
    c: &model::Connection,
    pre: &Lowered,
    post: &Lowered,
    conn_seed: u64,
) -> (ir::Connectivity, u64) {
    let (n_pre, n_post) = (pre.ir.size, post.ir.size);
    match &c.connectivity.value {
        Connectivity::Dense => (ir::Connectivity::Dense, n_pre as u64 * n_post as u64),
        Connectivity::OneToOne => {
            if n_pre != n_post {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::one_to_one_sizes",
                        c.connectivity.span,
                        format!("one-to-one needs equal sizes, but `{}` has {n_pre} neurons and `{}` has {n_post}", pre.name, post.name),
                    )
                    .label("sizes differ"),
                );
            }
            (ir::Connectivity::OneToOne, n_pre as u64)
        }
        Connectivity::FixedProbability(p) => {
            if !(0.0..=1.0).contains(&p.value) {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::bad_probability",
                        p.span,
                        format!("a probability must lie in [0, 1], found {}", p.value),
                    )
                    .label("not a probability"),
                );
                (ir::Connectivity::Dense, 0)
            } else if n_pre.max(1) as u64 * n_post.max(1) as u64 > MAX_DRAWN_PAIRS {
                // (a size of 0 is reported on its own, but the other side is still walked)
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::too_many_pairs",
                        c.connectivity.span,
                        format!(
                            "fixed-probability connectivity is drawn pair by pair when the network is loaded, and `{}` -> `{}` has {} pairs, more than {MAX_DRAWN_PAIRS}",
                            pre.name,
                            post.name,
                            n_pre as u64 * n_post as u64
                        ),
                    )
                    .label("too many pairs to draw")
                    .help("use smaller populations, or dense connectivity"),
                );
                (ir::Connectivity::Dense, 0)
            } else {
                let (rows, posts) = rng::fixed_probability(n_pre, n_post, p.value, conn_seed);
                let max_row = rows.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
                (
                    ir::Connectivity::FixedProbability {
                        probability: p.value,
                        max_row_len: max_row,
                    },
                    posts.len() as u64,
                )
            }
        }
    }
}

/// The most pre/post pairs a fixed-probability connection may draw (2^30): its synapse list is
/// realised when the network is loaded.
pub const MAX_DRAWN_PAIRS: u64 = 1 << 30;

/// Whether `c` learns its weights and its delays (each listed at most once).
fn learn_flags(cx: &mut Cx, c: &model::Connection) -> (bool, bool) {
    let mut learn_weight = false;
    let mut learn_delay = false;
    for l in &c.learn {
        let flag = match l.value {
            Learn::Weight => &mut learn_weight,
            Learn::Delay => &mut learn_delay,
        };
        if *flag {
            cx.error(Diagnostic::new(
                "rgenn::validate::duplicate_learn",
                l.span,
                "listed twice in `learn`",
            ));
        }
        *flag = true;
    }

    (learn_weight, learn_delay)
}

/// The delays of `c` and the longest delay in steps, which sizes the delay ring of `post`.
fn lower_delays(
    cx: &mut Cx,
    c: &model::Connection,
    post: &Lowered,
    layout: &Layout,
    learn_delay: bool,
    dt_ms: f64,
) -> (ir::Delays, u64) {
    let max_delay_ms = match &c.max_delay_ms {
        Some(m) if m.value < 0.0 => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::negative_delay",
                    m.span,
                    "`max_delay` cannot be negative",
                )
                .label("negative"),
            );
            None
        }
        Some(m) => Some(m.value),
        None => None,
    };
    let delay_init = c
        .delay
        .as_ref()
        .and_then(|d| lower_init(cx, d, layout, &c.name.value, "delay"));
    if let Some(d) = &c.delay {
        check_delay_range(cx, d, max_delay_ms);
    }
    let largest = c.delay.as_ref().and_then(|d| largest_delay(&d.value));
    let max_delay_ms = match (max_delay_ms, largest) {
        (Some(m), _) => m,
        (None, Some(l)) if !learn_delay => l,
        (None, _) => {
            let learned = c.learn.iter().find(|l| l.value == Learn::Delay);
            let cause = match (learned, &c.delay) {
                (Some(l), _) => Some(("learned delays need", l.span)),
                (None, Some(d)) => Some(("this delay initialiser needs", d.span)),
                (None, None) => None,
            };
            if let Some((why, span)) = cause {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::missing_max_delay",
                        span,
                        format!(
                            "{why} `max_delay` to size the delay ring of `{}`",
                            post.name
                        ),
                    )
                    .label("needs `max_delay`")
                    .help(format!(
                        "add `max_delay: <ms>` to connection `{}`",
                        c.name.value
                    )),
                );
            }
            0.0
        }
    };
    let max_delay_steps = steps(max_delay_ms, dt_ms);
    if max_delay_steps > 1 << 20 {
        cx.error(Diagnostic::new(
            "rgenn::validate::delay_too_long",
            c.max_delay_ms.as_ref().map_or(c.name.span, |m| m.span),
            format!("the longest delay is {max_delay_steps} steps; rgenn supports at most 1048576"),
        ));
    }
    let delays = match (&delay_init, learn_delay) {
        (None, false) => ir::Delays::Uniform { steps: 0 },
        (Some(ir::Init::Constant(d)), false) => ir::Delays::Uniform {
            steps: steps(*d, dt_ms).min(max_delay_steps) as u32,
        },
        (Some(init), _) => ir::Delays::PerSynapse { init: init.clone() },
        (None, true) => ir::Delays::PerSynapse {
            init: ir::Init::Constant(0.0),
        },
    };
    (delays, max_delay_steps)
}

struct Layout<'a> {
    connectivity: &'a Connectivity,
    n_pre: u32,
    n_post: u32,
    n_synapses: u64,
}

fn lower_init(
    cx: &mut Cx,
    init: &Spanned<Init>,
    layout: &Layout,
    conn: &str,
    what: &str,
) -> Option<ir::Init> {
    Some(match &init.value {
        Init::Constant(v) => ir::Init::Constant(*v),
        Init::Normal { mean, sd } => {
            if sd.value < 0.0 {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::negative_sd",
                        sd.span,
                        "a standard deviation cannot be negative",
                    )
                    .label("negative"),
                );
                return None;
            }
            ir::Init::Normal {
                mean: *mean,
                sd: sd.value,
            }
        }
        Init::Uniform { min, max } => {
            if min.value > max.value {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::uniform_bounds",
                        min.span,
                        format!("`min` ({}) is larger than `max` ({})", min.value, max.value),
                    )
                    .label("larger than max"),
                );
                return None;
            }
            ir::Init::Uniform {
                min: min.value,
                max: max.value,
            }
        }
        Init::File { path, key } => ir::Init::File {
            path: path.value.clone(),
            key: key.clone().unwrap_or_else(|| format!("{conn}.{what}")),
        },
        Init::Values { rows, values } => {
            let ok = match layout.connectivity {
                Connectivity::Dense => {
                    (rows.len() == layout.n_pre as usize
                        && rows.iter().all(|&r| r == layout.n_post as usize))
                        || (rows.len() == 1 && values.len() as u64 == layout.n_synapses)
                }
                Connectivity::OneToOne => {
                    rows.len() == 1 && values.len() as u64 == layout.n_synapses
                }
                Connectivity::FixedProbability(_) => {
                    cx.error(
                        Diagnostic::new("rgenn::validate::values_for_random", init.span, format!("explicit {what} values need a fixed synapse order"))
                            .help("random connectivity decides its synapses from the seed; use a constant, `normal`, `uniform` or `file`"),
                    );
                    return None;
                }
            };
            if !ok {
                let expected = match layout.connectivity {
                    Connectivity::Dense => {
                        format!("{} rows of {} {what}s", layout.n_pre, layout.n_post)
                    }
                    _ => format!("a list of {} {what}s", layout.n_synapses),
                };
                let short_row = rows.iter().position(|&r| r != layout.n_post as usize);
                let found = match short_row {
                    _ if rows.len() == 1 => format!("found {} values", values.len()),
                    Some(k) if rows.len() == layout.n_pre as usize => {
                        format!("row {} has {} values", k + 1, rows[k])
                    }
                    _ => format!("found {} rows", rows.len()),
                };
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::values_shape",
                        init.span,
                        format!("expected {expected}, but {found}"),
                    )
                    .label("wrong shape"),
                );
                return None;
            }
            ir::Init::Values(values.iter().map(|v| v.value).collect())
        }
    })
}

/// Every delay must lie in `[0, max_delay]`.
fn check_delay_range(cx: &mut Cx, d: &Spanned<Init>, max_delay_ms: Option<f64>) {
    let check = |value: f64, span: Span, cx: &mut Cx| {
        if value < 0.0 {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::negative_delay",
                    span,
                    format!("delays cannot be negative, found {value} ms"),
                )
                .label("negative delay"),
            );
        } else if let Some(m) = max_delay_ms
            && value > m
        {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::delay_above_max",
                    span,
                    format!("a delay of {value} ms is longer than `max_delay` ({m} ms)"),
                )
                .label("above max_delay")
                .help("raise `max_delay` or shorten the delay"),
            );
        }
    };
    match &d.value {
        Init::Constant(v) => check(*v, d.span, cx),
        Init::Values { values, .. } => {
            for v in values {
                check(v.value, v.span, cx);
            }
        }
        Init::Uniform { min, max } => {
            check(min.value, min.span, cx);
            check(max.value, max.span, cx);
        }
        Init::Normal { .. } | Init::File { .. } => {}
    }
}

/// The largest delay an initialiser can produce, when it is bounded.
fn largest_delay(init: &Init) -> Option<f64> {
    match init {
        Init::Constant(v) => Some(*v),
        Init::Values { values, .. } => values.iter().map(|v| v.value).reduce(f64::max),
        Init::Uniform { max, .. } => Some(max.value),
        Init::Normal { .. } | Init::File { .. } => None,
    }
}
