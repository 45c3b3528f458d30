//! Uniform-grid spatial hash, rebuilt from scratch every tick with a counting sort.
//!
//! Layout: grid cells (`floor(position / cell_size)`) are mapped onto a table of buckets that is a
//! small grid itself, `2^a x 2^b` buckets with at least twice as many buckets as points (at least
//! 16), by wrapping the cell coordinates around it (cell `(x, y)` goes to bucket
//! `(x mod 2^a, y mod 2^b)`, a torus). Rebuilding counts points per bucket, turns the counts into
//! offsets (prefix sum) and scatters the points into one flat array sorted by bucket: two passes
//! over the points, one over the table, no per-cell `Vec`s and no allocation once the buffers have
//! grown to the crowd size.
//!
//! Agents move a few centimetres per tick, so the last rebuild's storage order is nearly this
//! tick's: a rebuild with as many points as the last one walks them in that order rather than the
//! caller's, and its counting and scattering then touch the table and the entries almost
//! sequentially instead of at random (the points are read at random instead, from the smaller
//! position array). On 20,000 agents of `kansei npc bench --tier crowd` this halved the rebuild.
//!
//! Why a wrapped table rather than a dense grid over the bounding box: a dense grid needs as many
//! cells as the bounding box covers, so one straggler 10 km away either blows up memory or forces
//! huge cells. The wrapped table costs memory proportional to the number of points, whatever their
//! spread. Why wrapping rather than a scrambling hash: neighbouring cells stay neighbouring
//! buckets, so a query reads one contiguous run of entries per row of cells (3 runs for the usual
//! 3 x 3 query instead of 9 scattered buckets), and the entry order is spatially coherent.
//! Cells a whole table width apart share buckets; every entry stores its cell so that a query
//! only reports points of the cells it asked for (each point exactly once).

use glam::{IVec2, Vec2};

use super::error::SteeringError;

/// Cell size (metres) used by [`SpatialHash::default`] and by [`SpatialHash::new`] when given an
/// unusable cell size: 4 m, the default `ORCA` neighbour distance.
pub const DEFAULT_CELL_SIZE: f32 = 4.0;

/// Smallest table: 2^4 = 16 buckets.
const MIN_BUCKET_BITS: u32 = 4;
/// Largest table: 2^30 buckets (never reached in practice: two buckets per point).
const MAX_BUCKET_BITS: u32 = 30;
/// Stack buffer of candidate keys in `nearest_within` (used when `max` is at most half of it).
const CANDIDATE_BUFFER_LEN: usize = 64;
/// Up to this many candidates, `nearest_within` orders them with a rank sort.
const RANK_SORT_LEN: usize = 24;
/// Queries reaching at most this many cells from their centre read whole rows of cells instead
/// of trimming each row to the circle's chord: on this project's VM, without trimming, 20,000
/// crowd separation queries (1 cell) took 1.70 ms instead of 2.42, 20,000 ORCA neighbour queries
/// (1 cell) 3.27 instead of 3.90, and the 5,000 active villagers' steering (3-cell ORCA queries)
/// 0.50 instead of 0.57 ms a tick.
const TRIM_ROWS_FROM_CELLS: f32 = 4.0;
/// Bucket marker for points that are not indexed (non-finite positions).
const NOT_INDEXED: u32 = u32::MAX;

/// One indexed point, stored in bucket order so that a query reads contiguous memory.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    position: Vec2,
    cell: IVec2,
    index: u32,
}

