//! Navigation benchmarks on a 128 x 128 "town": seeded rectangular buildings (~25 % of the cells
//! blocked) between clear streets.
//!
//! Before the criterion groups, prints the per-query latency distribution (p50 / p99 / max) of
//! `find_path` over 2,000 random reachable pairs, and how many 2 ms `PathQueue` ticks answer 1,000
//! queries. Target: >= 1,000 queries/s with p99 <= 1 ms per query in release.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use glam::{UVec2, Vec2};
use kansei_npc::nav::{FlowField, NavGrid, PathPriority, PathQueue, find_path};

const TOWN_SIZE: u32 = 128;
const STREET_SPACING: u32 = 16;
const STREET_WIDTH: f32 = 2.0;

/// Tiny deterministic xorshift64* generator (no `rand` dependency).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }
}

/// Buildings of 2..10 x 2..10 cells at random places until a quarter of the town is blocked;
/// streets every 16 cells are kept clear so most of the town stays connected.
fn town_grid() -> NavGrid {
    let mut grid = NavGrid::new(TOWN_SIZE, TOWN_SIZE, 1.0, Vec2::ZERO).expect("valid town size");
    let mut rng = Rng(0x5EED_70E4);
    let cell_count = (TOWN_SIZE * TOWN_SIZE) as usize;
    while grid.blocked_count() * 4 < cell_count {
        let min = Vec2::new(rng.below(TOWN_SIZE) as f32, rng.below(TOWN_SIZE) as f32);
        let size = Vec2::new(2.0 + rng.below(9) as f32, 2.0 + rng.below(9) as f32);
        grid.block_rect(min, min + size - 0.01);
        for street in (0..TOWN_SIZE).step_by(STREET_SPACING as usize) {
            let at = street as f32;
            let extent = TOWN_SIZE as f32;
            grid.set_rect_blocked(
                Vec2::new(at, 0.0),
                Vec2::new(at + STREET_WIDTH, extent),
                false,
            );
            grid.set_rect_blocked(
                Vec2::new(0.0, at),
                Vec2::new(extent, at + STREET_WIDTH),
                false,
            );
        }
    }
    grid
}

