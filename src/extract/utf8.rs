//! A reader that makes any byte stream UTF-8 the way
//! `String::from_utf8_lossy` does, chunk by chunk: a notebook too large to
//! hold is parsed from its file with the text a whole read would give.

use std::io::Read;

/// `bytes` as text when they are UTF-8, as `std::str::from_utf8` says: a
/// SIMD check first (most files are valid; std's check was 3 % of a
/// check's instructions), std's only to say where invalid text breaks.
pub fn from_utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// Bytes read from the inner reader at a time.
const CHUNK: usize = 64 * 1024;

pub struct Lossy<R> {
    inner: R,
    /// Checked text not yet handed out, from `at` on.
    ready: Vec<u8>,
    at: usize,
    /// The start of a sequence cut by the end of the last chunk.
    cut: Vec<u8>,
    chunk: usize,
    ended: bool,
    /// Whether any invalid bytes were replaced.
    pub replaced: bool,
}

impl<R: Read> Lossy<R> {
    pub fn new(inner: R) -> Self {
        Lossy::with_chunk(inner, CHUNK)
    }

    /// Tests use small chunks to cut sequences everywhere.
    pub fn with_chunk(inner: R, chunk: usize) -> Self {
        Lossy {
            inner,
            ready: Vec::new(),
            at: 0,
            cut: Vec::new(),
            chunk: chunk.max(1),
            ended: false,
            replaced: false,
        }
    }

    /// Reads and checks the next chunk into `ready`; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        self.ready.clear();
        self.at = 0;
        while self.ready.is_empty() && !self.ended {
            let mut raw = std::mem::take(&mut self.cut);
            let start = raw.len();
            raw.resize(start + self.chunk, 0);
            let n = read_some(&mut self.inner, &mut raw[start..])?;
            raw.truncate(start + n);
            self.ended = n == 0;
            self.check(&raw);
        }
        Ok(!self.ready.is_empty())
    }

    /// Moves the valid text of `raw` to `ready`, one U+FFFD for each
    /// invalid sequence, keeping a cut sequence for the next chunk.
    fn check(&mut self, mut raw: &[u8]) {
        loop {
            match from_utf8(raw) {
                Ok(text) => return self.ready.extend_from_slice(text.as_bytes()),
                Err(e) => {
                    let (valid, rest) = raw.split_at(e.valid_up_to());
                    self.ready.extend_from_slice(valid);
                    match e.error_len() {
                        Some(len) => raw = self.replace(rest, len),
                        None if self.ended => raw = self.replace(rest, rest.len()),
                        None => return self.cut = rest.to_vec(),
                    }
                }
            }
        }
    }

    fn replace<'r>(&mut self, rest: &'r [u8], len: usize) -> &'r [u8] {
        self.replaced = true;
        self.ready.extend_from_slice(
            char::REPLACEMENT_CHARACTER
                .encode_utf8(&mut [0; 4])
                .as_bytes(),
        );
        &rest[len..]
    }
}

/// One read, retried when interrupted.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

impl<R: Read> Read for Lossy<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.ready.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.ready.len() - self.at);
        buf[..n].copy_from_slice(&self.ready[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn through(bytes: &[u8], chunk: usize) -> (String, bool) {
        let mut r = Lossy::with_chunk(bytes, chunk);
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        (out, r.replaced)
    }

    #[test]
    fn cut_and_invalid_sequences_read_as_a_whole_lossy_read() {
        let cases: [&[u8]; 6] = [
            "héllo wörld ✓ 𝄞".as_bytes(),
            b"ab\xffcd",
            b"\xe2\x9c",
            b"x\xf0\x9d\x84",
            b"\xc3(\xa0\xa1",
            b"",
        ];
        for bytes in cases {
            for chunk in 1..6 {
                let want = String::from_utf8_lossy(bytes);
                let (got, replaced) = through(bytes, chunk);
                assert_eq!(got, want, "{bytes:?} in chunks of {chunk}");
                assert_eq!(replaced, std::str::from_utf8(bytes).is_err());
            }
        }
    }

    /// Random bytes, and text with a few bytes cut out or put in: the
    /// sequences a cut or a stray byte leaves.
    fn mostly_text() -> impl Strategy<Value = Vec<u8>> {
        let text = "[a-zé✓𝄞\n]{0,60}";
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            (text, any::<u8>(), any::<prop::sample::Index>()).prop_map(|(t, b, at)| {
                let mut bytes = t.into_bytes();
                bytes.insert(at.index(bytes.len() + 1), b);
                bytes
            }),
            (text, any::<prop::sample::Index>()).prop_map(|(t, at)| {
                let mut bytes = t.into_bytes();
                if !bytes.is_empty() {
                    bytes.remove(at.index(bytes.len()));
                }
                bytes
            }),
        ]
    }

    proptest! {
        #[test]
        fn any_bytes_any_chunks(bytes in mostly_text(), chunk in 1usize..40) {
            let (got, replaced) = through(&bytes, chunk);
            prop_assert_eq!(&got, &String::from_utf8_lossy(&bytes));
            prop_assert_eq!(replaced, std::str::from_utf8(&bytes).is_err());
        }

        /// The fast check says what std's says, where it breaks too; long
        /// inputs, so that the SIMD blocks are what reads them.
        #[test]
        fn checks_as_std_does(bytes in mostly_text(), pad in 0usize..200) {
            let mut long = "a".repeat(pad).into_bytes();
            long.extend_from_slice(&bytes);
            long.extend(std::iter::repeat_n(b'z', pad));
            for input in [&bytes, &long] {
                prop_assert_eq!(super::from_utf8(input), std::str::from_utf8(input));
            }
        }
    }
}
