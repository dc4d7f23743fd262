//! Model artifacts: only the first bytes are read, to confirm what the name
//! says or to tell what a generic name (`.h5`, `.pt`) holds.
//! Keys (`config-key` signals): `artifact:tflite`, `artifact:hdf5`,
//! `artifact:torch-zip`, `artifact:gguf`, `artifact:lfs-pointer`.

use crate::signal::{Extracted, Signal, SignalKind};

/// Bytes read from the start of an artifact, whatever its size.
pub const PREFIX: u64 = 16;

/// Extensions read as artifacts.
pub const EXTENSIONS: [&str; 8] = [
    ".tflite", ".lite", ".h5", ".hdf5", ".pt", ".pth", ".gguf", ".ckpt",
];

pub fn magic(bytes: &[u8], out: &mut Extracted) {
    let key = if bytes.starts_with(b"version https://git-lfs") {
        // A Git LFS pointer: the name is all there is to go on.
        "lfs-pointer"
    } else if bytes.get(4..8) == Some(b"TFL3") {
        "tflite"
    } else if bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
        "hdf5"
    } else if bytes.starts_with(b"GGUF") {
        "gguf"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "torch-zip"
    } else {
        return;
    };
    out.push(Signal::new(
        SignalKind::ConfigKey,
        format!("artifact:{key}"),
        1,
        1,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"\x1c\x00\x00\x00TFL3\x00\x00", Some("1:artifact:tflite")),
            (b"\x89HDF\r\n\x1a\n\x00", Some("1:artifact:hdf5")),
            (
                b"version https://git-lfs.github.com/spec/v1\n",
                Some("1:artifact:lfs-pointer"),
            ),
            (b"PK\x03\x04archive", Some("1:artifact:torch-zip")),
            (b"\x00\x01\x02", None),
        ];
        for (bytes, want) in cases {
            let mut out = Extracted::default();
            magic(bytes, &mut out);
            assert_eq!(out.line_keys().first().map(String::as_str), want);
        }
    }
}
