//! The cell decoder for processors with AVX-512 (F, BW and VL): sixteen edges a step, with
//! no branch on the data and no chain from edge to edge inside a step.
//!
//! Within sixteen edges, the new bits say which edges start a source. The next sixteen step
//! bytes hold the steps of those edges, in order, those of 255 replaced by the next wide
//! steps (an *expand*: the set lanes of a mask take consecutive values). Each step plus one
//! is then expanded to the lane of the edge that starts its source, zero elsewhere, and a
//! prefix sum over the sixteen lanes, plus the last source of the step before, gives every
//! edge's source offset: an edge that starts no source adds nothing, so it keeps the source
//! before it. Destinations: the top bits of the sixteen first bytes say which edges are cold;
//! the next sixteen second bytes are expanded to their lanes, and the hot lanes gather their
//! entries of the table. The only values carried from step to step are that last source and
//! the places in the steps, wide steps and second bytes, each a single addition.
//!
//! Every load is masked to the bytes that exist, so the last, partial step needs no other
//! code, and what lies past the steps, wide steps or second bytes reads as 0, as in the
//! scalar decoder: both decoders write the same keys and counts for any bytes, well formed
//! or not.

use std::arch::x86_64::{
    __m512i, _mm_maskz_loadu_epi8, _mm_movepi8_mask, _mm256_maskz_loadu_epi16, _mm512_add_epi32, _mm512_alignr_epi32,
    _mm512_and_si512, _mm512_cmpeq_epi32_mask, _mm512_cvtepu8_epi32, _mm512_cvtepu16_epi32, _mm512_mask_blend_epi32,
    _mm512_mask_cmpge_epu32_mask, _mm512_mask_expand_epi32, _mm512_mask_i32gather_epi32, _mm512_mask_storeu_epi32,
    _mm512_maskz_expand_epi32, _mm512_or_si512, _mm512_permutexvar_epi32, _mm512_reduce_or_epi32, _mm512_set1_epi32,
    _mm512_setzero_si512, _mm512_slli_epi32,
};

use super::{CellParts, Table};

/// Whether this processor runs [`decode`] (detected once, then a load and a test).
#[inline]
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The mask of the first `lanes` lanes (at most 16).
#[inline(always)]
fn first(lanes: usize) -> u16 {
    ((1u32 << lanes.min(16)) - 1) as u16
}

