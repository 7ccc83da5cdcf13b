//! Exchanges that carry each rank's success or error: every rank sends either its payload or its
//! error message, and when any rank failed, every rank returns the same [`SimError::Rank`] with
//! the lowest failing rank's message, so all ranks stop at the same exchange instead of waiting
//! for one that has left. A rank that failed before an exchange still makes it, with its error.
//!
//! On one process nothing is exchanged and errors come back as they were.

use super::Communicator;
use crate::error::SimError;
use crate::passes::loss::TrialLoss;

/// Every rank's payload in rank order, or the first failing rank's error on every rank.
pub fn all_gather(
    comm: &dyn Communicator,
    local: Result<Vec<u8>, SimError>,
) -> Result<Vec<Vec<u8>>, SimError> {
    if comm.size() == 1 {
        return local.map(|bytes| vec![bytes]);
    }
    let message = match local {
        Ok(mut bytes) => {
            bytes.insert(0, 0);
            bytes
        }
        Err(e) => {
            let mut m = vec![1];
            m.extend_from_slice(full_message(&e).as_bytes());
            m
        }
    };
    let all = comm.all_gather(&message);
    if let Some((rank, m)) = all.iter().enumerate().find(|(_, m)| m.first() != Some(&0)) {
        return Err(SimError::Rank {
            rank,
            ranks: comm.size(),
            message: String::from_utf8_lossy(m.get(1..).unwrap_or_default()).into_owned(),
        });
    }
    Ok(all.into_iter().map(|mut m| m.split_off(1)).collect())
}

/// An error and its causes on one line each, as the CLI prints them.
pub fn full_message(e: &SimError) -> String {
    if let SimError::Rank { message, .. } = e {
        return message.clone();
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    out
}

/// The losses and predictions of every rank's trials of a batch, in rank order, which is the
/// batch's trial order; only `loss` and `prediction` cross processes (`grad` stays empty for
/// other ranks' trials).
pub fn all_losses(
    comm: &dyn Communicator,
    local: Result<Vec<TrialLoss>, SimError>,
) -> Result<Vec<TrialLoss>, SimError> {
    if comm.size() == 1 {
        return local;
    }
    let bytes = local.map(|losses| {
        let mut b = Vec::with_capacity(12 * losses.len());
        for t in &losses {
            b.extend_from_slice(&t.loss.to_le_bytes());
            b.extend_from_slice(&t.prediction.to_le_bytes());
        }
        b
    });
    let all = all_gather(comm, bytes)?;
    Ok(all
        .iter()
        .flat_map(|b| b.chunks_exact(12))
        .map(|c| TrialLoss {
            loss: f64::from_le_bytes(c[..8].try_into().expect("8 bytes")),
            prediction: u32::from_le_bytes(c[8..].try_into().expect("4 bytes")),
            grad: Vec::new(),
        })
        .collect())
}

/// The elementwise sum over ranks of `local` (f64 values that are whole numbers, such as spike
/// counts, so the sum is exact in any order), or the first failing rank's error.
pub fn sum_counts(
    comm: &dyn Communicator,
    local: Result<Vec<f64>, SimError>,
) -> Result<Vec<f64>, SimError> {
    if comm.size() == 1 {
        return local;
    }
    let bytes = local.map(|v| v.iter().flat_map(|x| x.to_le_bytes()).collect());
    let all = all_gather(comm, bytes)?;
    let mut total = vec![0.0; all[0].len() / 8];
    for b in &all {
        for (t, c) in total.iter_mut().zip(b.chunks_exact(8)) {
            *t += f64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::threads::ThreadComm;

    /// Rank 2 of 4 fails: every rank returns its message, named by rank, at the same exchange.
    #[test]
    fn one_ranks_error_reaches_every_rank() {
        let results: Vec<Result<Vec<Vec<u8>>, SimError>> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(4)
                .into_iter()
                .map(|comm| {
                    s.spawn(move || {
                        let local = if comm.rank() == 2 {
                            Err(SimError::Network("bad trial 7".into()))
                        } else {
                            Ok(vec![comm.rank() as u8])
                        };
                        all_gather(&comm, local)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            match r {
                Err(SimError::Rank {
                    rank: 2,
                    ranks: 4,
                    message,
                }) => assert_eq!(message, "bad trial 7"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn payloads_come_back_in_rank_order_and_counts_add_up() {
        let results: Vec<(Vec<TrialLoss>, Vec<f64>)> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(3)
                .into_iter()
                .map(|comm| {
                    s.spawn(move || {
                        let r = comm.rank();
                        let losses = (0..r)
                            .map(|k| TrialLoss {
                                loss: (10 * r + k) as f64,
                                grad: vec![1.0],
                                prediction: k as u32,
                            })
                            .collect();
                        let all = all_losses(&comm, Ok(losses)).unwrap();
                        let counts = sum_counts(&comm, Ok(vec![r as f64, 1.0])).unwrap();
                        (all, counts)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (all, counts) in results {
            let losses: Vec<f64> = all.iter().map(|t| t.loss).collect();
            assert_eq!(losses, vec![10.0, 20.0, 21.0]);
            assert_eq!(counts, vec![3.0, 3.0]);
        }
    }
}
