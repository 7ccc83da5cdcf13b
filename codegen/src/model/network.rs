//! Decode a network YAML file into [`Network`]: shapes and types only, every problem reported.

use super::decode::{
    self, MapReader, boolean, expected, integer, keyword, list, named_entries, number,
};
use super::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::yaml::NodeKind;

const TOP_KEYS: &[&str] = &[
    "name",
    "dt",
    "duration",
    "precision",
    "batch_size",
    "lane_group",
    "seed",
    "populations",
    "connections",
    "data",
    "training",
];
const POP_KEYS: &[&str] = &[
    "size",
    "model",
    "params",
    "readout",
    "record",
    "spike_capacity",
];
const CONN_KEYS: &[&str] = &[
    "source",
    "target",
    "connectivity",
    "weight",
    "delay",
    "max_delay",
    "learn",
];

/// Decode the root node of a network file. Returns `None` when something was reported.
pub fn parse_network(root: &Node, diags: &mut Diagnostics) -> Option<Network> {
    let before = diags.items.len();
    let mut top = MapReader::new(root, "the network", diags)?;
    let name = top
        .required("name", diags)
        .and_then(|n| decode::name(n, "network", diags));
    let dt_ms = top.required("dt", diags).and_then(|n| number(n, diags));
    // Absent: taken from the data when lowering (validate/duration.rs).
    let duration_ms = top.get("duration").map(|n| number(n, diags));
    let head = top.head_span();
    let precision = match top.get("precision") {
        Some(n) => keyword(
            n,
            "precision",
            &[("f32", Precision::F32), ("f64", Precision::F64)],
            diags,
        ),
        None => Some(Spanned::new(Precision::F32, head)),
    };
    let batch_size = optional_int(&mut top, "batch_size", 1, diags);
    let lane_group = optional_int(&mut top, "lane_group", 1, diags);
    let seed = optional_int(&mut top, "seed", 0, diags);
    let populations = match top.required("populations", diags) {
        Some(n) => named_entries(n, "population", diags)
            .into_iter()
            .filter_map(|(name, node)| parse_population(name, node, diags))
            .collect(),
        None => Vec::new(),
    };
    let connections = match top.get("connections") {
        Some(n) => named_entries(n, "connection", diags)
            .into_iter()
            .filter_map(|(name, node)| parse_connection(name, node, diags))
            .collect(),
        None => Vec::new(),
    };
    let data = top.get("data").and_then(|n| parse_data(n, diags));
    let training = top.get("training").and_then(|n| parse_training(n, diags));
    top.finish(TOP_KEYS, diags);
    if diags.items.len() > before {
        return None;
    }
    Some(Network {
        name: name?,
        dt_ms: dt_ms?,
        duration_ms: duration_ms.flatten(),
        precision: precision?,
        batch_size: batch_size?,
        lane_group: lane_group?,
        seed: seed?,
        populations,
        connections,
        data,
        training,
        span: root.span,
    })
}

fn optional_int(
    map: &mut MapReader,
    key: &str,
    default: i64,
    diags: &mut Diagnostics,
) -> Option<Spanned<i64>> {
    match map.get(key) {
        Some(n) => integer(n, diags),
        None => Some(Spanned::new(default, map.head_span())),
    }
}

fn parse_population(
    name: Spanned<String>,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Population> {
    let mut map = MapReader::new(node, "population", diags)?;
    let size = map.required("size", diags).and_then(|n| integer(n, diags));
    let model = map
        .required("model", diags)
        .and_then(|n| decode::string(n, diags));
    let params = match map.get("params") {
        Some(n) => named_entries(n, "param", diags)
            .into_iter()
            .filter_map(|(k, v)| Some((k, number(v, diags)?)))
            .collect(),
        None => Vec::new(),
    };
    let readout = map
        .get("readout")
        .and_then(|n| keyword(n, "readout", &Readout::ALL, diags));
    let record = match map.get("record") {
        Some(n) => list(n, "variable names", diags)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| decode::name(n, "variable", diags))
            .collect(),
        None => Vec::new(),
    };
    // `auto` (the default) leaves the capacity to grow at run time: no fixed number.
    let spike_capacity = map
        .get("spike_capacity")
        .filter(|n| n.as_scalar().is_none_or(|s| s.text != "auto"))
        .and_then(|n| {
            let c = integer(n, diags);
            if let (None, Some(d)) = (&c, diags.items.last_mut()) {
                d.help = Some("write a whole number, or `auto` to let the tape grow".into());
            }
            c
        });
    map.finish(POP_KEYS, diags);
    Some(Population {
        name,
        size: size?,
        model: model?,
        params,
        readout,
        record,
        spike_capacity,
        span: node.span,
    })
}

