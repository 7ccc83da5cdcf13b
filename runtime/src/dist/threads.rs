//! A [`Communicator`] over threads of one process, for tests: ranks are threads, messages go
//! through channels, and gathers meet at a barrier.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier, Mutex};

use super::Communicator;

struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<u8>>>,
}

/// One rank of a group made by [`ThreadComm::group`].
pub(crate) struct ThreadComm {
    rank: usize,
    shared: Arc<Shared>,
    to: Vec<Sender<Vec<u8>>>,
    from: Vec<Receiver<Vec<u8>>>,
}

impl ThreadComm {
    /// `n` ranks, one for each thread that will use it.
    pub(crate) fn group(n: usize) -> Vec<ThreadComm> {
        let shared = Arc::new(Shared {
            barrier: Barrier::new(n),
            slots: Mutex::new(vec![Vec::new(); n]),
        });
        // channel[from][to]
        let mut senders: Vec<Vec<Sender<Vec<u8>>>> = vec![Vec::new(); n];
        let mut receivers: Vec<Vec<Option<Receiver<Vec<u8>>>>> =
            (0..n).map(|_| (0..n).map(|_| None).collect()).collect();
        for (from, row) in senders.iter_mut().enumerate() {
            for to_rx in receivers.iter_mut() {
                let (tx, rx) = channel();
                row.push(tx);
                to_rx[from] = Some(rx);
            }
        }
        senders
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(rank, (to, from))| ThreadComm {
                rank,
                shared: shared.clone(),
                to,
                from: from.into_iter().map(|r| r.expect("every pair")).collect(),
            })
            .collect()
    }
}

impl Communicator for ThreadComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.to.len()
    }

    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>> {
        self.shared.slots.lock().expect("no panics")[self.rank] = local.to_vec();
        self.shared.barrier.wait();
        let all = self.shared.slots.lock().expect("no panics").clone();
        self.shared.barrier.wait();
        all
    }

    fn exchange(&self, partner: usize, send: &[u8], recv: &mut [u8]) {
        self.send(partner, send);
        self.receive(partner, recv);
    }

    fn send(&self, to: usize, bytes: &[u8]) {
        self.to[to].send(bytes.to_vec()).expect("the partner lives");
    }

    fn receive(&self, from: usize, bytes: &mut [u8]) {
        let m = self.from[from].recv().expect("the partner sends");
        bytes.copy_from_slice(&m);
    }
}