/// Neighbour queries over a set of points given once per tick.
///
/// * [`rebuild`](Self::rebuild) is `O(n)` and reuses its buffers.
/// * Queries read only the cells overlapping the query circle's bounding square (3 x 3 cells when
///   the radius is at most the cell size, more for bigger radii) and test exact distances, so
///   results are identical to a brute-force scan. When a query would cover more cells than the
///   table has buckets (a huge radius), it scans all points instead, which is cheaper.
/// * Queries take `&self` and allocate nothing, so many threads can query one hash at once.
/// * Querying points in [`spatial_order`](Self::spatial_order) rather than in input order keeps
///   consecutive queries in the same memory and is several times faster for large crowds.
///
/// Non-finite positions are not indexed: they are never reported by any query (they keep their
/// index in [`positions`](Self::positions), so indices still match the caller's slice).
/// Positions whose cell coordinate exceeds the `i32` range (beyond about 2e9 cells from the
/// origin) share the saturated edge cell; results stay exact, only slower.
#[derive(Clone, Debug)]
pub struct SpatialHash {
    cell_size: f32,
    inverse_cell_size: f32,
    /// Copy of the positions given to the last rebuild, in the caller's order.
    positions: Vec<Vec2>,
    /// `bucket_start[b]..bucket_start[b + 1]` is the range of `entries` in bucket `b`; buckets are
    /// numbered row by row: `b = row * width + column`.
    bucket_start: Vec<u32>,
    /// Indexed points sorted by bucket (within a bucket, in the order of the previous rebuild).
    entries: Vec<Entry>,
    /// The order the next rebuild walks the points in: the indices of `entries`, then those of
    /// the points that were not indexed (a permutation of the last rebuild's indices).
    walk_order: Vec<u32>,
    /// Rebuild scratch: the bucket of each point of `walk_order`, or `NOT_INDEXED`.
    point_buckets: Vec<u32>,
    /// Rebuild scratch: the position of each point of `walk_order`, so that the scatter reads
    /// them in order rather than at random.
    walk_positions: Vec<Vec2>,
    /// The table is `2^column_bits` buckets wide and `2^row_bits` high.
    column_bits: u32,
    row_bits: u32,
}

impl Default for SpatialHash {
    /// An empty hash with [`DEFAULT_CELL_SIZE`] (4 m) cells.
    fn default() -> Self {
        Self::new(DEFAULT_CELL_SIZE)
    }
}

impl SpatialHash {
    /// An empty hash with square cells of `cell_size` metres. A cell size about equal to the
    /// usual query radius keeps queries to 3 x 3 cells. An unusable `cell_size` (zero, negative,
    /// not finite, or so small that its inverse overflows) falls back to [`DEFAULT_CELL_SIZE`];
    /// use [`try_new`](Self::try_new) to reject it instead.
    pub fn new(cell_size: f32) -> Self {
        Self::try_new(cell_size).unwrap_or_else(|_| Self::with_valid_cell_size(DEFAULT_CELL_SIZE))
    }

    /// Like [`new`](Self::new) but returns [`SteeringError::InvalidCellSize`] for an unusable
    /// cell size.
    pub fn try_new(cell_size: f32) -> Result<Self, SteeringError> {
        if cell_size.is_finite() && cell_size > 0.0 && cell_size.recip().is_finite() {
            Ok(Self::with_valid_cell_size(cell_size))
        } else {
            Err(SteeringError::InvalidCellSize(cell_size))
        }
    }

    fn with_valid_cell_size(cell_size: f32) -> Self {
        let mut hash = Self {
            cell_size,
            inverse_cell_size: cell_size.recip(),
            positions: Vec::new(),
            bucket_start: Vec::new(),
            entries: Vec::new(),
            walk_order: Vec::new(),
            point_buckets: Vec::new(),
            walk_positions: Vec::new(),
            column_bits: 0,
            row_bits: 0,
        };
        hash.rebuild(&[]);
        hash
    }

    /// Edge length of a cell, metres.
    pub fn cell_size(&self) -> f32 {
        self.cell_size
    }

    /// The positions given to the last [`rebuild`](Self::rebuild), in the caller's order
    /// (non-finite ones included).
    pub fn positions(&self) -> &[Vec2] {
        &self.positions
    }

    /// Number of indexed points (finite positions) from the last rebuild.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Indices of all indexed points, in storage order: points of the same cell are consecutive
    /// and cells follow row by row, so neighbouring points mostly come close together. Running
    /// per-agent queries in this order (instead of input order) makes them cache-friendly.
    pub fn spatial_order(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.entries.iter().map(|entry| entry.index)
    }

