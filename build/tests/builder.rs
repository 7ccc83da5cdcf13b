//! The build-script path's errors: an invalid network fails with the CLI's located report, in the
//! network or in a user model file. (Successful generation: `tests/generate.rs`; bindings that
//! compile and run: the `examples/embed` crate.)

use rgenn_build::{Backend, Builder, Error};

const MODEL: &str = "name: my_li\nparams: {tau: 10.0}\nderived: {alpha: exp(-dt / tau)}\nvars: {v: 0.0, i: 0.0}\ninput: i\nsim: |\n  v = alpha * v + i;\n  i = 0.0;\nreadouts: [max]\n";

fn network(model: &str) -> String {
    format!(
        "name: net\ndt: 1.0\nduration: 5.0\npopulations:\n  input: {{size: 2, model: spike_input}}\n  out: {{size: 2, model: {model}, readout: max}}\nconnections:\n  in_out: {{source: input, target: out, weight: 1.0}}\n"
    )
}

#[test]
fn an_invalid_network_fails_with_the_located_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(&path, network("li").replace("weight: 1.0", "weight: [1.0")).unwrap();
    let err = Builder::new(&path)
        .out_dir(dir.path().join("out"))
        .cargo_metadata(false)
        .generate()
        .unwrap_err();
    let expected = rgenn_codegen::load_file(&path).unwrap_err().render(false);
    let Error::Load(report) = &err else {
        panic!("expected a load error, got {err}");
    };
    assert_eq!(report, &expected, "the same report as the CLI");
    let text = format!("{err:?}");
    assert!(
        text.starts_with(&format!("error at {}:8:", path.display())),
        "Debug (what a build script's main prints) starts with file:line:column:\n{text}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn an_error_in_a_user_model_points_into_the_model_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("my_li.yaml"),
        MODEL.replace("alpha * v", "alpha * w"),
    )
    .unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(&path, network("my_li.yaml")).unwrap();
    let err = Builder::new(&path)
        .cargo_metadata(false)
        .generate()
        .unwrap_err();
    let model = dir.path().join("my_li.yaml");
    assert!(
        err.to_string()
            .starts_with(&format!("error at {}:7:", model.display())),
        "{err}"
    );
}

#[test]
fn cuda_cannot_be_embedded_this_way() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(&path, network("li")).unwrap();
    let err = Builder::new(&path)
        .backend(Backend::Cuda)
        .out_dir(dir.path().join("out"))
        .cargo_metadata(false)
        .generate()
        .unwrap_err();
    assert!(matches!(err, Error::Backend("cuda")), "{err}");
}

#[test]
fn outside_a_build_script_without_out_dir_is_an_error() {
    if std::env::var_os("OUT_DIR").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(&path, network("li")).unwrap();
    let err = Builder::new(&path)
        .cargo_metadata(false)
        .generate()
        .unwrap_err();
    assert!(matches!(err, Error::NoOutDir), "{err}");
    assert!(err.to_string().contains("build script"));
}

#[test]
fn without_duration_the_builder_needs_a_data_reader() {
    fn twelve_ms(_: &[rgenn_codegen::ir::DataSplit], _: &std::path::Path) -> Result<f64, String> {
        Ok(12.0)
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.yaml");
    let text = network("li").replace("duration: 5.0\n", "") + "data:\n  train: {npz: train.npz}\n";
    std::fs::write(&path, text).unwrap();
    let builder = Builder::new(&path)
        .backend(Backend::Rust)
        .out_dir(dir.path().join("out"))
        .cargo_metadata(false);
    let err = builder.clone().generate().unwrap_err();
    assert!(err.to_string().contains("`duration` is not given"), "{err}");
    let generated = builder.data_extent(twelve_ms).generate().unwrap();
    let ir = std::fs::read_to_string(generated.dir.join("network.json")).unwrap();
    assert!(ir.contains("\"n_steps\": 13"), "{ir}");
}
