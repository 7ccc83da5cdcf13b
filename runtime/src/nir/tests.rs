//! Unit tests of the NIR mapping on in-memory graphs (no HDF5 needed): spike conventions and
//! time units, per-neuron `r`/`w_in`, names, sizes, subgraph edges, and the rejections that the
//! fixture tests do not reach.

use super::graph::{Array, Graph, Node};
use super::import::{ImportOptions, Kind, Spike, TimeUnit, identifier, import};

fn lif(n: usize, tau_syn: f64, r: f64, w_in: Vec<f64>) -> Node {
    let fill = |x: f64| Array::vector(vec![x; n]);
    Node::new(
        "CubaLIF",
        vec![
            ("tau_mem", fill(0.02)),
            ("tau_syn", fill(tau_syn)),
            ("r", fill(r)),
            ("v_leak", fill(0.0)),
            ("v_threshold", fill(1.0)),
            ("v_reset", fill(0.0)),
            ("w_in", Array::vector(w_in)),
        ],
    )
}

/// `in(2) -> fc -> lif(2)` with weight `[[1, 2], [3, 4]]` and `w_in = [1, 2]`.
fn simple(tau_syn: f64) -> Graph {
    let mut g = Graph::default();
    g.add(
        "in",
        Node::new("Input", vec![("shape", Array::shape_of(&[2]))]),
    );
    g.add(
        "fc",
        Node::new(
            "Linear",
            vec![("weight", Array::matrix(2, 2, vec![1.0, 2.0, 3.0, 4.0]))],
        ),
    );
    g.add("lif", lif(2, tau_syn, 0.5, vec![1.0, 2.0]));
    g.edge("in", "fc");
    g.edge("fc", "lif");
    g
}

fn opts(spike: Spike, time_unit: TimeUnit) -> ImportOptions {
    ImportOptions {
        spike,
        time_unit,
        dt_ms: 1.0,
    }
}

#[test]
fn conventions_scale_weights_by_r_w_in_and_tau_syn() {
    let g = simple(0.005);
    let w = |spike| {
        import(&g, &opts(spike, TimeUnit::Seconds))
            .unwrap()
            .connections[0]
            .weight
            .clone()
    };
    // rgenn [pre, post] = W[post, pre] * r_post * w_in_post * per-unit factor.
    let gain = [0.5, 1.0];
    let base = [1.0 * gain[0], 3.0 * gain[1], 2.0 * gain[0], 4.0 * gain[1]];
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs())
    };
    assert!(close(&w(Spike::Jump), &base));
    assert!(close(&w(Spike::Dirac), &base.map(|x| x / 0.005)));
    assert!(close(
        &w(Spike::Step(1e-4)),
        &base.map(|x| x * 1e-4 / 0.005)
    ));
}

#[test]
fn time_unit_ms_reads_times_as_ms() {
    let mut g = simple(5.0);
    g.add(
        "d",
        Node::new("Delay", vec![("delay", Array::vector(vec![2.0, 3.0]))]),
    );
    g.edges = vec![
        ("in".into(), "d".into()),
        ("d".into(), "fc".into()),
        ("fc".into(), "lif".into()),
    ];
    let net = import(&g, &opts(Spike::Dirac, TimeUnit::Millis)).unwrap();
    assert!(matches!(net.populations[1].kind, Kind::Lif { tau_syn, .. } if tau_syn == 5.0));
    // A delay before the weights belongs to the source neuron: [pre 0: 2, 2; pre 1: 3, 3].
    assert_eq!(net.connections[0].delay_ms, vec![2.0, 2.0, 3.0, 3.0]);
    let s = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap();
    assert_eq!(
        s.connections[0].delay_ms,
        vec![2000.0, 2000.0, 3000.0, 3000.0]
    );
}

#[test]
fn identifiers_are_sanitised() {
    assert_eq!(identifier("0"), "n0");
    assert_eq!(identifier("rsyn.lif"), "rsyn_lif");
    assert_eq!(identifier("a-b c"), "a_b_c");
    assert_eq!(identifier(""), "n");
}

#[test]
fn names_stay_unique() {
    // snnTorch-style numbered nodes: "0" (Linear) and "n0" would clash after sanitising.
    let mut g = simple(0.005);
    let lin = g.nodes.remove("fc").unwrap();
    g.add("0", lin);
    let l = g.nodes.remove("lif").unwrap();
    g.add("n0", l);
    g.edges = vec![("in".into(), "0".into()), ("0".into(), "n0".into())];
    let net = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap();
    assert_eq!(net.populations[1].name, "n0");
    assert_eq!(net.connections[0].name, "n0_2");
}