    /// Replaces the indexed points with `positions`; query results are indices into this slice.
    /// Non-finite positions are kept in [`positions`](Self::positions) but not indexed. Only the
    /// first `u32::MAX - 1` positions are indexed (indices are `u32`).
    ///
    /// Runs in `O(n)`; allocates only when `positions` is longer than any earlier set. Fastest
    /// when `positions` holds the same points as the last rebuild, moved a little: it then walks
    /// them in the last rebuild's storage order, so the counting sort touches its table nearly
    /// sequentially. Any other set gives the same query results, only without that speed-up.
    pub fn rebuild(&mut self, positions: &[Vec2]) {
        self.positions.clear();
        self.positions.extend_from_slice(positions);
        let indexed = &positions[..positions.len().min(NOT_INDEXED as usize - 1)];
        if self.walk_order.len() != indexed.len() {
            self.walk_order.clear();
            self.walk_order.extend(0..indexed.len() as u32);
        }

        let bucket_bits = (indexed.len().max(1) * 2)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_BUCKET_BITS, MAX_BUCKET_BITS);
        self.column_bits = bucket_bits.div_ceil(2);
        self.row_bits = bucket_bits / 2;
        let bucket_count = 1usize << bucket_bits;
        self.bucket_start.clear();
        self.bucket_start.resize(bucket_count + 1, 0);

        // Pass 1: count the points per bucket.
        self.point_buckets.clear();
        self.walk_positions.clear();
        for &index in &self.walk_order {
            let position = indexed[index as usize];
            self.walk_positions.push(position);
            if position.is_finite() {
                let bucket = self.bucket_of(self.cell_of(position));
                self.bucket_start[bucket] += 1;
                self.point_buckets.push(bucket as u32);
            } else {
                self.point_buckets.push(NOT_INDEXED);
            }
        }

        // Prefix sum: bucket_start[b] becomes the end of bucket b. The scatter below decrements it
        // once per point, leaving the start of each bucket when done.
        let mut running_total = 0u32;
        for slot in &mut self.bucket_start[..bucket_count] {
            running_total += *slot;
            *slot = running_total;
        }
        self.bucket_start[bucket_count] = running_total;

        // Pass 2: scatter. Walking backwards keeps each bucket in walking order.
        self.entries.clear();
        self.entries
            .resize(running_total as usize, Entry::default());
        let walk = self
            .walk_order
            .iter()
            .zip(&self.point_buckets)
            .zip(&self.walk_positions);
        for ((&index, &bucket), &position) in walk.rev() {
            if bucket == NOT_INDEXED {
                continue;
            }
            let cell = self.cell_of(position);
            let slot = &mut self.bucket_start[bucket as usize];
            *slot -= 1;
            self.entries[*slot as usize] = Entry {
                position,
                cell,
                index,
            };
        }

