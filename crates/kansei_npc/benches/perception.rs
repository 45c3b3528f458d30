//! Perception costs per NPC: a sight check against the town's walls (cone, range, line of
//! sight on the navigation grid), hearing a noise, and a memory update with fading.
//!
//! ```text
//! cargo bench -p kansei_npc --bench perception
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use glam::Vec2;
use kansei_npc::demo::Town;
use kansei_npc::nav::NavGrid;
use kansei_npc::perception::{
    LineOfSight, MemoryConfig, NoiseEvent, Sense, SightCone, Stimulus, StimulusMemory,
    heard_strength,
};
use kansei_npc::rng::SeededRng;

struct Walls<'a>(&'a NavGrid);

impl LineOfSight for Walls<'_> {
    fn clear(&self, from: Vec2, to: Vec2) -> bool {
        self.0.line_of_sight(from, to)
    }
}

fn perception(c: &mut Criterion) {
    let town = Town::generate(128, 7).expect("the demo town builds");
    let mut rng = SeededRng::new(1);
    let pairs: Vec<(Vec2, Vec2, Vec2)> = (0..1000)
        .map(|_| {
            let eye = town.random_walkable(&mut rng);
            let target = eye + Vec2::new(rng.range(-12.0, 12.0), rng.range(-12.0, 12.0));
            let facing = Vec2::from_angle(rng.range(0.0, std::f32::consts::TAU));
            (eye, facing, target)
        })
        .collect();
    let cone = SightCone::default();
    let walls = Walls(&town.grid);
    let mut group = c.benchmark_group("perception");
    group.bench_function("sight_1000_checks_town_128", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter(|(eye, facing, target)| cone.sees(*eye, *facing, *target, &walls).is_some())
                .count()
        });
    });
    let noise = NoiseEvent {
        position: Vec2::ZERO,
        radius: 20.0,
        loudness: 0.8,
        source: 1,
    };
    group.bench_function("hearing_1000_listeners", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|(eye, _, _)| heard_strength(*eye, 1.0, black_box(&noise)))
                .sum::<f32>()
        });
    });
    let config = MemoryConfig::default();
    group.bench_function("memory_remember_fade_strongest_1000", |b| {
        let mut memories = vec![StimulusMemory::default(); 1000];
        let mut now = 0.0f32;
        b.iter(|| {
            now += 1.0 / 60.0;
            for (i, memory) in memories.iter_mut().enumerate() {
                memory.remember(
                    Stimulus {
                        source: (i % 6) as u64,
                        sense: Sense::Sight,
                        position: Vec2::splat(i as f32),
                        strength: 0.8,
                        time: now,
                    },
                    &config,
                );
                memory.fade(now, &config);
                black_box(memory.strongest(now, &config, None));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, perception);
criterion_main!(benches);