fn parse_connection(
    name: Spanned<String>,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Connection> {
    let mut map = MapReader::new(node, "connection", diags)?;
    let source = map
        .required("source", diags)
        .and_then(|n| decode::name(n, "population", diags));
    let target = map
        .required("target", diags)
        .and_then(|n| decode::name(n, "population", diags));
    let connectivity = match map.get("connectivity") {
        Some(n) => parse_connectivity(n, diags),
        None => Some(Spanned::new(Connectivity::Dense, map.head_span())),
    };
    let weight = map.get("weight").and_then(|n| parse_init(n, diags));
    let delay = map.get("delay").and_then(|n| parse_init(n, diags));
    let max_delay_ms = map.get("max_delay").and_then(|n| number(n, diags));
    let learn = match map.get("learn") {
        Some(n) => list(n, "`weight` or `delay`", diags)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| {
                keyword(
                    n,
                    "learn entry",
                    &[("weight", Learn::Weight), ("delay", Learn::Delay)],
                    diags,
                )
            })
            .collect(),
        None => Vec::new(),
    };
    map.finish(CONN_KEYS, diags);
    Some(Connection {
        name,
        source: source?,
        target: target?,
        connectivity: connectivity?,
        weight,
        delay,
        max_delay_ms,
        learn,
        span: node.span,
    })
}

fn parse_connectivity(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<Connectivity>> {
    if let NodeKind::Map(_) = node.kind {
        let mut map = MapReader::new(node, "connectivity", diags)?;
        let p = map.get("fixed_probability");
        map.finish(&["fixed_probability"], diags);
        let Some(p) = p else {
            diags.push(expected(node, "`{fixed_probability: P}`"));
            return None;
        };
        let p = number(p, diags)?;
        return Some(Spanned::new(Connectivity::FixedProbability(p), node.span));
    }
    let kinds = [
        ("dense", Some(Connectivity::Dense)),
        ("one_to_one", Some(Connectivity::OneToOne)),
        ("fixed_probability", None),
    ];
    let index = keyword(
        node,
        "connectivity",
        &[("dense", 0), ("one_to_one", 1), ("fixed_probability", 2)],
        diags,
    )?;
    match kinds[index.value].1.clone() {
        Some(c) => Some(Spanned::new(c, node.span)),
        None => {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::missing_probability",
                    node.span,
                    "`fixed_probability` needs a probability",
                )
                .help("write `connectivity: {fixed_probability: 0.1}`"),
            );
            None
        }
    }
}

