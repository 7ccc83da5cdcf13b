//! Snapshots of the typed Rust bindings (`backend::bindings`) of two example networks, once per
//! linkage. A diff here is a change in the API embedding crates see: review it.

use std::path::Path;

use rgenn_codegen::backend::bindings::{self, Linkage, Options};

fn bindings(example: &str, linkage: Linkage) -> String {
    let path = Path::new("../examples").join(example);
    let net = rgenn_codegen::load_file(&path)
        .expect("examples are valid")
        .ir;
    bindings::render(
        &net,
        &Options {
            cache_key: "0123abcd".into(),
            base_dir: "/path/to/examples".into(),
            source: format!("examples/{example}"),
            module: bindings::module_name(&net),
            linkage,
        },
    )
}

#[test]
fn sequence_detection_linked_c() {
    let prefix = "rgenn_sequence_detection_".to_string();
    insta::assert_snapshot!(bindings(
        "sequence_detection.yaml",
        Linkage::LinkedC { prefix }
    ));
}

#[test]
fn recurrent_delays_rust_kernels() {
    insta::assert_snapshot!(bindings("recurrent_delays.yaml", Linkage::RustKernels));
}

#[test]
fn bindings_are_valid_deterministic_rust() {
    let a = bindings("yin_yang.yaml", Linkage::RustKernels);
    let b = bindings("yin_yang.yaml", Linkage::RustKernels);
    assert_eq!(a, b);
    syn::parse_file(&a).expect("bindings parse as a Rust file");
    assert!(!a.contains("unsafe {"), "bindings contain no unsafe blocks");
}

#[test]
fn keyword_names_become_valid_rust() {
    let yaml = "name: match\ndt: 1.0\nduration: 2.0\npopulations:\n  type: {size: 1, model: spike_input}\n  self: {size: 1, model: li, params: {tau_mem: 10.0, tau_syn: 5.0}}\nconnections:\n  fn: {source: type, target: self, connectivity: dense, weight: 1.0}\n";
    let net = rgenn_codegen::load_str("t.yaml", yaml, Path::new("."))
        .expect("keywords are valid rgenn names")
        .ir;
    let text = bindings::render(
        &net,
        &Options {
            cache_key: String::new(),
            base_dir: ".".into(),
            source: "t.yaml".into(),
            linkage: Linkage::RustKernels,
            module: bindings::module_name(&net),
        },
    );
    syn::parse_file(&text).expect("keyword names still give valid Rust");
    for expected in [
        "pub mod r#match",
        "pub r#type: TypePopulation",
        "pub self_: SelfPopulation",
        "pub r#fn: FnConnection",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
}
