//! Where training time goes: generated kernels time themselves per phase (forward spike delivery,
//! forward neuron update, backward spike processing, backward neuron update) when asked, and the
//! host times the rest (optimiser, resets and input setup, everything else).

use std::fmt::Write as _;

/// Kernel phases reported by the generated code.
pub const KERNEL_PHASES: [&str; 4] = [
    "forward spike delivery",
    "forward neuron update",
    "backward spike processing",
    "backward neuron update",
];

/// Time spent over a number of training examples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Examples trained.
    pub examples: u64,
    /// Forward synaptic events (spikes times outgoing synapses).
    pub synaptic_events: u64,
    /// Nanoseconds per kernel phase as wall time: each batch's kernel CPU time (summed over its
    /// lanes) divided by the threads that ran the batch.
    pub kernel_ns: [u64; 4],
    /// Wall seconds inside the lanes (forward, loss, backward), all threads together.
    pub lanes_s: f64,
    /// Wall seconds in the optimiser step.
    pub optimizer_s: f64,
    /// Wall seconds resetting lanes and setting their inputs (binning included).
    pub resets_s: f64,
    /// Wall seconds in total.
    pub total_s: f64,
    /// Of `optimizer_s`, wall seconds combining the gradient sums of the processes of a
    /// distributed run (docs/distributed.md); 0 on one process.
    pub reduce_s: f64,
}

impl Profile {
    /// Add another profile's counts.
    pub fn add(&mut self, o: &Profile) {
        self.examples += o.examples;
        self.synaptic_events += o.synaptic_events;
        for (a, b) in self.kernel_ns.iter_mut().zip(o.kernel_ns) {
            *a += b;
        }
        self.lanes_s += o.lanes_s;
        self.optimizer_s += o.optimizer_s;
        self.resets_s += o.resets_s;
        self.total_s += o.total_s;
        self.reduce_s += o.reduce_s;
    }

    /// Add one batch's kernel CPU time per phase, run on `threads` threads.
    pub fn add_kernel_time(&mut self, cpu_ns: [u64; 4], threads: usize) {
        let threads = threads.max(1) as u64;
        for (a, b) in self.kernel_ns.iter_mut().zip(cpu_ns) {
            *a += b / threads;
        }
    }

    /// Milliseconds per example of each phase; they add up to the wall time. A kernel phase is
    /// its CPU time spread over the threads of each batch; what remains of the lanes' wall time
    /// is the loss, the host's per-step calls and threads waiting for the slowest lane before
    /// the backward pass and the optimiser can start.
    pub fn phases_ms(&self) -> Vec<(&'static str, f64)> {
        let n = self.examples.max(1) as f64;
        let lanes_ms = 1e3 * self.lanes_s / n;
        let kernel_ms: Vec<f64> = self
            .kernel_ns
            .iter()
            .map(|&ns| ns as f64 * 1e-6 / n)
            .collect();
        // the kernels time themselves inside the lanes, so they cannot take longer (rounding)
        let sum: f64 = kernel_ms.iter().sum();
        let fit = if sum > lanes_ms { lanes_ms / sum } else { 1.0 };
        let mut out: Vec<(&'static str, f64)> = KERNEL_PHASES
            .iter()
            .zip(&kernel_ms)
            .map(|(&name, &ms)| (name, ms * fit))
            .collect();
        let rest = if sum > 0.0 {
            "loss, host calls, waiting for the slowest lane"
        } else {
            "forward and backward passes (no phase timing on this backend)"
        };
        out.push((rest, lanes_ms - sum * fit));
        out.push(("optimiser", 1e3 * self.optimizer_s / n));
        out.push(("resets and inputs", 1e3 * self.resets_s / n));
        let host = self.total_s - self.lanes_s - self.optimizer_s - self.resets_s;
        out.push(("host overhead", 1e3 * host.max(0.0) / n));
        out
    }

    /// The report: one line per figure.
    pub fn report(&self) -> String {
        let n = self.examples.max(1) as f64;
        let mut s = String::new();
        let _ = writeln!(s, "{:.2} ms per training example", 1e3 * self.total_s / n);
        for (name, ms) in self.phases_ms() {
            let _ = writeln!(s, "  {ms:6.2} ms  {name}");
            if name == "optimiser" && self.reduce_s > 0.0 {
                let ms = 1e3 * self.reduce_s / n;
                let _ = writeln!(
                    s,
                    "  {ms:6.2} ms    of which the reduction across processes"
                );
            }
        }
        let _ = writeln!(s, "{:.1} examples per second", n / self.total_s.max(1e-12));
        let _ = writeln!(
            s,
            "{:.3e} synaptic events per second (forward; the backward pass revisits them, on the cpu and rust backends only where an adjoint reaches them)",
            self.synaptic_events as f64 / self.total_s.max(1e-12)
        );
        s
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_to_the_total() {
        let p = Profile {
            examples: 10,
            synaptic_events: 1000,
            kernel_ns: [1, 1, 2, 0],
            lanes_s: 0.8,
            optimizer_s: 0.1,
            resets_s: 0.05,
            total_s: 1.0,
            reduce_s: 0.0,
        };
        let sum: f64 = p.phases_ms().iter().map(|(_, ms)| ms).sum();
        assert!((sum - 100.0).abs() < 1e-9, "{sum}");
        assert!(p.report().starts_with("100.00 ms per training example\n"));
    }

    #[test]
    fn kernel_time_is_spread_over_the_threads_and_the_rest_is_waiting() {
        // 10 examples, 2 threads: 40 ms of kernel CPU time is 2 ms per example of wall time;
        // the lanes took 3 ms per example, so 1 ms went to the loss and waiting.
        let mut p = Profile {
            examples: 10,
            lanes_s: 0.03,
            total_s: 0.03,
            ..Profile::default()
        };
        p.add_kernel_time([10_000_000, 0, 30_000_000, 0], 2);
        let ms: Vec<f64> = p.phases_ms().iter().map(|&(_, ms)| ms).collect();
        let expect = [0.5, 0.0, 1.5, 0.0, 1.0, 0.0, 0.0, 0.0];
        for (got, want) in ms.iter().zip(expect) {
            assert!((got - want).abs() < 1e-12, "{ms:?}");
        }
        // a CUDA run times no kernel phases: the lanes' time is still accounted for
        let gpu = Profile {
            kernel_ns: [0; 4],
            ..p
        };
        let sum: f64 = gpu.phases_ms().iter().map(|(_, ms)| ms).sum();
        assert!((sum - 3.0).abs() < 1e-12, "{sum}");
    }
}
