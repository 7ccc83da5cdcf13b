//! Diagnostic: does a small step against each connection's gradient lower the loss of the
//! discrete model? Prints, per connection and parameter kind, the actual loss change for steps of
//! `s * g / max|g|` next to the first-order prediction `-s * sum(g^2) / max|g|`.
//!
//! Run: `cargo run --release -p rgenn-runtime --example descent_check -- NET.yaml PARAMS.npz DATA.npz`
//! (PARAMS `-` uses the YAML's initialisers; DATA `yin_yang:N` generates N Yin-Yang points).

use std::path::Path;

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::grad;
use rgenn_runtime::{Simulator, sim::init};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: descent_check NET.yaml PARAMS.npz|- DATA.npz".into());
    }
    let loaded = rgenn_codegen::load_file(Path::new(&args[1]))?;
    let net = loaded.ir;
    let mut p = init::initial_params(&net, &loaded.base_dir)?;
    if args[2] != "-" {
        init::read_params(&net, Path::new(&args[2]), &mut p)?;
    }
    let data_path = Path::new(&args[3]);
    let data = match args[3].strip_prefix("yin_yang:") {
        Some(n) => rgenn_runtime::data::generators::yin_yang(n.parse()?, 7),
        None => SpikeDataset::read(data_path)?,
    };
    let mut sim = Simulator::build(&net)?;
    init::upload(&mut sim, &p)?;
    let g = grad(&mut sim, &data, data_path, 2)?;
    println!("loss {:.6}", g.loss);
    for (c, conn) in net.connections.iter().enumerate() {
        for (kind, grads) in [("weight", &g.grads.weight[c]), ("delay", &g.grads.delay[c])] {
            let max = grads.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            if max == 0.0 || (kind == "delay" && p.delays_ms[c].is_empty()) {
                continue;
            }
            for step in [1e-4, 5e-4, 2e-3] {
                let scale = if kind == "weight" { step } else { step * 100.0 };
                let mut q = p.clone();
                let target = if kind == "weight" {
                    &mut q.weights[c]
                } else {
                    &mut q.delays_ms[c]
                };
                for (v, gr) in target.iter_mut().zip(grads) {
                    *v -= scale * gr / max;
                }
                init::upload(&mut sim, &q)?;
                let l = grad(&mut sim, &data, data_path, 2)?.loss;
                let predicted = -scale * grads.iter().map(|x| x * x).sum::<f64>() / max;
                println!(
                    "{} {kind} step {scale}: loss change {:+.3e}, first-order prediction {predicted:+.3e}",
                    conn.name,
                    l - g.loss
                );
            }
        }
    }
    Ok(())
}
