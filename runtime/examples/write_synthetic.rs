//! Write `N` examples of the SHD-shaped synthetic task (`runtime/src/synthetic.rs`) as a
//! spike-dataset `.npz`, to measure loading and training memory at SSC's size (75,466 examples):
//!
//! ```sh
//! cargo run --release -p rgenn-runtime --example write_synthetic -- 75466 /tmp/ssc_sized.npz
//! ```
//!
//! Every example also gets a speaker (`k / 20 % 10`), so the file works with `speaker_fold`.

use std::path::PathBuf;

use rgenn_codegen::ir::Split;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(out)) = (args.get(1).and_then(|n| n.parse::<u64>().ok()), args.get(2))
    else {
        eprintln!("usage: write_synthetic N OUT.npz");
        std::process::exit(1);
    };
    let data = rgenn_runtime::data::synthetic::generate(Some(n), 1, Split::Train);
    let speakers: Vec<i64> = (0..n as i64).map(|k| k / 20 % 10).collect();
    let path = PathBuf::from(out);
    if let Err(e) = rgenn_runtime::data::shd::write_npz(&path, &data, Some(&speakers)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    println!(
        "{}: {n} examples, {} spikes ({:.0} per example)",
        path.display(),
        data.times.len(),
        data.times.len() as f64 / n as f64
    );
}
