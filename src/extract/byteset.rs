//! The first byte of a set of ASCII bytes, sixteen bytes at a time.
//!
//! The Python scanner's skim stops at a quote, bracket, comment, newline…
//! about every ten bytes. A byte-at-a-time loop mispredicts its exit at
//! every stop; comparing sixteen bytes with each of fourteen stop bytes
//! costs more than it saves. Classifying sixteen bytes by their two
//! nibbles (two `pshufb` table lookups, as simdjson and Hyperscan do) finds
//! the first stop of a chunk in a handful of instructions, whatever the
//! set. The CPU is asked once whether it has SSSE3; without it, or off
//! x86-64, a byte table does the same.

/// A set of ASCII bytes, with the tables both searches use.
#[derive(Clone, Copy)]
pub struct ByteSet {
    member: [bool; 256],
    /// By low nibble: a bit for each high nibble (0-7) that makes a member.
    by_low: [u8; 16],
    /// By high nibble: its bit (0 for 8-15, never ASCII).
    by_high: [u8; 16],
}

impl ByteSet {
    /// The set of `bytes`, all ASCII (a non-ASCII byte fails the build
    /// where the set is a constant, and panics elsewhere).
    pub const fn of(bytes: &[u8]) -> ByteSet {
        let mut high_bits = [0u8; 16];
        let mut h = 0;
        while h < 8 {
            high_bits[h] = 1 << h;
            h += 1;
        }
        ByteSet {
            member: [false; 256],
            by_low: [0; 16],
            by_high: high_bits,
        }
        .with(bytes)
    }

    /// This set and `bytes`.
    pub const fn with(mut self, bytes: &[u8]) -> ByteSet {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            assert!(b.is_ascii(), "a ByteSet holds ASCII bytes only");
            self.member[b as usize] = true;
            self.by_low[(b & 0x0f) as usize] |= 1 << (b >> 4);
            i += 1;
        }
        self
    }

    pub fn contains(&self, b: u8) -> bool {
        self.member[b as usize]
    }

    /// Where the first member of the set is in `bytes`, or its length.
    #[inline]
    pub fn find(&self, bytes: &[u8]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if bytes.len() >= 16 && std::is_x86_feature_detected!("ssse3") {
            // SAFETY: the CPU has SSSE3, just checked (std caches the answer).
            return unsafe { self.find_ssse3(bytes) };
        }
        self.find_by_table(bytes)
    }

    /// [`ByteSet::find`] a byte at a time: the reference the fast search
    /// must agree with, and its tail.
    pub fn find_by_table(&self, bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| self.contains(b))
            .unwrap_or(bytes.len())
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "ssse3")]
    unsafe fn find_ssse3(&self, bytes: &[u8]) -> usize {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_set1_epi8, _mm_setzero_si128, _mm_shuffle_epi8, _mm_srli_epi16,
        };
        // SAFETY (all loads): each reads 16 bytes inside a 16-byte array
        // or inside `bytes`, at most up to its end, checked by the loop.
        let by_low = unsafe { _mm_loadu_si128(self.by_low.as_ptr().cast::<__m128i>()) };
        let by_high = unsafe { _mm_loadu_si128(self.by_high.as_ptr().cast::<__m128i>()) };
        let nibble = _mm_set1_epi8(0x0f);
        let mut at = 0;
        while at + 16 <= bytes.len() {
            let chunk = unsafe { _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>()) };
            let low = _mm_and_si128(chunk, nibble);
            // A 16-bit shift brings the next byte's bits in: masked off.
            let high = _mm_and_si128(_mm_srli_epi16(chunk, 4), nibble);
            let hits = _mm_and_si128(
                _mm_shuffle_epi8(by_low, low),
                _mm_shuffle_epi8(by_high, high),
            );
            let misses = _mm_movemask_epi8(_mm_cmpeq_epi8(hits, _mm_setzero_si128())) as u32;
            let members = !misses & 0xffff;
            if members != 0 {
                return at + members.trailing_zeros() as usize;
            }
            at += 16;
        }
        at + self.find_by_table(&bytes[at..])
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSet;
    use proptest::prelude::*;

    const STOPS: ByteSet = ByteSet::of(b"\"'()[]{}#\\\n\r;");

    #[test]
    fn finds_the_first_member_in_every_position() {
        for stop in (0..=127u8).filter(|&b| STOPS.contains(b)) {
            for at in 0..40 {
                let mut bytes = vec![b'a'; 40];
                bytes[at] = stop;
                bytes.push(b'#');
                assert_eq!(STOPS.find(&bytes), at, "{stop} at {at}");
            }
        }
        assert_eq!(STOPS.find(&[b'x'; 33]), 33);
        assert_eq!(STOPS.find(b""), 0);
    }

    #[test]
    fn bytes_that_share_a_nibble_with_a_member_are_not_members() {
        // 0x2a '*' shares '"'s high nibble and ':' its low one; 0xa8 and
        // 0xda are not ASCII but carry the low nibbles of '(' and ']'.
        let others = [b'*', b':', b'h', 0xa8, 0xda, 0x02, 0xbb, b'\t', b' '];
        let bytes: Vec<u8> = others.iter().copied().cycle().take(64).collect();
        assert_eq!(STOPS.find(&bytes), bytes.len());
        assert_eq!(STOPS.with(b":").find(&bytes), 1);
    }

    proptest! {
        #[test]
        fn agrees_with_the_byte_table(
            set in proptest::collection::vec(0u8..128, 0..30),
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let set = ByteSet::of(&set);
            prop_assert_eq!(set.find(&bytes), set.find_by_table(&bytes));
        }
    }
}