        // The next rebuild walks this one's storage order, then the points not indexed (rare:
        // non-finite positions, so collecting them may allocate).
        let unindexed: Vec<u32> = if self.entries.len() == self.walk_order.len() {
            Vec::new()
        } else {
            self.walk_order
                .iter()
                .zip(&self.point_buckets)
                .filter(|&(_, &bucket)| bucket == NOT_INDEXED)
                .map(|(&index, _)| index)
                .collect()
        };
        self.walk_order.clear();
        self.walk_order
            .extend(self.entries.iter().map(|entry| entry.index));
        self.walk_order.extend(unindexed);
    }

    /// Calls `f` with the index of every indexed point whose distance to `p` is at most `radius`
    /// (compared as squared distances, exactly as a brute-force scan would). Order is
    /// unspecified. A non-finite `p` or a negative or `NaN` `radius` reports nothing; an infinite
    /// radius reports every indexed point.
    pub fn for_each_within(&self, p: Vec2, radius: f32, mut f: impl FnMut(u32)) {
        if !p.is_finite() || radius.is_nan() || radius < 0.0 {
            return;
        }
        let radius_squared = radius * radius;
        self.visit_candidates(p, radius, |entry| {
            if entry.position.distance_squared(p) <= radius_squared {
                f(entry.index);
            }
        });
    }

    /// Calls `f` with the position and index of every indexed point in the cells that the
    /// circle of `radius` around `p` overlaps: every point within `radius` and some farther
    /// ones, which the caller weighs itself. Meant for sums over neighbours that can give an
    /// out-of-range point zero weight without a branch (whether a point is in range is
    /// unpredictable, and mispredictions dominate short queries; see
    /// [`separation_in`](super::separation_in)). Bad `p`/`radius` as in
    /// [`for_each_within`](Self::for_each_within).
    #[inline(always)]
    pub fn for_each_candidate(&self, p: Vec2, radius: f32, mut f: impl FnMut(Vec2, u32)) {
        if !p.is_finite() || radius.is_nan() || radius < 0.0 {
            return;
        }
        self.visit_candidates(p, radius, |entry| f(entry.position, entry.index));
    }

    /// Fills `out` with up to `max` points within `radius` of `p` as `(distance squared, index)`,
    /// nearest first (ties broken by lower index, so the result is deterministic), skipping
    /// `exclude` (typically the querying agent itself). `out` is cleared first; nothing is
    /// allocated when its capacity is at least `max`. Bad `p`/`radius` as in
    /// [`for_each_within`](Self::for_each_within).
    pub fn nearest_within(
        &self,
        p: Vec2,
        radius: f32,
        max: usize,
        exclude: Option<u32>,
        out: &mut Vec<(f32, u32)>,
    ) {
        out.clear();
        if max == 0 || !p.is_finite() || radius.is_nan() || radius < 0.0 {
            return;
        }
        // NOT_INDEXED is never a stored index, so it is a safe "exclude nothing".
        let excluded = exclude.unwrap_or(NOT_INDEXED);
        if max <= CANDIDATE_BUFFER_LEN / 2 {
            self.nearest_within_buffered(p, radius, max, excluded, out);
        } else {
            self.nearest_within_sorted_insert(p, radius, max, excluded, out);
        }
    }

    /// [`nearest_within`](Self::nearest_within) for small `max`: candidates go into a stack
    /// buffer without a data-dependent branch (whether a point is in range is unpredictable, and
    /// mispredictions dominated the query time), and are sorted once at the end. When the buffer
    /// fills up it is cut back to the best `max`, which also tightens the search radius.
    fn nearest_within_buffered(
        &self,
        p: Vec2,
        radius: f32,
        max: usize,
        excluded: u32,
        out: &mut Vec<(f32, u32)>,
    ) {
        let mut keys = [0u64; CANDIDATE_BUFFER_LEN];
        let mut count = 0;
        let mut limit_squared = radius * radius;
        self.visit_candidates(p, radius, |entry| {
            let distance_squared = entry.position.distance_squared(p);
            // Always written; only kept (counted) when in range and not excluded.
            keys[count] = order_key((distance_squared, entry.index));
            count += usize::from((distance_squared <= limit_squared) & (entry.index != excluded));
            if count == CANDIDATE_BUFFER_LEN {
                keys.sort_unstable();
                count = max;
                limit_squared = f32::from_bits((keys[max - 1] >> 32) as u32);
            }
        });
        let kept = &mut keys[..count];
        let decode = |&key: &u64| (f32::from_bits((key >> 32) as u32), key as u32);
        if count <= RANK_SORT_LEN {
            // Usual case (about a dozen candidates): rank sort, every key's final position is the
            // number of smaller keys (all keys differ: the index is part of the key). Branch-free,
            // unlike an insertion sort whose exits are as unpredictable as the distances.
            let mut sorted = [0u64; RANK_SORT_LEN];
            for &key in kept.iter() {
                let rank = kept.iter().filter(|&&other| other < key).count();
                sorted[rank] = key;
            }
            out.extend(sorted[..count.min(max)].iter().map(decode));
        } else {
            kept.sort_unstable();
            out.extend(kept.iter().take(max).map(decode));
        }
    }

    /// [`nearest_within`](Self::nearest_within) for large `max`: keeps `out` sorted, inserting
    /// each candidate in place.
    fn nearest_within_sorted_insert(
        &self,
        p: Vec2,
        radius: f32,
        max: usize,
        excluded: u32,
        out: &mut Vec<(f32, u32)>,
    ) {
        let mut limit_squared = radius * radius;
        self.visit_candidates(p, radius, |entry| {
            let distance_squared = entry.position.distance_squared(p);
            if distance_squared > limit_squared || entry.index == excluded {
                return;
            }
            let candidate = (distance_squared, entry.index);
            if out.len() == max {
                if !nearer(candidate, out[max - 1]) {
                    return;
                }
                out.pop();
            }
            let at = out.partition_point(|&kept| nearer(kept, candidate));
            out.insert(at, candidate);
            if out.len() == max {
                // Once full, only points at most as far as the current farthest can get in.
                limit_squared = out[max - 1].0;
            }
        });
    }

    fn cell_of(&self, position: Vec2) -> IVec2 {
        let scaled = position * self.inverse_cell_size;
        IVec2::new(floor_to_i32(scaled.x), floor_to_i32(scaled.y))
    }

    fn column_mask(&self) -> u32 {
        (1 << self.column_bits) - 1
    }

    fn row_mask(&self) -> u32 {
        (1 << self.row_bits) - 1
    }

    fn bucket_of(&self, cell: IVec2) -> usize {
        // Two's complement wrapping makes this a true modulo for negative cells too.
        let column = cell.x as u32 & self.column_mask();
        let row = cell.y as u32 & self.row_mask();
        ((row << self.column_bits) | column) as usize
    }

    /// Calls `visit` once for every indexed point that could be within `radius` of `p`: the points
    /// of the cells overlapping the query square, or all points when that square could have more
    /// cells than the table has buckets. `p` must be finite and `radius` non-negative.
    #[inline(always)]
    fn visit_candidates(&self, p: Vec2, radius: f32, mut visit: impl FnMut(&Entry)) {
        if self.entries.is_empty() {
            return;
        }
        // Widen the cell range by a little more than the rounding error of `p * inverse` so that
        // a point that passes the exact distance test can never sit in a cell just outside it.
        let scaled_p = p * self.inverse_cell_size;
        let reach = radius * self.inverse_cell_size
            + 1e-4
            + (scaled_p.abs().max_element() + radius * self.inverse_cell_size)
                * (4.0 * f32::EPSILON);
        // A range of width w covers at most w + 2 cells. An infinite radius gives an infinite
        // count (NaN cannot occur: `p` is finite and `radius` is not NaN).
        let most_cells_per_axis = 2.0 * reach + 2.0;
        let bucket_count = self.bucket_start.len() - 1;
        if most_cells_per_axis * most_cells_per_axis > bucket_count as f32 {
            self.entries.iter().for_each(visit);
            return;
        }
        let low_y = floor_to_i32(scaled_p.y - reach);
        let high_y = floor_to_i32(scaled_p.y + reach);
        // Trimming each row to the circle's chord skips corner cells, but costs a square root
        // and a few branches per row: only for queries wider than TRIM_ROWS_FROM_CELLS, and only
        // where `f32` still resolves cell coordinates comfortably (|scaled p| < 2^22).
        let trim_rows = reach > TRIM_ROWS_FROM_CELLS && scaled_p.abs().max_element() < 4_194_304.0;
        let width = 1u32 << self.column_bits;
        for cell_y in low_y..=high_y {
            let mut half_width = reach;
            if trim_rows {
                // Distance (in cells) from p to the nearest point of this row's band.
                let row_bottom = cell_y as f32;
                let dy = (row_bottom - scaled_p.y)
                    .max(scaled_p.y - (row_bottom + 1.0))
                    .max(0.0);
                half_width = (reach * reach - dy * dy).max(0.0).sqrt();
            }
            let low_x = floor_to_i32(scaled_p.x - half_width);
            let high_x = floor_to_i32(scaled_p.x + half_width);
            // Column offsets from `low_x` inside the query: 0..=last_column (wrapping arithmetic
            // keeps this right next to the saturated edge cells).
            let last_column = high_x.wrapping_sub(low_x) as u32;
            let first_column = low_x as u32 & self.column_mask();
            // Bucket runs of this row, relative to the row's first bucket: one run, or two when
            // the query wraps around the table's right edge. (The whole-row case cannot occur
            // after the bucket-count check above; it keeps this computation correct on its own.)
            let runs: [(u32, u32); 2] = if last_column >= width - 1 {
                [(0, width), (0, 0)]
            } else if first_column + last_column < width {
                [(first_column, first_column + last_column + 1), (0, 0)]
            } else {
                [
                    (first_column, width),
                    (0, first_column + last_column + 1 - width),
                ]
            };
            let row_start = (cell_y as u32 & self.row_mask()) << self.column_bits;
            for &(run_start, run_end) in &runs {
                let first = self.bucket_start[(row_start + run_start) as usize] as usize;
                let end = self.bucket_start[(row_start + run_end) as usize] as usize;
                for entry in &self.entries[first..end] {
                    // Cells a table width (or height) away share these buckets; skip their points.
                    if entry.cell.y == cell_y
                        && entry.cell.x.wrapping_sub(low_x) as u32 <= last_column
                    {
                        visit(entry);
                    }
                }
            }
        }
    }
}