/// `count` random (start, goal) pairs anywhere inside walkable cells, with a path between them.
fn reachable_pairs(grid: &NavGrid, count: usize, seed: u64) -> Vec<(Vec2, Vec2)> {
    let mut rng = Rng(seed | 1);
    let point = |rng: &mut Rng| loop {
        let cell = UVec2::new(rng.below(grid.width()), rng.below(grid.height()));
        if !grid.is_blocked(cell) {
            let offset = Vec2::new(rng.unit(), rng.unit()) * 0.98 + 0.01;
            return grid.origin() + (cell.as_vec2() + offset) * grid.cell_size();
        }
    };
    let mut pairs = Vec::with_capacity(count);
    while pairs.len() < count {
        let (start, goal) = (point(&mut rng), point(&mut rng));
        if find_path(grid, start, goal).is_ok() {
            pairs.push((start, goal));
        }
    }
    pairs
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

/// Per-query latency of `find_path`, and `PathQueue` ticks needed for 1,000 queries.
fn print_latency_report(grid: &NavGrid) {
    let pairs = reachable_pairs(grid, 2_000, 77);
    for &(start, goal) in pairs.iter().take(200) {
        black_box(find_path(grid, start, goal).ok()); // warm up caches and the search buffers
    }
    let mut times: Vec<Duration> = pairs
        .iter()
        .map(|&(start, goal)| {
            let began = Instant::now();
            black_box(find_path(grid, black_box(start), black_box(goal)).ok());
            began.elapsed()
        })
        .collect();
    let total: Duration = times.iter().sum();
    times.sort_unstable();
    println!(
        "find_path on the {TOWN_SIZE}x{TOWN_SIZE} town ({} % blocked), {} reachable pairs: \
         mean {:?}, p50 {:?}, p99 {:?}, max {:?} => {:.0} queries/s",
        grid.blocked_count() * 100 / (TOWN_SIZE * TOWN_SIZE) as usize,
        times.len(),
        total / times.len() as u32,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        times.len() as f64 / total.as_secs_f64(),
    );

    let mut queue = PathQueue::new();
    for &(start, goal) in pairs.iter().take(1_000) {
        queue.submit(start, goal, PathPriority::Normal);
    }
    let tick_budget = Duration::from_millis(2);
    let mut ticks = Vec::new();
    while queue.pending() > 0 {
        ticks.push(queue.process(grid, tick_budget).elapsed);
        queue.drain_answers().for_each(drop);
    }
    let tick_count = ticks.len();
    ticks.sort_unstable();
    println!(
        "PathQueue with a {tick_budget:?} budget per tick: 1000 queries answered in {tick_count} \
         ticks; tick time p50 {:?}, max {:?}",
        percentile(&ticks, 0.5),
        ticks[tick_count - 1],
    );
}

fn bench_find_path(c: &mut Criterion, grid: &NavGrid) {
    let pairs = reachable_pairs(grid, 512, 1);
    let mut next = 0;
    c.bench_function("nav/find_path_town_128_random_pair", |b| {
        b.iter(|| {
            let (start, goal) = pairs[next % pairs.len()];
            next += 1;
            black_box(find_path(grid, black_box(start), black_box(goal)).ok())
        });
    });
}

fn bench_queue(c: &mut Criterion, grid: &NavGrid) {
    let pairs = reachable_pairs(grid, 1_000, 2);
    let mut group = c.benchmark_group("nav/path_queue_town_128");
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.sample_size(10);
    let mut queue = PathQueue::new();
    group.bench_function("1000_queries", |b| {
        b.iter(|| {
            for &(start, goal) in &pairs {
                queue.submit(start, goal, PathPriority::Normal);
            }
            while queue.pending() > 0 {
                queue.process(grid, Duration::from_millis(5));
            }
            black_box(queue.drain_answers().count())
        });
    });
    group.finish();
}

fn bench_flow_field(c: &mut Criterion, grid: &NavGrid) {
    let goal = grid
        .nearest_walkable(Vec2::splat(TOWN_SIZE as f32 * 0.5), 16)
        .expect("the town centre has a street nearby");
    c.bench_function("nav/flow_field_build_town_128", |b| {
        b.iter(|| black_box(FlowField::build(grid, black_box(goal)).ok()));
    });
    let mut field = FlowField::build(grid, goal).expect("goal is walkable");
    c.bench_function("nav/flow_field_rebuild_in_place_town_128", |b| {
        b.iter(|| black_box(field.rebuild(grid, black_box(goal)).is_ok()));
    });
    // The same random starts as `find_path`'s bench, all to the field's goal: what a path
    // query answered from a field costs instead of a search.
    let starts: Vec<Vec2> = reachable_pairs(grid, 512, 1)
        .into_iter()
        .map(|(start, _)| start)
        .collect();
    let mut next = 0;
    c.bench_function("nav/flow_field_trace_path_town_128_random_start", |b| {
        b.iter(|| {
            let start = starts[next % starts.len()];
            next += 1;
            black_box(field.trace_path(grid, black_box(start), goal).ok())
        });
    });
}

fn bench_line_of_sight(c: &mut Criterion, grid: &NavGrid) {
    let pairs = reachable_pairs(grid, 512, 3);
    let mut next = 0;
    c.bench_function("nav/line_of_sight_town_128_random_segment", |b| {
        b.iter(|| {
            let (from, to) = pairs[next % pairs.len()];
            next += 1;
            black_box(grid.line_of_sight(black_box(from), black_box(to)))
        });
    });
}

fn main() {
    let grid = town_grid();
    print_latency_report(&grid);
    let mut c = Criterion::default().configure_from_args();
    bench_find_path(&mut c, &grid);
    bench_queue(&mut c, &grid);
    bench_flow_field(&mut c, &grid);
    bench_line_of_sight(&mut c, &grid);
    c.final_summary();
}