#[test]
fn sizes_that_disagree_name_the_node_and_field() {
    let mut g = simple(0.005);
    g.add(
        "fc",
        Node::new(
            "Linear",
            vec![("weight", Array::matrix(3, 2, vec![1.0; 6]))],
        ),
    );
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(
        e.contains("node `fc` field `weight`") && e.contains("`lif`"),
        "{e}"
    );
}

#[test]
fn two_linears_in_series_are_rejected() {
    let mut g = simple(0.005);
    g.add(
        "fc2",
        Node::new(
            "Linear",
            vec![("weight", Array::matrix(2, 2, vec![1.0; 4]))],
        ),
    );
    g.edges = vec![
        ("in".into(), "fc".into()),
        ("fc".into(), "fc2".into()),
        ("fc2".into(), "lif".into()),
    ];
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(
        e.contains("node `fc2` field `weight`") && e.contains("`fc`"),
        "{e}"
    );
}

#[test]
fn edges_to_a_subgraph_need_one_input() {
    let mut sub = Graph::default();
    sub.add("a", Node::new("Input", vec![]));
    sub.add("b", Node::new("Input", vec![]));
    let mut g = simple(0.005);
    g.add(
        "sub",
        Node {
            kind: "NIRGraph".into(),
            fields: Default::default(),
            graph: Some(sub),
        },
    );
    g.edge("lif", "sub");
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(e.contains("subgraph `sub`") && e.contains("2 Input"), "{e}");
    g.edges.pop();
    g.edge("lif", "sub.nope");
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(e.contains("`nope`") && e.contains("inside `sub`"), "{e}");
}

#[test]
fn missing_fields_and_non_finite_values_are_named() {
    let mut g = simple(0.005);
    g.nodes.get_mut("lif").unwrap().fields.remove("w_in");
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(e.contains("node `lif`") && e.contains("`w_in`"), "{e}");
    let mut g = simple(0.005);
    g.nodes
        .get_mut("fc")
        .unwrap()
        .fields
        .get_mut("weight")
        .unwrap()
        .values[1] = f64::NAN;
    let e = import(&g, &opts(Spike::Dirac, TimeUnit::Seconds)).unwrap_err();
    assert!(
        e.contains("node `fc` field `weight`") && e.contains("NaN"),
        "{e}"
    );
}

#[test]
fn a_direct_edge_is_one_to_one_and_needs_equal_sizes() {
    let mut g = simple(0.005);
    g.edges = vec![("in".into(), "lif".into())];
    let net = import(&g, &opts(Spike::Jump, TimeUnit::Seconds)).unwrap();
    assert_eq!(net.connections[0].name, "in_lif");
    assert_eq!(net.connections[0].weight, vec![0.5, 0.0, 0.0, 1.0]);
    g.add(
        "in",
        Node::new("Input", vec![("shape", Array::shape_of(&[3]))]),
    );
    let e = import(&g, &opts(Spike::Jump, TimeUnit::Seconds)).unwrap_err();
    assert!(
        e.contains("`in` (3 neurons)") && e.contains("`lif` (2 neurons)"),
        "{e}"
    );
}

#[test]
fn an_affine_with_a_zero_bias_is_a_linear() {
    let mut g = simple(0.005);
    let w = Array::matrix(2, 2, vec![1.0, 2.0, 3.0, 4.0]);
    g.add(
        "fc",
        Node::new(
            "Affine",
            vec![("weight", w), ("bias", Array::vector(vec![0.0, 0.0]))],
        ),
    );
    let a = import(&g, &opts(Spike::Jump, TimeUnit::Seconds)).unwrap();
    assert_eq!(
        a,
        import(&simple(0.005), &opts(Spike::Jump, TimeUnit::Seconds)).unwrap()
    );
}

#[cfg(not(feature = "hdf5"))]
#[test]
fn without_the_feature_reading_and_writing_say_how_to_enable_it() {
    let p = std::path::Path::new("model.nir");
    for e in [
        super::read(p).unwrap_err(),
        super::write(p, &Graph::default()).unwrap_err(),
    ] {
        let e = e.to_string();
        assert!(
            e.contains("model.nir") && e.contains("--features hdf5") && e.contains("libhdf5-dev"),
            "{e}"
        );
    }
}