/// `floor(x)` as an `i32`, saturating at the `i32` range; `x` must not be `NaN`. Faster than
/// `f32::floor`, which is a library call on x86-64 targets without SSE4.1.
#[inline]
fn floor_to_i32(x: f32) -> i32 {
    let truncated = x as i32; // rounds towards zero, saturates
    if truncated as f32 > x {
        truncated.saturating_sub(1)
    } else {
        truncated
    }
}

/// Sort key of a `(distance squared, index)` pair: nearer first, then lower index. The bit
/// pattern of a non-negative `f32` orders like its value, so one integer comparison does both.
#[inline]
fn order_key((distance_squared, index): (f32, u32)) -> u64 {
    (u64::from(distance_squared.to_bits()) << 32) | u64::from(index)
}

/// Whether `a` comes before `b` in the [`order_key`] order.
#[inline]
fn nearer(a: (f32, u32), b: (f32, u32)) -> bool {
    order_key(a) < order_key(b)
}

#[cfg(test)]
mod tests {
    use super::super::rng::{next_signed_unit, next_unit};
    use super::*;

    fn brute_within(positions: &[Vec2], p: Vec2, radius: f32) -> Vec<u32> {
        (0..positions.len() as u32)
            .filter(|&i| {
                positions[i as usize].is_finite()
                    && positions[i as usize].distance_squared(p) <= radius * radius
            })
            .collect()
    }

