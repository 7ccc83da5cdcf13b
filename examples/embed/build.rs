//! Generates the simulators and typed bindings of two example networks into OUT_DIR and compiles
//! them: sequence detection (used by `main`) and Yin-Yang (used by the tests; two networks show
//! that several simulators link into one program).

fn main() -> Result<(), rgenn_build::Error> {
    rgenn_build::Builder::new("../sequence_detection.yaml").generate()?;
    rgenn_build::Builder::new("../yin_yang.yaml").generate()?;
    Ok(())
}
