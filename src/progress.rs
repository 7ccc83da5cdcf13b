//! What `rgenn train` shows while it runs: a training run's events (an [`Observer`]) printed to
//! stderr. On a terminal a progress line is rewritten after every batch and each epoch's line
//! replaces it; otherwise only the epoch lines are printed.

use std::io::{IsTerminal, Write as _};

use rgenn_runtime::train::metrics::EpochRecord;
use rgenn_runtime::train::observer::{BatchProgress, EarlyStop, EpochProfile};
use rgenn_runtime::train::{self, Observer};

/// Prints a training run's progress to stderr.
pub struct Printer {
    tty: bool,
}

impl Printer {
    /// A printer for this process's stderr (progress lines only on a terminal).
    pub fn stderr() -> Printer {
        Printer {
            tty: std::io::stderr().is_terminal(),
        }
    }
}

impl Observer for Printer {
    fn on_batch(&mut self, b: &BatchProgress) {
        if !self.tty {
            return;
        }
        eprint!(
            "\repoch {}/{}  {}/{}  {:.0} examples/s  loss {:.4}  accuracy {:.1}%   ",
            b.epoch,
            b.epochs,
            b.seen,
            b.examples,
            b.examples_per_second(),
            b.loss,
            100.0 * b.accuracy
        );
        let _ = std::io::stderr().flush();
    }

    fn on_profile(&mut self, p: &EpochProfile<'_>) {
        eprintln!("{}", p.profile.report().trim_end());
        eprintln!(
            "  data loader on its own thread: {:.3} s augmenting and binning; training waited {:.3} s for it ({:.1}% of the epoch, the first batch included)",
            p.loader_s,
            p.waited_s,
            100.0 * p.waited_s / p.profile.total_s.max(1e-9)
        );
    }

    fn on_epoch(&mut self, record: &EpochRecord, epochs: u32) {
        eprintln!(
            "{}{}",
            if self.tty { "\r" } else { "" },
            train::describe(record, epochs)
        );
    }

    fn on_early_stop(&mut self, stop: &EarlyStop) {
        eprintln!(
            "early stop: no better validation accuracy for {} epoch{}",
            stop.patience,
            if stop.patience == 1 { "" } else { "s" }
        );
    }
}
