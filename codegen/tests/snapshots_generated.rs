//! Snapshots of the IR and of every generated file for each example network. A diff here is a
//! change in generated code: review it (`cargo insta review`), never accept it blindly.

use std::path::Path;

use rgenn_codegen::backend::{self, Backend};

#[test]
fn examples_ir_and_cpu_sources() {
    insta::glob!("../../examples", "*.yaml", |path: &Path| {
        let loaded = rgenn_codegen::load_file(path).expect("examples are valid");
        let stem = path
            .file_stem()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        insta::assert_snapshot!(format!("{stem}.ir"), loaded.ir.to_json());
        for f in backend::render(&loaded.ir, Backend::Cpu).expect("examples render") {
            insta::assert_snapshot!(format!("{stem}.cpu.{}", f.name), f.contents);
        }
    });
}

#[test]
fn generated_sources_are_deterministic() {
    let path = Path::new("../examples/recurrent_delays.yaml");
    let a = backend::render(&rgenn_codegen::load_file(path).unwrap().ir, Backend::Cpu).unwrap();
    let b = backend::render(&rgenn_codegen::load_file(path).unwrap().ir, Backend::Cpu).unwrap();
    assert_eq!(a, b);
}
