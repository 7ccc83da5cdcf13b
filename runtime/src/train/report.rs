//! The plots of a training run: learning curves, learned-delay histograms and a spike raster of
//! one example.

use std::path::Path;

use rgenn_codegen::ir::Delays;

use crate::data::SpikeDataset;
use crate::error::SimError;
use crate::sim::engine::Engine;
use crate::sim::init::Params;
use crate::train::plots::{self, EpochMetrics};

use super::metrics::EpochRecord;
use super::write_err;

/// A population in the raster: name, size and `(time ms, unit)` spikes.
type RasterPop = (String, u32, Vec<(f64, u32)>);

/// File names of the plots.
pub mod files {
    /// Loss and accuracy per epoch.
    pub const CURVES: &str = "curves.png";
    /// Learned delays per connection.
    pub const DELAYS: &str = "delays.png";
    /// Spikes of one example.
    pub const RASTER: &str = "raster.png";
}

/// Write the run's plots into `dir`; `example` is the trial whose spikes the raster shows.
pub fn write_plots<E: Engine + ?Sized>(
    sim: &mut E,
    dir: &Path,
    records: &[EpochRecord],
    params: &Params,
    example: (&SpikeDataset, usize, &Path),
) -> Result<(), SimError> {
    let net = sim.network().clone();
    let rows: Vec<EpochMetrics> = records
        .iter()
        .map(|r| EpochMetrics {
            epoch: r.epoch,
            train_loss: r.train.loss,
            train_accuracy: r.train.accuracy,
            valid_loss: r.validation.map(|s| s.loss),
            valid_accuracy: r.validation.map(|s| s.accuracy),
            test_loss: r.test.map(|s| s.loss),
            test_accuracy: r.test.map(|s| s.accuracy),
        })
        .collect();
    let path = dir.join(files::CURVES);
    plots::learning_curves(&path, &net.name, &rows).map_err(write_err(&path))?;

    let delays: Vec<(String, Vec<f64>, f64)> = net
        .connections
        .iter()
        .enumerate()
        .filter(|(_, c)| c.learn_delay && matches!(c.delays, Delays::PerSynapse { .. }))
        .map(|(i, c)| {
            (
                c.name.clone(),
                params.delays_ms[i].clone(),
                c.max_delay_steps as f64 * net.dt_ms,
            )
        })
        .collect();
    if !delays.is_empty() {
        let path = dir.join(files::DELAYS);
        plots::delay_histograms(&path, &delays).map_err(write_err(&path))?;
    }

    let (data, k, data_path) = example;
    let one = SpikeDataset {
        times: data.times[data.offsets[k] as usize..data.offsets[k + 1] as usize].to_vec(),
        units: data.units[data.offsets[k] as usize..data.offsets[k + 1] as usize].to_vec(),
        offsets: vec![0, data.offsets[k + 1] - data.offsets[k]],
        labels: None,
    };
    let out = crate::passes::simulate::simulate(sim, &one, data_path, 1)?;
    let pops: Vec<RasterPop> = out
        .spikes
        .iter()
        .map(|s| {
            let p = &net.populations[s.pop];
            let spikes = s
                .times
                .iter()
                .copied()
                .zip(s.units.iter().copied())
                .collect();
            (p.name.clone(), p.size, spikes)
        })
        .collect();
    let path = dir.join(files::RASTER);
    let title = format!("{}: example {k} after training", net.name);
    plots::spike_raster(&path, &title, net.duration_ms, &pops).map_err(write_err(&path))
}
