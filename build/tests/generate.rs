//! A successful generation as a build script runs it (cargo's environment set by hand, in a test
//! binary of its own since it changes the process environment): the files written, the inputs
//! cargo watches (the network and its user model, not built-in models) and the compiled library.

use rgenn_build::Builder;

const MODEL: &str = "name: my_li\nparams: {tau: 10.0}\nderived: {alpha: exp(-dt / tau)}\nvars: {v: 0.0, i: 0.0}\ninput: i\nsim: |\n  v = alpha * v + i;\n  i = 0.0;\nreadout_var: v\nreadouts: [max]\n";

const NETWORK: &str = "name: net\ndt: 1.0\nduration: 5.0\npopulations:\n  input: {size: 2, model: spike_input}\n  out: {size: 2, model: my_li.yaml, readout: max}\nconnections:\n  in_out: {source: input, target: out, weight: 1.0}\n";

#[test]
fn generate_writes_sources_bindings_and_a_static_library() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("my_li.yaml"), MODEL).unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(&path, NETWORK).unwrap();
    let out = dir.path().join("out");
    let host = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("OUT_DIR", &out);
        std::env::set_var("TARGET", &host);
        std::env::set_var("HOST", &host);
        std::env::set_var("OPT_LEVEL", "0");
        std::env::set_var("DEBUG", "false");
    }
    let generated = Builder::new(&path)
        .cargo_metadata(false)
        .generate()
        .unwrap();
    assert_eq!(generated.module, "net");
    assert_eq!(generated.dir, out.join("rgenn").join("net"));
    assert_eq!(
        generated.inputs,
        vec![path.clone(), dir.path().join("my_li.yaml")]
    );
    for file in ["simulator.cpp", "rgenn.h", "network.json", "bindings.rs"] {
        assert!(generated.dir.join(file).is_file(), "{file} written");
    }
    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    assert!(bindings.contains("#[link_name = \"rgenn_net_step\"]"));
    assert!(
        out.join("librgenn_net.a").is_file(),
        "static library compiled"
    );
    // A second run with nothing changed leaves the files as they were (cargo does not rebuild).
    let before = std::fs::metadata(&generated.bindings)
        .unwrap()
        .modified()
        .unwrap();
    Builder::new(&path)
        .cargo_metadata(false)
        .generate()
        .unwrap();
    let after = std::fs::metadata(&generated.bindings)
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}
