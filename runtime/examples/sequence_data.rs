//! Writes `examples/data/sequence_detection.npz`: the two trials of the sequence-detection task
//! (class 0: input 0 at 0 ms, input 1 at 10 ms; class 1: the reverse), in the spike-dataset format.
//!
//! Run with `cargo run -p rgenn-runtime --example sequence_data`.

use rgenn_runtime::data::npz::{OutArray, write};

fn main() -> std::io::Result<()> {
    let times = vec![0.0f32, 10.0, 0.0, 10.0];
    let units = vec![0u32, 1, 1, 0];
    let offsets = vec![0u64, 2, 4];
    let labels = vec![0i64, 1];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/sequence_detection.npz");
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    write(
        &path,
        &[
            ("times".into(), vec![4], OutArray::F32(times)),
            ("units".into(), vec![4], OutArray::U32(units)),
            ("offsets".into(), vec![3], OutArray::U64(offsets)),
            ("labels".into(), vec![2], OutArray::I64(labels)),
        ],
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
