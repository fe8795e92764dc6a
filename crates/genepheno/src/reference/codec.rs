//! Byte-level primitives of the file: LEB128 varints, length-prefixed strings, delta-coded sorted
//! index lists. Reading is bounds-checked everywhere and never allocates more than the remaining
//! bytes could describe, so a damaged file yields an error, not a panic or a huge allocation.

use super::ReferenceError;

/// Appends values to a growing buffer.
#[derive(Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub fn u64_le(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }

    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.bytes.extend_from_slice(s.as_bytes());
    }

    /// A strictly increasing list: its length, then the first value and the gaps minus one.
    pub fn sorted_list(&mut self, values: &[u32]) {
        self.varint(values.len() as u64);
        let mut next = 0u32;
        for &v in values {
            self.varint(u64::from(v - next));
            next = v + 1;
        }
    }
}

/// Reads values back, failing with [`ReferenceError::Truncated`] or [`ReferenceError::Corrupt`].
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ReferenceError> {
        if self.remaining() < n {
            return Err(ReferenceError::Truncated(what));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, ReferenceError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u64_le(&mut self, what: &'static str) -> Result<u64, ReferenceError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    pub fn varint(&mut self, what: &'static str) -> Result<u64, ReferenceError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8(what)?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ReferenceError::Corrupt(format!("{what}: varint longer than 64 bits")))
    }

    /// A varint that must fit in u32 and be at most `max`.
    pub fn bounded(&mut self, max: u64, what: &'static str) -> Result<u32, ReferenceError> {
        let v = self.varint(what)?;
        if v > max || v > u64::from(u32::MAX) {
            return Err(ReferenceError::Corrupt(format!("{what}: {v} exceeds {max}")));
        }
        Ok(v as u32)
    }

    /// A count of items that each take at least one byte: never more than the bytes left.
    pub fn count(&mut self, what: &'static str) -> Result<usize, ReferenceError> {
        let max = self.remaining() as u64;
        Ok(self.bounded(max, what)? as usize)
    }

    pub fn str(&mut self, what: &'static str) -> Result<String, ReferenceError> {
        let n = self.count(what)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ReferenceError::Corrupt(format!("{what}: not UTF-8")))
    }

    /// A strictly increasing list of values below `limit` (see [`Writer::sorted_list`]).
    pub fn sorted_list(&mut self, limit: u32, what: &'static str) -> Result<Vec<u32>, ReferenceError> {
        let n = self.count(what)?;
        let mut out = Vec::with_capacity(n);
        let mut next = 0u64;
        for _ in 0..n {
            // A damaged gap can be as large as u64 holds: checked, never wrapped (found by
            // fuzzing: the sum overflowed).
            let v = next.checked_add(self.varint(what)?).unwrap_or(u64::MAX);
            if v >= u64::from(limit) {
                return Err(ReferenceError::Corrupt(format!("{what}: index {v} out of range (< {limit})")));
            }
            out.push(v as u32);
            next = v + 1;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's crasher (fuzz/artifacts, kept here): a list whose second gap is the
    /// largest varint made the running sum overflow.
    #[test]
    fn a_huge_gap_is_an_error_not_an_overflow() {
        let mut w = Writer::default();
        w.varint(2);
        w.varint(3);
        w.varint(u64::MAX);
        let err = Reader::new(&w.bytes).sorted_list(10, "list").unwrap_err();
        assert!(matches!(err, ReferenceError::Corrupt(ref m) if m.contains("out of range")), "{err:?}");
    }

    #[test]
    fn values_round_trip() {
        let mut w = Writer::default();
        w.varint(0);
        w.varint(127);
        w.varint(128);
        w.varint(u64::MAX);
        w.str("TP53");
        w.sorted_list(&[0, 1, 5, 999]);
        w.u64_le(0x0102_0304_0506_0708);
        let mut r = Reader::new(&w.bytes);
        assert_eq!(r.varint("a").unwrap(), 0);
        assert_eq!(r.varint("a").unwrap(), 127);
        assert_eq!(r.varint("a").unwrap(), 128);
        assert_eq!(r.varint("a").unwrap(), u64::MAX);
        assert_eq!(r.str("s").unwrap(), "TP53");
        assert_eq!(r.sorted_list(1000, "l").unwrap(), vec![0, 1, 5, 999]);
        assert_eq!(r.u64_le("d").unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.u8("end"), Err(ReferenceError::Truncated("end")));
    }

    #[test]
    fn damaged_values_are_errors() {
        let mut w = Writer::default();
        w.sorted_list(&[3, 10]);
        assert!(matches!(Reader::new(&w.bytes).sorted_list(10, "l"), Err(ReferenceError::Corrupt(_))));
        // A count larger than the bytes left is refused before allocating.
        let mut w = Writer::default();
        w.varint(1 << 40);
        assert!(Reader::new(&w.bytes).str("s").is_err());
        assert!(Reader::new(&[0xFF; 11]).varint("v").is_err());
    }
}
