//! Generates the simulators and typed bindings of example networks into OUT_DIR: sequence
//! detection (used by `main`), and for the tests Yin-Yang twice, once with the C++ kernels compiled
//! through cc and once with the kernels generated as Rust (`yin_yang_rust`, no C++ compiler
//! involved). Several simulators link into one program.

use rgenn_build::{Backend, Builder};

fn main() -> Result<(), rgenn_build::Error> {
    Builder::new("../sequence_detection.yaml").generate()?;
    Builder::new("../yin_yang.yaml").generate()?;
    Builder::new("../yin_yang.yaml")
        .backend(Backend::Rust)
        .module("yin_yang_rust")
        .generate()?;
    Ok(())
}
