//! The matrix exponential of a small dense matrix, in f64: the exact propagator of a linear ODE
//! system over one time step.
//!
//! Scaling and squaring: the matrix is divided by `2^s` until its 1-norm is at most 1/2, the
//! exponential of that is summed as a Taylor series to full f64 precision, and the result is
//! squared `s` times. The systems here have a handful of state variables and well-separated,
//! negative eigenvalues (decays of a few ms to seconds over steps of 0.001 to 1 ms), where this
//! is accurate to a few units in the last place.

/// A square matrix, row-major.
pub type Matrix = Vec<Vec<f64>>;

/// `exp(m)`.
pub fn expm(m: &Matrix) -> Matrix {
    let n = m.len();
    let norm = (0..n)
        .map(|j| (0..n).map(|i| m[i][j].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let mut squarings = 0;
    let mut scale = 1.0;
    while norm * scale > 0.5 && squarings < 1100 {
        scale *= 0.5;
        squarings += 1;
    }
    let a: Matrix = m
        .iter()
        .map(|row| row.iter().map(|x| x * scale).collect())
        .collect();
    // Taylor series: the k-th term is at most 0.5^k / k!, below 1e-17 from k = 18 on.
    let mut sum = identity(n);
    let mut term = identity(n);
    for k in 1..=20 {
        term = multiply(&term, &a);
        for row in term.iter_mut() {
            for x in row.iter_mut() {
                *x /= k as f64;
            }
        }
        for (s, t) in sum.iter_mut().zip(&term) {
            for (x, y) in s.iter_mut().zip(t) {
                *x += y;
            }
        }
    }
    for _ in 0..squarings {
        sum = multiply(&sum, &sum);
    }
    sum
}

fn identity(n: usize) -> Matrix {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-14 * a.abs().max(b.abs()).max(1e-300) + 1e-300
    }

    #[test]
    fn diagonal_is_the_scalar_exponential() {
        let e = expm(&vec![vec![-0.05, 0.0], vec![0.0, -0.2]]);
        assert!(close(e[0][0], (-0.05f64).exp()));
        assert!(close(e[1][1], (-0.2f64).exp()));
        assert_eq!(e[0][1], 0.0);
    }

    /// tau_m dv/dt = i - v, tau_s di/dt = -i over dt: the textbook propagator.
    #[test]
    fn leaky_neuron_with_current_matches_the_closed_form() {
        let (tm, ts, dt) = (20.0f64, 5.0f64, 1.0f64);
        let e = expm(&vec![vec![-dt / tm, dt / tm], vec![0.0, -dt / ts]]);
        let (alpha, beta) = ((-dt / tm).exp(), (-dt / ts).exp());
        let coupling = ts / (ts - tm) * (beta - alpha);
        assert!(close(e[0][0], alpha));
        assert!(close(e[1][1], beta));
        assert!(
            (e[0][1] - coupling).abs() < 1e-15,
            "{} vs {coupling}",
            e[0][1]
        );
        assert_eq!(e[1][0], 0.0);
    }

    /// Equal time constants: a Jordan block, exp(-x) * [[1, x], [0, 1]].
    #[test]
    fn jordan_block() {
        let (tau, dt) = (5.0f64, 0.7f64);
        let x = dt / tau;
        let e = expm(&vec![vec![-x, x], vec![0.0, -x]]);
        assert!(close(e[0][0], (-x).exp()));
        assert!(close(e[0][1], x * (-x).exp()));
    }

    /// Large norms need many squarings and still agree with the closed form.
    #[test]
    fn stiff_step() {
        let e = expm(&vec![vec![-40.0]]);
        assert!((e[0][0] - (-40.0f64).exp()).abs() < 1e-12 * (-40.0f64).exp());
    }
}
