//! Benchmarks for the steering module: spatial hash rebuild and queries at 20,000 agents,
//! crowd separation, `ORCA` per agent, and a full reference crowd step.
//!
//! Every group sets `Throughput::Elements` (agents or queries), so criterion also reports
//! elements per second; ns per agent = 1e9 / that rate, or the time divided by the count.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use kansei_npc::steering::{
    Crowd, OrcaAgent, OrcaParams, OrcaScratch, SpatialHash, orca_velocity, separation_in,
};

/// Crowd size the game targets.
const LARGE_CROWD: usize = 20_000;
/// Agents per square metre in the generated crowds (a busy plaza: about 12 neighbours within
/// the default 4 m neighbour distance).
const DENSITY: f32 = 0.25;

/// Deterministic xorshift32 so the benches do not depend on `rand`.
struct Rng(u32);

impl Rng {
    fn unit(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 8) as f32 / 16_777_216.0
    }

    fn point_in_square(&mut self, side: f32) -> Vec2 {
        Vec2::new(self.unit(), self.unit()) * side
    }
}

fn random_positions(count: usize, seed: u32) -> Vec<Vec2> {
    let side = (count as f32 / DENSITY).sqrt();
    let mut rng = Rng(seed);
    (0..count).map(|_| rng.point_in_square(side)).collect()
}

fn spatial_hash(c: &mut Criterion) {
    let positions = random_positions(LARGE_CROWD, 1);
    let params = OrcaParams::default();

    let mut group = c.benchmark_group("spatial_hash");
    group.throughput(Throughput::Elements(LARGE_CROWD as u64));
    let mut hash = SpatialHash::new(params.neighbour_distance);
    hash.rebuild(&positions);
    group.bench_function("rebuild_20000", |b| {
        b.iter(|| hash.rebuild(black_box(&positions)));
    });

    // One nearest-neighbour query per agent (radius 4 m, 10 nearest), as the ORCA system does:
    // in input order (random with respect to space, the worst case for caches), then in the
    // hash's spatial order.
    let mut out = Vec::with_capacity(params.max_neighbours);
    let query = |hash: &SpatialHash, index: u32, out: &mut Vec<(f32, u32)>| {
        let position = positions[index as usize];
        let (radius, max) = (params.neighbour_distance, params.max_neighbours);
        hash.nearest_within(position, radius, max, Some(index), out);
        out.len()
    };
    group.bench_function("nearest_within_20000_queries_input_order", |b| {
        b.iter(|| {
            (0..LARGE_CROWD as u32)
                .map(|index| query(&hash, index, &mut out))
                .sum::<usize>()
        });
    });
    let order: Vec<u32> = hash.spatial_order().collect();
    group.bench_function("nearest_within_20000_queries_spatial_order", |b| {
        b.iter(|| {
            order
                .iter()
                .map(|&index| query(&hash, index, &mut out))
                .sum::<usize>()
        });
    });
    group.finish();
}

/// Crowd separation as `kansei npc bench --tier crowd` runs it: agents of radius 0.35 m at the
/// town streets' density (about 1.4 per square metre, five neighbours within reach), 1 m
/// cells, everyone within 3 radii pushing, one query per agent in the hash's order.
fn crowd_separation(c: &mut Criterion) {
    const STREET_DENSITY: f32 = 1.4;
    let side = (LARGE_CROWD as f32 / STREET_DENSITY).sqrt();
    let mut rng = Rng(7);
    let positions: Vec<Vec2> = (0..LARGE_CROWD)
        .map(|_| rng.point_in_square(side))
        .collect();
    let mut hash = SpatialHash::new(1.0);
    hash.rebuild(&positions);
    let order: Vec<u32> = hash.spatial_order().collect();
    let reach = 0.35 * 3.0;
    let mut group = c.benchmark_group("separation");
    group.throughput(Throughput::Elements(LARGE_CROWD as u64));
    group.bench_function("separation_in_20000_queries_spatial_order", |b| {
        b.iter(|| {
            order
                .iter()
                .map(|&i| separation_in(&hash, positions[i as usize], reach, 1.4))
                .fold(Vec2::ZERO, |sum, push| sum + push)
        });
    });
    group.finish();
}

fn orca(c: &mut Criterion) {
    const AGENTS: usize = 1000;
    const NEIGHBOURS: usize = 10;
    let params = OrcaParams::default();
    let mut rng = Rng(7);
    // Each agent gets 10 moving neighbours scattered within 2.8 m (inside the neighbour
    // distance), so most constraints are active and some programs need the 3-D fallback.
    let mut random_agent = |spread: f32| {
        let velocity = (Vec2::new(rng.unit(), rng.unit()) * 2.0 - Vec2::ONE) * 1.5;
        let offset = (Vec2::new(rng.unit(), rng.unit()) * 2.0 - Vec2::ONE) * spread;
        OrcaAgent {
            position: offset,
            velocity,
            radius: 0.35,
            max_speed: 1.5,
            preferred_velocity: velocity.clamp_length_max(1.5),
        }
    };
    let cases: Vec<(OrcaAgent, Vec<OrcaAgent>)> = (0..AGENTS)
        .map(|_| {
            let agent = random_agent(0.0);
            let neighbours = (0..NEIGHBOURS).map(|_| random_agent(2.8)).collect();
            (agent, neighbours)
        })
        .collect();
    let mut scratch = OrcaScratch::default();

    let mut group = c.benchmark_group("orca");
    group.throughput(Throughput::Elements(AGENTS as u64));
    group.bench_function("orca_velocity_1000_agents_10_neighbours", |b| {
        b.iter(|| {
            let mut sum = Vec2::ZERO;
            for (agent, neighbours) in &cases {
                sum += orca_velocity(agent, neighbours, &params, 1.0 / 30.0, &mut scratch);
            }
            black_box(sum)
        });
    });
    group.finish();
}

fn crowd(c: &mut Criterion) {
    const AGENTS: usize = 1000;
    let side = (AGENTS as f32 / DENSITY).sqrt();
    let mut rng = Rng(3);
    let mut crowd = Crowd::new(OrcaParams::default());
    for _ in 0..AGENTS {
        // Everyone crosses the square through its centre, so agents keep meeting each other.
        let start = rng.point_in_square(side);
        crowd.add(start, Vec2::splat(side) - start, 0.35, 1.5);
    }
    // Warm up one second so that velocities and encounters are realistic.
    for _ in 0..30 {
        crowd.step(1.0 / 30.0);
    }

    let mut group = c.benchmark_group("crowd");
    group.throughput(Throughput::Elements(AGENTS as u64));
    group.bench_function("crowd_step_1000", |b| {
        b.iter_batched_ref(
            || crowd.clone(),
            |crowd| crowd.step(1.0 / 30.0),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, spatial_hash, crowd_separation, orca, crowd);
criterion_main!(benches);