/// Decodes the edges of `out` from a cell's `parts`, their hot destinations from `table`,
/// as the scalar decoder's loop does: returns the wide steps used, the second bytes used,
/// the OR of every source offset, and whether a first byte names an entry past the table.
///
/// # Safety
/// The processor must have AVX-512 F, BW and VL ([`available`]); `parts` must hold a first
/// byte and a new bit for every edge of `out`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,popcnt")]
pub(super) unsafe fn decode(parts: &CellParts<'_>, table: &Table, out: &mut [u32]) -> (usize, usize, u32, bool) {
    let n = out.len();
    let CellParts {
        new: bits,
        firsts,
        wides,
        steps,
        seconds,
        ..
    } = *parts;
    debug_assert!(
        firsts.len() >= n && bits.len() >= n.div_ceil(8),
        "a first byte and a new bit an edge"
    );
    let seven_bits = _mm512_set1_epi32(0x7F);
    let sixteen_bits = _mm512_set1_epi32(0xFFFF);
    let table_len = _mm512_set1_epi32(table.len as i32);
    let all_ones = _mm512_set1_epi32(255);
    let one = _mm512_set1_epi32(1);
    let zero = _mm512_setzero_si512();
    let last_lane = _mm512_set1_epi32(15);
    // Wrapping from u32::MAX: the first edge's step lands on its source offset.
    let mut source: __m512i = _mm512_set1_epi32(-1);
    let mut seen = zero;
    let (mut j, mut w, mut c, mut i, mut bad) = (0usize, 0usize, 0usize, 0usize, 0u16);
    while i < n {
        let live = first(n - i);
        let new = (u16::from(bits[i / 8]) | u16::from(bits.get(i / 8 + 1).copied().unwrap_or(0)) << 8) & live;
        // SAFETY (all four loads, the gather and the store): masked, so only the lanes set
        // are touched, and those lie within their slices (`first` of what is left in each,
        // the gather's indices below 128 in a table of 130 entries); a masked-off lane never
        // faults. `wrapping_add` keeps a place past a slice's end (from bytes that run out)
        // from being an out-of-bounds offset.
        let first_bytes = unsafe { _mm_maskz_loadu_epi8(live, firsts.as_ptr().add(i).cast()) };
        let cold = _mm_movepi8_mask(first_bytes) & live;
        let hot = live & !cold;
        let first_bytes = _mm512_cvtepu8_epi32(first_bytes);
        let second_bytes = unsafe {
            _mm_maskz_loadu_epi8(
                first(seconds.len().saturating_sub(c)),
                seconds.as_ptr().wrapping_add(c).cast(),
            )
        };
        let low = _mm512_maskz_expand_epi32(cold, _mm512_cvtepu8_epi32(second_bytes));
        let cold_offsets = _mm512_or_si512(_mm512_slli_epi32::<8>(_mm512_and_si512(first_bytes, seven_bits)), low);
        let hot_offsets =
            unsafe { _mm512_mask_i32gather_epi32::<2>(zero, hot, first_bytes, table.entries.as_ptr().cast()) };
        let hot_offsets = _mm512_and_si512(hot_offsets, sixteen_bits);
        bad |= _mm512_mask_cmpge_epu32_mask(hot, first_bytes, table_len);
        let offsets = _mm512_mask_blend_epi32(cold, hot_offsets, cold_offsets);
        let step_bytes = unsafe {
            _mm_maskz_loadu_epi8(
                first(steps.len().saturating_sub(j)),
                steps.as_ptr().wrapping_add(j).cast(),
            )
        };
        let news = new.count_ones() as usize;
        let mut step = _mm512_cvtepu8_epi32(step_bytes);
        // The steps of 255 among this step's new sources take the next wide steps.
        let wide = _mm512_cmpeq_epi32_mask(step, all_ones) & first(news);
        let long = unsafe {
            _mm256_maskz_loadu_epi16(
                first(wides.len().saturating_sub(w)),
                wides.as_ptr().wrapping_add(w).cast(),
            )
        };
        step = _mm512_mask_expand_epi32(step, wide, _mm512_cvtepu16_epi32(long));
        // Each new source's step plus one, at the lane of the edge that starts it; then the
        // prefix sum over the lanes.
        let mut sum = _mm512_maskz_expand_epi32(new, _mm512_add_epi32(step, one));
        sum = _mm512_add_epi32(sum, _mm512_alignr_epi32::<15>(sum, zero));
        sum = _mm512_add_epi32(sum, _mm512_alignr_epi32::<14>(sum, zero));
        sum = _mm512_add_epi32(sum, _mm512_alignr_epi32::<12>(sum, zero));
        sum = _mm512_add_epi32(sum, _mm512_alignr_epi32::<8>(sum, zero));
        let sources = _mm512_add_epi32(sum, source);
        // Lanes past the cell's end hold its last source again: harmless in `seen`.
        seen = _mm512_or_si512(seen, sources);
        source = _mm512_permutexvar_epi32(last_lane, sources);
        let keys = _mm512_or_si512(_mm512_slli_epi32::<16>(sources), offsets);
        unsafe { _mm512_mask_storeu_epi32(out.as_mut_ptr().add(i).cast(), live, keys) };
        j += news;
        w += wide.count_ones() as usize;
        c += cold.count_ones() as usize;
        i += 16;
    }
    (w, c, _mm512_reduce_or_epi32(seen) as u32, bad != 0)
}