    fn brute_nearest(
        positions: &[Vec2],
        p: Vec2,
        radius: f32,
        max: usize,
        exclude: Option<u32>,
    ) -> Vec<(f32, u32)> {
        let mut all: Vec<(f32, u32)> = brute_within(positions, p, radius)
            .into_iter()
            .filter(|&i| Some(i) != exclude)
            .map(|i| (positions[i as usize].distance_squared(p), i))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(max);
        all
    }

    fn hash_within(hash: &SpatialHash, p: Vec2, radius: f32) -> Vec<u32> {
        let mut found = Vec::new();
        hash.for_each_within(p, radius, |i| found.push(i));
        found.sort_unstable();
        found
    }

    /// Checks every query point and radius against brute force.
    fn check_against_brute_force(
        hash: &SpatialHash,
        positions: &[Vec2],
        queries: &[Vec2],
        radii: &[f32],
    ) -> usize {
        let mut out = Vec::with_capacity(16);
        let mut total_found = 0;
        for (q, &p) in queries.iter().enumerate() {
            for &radius in radii {
                let expected = brute_within(positions, p, radius);
                assert_eq!(
                    hash_within(hash, p, radius),
                    expected,
                    "within p={p} r={radius}"
                );
                total_found += expected.len();
                for max in [1, 5, 16, 40] {
                    let exclude = (q % 2 == 0).then_some(q as u32);
                    hash.nearest_within(p, radius, max, exclude, &mut out);
                    assert_eq!(
                        out,
                        brute_nearest(positions, p, radius, max, exclude),
                        "nearest p={p} r={radius} max={max}"
                    );
                }
            }
        }
        total_found
    }

    #[test]
    fn spatial_hash_matches_brute_force_on_random_sets() {
        let mut rng = 12345u32;
        for (cell_size, count, extent) in [
            (1.0, 400, 10.0),
            (2.5, 1000, 30.0),
            (0.7, 50, 3.0),
            (4.0, 2000, 100.0),
        ] {
            let positions: Vec<Vec2> = (0..count)
                .map(|_| Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * extent)
                .collect();
            let mut hash = SpatialHash::new(cell_size);
            hash.rebuild(&positions);
            assert_eq!(hash.len(), count);
            assert_eq!(hash.positions(), &positions[..]);
            let mut queries: Vec<Vec2> = positions.iter().take(40).copied().collect();
            queries.extend((0..20).map(|_| {
                Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * extent * 1.2
            }));
            let radii = [
                0.0,
                0.3 * cell_size,
                cell_size,
                2.7 * cell_size,
                // Wider than TRIM_ROWS_FROM_CELLS: rows trimmed to the circle's chord.
                6.5 * cell_size,
                next_unit(&mut rng) * extent,
            ];
            let found = check_against_brute_force(&hash, &positions, &queries, &radii);
            assert!(
                found > queries.len() * 2,
                "test should find points: {found}"
            );
        }
    }

