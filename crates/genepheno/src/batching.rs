//! Which waiting records are scored together in one batch.
//!
//! The encoder pads every window of a batch to the batch's longest window, so a batch that mixes
//! a 60-residue protein with a 500-residue one spends most of the short one's work on padding.
//! Taken in input order, batches of real human proteins cost 1.35 times the work of their
//! residues; grouping each batch's records by window length, from a short look-ahead over the
//! waiting records, brings that to about 1.03 (17,283 human proteins, look-ahead 256; the
//! encoder's fixed [`ROW_MARGIN`] of 8 slots per window comes on top of both) while
//! results still arrive roughly in input order: every batch starts with the first record that
//! waits. The page's scheduler and the native benchmark (`genepheno bench`) both use this
//! planner, so their figures compare like for like.

/// Most records in one batch: enough to amortise a GPU round trip, small enough that progress
/// moves and a cancel takes effect quickly.
pub const MAX_RECORDS: usize = 16;
/// Most residues in one batch (the first record always goes, however long): bounds the
/// worker's memory when long proteins come together.
pub const MAX_RESIDUES: usize = 12_000;
/// How many waiting records (in input order) a batch may be drawn from.
pub const LOOKAHEAD: usize = 256;

/// Padding positions every window row gets after the batch's longest window.
///
/// The encoder convolves all rows of a batch as one long sequence (one matrix product per
/// layer, `model::encoder`); this many zeros between the end of one row's residues and the
/// start of the next keep a layer that reaches up to `ROW_MARGIN` positions to either side
/// from reading the neighbouring row, exactly as a convolution's own zero padding would.
/// The encoder refuses a configuration that reaches further.
pub const ROW_MARGIN: usize = 8;

/// Length of the longest window the encoder reads for a protein of `len` residues: sequences
/// longer than `window` are cut into equal windows (as `model::tokens::windows` does).
pub fn window_length(len: usize, window: usize) -> usize {
    let window = window.max(1);
    if len == 0 {
        return 0;
    }
    len.div_ceil(len.div_ceil(window))
}

/// Picks the next batch from the waiting records' lengths, given in input order (at most
/// [`LOOKAHEAD`] of them are considered). Returns positions into `waiting`, the first always
/// being 0; the others are the records whose window length is closest to the first's (earlier
/// records first on ties), within [`MAX_RECORDS`] and [`MAX_RESIDUES`]. Empty only when nothing
/// waits.
pub fn next_batch(waiting: &[usize], window: usize) -> Vec<usize> {
    let Some(&first) = waiting.first() else {
        return Vec::new();
    };
    let anchor = window_length(first, window);
    let considered = &waiting[..waiting.len().min(LOOKAHEAD)];
    let mut candidates: Vec<usize> = (1..considered.len()).collect();
    candidates.sort_by_key(|&i| (window_length(considered[i], window).abs_diff(anchor), i));
    let mut batch = vec![0];
    let mut residues = first;
    for i in candidates {
        if batch.len() == MAX_RECORDS {
            break;
        }
        if residues + considered[i] <= MAX_RESIDUES {
            residues += considered[i];
            batch.push(i);
        }
    }
    batch.sort_unstable();
    batch
}

/// Work of a batch in the residue slots the encoder computes: windows times the row length
/// (the longest window and the [`ROW_MARGIN`]).
pub fn padded_cost(lengths: &[usize], window: usize) -> usize {
    let windows: usize = lengths.iter().map(|&n| n.div_ceil(window.max(1))).sum();
    let longest = lengths.iter().map(|&n| window_length(n, window)).max().unwrap_or(0);
    windows * (longest + ROW_MARGIN)
}

/// Splits proteins (by length, in input order) into the batches a scheduler using
/// [`next_batch`] sends when all of them wait from the start. Returns positions into `lengths`.
pub fn plan_all(lengths: &[usize], window: usize) -> Vec<Vec<usize>> {
    let mut waiting: Vec<usize> = (0..lengths.len()).collect();
    let mut batches = Vec::new();
    while !waiting.is_empty() {
        let view: Vec<usize> = waiting.iter().take(LOOKAHEAD).map(|&i| lengths[i]).collect();
        let picked = next_batch(&view, window);
        let batch: Vec<usize> = picked.iter().map(|&p| waiting[p]).collect();
        for &p in picked.iter().rev() {
            waiting.remove(p);
        }
        batches.push(batch);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_length_splits_evenly() {
        assert_eq!(window_length(0, 512), 0);
        assert_eq!(window_length(300, 512), 300);
        assert_eq!(window_length(512, 512), 512);
        assert_eq!(window_length(513, 512), 257);
        assert_eq!(window_length(1216, 512), 406);
    }

    #[test]
    fn the_first_waiting_record_always_goes_with_its_nearest_lengths() {
        let waiting = [500, 60, 490, 70, 480, 65];
        assert_eq!(next_batch(&waiting, 512), vec![0, 1, 2, 3, 4, 5]);
        let many: Vec<usize> = (0..40).map(|i| if i % 2 == 0 { 500 } else { 60 }).collect();
        let batch = next_batch(&many, 512);
        assert_eq!(batch[0], 0);
        // Sixteen 500-residue records (8,000 residues) fill the batch; no 60-residue one joins.
        assert_eq!(batch.len(), MAX_RECORDS);
        assert!(batch.iter().all(|&i| many[i] == 500), "{batch:?}");
        let short: Vec<usize> = vec![60; 3].into_iter().chain(vec![500; 30]).collect();
        assert_eq!(next_batch(&short, 512)[..3], [0, 1, 2]);
    }

    #[test]
    fn limits_hold_and_a_long_first_record_goes_alone() {
        assert_eq!(next_batch(&[35_000, 100, 200], 512), vec![0]);
        let waiting = vec![1_000; 50];
        let batch = next_batch(&waiting, 512);
        assert_eq!(batch.len(), 12);
        assert!(next_batch(&[], 512).is_empty());
    }

    #[test]
    fn only_the_lookahead_is_considered() {
        let mut waiting = vec![60];
        waiting.extend(vec![500; LOOKAHEAD - 1]);
        waiting.extend(vec![60; 20]);
        assert_eq!(next_batch(&waiting, 512).len(), MAX_RECORDS);
        assert!(next_batch(&waiting, 512).iter().all(|&i| i < LOOKAHEAD));
    }

    #[test]
    fn planning_covers_every_record_once_and_cuts_padding() {
        // Alternating short and long proteins: in input order every batch pads the short ones.
        let lengths: Vec<usize> = (0..600).map(|i| [80, 450, 120, 900, 300][i % 5] + i % 7).collect();
        let batches = plan_all(&lengths, 512);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..600).collect::<Vec<_>>());
        for batch in &batches {
            let residues: usize = batch.iter().map(|&i| lengths[i]).sum();
            assert!(batch.len() <= MAX_RECORDS && (batch.len() == 1 || residues <= MAX_RESIDUES));
        }
        let planned: usize = batches.iter().map(|b| padded_cost(&b.iter().map(|&i| lengths[i]).collect::<Vec<_>>(), 512)).sum();
        let in_order: usize = lengths.chunks(MAX_RECORDS).map(|c| padded_cost(c, 512)).sum();
        // The least any plan can cost: every protein in a batch of its own window length.
        let floor: usize = lengths.iter().map(|&n| padded_cost(&[n], 512)).sum();
        assert!(planned * 100 < floor * 105, "planned {planned}, at best {floor}");
        assert!(in_order > planned * 13 / 10, "in order {in_order}, planned {planned}");
    }
}
