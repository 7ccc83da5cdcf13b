//! `rgenn generate MODEL.yaml [--backend cpu] [--out DIR] [--emit-ir]`: print the IR or write the
//! generated sources of a backend.

use rgenn_codegen::backend;

use crate::cli::{BackendArg, GenerateArgs};

use super::{CliError, print};

/// The library's backend for a CLI value.
pub fn backend_of(arg: BackendArg) -> backend::Backend {
    match arg {
        BackendArg::Cpu => backend::Backend::Cpu,
        BackendArg::Cuda => backend::Backend::Cuda,
        BackendArg::Rust => backend::Backend::Rust,
    }
}

/// Run the command.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let Some(out) = args.out.as_ref().filter(|_| !args.emit_ir) else {
        let mut json = loaded.ir.to_json();
        json.push('\n');
        return print(&json);
    };
    let backend = backend_of(args.backend);
    if let Some(what) = backend::unsupported(&loaded.ir, backend) {
        return Err(CliError::Sim(rgenn_runtime::SimError::Build(
            rgenn_runtime::BuildError::Unsupported {
                backend: backend.name(),
                what,
            },
        )));
    }
    let mut files = backend::render(&loaded.ir, backend).map_err(CliError::Render)?;
    if backend == backend::Backend::Cpu {
        // C programs get the seeded initial parameters too (rgenn_<net>_load_params).
        let params = rgenn_runtime::sim::init::initial_params(&loaded.ir, &loaded.base_dir)?;
        files.push(backend::GeneratedFile {
            name: "params.c".into(),
            contents: rgenn_runtime::sim::init_c::params_source(
                &loaded.ir,
                &params,
                &args.model.display().to_string(),
            ),
        });
    }
    std::fs::create_dir_all(out)
        .map_err(|e| CliError::Io(format!("creating `{}`", out.display()), e))?;
    for f in &files {
        let path = out.join(&f.name);
        rgenn_runtime::fsutil::write_atomic(&path, f.contents.as_bytes())
            .map_err(|e| CliError::Io(format!("writing `{}`", path.display()), e))?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    print(&format!(
        "wrote {} to {}\n",
        names.join(", "),
        out.display()
    ))
}
