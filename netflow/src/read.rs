//! Bounds-checked big-endian reads over a datagram.

/// Why a datagram (or one set of it) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The datagram ends inside a header, set or record.
    #[error("truncated: needed {needed} bytes at offset {at}, {len} available")]
    Truncated {
        /// Offset of the read.
        at: usize,
        /// Bytes the read needed.
        needed: usize,
        /// Bytes in the datagram.
        len: usize,
    },
    /// The version field is not 5, 9 or 10.
    #[error("unknown NetFlow version {0}")]
    UnknownVersion(u16),
    /// A length field contradicts the datagram.
    #[error("bad length: {0}")]
    BadLength(&'static str),
    /// A template that cannot be used (zero-length record, too many fields...).
    #[error("bad template: {0}")]
    BadTemplate(&'static str),
    /// A new exporter while the collector already keeps its maximum of exporters.
    #[error("refused: the collector already keeps {0} exporters")]
    TooManyExporters(usize),
}

/// A cursor over bytes with bounds-checked big-endian reads.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                at: self.at,
                needed: n,
                len: self.bytes.len(),
            });
        }
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(slice)
    }

    /// A big-endian `u8`.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// An unsigned big-endian integer of 1 to 8 bytes (IPFIX reduced-size encoding); longer
/// fields keep their last 8 bytes.
pub fn uint(bytes: &[u8]) -> u64 {
    let bytes = &bytes[bytes.len().saturating_sub(8)..];
    bytes
        .iter()
        .fold(0u64, |value, &b| (value << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut reader = Reader::new(&[0, 9, 1]);
        assert_eq!(reader.u16(), Ok(9));
        assert!(matches!(
            reader.u16(),
            Err(DecodeError::Truncated {
                at: 2,
                needed: 2,
                len: 3
            })
        ));
        assert_eq!(reader.u8(), Ok(1));
        assert_eq!(uint(&[1, 2]), 258);
        assert_eq!(uint(&[0xff; 10]), u64::MAX);
    }
}
