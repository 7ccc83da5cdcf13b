//! The project's own seeded random numbers: SplitMix64 seeding and xoshiro256++.
//!
//! Written here (not taken from a crate) so that a seed gives the same network on every
//! platform and for every future version of rgenn's dependencies. Used for random connectivity
//! (at generation time) and for weight and delay initialisation (in the runtime).

/// One SplitMix64 step: a well-mixed 64-bit value from a state.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable seed for a named stream (e.g. one connection) from the network seed.
pub fn stream_seed(seed: u64, name: &str, purpose: &str) -> u64 {
    // FNV-1a of the name and purpose, mixed with the seed.
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes().chain([0xFF]).chain(purpose.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    let mut s = seed ^ h;
    splitmix64(&mut s)
}

/// xoshiro256++ generator.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded through SplitMix64.
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        Rng {
            s: [
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
            ],
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3]))
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Realise fixed-probability connectivity as CSR: `(row_start[n_pre + 1], post[n_synapses])`.
/// Each pair is connected independently with probability `p`; rows are in pre order and posts
/// ascending within a row.
pub fn fixed_probability(n_pre: u32, n_post: u32, p: f64, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let mut row_start = Vec::with_capacity(n_pre as usize + 1);
    let mut post = Vec::new();
    row_start.push(0);
    for _ in 0..n_pre {
        for j in 0..n_post {
            if rng.uniform() < p {
                post.push(j);
            }
        }
        row_start.push(post.len() as u32);
    }
    (row_start, post)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_sane_moments() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let n = 20000;
        let xs: Vec<f64> = (0..n).map(|_| a.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // 20k samples: standard error of the mean ~0.007, of the variance ~0.01.
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    #[test]
    fn fixed_probability_extremes() {
        let (rows, post) = fixed_probability(3, 4, 1.0, 1);
        assert_eq!(rows, [0, 4, 8, 12]);
        assert_eq!(post.len(), 12);
        let (rows, post) = fixed_probability(3, 4, 0.0, 1);
        assert_eq!(rows, [0, 0, 0, 0]);
        assert!(post.is_empty());
    }
}
