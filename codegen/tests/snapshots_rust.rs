//! Snapshots of the `rust` backend's generated files for two example networks (one feedforward
//! with learned delays in f32, one recurrent with every connectivity), and its determinism. A
//! diff here is a change in generated code: review it (`cargo insta review`), never accept it
//! blindly.

use std::path::Path;

use rgenn_codegen::backend::{self, Backend};

#[test]
fn examples_rust_sources() {
    for name in ["sequence_detection", "recurrent_delays"] {
        let path = Path::new("../examples").join(format!("{name}.yaml"));
        let loaded = rgenn_codegen::load_file(&path).expect("examples are valid");
        for f in backend::render(&loaded.ir, Backend::Rust).expect("examples render") {
            insta::assert_snapshot!(format!("{name}.rust.{}", f.name), f.contents);
        }
    }
}

#[test]
fn every_example_renders_and_is_deterministic() {
    insta::glob!("../../examples", "*.yaml", |path: &Path| {
        let render = || {
            let ir = rgenn_codegen::load_file(path)
                .expect("examples are valid")
                .ir;
            backend::render(&ir, Backend::Rust).expect("examples render")
        };
        let (a, b) = (render(), render());
        assert_eq!(a, b);
        for f in &a {
            assert!(
                !f.contents.contains("rgenn_note!"),
                "{}: every note became a comment",
                f.name
            );
            syn::parse_file(&f.contents).expect("the generated Rust parses");
        }
    });
}
