//! A list of strings stored back to back in one buffer: node ids read as text, names.

/// A list of strings stored back to back in one buffer.
#[derive(Clone, Debug, Default)]
pub(crate) struct StringTable {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ends: Vec<usize>,
}

impl StringTable {
    /// Bytes the table holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * size_of::<usize>()
    }

    /// Number of strings.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th string's bytes.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The strings in order: bytes back to back and the end offset of each.
    #[cfg(feature = "distributed")]
    pub(crate) fn parts(&self) -> (&[u8], &[usize]) {
        (&self.bytes, &self.ends)
    }

    /// Appends a string.
    pub(crate) fn push(&mut self, s: &[u8]) {
        self.bytes.extend_from_slice(s);
        self.ends.push(self.bytes.len());
    }

    /// Appends every string of `other`.
    pub(crate) fn append(&mut self, other: &StringTable) {
        let base = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.iter().map(|&e| base + e));
    }

    /// The strings in the order `order` gives (`order[i]` is the string that comes `i`-th).
    pub(crate) fn permuted(&self, order: &[u32]) -> StringTable {
        let mut out = StringTable {
            bytes: Vec::with_capacity(self.bytes.len()),
            ends: Vec::with_capacity(order.len()),
        };
        for &i in order {
            out.push(self.get(i as usize));
        }
        out
    }
}
