//! Deterministic randomness: a SplitMix64 stream per (job seed, company index), and a keyed
//! permutation that hands every company index of a job its own name.
//!
//! Self-written on purpose: the output must never change with a dependency upgrade, because the
//! job runner replays chunks after a crash and expects byte-identical leads.

/// The SplitMix64 increment (2^64 / φ).
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A stream of pseudo-random numbers, fixed by its seed.
pub(super) struct Rng(u64);

impl Rng {
    /// The stream of company `index` of the job seeded with `seed`.
    pub fn new(seed: &str, index: u64) -> Rng {
        Rng(mix(seed_key(seed) ^ mix(index.wrapping_add(GOLDEN_GAMMA))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-high: no modulo bias worth the name, and no division.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A 64-bit key from a job seed (FNV-1a, then mixed).
pub(super) fn seed_key(seed: &str) -> u64 {
    let fnv = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    mix(fnv)
}

/// The SplitMix64 finalizer: a bijection on u64 that scatters nearby inputs.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A bijection on `0..size` keyed by `key` (`value` must be below `size`): a four-round Feistel
/// network over the smallest even power of two covering `size`, cycle-walked back into range.
/// Distinct inputs give distinct outputs, which is what keeps company names unique.
pub(super) fn permute(value: u64, size: u64, key: u64) -> u64 {
    let half_bits = half_bits_for(size);
    let mut x = value;
    loop {
        x = feistel(x, half_bits, key);
        if x < size {
            return x;
        }
    }
}

fn half_bits_for(size: u64) -> u32 {
    let bits = 64 - size.saturating_sub(1).leading_zeros();
    bits.div_ceil(2).max(1)
}

fn feistel(x: u64, half_bits: u32, key: u64) -> u64 {
    let mask = (1u64 << half_bits) - 1;
    let (mut left, mut right) = (x >> half_bits, x & mask);
    for round in 0..4u64 {
        let f = mix(key ^ (round << 56) ^ right) & mask;
        (left, right) = (right, left ^ f);
    }
    (left << half_bits) | right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_by_seed_and_index() {
        let draw = |seed: &str, index: u64| (0..8).map(|_| Rng::new(seed, index).next_u64()).collect::<Vec<_>>();
        assert_eq!(draw("job_a", 1), draw("job_a", 1));
        assert_ne!(draw("job_a", 1), draw("job_a", 2));
        assert_ne!(draw("job_a", 1), draw("job_b", 1));
    }

    #[test]
    fn ranges_are_inclusive_and_safe_when_empty() {
        let mut rng = Rng::new("s", 0);
        for _ in 0..1000 {
            assert!((3..=5).contains(&rng.between(3, 5)));
            assert!(rng.below(7) < 7);
        }
        assert_eq!(rng.between(9, 2), 9);
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn permutations_are_bijections() {
        for size in [1u64, 2, 7, 100, 1000, 72_000] {
            let mut seen = vec![false; size as usize];
            for value in 0..size {
                let out = permute(value, size, 42) as usize;
                assert!(!seen[out], "size {size}: {out} twice");
                seen[out] = true;
            }
        }
    }
}
