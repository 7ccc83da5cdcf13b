//! Trains the sequence-detection network (examples/sequence_detection.yaml), embedded through
//! build.rs, with the generated typed API, and prints the accuracy and the learned delays.

use std::error::Error;

use rgenn_runtime::embed::Split;

rgenn_runtime::include_model!("sequence_detection");

fn main() -> Result<(), Box<dyn Error>> {
    let mut model = sequence_detection::Model::new()?;
    let train = model
        .dataset(Split::Train)?
        .ok_or("the network has no training data")?;
    let test = model
        .dataset(Split::Test)?
        .ok_or("the network has no test data")?;
    println!(
        "before training: test accuracy {:.0}%, delays {:?} ms",
        100.0 * model.evaluate(&test)?.accuracy,
        model.param(model.in_out.delay)?
    );
    let trials: Vec<usize> = (0..train.len()).collect();
    for epoch in 0..20 {
        for batch in trials.chunks(sequence_detection::BATCH_SIZE as usize) {
            model.train_batch(&train, batch, epoch)?;
        }
    }
    let score = model.evaluate(&test)?;
    println!(
        "after 20 epochs: test accuracy {:.0}%, loss {:.4}, delays {:?} ms",
        100.0 * score.accuracy,
        score.loss,
        model.param(model.in_out.delay)?
    );
    Ok(())
}
