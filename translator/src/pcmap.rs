//! Hash maps keyed by guest addresses (with a code context), for the engines' block maps,
//! which the dispatch looks up on its cache misses: a multiplicative hash (FxHash's, with
//! rustc-hash's final rotation so that the low bits, which pick the bucket, depend on every
//! bit of the key) instead of SipHash. Keys come from the guest, but a guest that makes its
//! blocks collide only slows itself down.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Clone, Copy, Default)]
pub struct PcHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl Hasher for PcHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = self.0.wrapping_add(v).wrapping_mul(K);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// A `HashMap` hashed with [`PcHasher`] (make one with `PcMap::default()`).
pub type PcMap<K, V> = HashMap<K, V, BuildHasherDefault<PcHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// Keys that differ only in high bits (or only in the context) land in different
    /// buckets' low bits.
    #[test]
    fn low_bits_depend_on_high_bits_of_the_key() {
        let b = BuildHasherDefault::<PcHasher>::default();
        let low = |k: (u64, u64)| b.hash_one(k) & 0xfff;
        assert_ne!(
            low((0xffff_ffff_8000_0000, 2)),
            low((0xffff_ffff_8010_0000, 2))
        );
        assert_ne!(low((0x8000_0000, 1)), low((0x8000_0000, 2)));
        let mut m: PcMap<(u64, u64), u32> = PcMap::default();
        for i in 0..10_000u64 {
            m.insert((0xffff_ffff_8000_0000 + i * 2, 2), i as u32);
        }
        assert_eq!(m.get(&(0xffff_ffff_8000_0000 + 2 * 777, 2)), Some(&777));
        assert_eq!(m.len(), 10_000);
    }
}
