//! Helpers shared by the runtime's integration tests: networks from YAML text and simulators built
//! into a cache private to the test run.

#![allow(dead_code)]

use std::path::Path;

use rgenn_codegen::ir::Network;
use rgenn_runtime::{Simulator, cache, init};

/// The IR of a network written inline (panics with the reports when it is invalid).
pub fn load(yaml: &str) -> Network {
    match rgenn_codegen::load_str("test.yaml", yaml, Path::new(".")) {
        Ok(l) => l.ir,
        Err(e) => panic!(
            "test network invalid: {:?}",
            e.reports()
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        ),
    }
}

/// Build (or reuse) and load the CPU simulator of `net`.
pub fn simulator(net: &Network) -> Simulator {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(net, rgenn_codegen::backend::Backend::Cpu, &root).expect("build");
    Simulator::load(net, &built.library, &built.cache_key).expect("load")
}

/// [`simulator`] with the network's initial parameters uploaded.
pub fn simulator_with_params(net: &Network) -> Simulator {
    let mut sim = simulator(net);
    let params = init::initial_params(net, Path::new(".")).expect("params");
    init::upload(&mut sim, &params).expect("upload");
    sim
}