fn parse_init(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<Init>> {
    let init = match &node.kind {
        NodeKind::Scalar(_) => Init::Constant(number(node, diags)?.value),
        NodeKind::Seq(_) => parse_values(node, diags)?,
        NodeKind::Map(_) => {
            let mut map = MapReader::new(node, "initialiser", diags)?;
            let init = if let Some(n) = map.get("normal") {
                let mut m = MapReader::new(n, "normal initialiser", diags)?;
                let mean = m.required("mean", diags).and_then(|n| number(n, diags));
                let sd = m.required("sd", diags).and_then(|n| number(n, diags));
                m.finish(&["mean", "sd"], diags);
                Some(Init::Normal {
                    mean: mean?.value,
                    sd: sd?,
                })
            } else if let Some(n) = map.get("uniform") {
                let mut m = MapReader::new(n, "uniform initialiser", diags)?;
                let min = m.required("min", diags).and_then(|n| number(n, diags));
                let max = m.required("max", diags).and_then(|n| number(n, diags));
                m.finish(&["min", "max"], diags);
                Some(Init::Uniform {
                    min: min?,
                    max: max?,
                })
            } else if let Some(n) = map.get("values") {
                parse_values(n, diags)
            } else if let Some(n) = map.get("file") {
                let path = decode::string(n, diags);
                let key = map
                    .get("key")
                    .and_then(|k| decode::string(k, diags))
                    .map(|k| k.value);
                Some(Init::File { path: path?, key })
            } else if let Some(n) = map.get("constant") {
                Some(Init::Constant(number(n, diags)?.value))
            } else {
                diags.push(
                    Diagnostic::new(
                        "rgenn::model::unknown_initialiser",
                        node.span,
                        "unknown initialiser",
                    )
                    .help("use a number, `{normal: {mean, sd}}`, `{uniform: {min, max}}`, `{values: [...]}` or `{file: x.npz}`"),
                );
                map.rest();
                None
            };
            map.finish(
                &["normal", "uniform", "values", "file", "key", "constant"],
                diags,
            );
            init?
        }
    };
    Some(Spanned::new(init, node.span))
}

fn parse_values(node: &Node, diags: &mut Diagnostics) -> Option<Init> {
    let NodeKind::Seq(items) = &node.kind else {
        diags.push(expected(node, "a list of numbers"));
        return None;
    };
    let nested = items.iter().any(|i| matches!(i.kind, NodeKind::Seq(_)));
    let rows: Vec<&Node> = if nested {
        items.iter().collect()
    } else {
        vec![node]
    };
    let mut lens = Vec::new();
    let mut values = Vec::new();
    let mut ok = true;
    for row in rows {
        let NodeKind::Seq(cells) = &row.kind else {
            diags.push(expected(row, "a row of numbers"));
            ok = false;
            continue;
        };
        lens.push(cells.len());
        for c in cells {
            match number(c, diags) {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
    }
    ok.then_some(Init::Values { rows: lens, values })
}

fn parse_data(node: &Node, diags: &mut Diagnostics) -> Option<Data> {
    let splits = [
        ("train", Split::Train),
        ("validation", Split::Validation),
        ("test", Split::Test),
    ];
    let NodeKind::Map(entries) = &node.kind else {
        diags.push(expected(node, "a mapping of dataset splits"));
        return None;
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(split) = keyword(k, "dataset split", &splits, diags) else {
            continue;
        };
        if let Some(source) = parse_source(v, diags) {
            out.push((split, source));
        }
    }
    Some(Data { splits: out })
}

fn parse_source(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<DataSource>> {
    let mut map = MapReader::new(node, "dataset source", diags)?;
    let source = if let Some(n) = map.get("generator") {
        let name = decode::name(n, "generator", diags);
        let trials = map.get("trials").and_then(|n| integer(n, diags));
        let seed = map.get("seed").and_then(|n| integer(n, diags));
        DataSource::Generator {
            name: name?,
            trials,
            seed,
        }
    } else if let Some(n) = map.get("npz") {
        DataSource::Npz(decode::string(n, diags)?)
    } else if let Some(n) = map.get("shd") {
        DataSource::Shd(decode::string(n, diags)?)
    } else if let Some(n) = map.get("ssc") {
        // SSC files have the SHD layout (35 classes); `ssc:` reads them the same way.
        DataSource::Shd(decode::string(n, diags)?)
    } else if let Some(n) = map.get("held_out") {
        let fraction = number(n, diags);
        let seed = map.get("seed").and_then(|n| integer(n, diags));
        DataSource::HeldOut {
            fraction: fraction?,
            seed,
        }
    } else if let Some(n) = map.get("speaker_fold") {
        DataSource::SpeakerFold(integer(n, diags)?)
    } else {
        diags.push(
            Diagnostic::new(
                "rgenn::model::unknown_data_source",
                node.span,
                "a dataset split needs a source",
            )
            .help(
                "use `{generator: NAME}`, `{npz: PATH}`, `{shd: PATH}` or `{ssc: PATH}`; \
                 a validation split may also be `{held_out: 0.1}` or `{speaker_fold: K}`",
            ),
        );
        map.rest();
        return None;
    };
    map.finish(
        &[
            "generator",
            "trials",
            "seed",
            "npz",
            "shd",
            "ssc",
            "held_out",
            "speaker_fold",
        ],
        diags,
    );
    Some(Spanned::new(source, node.span))
}

fn parse_training(node: &Node, diags: &mut Diagnostics) -> Option<Training> {
    let mut map = MapReader::new(node, "training", diags)?;
    let epochs = map
        .get("epochs")
        .map(|n| integer(n, diags))
        .unwrap_or(Some(Spanned::new(1, map.head_span())));
    let loss = map.required("loss", diags).and_then(|n| {
        keyword(
            n,
            "loss",
            &[
                (
                    "sparse_categorical_crossentropy",
                    Loss::SparseCategoricalCrossentropy,
                ),
                ("mean_squared_error", Loss::MeanSquaredError),
            ],
            diags,
        )
    });
    let (mut weight_optimizer, mut delay_optimizer) = (None, None);
    if let Some(n) = map.get("optimizer")
        && let Some(mut opt) = MapReader::new(n, "optimizer", diags)
    {
        weight_optimizer = opt.get("weight").and_then(|n| parse_adam(n, diags));
        delay_optimizer = opt.get("delay").and_then(|n| parse_adam(n, diags));
        opt.finish(&["weight", "delay"], diags);
    }
    let regularisation = map.get("regularisation").and_then(|n| {
        let mut r = MapReader::new(n, "regularisation", diags)?;
        let target = r
            .required("target_spikes", diags)
            .and_then(|n| number(n, diags));
        let (strength, mlgenn_lambda) = regularisation_strength(&mut r, diags);
        r.finish(&["target_spikes", "strength", "mlgenn_lambda"], diags);
        Some(Regularisation {
            target_spikes: target?,
            strength: strength?,
            mlgenn_lambda,
        })
    });
    let shuffle = map.get("shuffle").and_then(|n| boolean(n, diags));
    let patience = map.get("patience").and_then(|n| integer(n, diags));
    let augment = map.get("augment").and_then(|n| parse_augment(n, diags));
    map.finish(
        &[
            "epochs",
            "loss",
            "optimizer",
            "regularisation",
            "shuffle",
            "patience",
            "augment",
        ],
        diags,
    );
    Some(Training {
        epochs: epochs?,
        loss: loss?,
        weight_optimizer,
        delay_optimizer,
        regularisation,
        shuffle,
        patience,
        augment,
        span: node.span,
    })
}

fn parse_augment(node: &Node, diags: &mut Diagnostics) -> Option<Augment> {
    let mut map = MapReader::new(node, "augment", diags)?;
    let shift = map.get("shift").and_then(|n| integer(n, diags));
    let blend = map.get("blend").and_then(|n| boolean(n, diags));
    let blend_examples = map.get("blend_examples").and_then(|n| integer(n, diags));
    map.finish(&["shift", "blend", "blend_examples"], diags);
    Some(Augment {
        shift,
        blend,
        blend_examples,
        span: node.span,
    })
}

fn parse_adam(node: &Node, diags: &mut Diagnostics) -> Option<Optimizer> {
    let mut map = MapReader::new(node, "optimizer", diags)?;
    let Some(adam) = map.get("adam") else {
        diags.push(
            Diagnostic::new(
                "rgenn::model::unknown_optimizer",
                node.span,
                "unknown optimizer",
            )
            .help("rgenn supports `{adam: {lr: 0.001}}`"),
        );
        map.rest();
        return None;
    };
    map.finish(&["adam"], diags);
    let mut a = MapReader::new(adam, "Adam settings", diags)?;
    let here = a.head_span();
    let mut get = |key: &str, default: f64, a: &mut MapReader| match a.get(key) {
        Some(n) => number(n, diags),
        None => Some(Spanned::new(default, here)),
    };
    let lr = get("lr", 0.001, &mut a);
    let beta1 = get("beta1", 0.9, &mut a);
    let beta2 = get("beta2", 0.999, &mut a);
    let epsilon = get("epsilon", 1e-8, &mut a);
    let decay = get("decay", 1.0, &mut a);
    let ease_in = a.get("ease_in").and_then(|n| {
        let mut e = MapReader::new(n, "ease-in settings", diags)?;
        let start = e.required("start", diags).and_then(|n| number(n, diags));
        let factor = e.required("factor", diags).and_then(|n| number(n, diags));
        e.finish(&["start", "factor"], diags);
        Some((start?, factor?))
    });
    a.finish(
        &["lr", "beta1", "beta2", "epsilon", "decay", "ease_in"],
        diags,
    );
    Some(Optimizer {
        lr: lr?,
        beta1: beta1?,
        beta2: beta2?,
        epsilon: epsilon?,
        decay: decay?,
        ease_in,
    })
}

/// `strength:` (rgenn's units) or `mlgenn_lambda:` (mlGeNN's `reg_lambda_upper`): exactly one;
/// the value and whether it is mlGeNN's.
fn regularisation_strength(
    r: &mut MapReader<'_>,
    diags: &mut Diagnostics,
) -> (Option<Spanned<f64>>, bool) {
    match (r.get_entry("strength"), r.get_entry("mlgenn_lambda")) {
        (Some((_, n)), None) => (number(n, diags), false),
        (None, Some((_, n))) => (number(n, diags), true),
        (Some(_), Some((k, _))) => {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::two_strengths",
                    k.span,
                    "`regularisation` sets both `strength` and `mlgenn_lambda`",
                )
                .label("the second strength")
                .help(
                    "keep one: `strength` is rgenn's, `mlgenn_lambda` mlGeNN's `reg_lambda_upper` \
                     (rgenn multiplies it by the readout population's `tau_mem`)",
                ),
            );
            (None, false)
        }
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::missing_key",
                    r.head_span(),
                    "regularisation is missing the required key `strength` (or `mlgenn_lambda`)",
                )
                .label("`strength` is missing here"),
            );
            (None, false)
        }
    }
}
