//! The synthetic world both seeds are built from, so that they agree: the towns, the GP practices
//! the population is registered with (20 a town) and the community pharmacies patients nominate
//! (30 a town), and the small deterministic generator every seed draws from. PDS generates its
//! patients from it; the Spine Directory generates its organisations from the same practices and
//! pharmacies.

pub mod places;

use places::{PRACTICE_SUFFIXES, STREETS, TOWNS};

/// GP practices per town.
pub const PRACTICES_PER_TOWN: u32 = 20;
/// Community pharmacies per town (`pharmacy_code(town, 1..=PHARMACIES_PER_TOWN)`).
pub const PHARMACIES_PER_TOWN: u32 = 30;

/// SplitMix64: a tiny, well-mixed generator, seeded per generated thing (a patient's index, an
/// organisation's position), so any one of them can be generated alone and is the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// A GP practice: ODS code, name, town index.
pub struct Practice {
    pub ods: String,
    pub name: String,
    pub town: usize,
}

/// The `k`-th practice (1-based) of a town.
pub fn practice(town: usize, k: u32) -> Practice {
    let (name, _, _, letter) = TOWNS[town];
    let suffix = PRACTICE_SUFFIXES[(k as usize + town) % PRACTICE_SUFFIXES.len()];
    let street = STREETS[(k as usize * 7 + town) % STREETS.len()].split(' ').next().unwrap_or("Park");
    Practice { ods: format!("{letter}{:02}{k:03}", 10 + town), name: format!("{street} {suffix}, {name}"), town }
}

/// Every GP practice the population is registered with.
pub fn practices() -> impl Iterator<Item = Practice> {
    (0..TOWNS.len()).flat_map(|t| (1..=PRACTICES_PER_TOWN).map(move |k| practice(t, k)))
}

/// The ODS code of the `k`-th community pharmacy of a town. Towns 26 letters apart share codes
/// (`FA001` is both Leeds's and the 27th town's first pharmacy): the directory lists each code once,
/// in the first town that has it.
pub fn pharmacy_code(town: usize, k: u32) -> String {
    format!("F{}{:03}", (b'A' + (town % 26) as u8) as char, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_codes_are_unique_and_stable() {
        let codes: Vec<String> = practices().map(|p| p.ods).collect();
        assert_eq!(codes.len(), TOWNS.len() * PRACTICES_PER_TOWN as usize);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert_eq!(practice(3, 1).ods, "B13001");
        assert_eq!(pharmacy_code(0, 1), "FA001");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next(), b.next());
        }
        assert!(Rng::new(8).next() != Rng::new(7).next());
    }
}