    #[test]
    fn rebuilds_that_walk_the_last_order_match_brute_force() {
        // A crowd drifting for a few ticks (walked in the last rebuild's order), then points
        // turning non-finite and back, then a set of another size (walked in input order).
        let mut rng = 4242u32;
        let mut positions: Vec<Vec2> = (0..600)
            .map(|_| Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * 12.0)
            .collect();
        let queries: Vec<Vec2> = (0..30)
            .map(|_| Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * 12.0)
            .collect();
        let mut hash = SpatialHash::new(1.0);
        for tick in 0..8 {
            for p in &mut positions {
                *p += Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * 0.3;
            }
            if tick == 4 {
                positions[7] = Vec2::NAN;
                positions[300] = Vec2::INFINITY;
            }
            if tick == 6 {
                positions[7] = Vec2::new(0.5, 0.5);
            }
            hash.rebuild(&positions);
            let finite = positions.iter().filter(|p| p.is_finite()).count();
            assert_eq!(hash.len(), finite, "tick {tick}");
            let mut order: Vec<u32> = hash.walk_order.clone();
            order.sort_unstable();
            assert!(
                order.iter().copied().eq(0..positions.len() as u32),
                "tick {tick}"
            );
            check_against_brute_force(&hash, &positions, &queries, &[0.4, 1.0, 2.7]);
        }
        positions.truncate(450);
        hash.rebuild(&positions);
        assert_eq!(hash.walk_order.len(), 450);
        check_against_brute_force(&hash, &positions, &queries, &[0.4, 1.0, 2.7]);
    }

