//! Snapshots of the CUDA sources generated for every example network the CUDA backend runs, named
//! `<example>.cuda.<file>`. A diff here is a change in generated CUDA: review it
//! (`cargo insta review`), never accept it blindly. `cuda_compile.rs` checks that they compile.

use std::path::Path;

use rgenn_codegen::backend::{self, Backend};

#[test]
fn examples_cuda_sources() {
    insta::glob!("../../examples", "*.yaml", |path: &Path| {
        let loaded = rgenn_codegen::load_file(path).expect("examples are valid");
        if backend::unsupported(&loaded.ir, Backend::Cuda).is_some() {
            // e.g. lane groups: `rgenn generate --backend cuda` refuses these
            return;
        }
        let stem = path
            .file_stem()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        for f in backend::render(&loaded.ir, Backend::Cuda).expect("examples render") {
            insta::assert_snapshot!(format!("{stem}.cuda.{}", f.name), f.contents);
        }
    });
}

#[test]
fn cuda_sources_are_deterministic() {
    let path = Path::new("../examples/recurrent_delays.yaml");
    let a = backend::render(&rgenn_codegen::load_file(path).unwrap().ir, Backend::Cuda).unwrap();
    let b = backend::render(&rgenn_codegen::load_file(path).unwrap().ir, Backend::Cuda).unwrap();
    assert_eq!(a, b);
}

#[test]
fn cuda_and_cpu_export_the_same_lane_functions() {
    let path = Path::new("../examples/sequence_detection.yaml");
    let ir = rgenn_codegen::load_file(path).unwrap().ir;
    let header = |b: Backend| {
        backend::render(&ir, b)
            .unwrap()
            .into_iter()
            .find(|f| f.name == "rgenn.h")
            .expect("a header")
            .contents
    };
    let (cpu, cuda) = (header(Backend::Cpu), header(Backend::Cuda));
    for decl in [
        "uint32_t rgenn_abi_version(void);",
        "const char* rgenn_cache_key(void);",
        "void* rgenn_create(void);",
        "void rgenn_destroy(void* sim);",
        "void* rgenn_buffer(void* sim, uint32_t index);",
        "int32_t rgenn_set_input(void* sim, uint32_t population, uint32_t lane, const uint32_t* step_start, const uint32_t* units, uint64_t n_units);",
        "void rgenn_reset(void* sim, uint32_t lane);",
        "void rgenn_step(void* sim, uint32_t lane, uint32_t step);",
        "void rgenn_finish_trial(void* sim, uint32_t lane);",
        "int32_t rgenn_begin_backward(void* sim, uint32_t lane);",
        "void rgenn_back_step(void* sim, uint32_t lane, uint32_t step);",
    ] {
        assert!(cpu.contains(decl), "CPU header lacks `{decl}`");
        assert!(cuda.contains(decl), "CUDA header lacks `{decl}`");
    }
}