    #[test]
    fn spatial_hash_handles_cell_borders_and_negative_coordinates() {
        // A lattice of points exactly on cell borders (multiples of the cell size, and halves),
        // around the origin so that negative coordinates and the -0/0 boundary are covered.
        let cell_size = 0.5;
        let mut positions = Vec::new();
        for y in -8..=8 {
            for x in -8..=8 {
                positions.push(Vec2::new(x as f32 * 0.25, y as f32 * 0.25));
            }
        }
        positions.push(Vec2::new(-0.0, -0.0));
        let mut hash = SpatialHash::new(cell_size);
        hash.rebuild(&positions);
        let queries = [
            Vec2::ZERO,
            Vec2::new(-0.5, -0.5),
            Vec2::new(0.25, -1.0),
            Vec2::new(-1.0, 0.75),
            Vec2::new(-2.0, -2.0),
        ];
        // Radii that put lattice points exactly on the query circle.
        let radii = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25];
        let found = check_against_brute_force(&hash, &positions, &queries, &radii);
        assert!(found > 100);
        // Exact distance: a point at exactly the radius is included.
        assert!(
            hash_within(&hash, Vec2::ZERO, 0.5).contains(
                &(positions
                    .iter()
                    .position(|p| *p == Vec2::new(0.5, 0.0))
                    .expect("lattice contains (0.5, 0)") as u32)
            )
        );
    }

    #[test]
    fn spatial_hash_handles_wrapped_table_aliasing_and_wide_queries() {
        // 20 points get a table of 8 x 8 buckets; spread over 80 x 80 cells, many cells share a
        // bucket, and query runs wrap around the table edge.
        let mut rng = 4242u32;
        let mut positions: Vec<Vec2> = (0..20)
            .map(|_| Vec2::new(next_signed_unit(&mut rng), next_signed_unit(&mut rng)) * 40.0)
            .collect();
        // Points exactly one and two table widths apart (8 and 16 cells) alias to one bucket.
        positions.extend([
            Vec2::new(0.5, 0.5),
            Vec2::new(8.5, 0.5),
            Vec2::new(0.5, 16.5),
            Vec2::new(-7.5, -7.5),
        ]);
        let mut hash = SpatialHash::new(1.0);
        hash.rebuild(&positions);
        assert_eq!((hash.column_bits, hash.row_bits), (3, 3));
        let mut queries: Vec<Vec2> = positions.clone();
        queries.extend((-6..6).flat_map(|y| {
            (-6..6).map(move |x| Vec2::new(x as f32 * 7.0 + 0.1, y as f32 * 7.0 + 0.1))
        }));
        // Radius 3.4 and up cover more cells than the 64 buckets: the scan-everything path.
        let found =
            check_against_brute_force(&hash, &positions, &queries, &[0.0, 1.0, 3.4, 7.9, 12.0]);
        assert!(found > 100, "{found}");
        assert_eq!(hash_within(&hash, Vec2::new(0.5, 0.5), 0.1), vec![20]);
    }

    #[test]
    fn spatial_hash_ignores_non_finite_positions_and_handles_outliers() {
        let positions = vec![
            Vec2::new(1.0, 1.0),
            Vec2::NAN,
            Vec2::new(f32::INFINITY, 0.0),
            Vec2::new(1.5, 1.0),
            Vec2::new(1e12, -1e12),
            Vec2::new(-3e9, 2.0),
        ];
        let mut hash = SpatialHash::new(1.0);
        hash.rebuild(&positions);
        assert_eq!(hash.len(), 4);
        assert_eq!(hash.positions().len(), 6);
        assert_eq!(hash_within(&hash, Vec2::ONE, 1.0), vec![0, 3]);
        assert_eq!(hash_within(&hash, Vec2::new(1e12, -1e12), 1.0), vec![4]);
        assert_eq!(hash_within(&hash, Vec2::new(-3e9, 2.0), 0.0), vec![5]);
        assert_eq!(
            hash_within(&hash, Vec2::ONE, f32::INFINITY),
            vec![0, 3, 4, 5]
        );
        assert!(hash_within(&hash, Vec2::NAN, 1.0).is_empty());
        assert!(hash_within(&hash, Vec2::ONE, f32::NAN).is_empty());
        assert!(hash_within(&hash, Vec2::ONE, -1.0).is_empty());
        let mut out = Vec::new();
        hash.nearest_within(Vec2::ONE, 10.0, 3, Some(0), &mut out);
        assert_eq!(out, vec![(0.25, 3)]);
        hash.nearest_within(Vec2::ONE, 10.0, 0, None, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn spatial_hash_reuses_buffers_and_queries_do_not_allocate() {
        let mut rng = 99u32;
        let positions: Vec<Vec2> = (0..500)
            .map(|_| Vec2::new(next_unit(&mut rng), next_unit(&mut rng)) * 20.0)
            .collect();
        let mut hash = SpatialHash::new(2.0);
        hash.rebuild(&positions);
        let entries_ptr = hash.entries.as_ptr();
        let buckets_ptr = hash.bucket_start.as_ptr();
        let shuffled: Vec<Vec2> = positions.iter().rev().copied().collect();
        hash.rebuild(&shuffled);
        assert_eq!(hash.entries.as_ptr(), entries_ptr);
        assert_eq!(hash.bucket_start.as_ptr(), buckets_ptr);

        let mut out = Vec::with_capacity(8);
        let out_ptr = out.as_ptr();
        for &p in &shuffled {
            hash.nearest_within(p, 3.0, 8, None, &mut out);
            assert_eq!(out.as_ptr(), out_ptr);
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
        }
    }

    #[test]
    fn floor_to_i32_matches_floor_and_saturates() {
        for x in [
            -2.5f32,
            -2.0,
            -1.0,
            -0.5,
            -0.0,
            0.0,
            0.3,
            1.0,
            1.999,
            2147483520.0,
            -2147483648.0,
        ] {
            assert_eq!(floor_to_i32(x), x.floor() as i32, "{x}");
        }
        assert_eq!(floor_to_i32(1e12), i32::MAX);
        assert_eq!(floor_to_i32(-1e12), i32::MIN);
        assert_eq!(floor_to_i32(f32::INFINITY), i32::MAX);
    }

    #[test]
    fn spatial_hash_constructors_and_empty_queries() {
        assert_eq!(
            SpatialHash::try_new(0.0).expect_err("zero cell size is invalid"),
            SteeringError::InvalidCellSize(0.0)
        );
        assert!(SpatialHash::try_new(f32::NAN).is_err());
        assert!(SpatialHash::try_new(1e-40).is_err());
        assert_eq!(SpatialHash::new(-1.0).cell_size(), DEFAULT_CELL_SIZE);
        assert_eq!(SpatialHash::default().cell_size(), DEFAULT_CELL_SIZE);
        let mut hash = SpatialHash::default();
        assert!(hash.is_empty());
        assert!(hash_within(&hash, Vec2::ZERO, 5.0).is_empty());
        hash.rebuild(&[]);
        assert!(hash_within(&hash, Vec2::ZERO, f32::INFINITY).is_empty());
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<SpatialHash>();
    }
}
