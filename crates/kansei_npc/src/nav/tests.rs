//! Tests of the path search (jump point search: `PathSearch`, `find_path`), path smoothing and
//! the error messages.

use glam::{UVec2, Vec2};

use super::test_support::{Rng, random_grid, random_walkable_cell, reference_distances};
use super::{NavGrid, PathError, PathSearch, SearchStatus, find_path};

fn run(
    search: &mut PathSearch,
    grid: &NavGrid,
    start: Vec2,
    goal: Vec2,
    slice: u32,
) -> SearchStatus {
    if let Err(error) = search.start(grid, start, goal) {
        return SearchStatus::Done(Err(error));
    }
    loop {
        let status = search.step(grid, slice);
        if status != SearchStatus::Running {
            return status;
        }
    }
}

#[test]
fn astar_cost_equals_brute_force_dijkstra_on_random_grids() {
    let mut rng = Rng::new(1);
    let mut search = PathSearch::new();
    let (mut found, mut unreachable) = (0, 0);
    for seed in 0..200 {
        let grid = random_grid(24, 24, 0.3, seed);
        let start_cell = random_walkable_cell(&grid, &mut rng).unwrap();
        let reference = reference_distances(&grid, start_cell);
        for _ in 0..3 {
            let goal_cell = random_walkable_cell(&grid, &mut rng).unwrap();
            let (start, goal) = (grid.cell_center(start_cell), grid.cell_center(goal_cell));
            let expected = reference[(goal_cell.y * 24 + goal_cell.x) as usize];
            match (run(&mut search, &grid, start, goal, u32::MAX), expected) {
                (SearchStatus::Done(Ok(path)), Some(distance)) => {
                    found += 1;
                    let cost = f64::from(search.last_cost(&grid));
                    assert!(
                        (cost - distance).abs() < 1e-4,
                        "seed {seed}: {cost} vs {distance}"
                    );
                    // Smoothing never lengthens the path and never beats the straight line.
                    assert!(f64::from(path.length) <= distance + 1e-4, "seed {seed}");
                    assert!(path.length >= start.distance(goal) - 1e-4);
                    assert_eq!(path.waypoints.last(), Some(&goal));
                }
                (SearchStatus::Done(Err(PathError::Unreachable { goal: g, expanded })), None) => {
                    unreachable += 1;
                    assert_eq!(g, goal);
                    // Unreachable means the start's whole component was scanned, expanding at
                    // most each of its cells once (only its jump points, in fact).
                    let component = reference.iter().filter(|d| d.is_some()).count();
                    assert!(
                        expanded >= 1 && expanded as usize <= component,
                        "seed {seed}: {expanded} of {component}"
                    );
                }
                (other, expected) => panic!("seed {seed}: {other:?} but reference {expected:?}"),
            }
        }
    }
    assert!(
        found > 300 && unreachable > 20,
        "found {found}, unreachable {unreachable}"
    );
}

#[test]
fn smoothed_segments_have_line_of_sight_and_are_not_longer_than_the_grid_path() {
    let mut rng = Rng::new(2);
    let mut search = PathSearch::new();
    let mut checked = 0;
    for seed in 0..150 {
        let grid = random_grid(32, 32, 0.25, 500 + seed);
        for _ in 0..4 {
            let (Some(a), Some(b)) = (
                random_walkable_cell(&grid, &mut rng),
                random_walkable_cell(&grid, &mut rng),
            ) else {
                continue;
            };
            // Arbitrary points inside the cells, not only centres.
            let start = a.as_vec2() + Vec2::new(rng.unit(), rng.unit()) * 0.999;
            let goal = b.as_vec2() + Vec2::new(rng.unit(), rng.unit()) * 0.999;
            let SearchStatus::Done(Ok(path)) = run(&mut search, &grid, start, goal, u32::MAX)
            else {
                continue;
            };
            checked += 1;
            // Raw polyline: start, inner cell centres, goal.
            let cells = search.last_cell_path();
            let mut raw = vec![start];
            raw.extend(
                cells[1..cells.len().saturating_sub(1)]
                    .iter()
                    .map(|&i| grid.cell_center(UVec2::new(i % 32, i / 32))),
            );
            raw.push(goal);
            let raw_length: f32 = raw.windows(2).map(|w| w[0].distance(w[1])).sum();
            assert!(
                path.length <= raw_length + 1e-3,
                "{} > {raw_length}",
                path.length
            );

            let mut previous = start;
            let mut length = 0.0;
            for &waypoint in &path.waypoints {
                assert!(
                    grid.line_of_sight(previous, waypoint),
                    "{previous} -> {waypoint}"
                );
                length += previous.distance(waypoint);
                previous = waypoint;
            }
            assert!((length - path.length).abs() < 1e-3);
            assert_eq!(previous, goal);
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn jump_point_search_expands_only_where_paths_turn() {
    // Open ground: the start, then the goal straight away (A* expanded the whole diagonal band
    // between them).
    let open = NavGrid::new(64, 64, 1.0, Vec2::ZERO).unwrap();
    let mut search = PathSearch::new();
    let status = run(
        &mut search,
        &open,
        Vec2::new(0.5, 0.5),
        Vec2::new(60.5, 20.5),
        8,
    );
    assert!(matches!(status, SearchStatus::Done(Ok(_))), "{status:?}");
    assert!(search.expanded() <= 3, "{}", search.expanded());
    // Around one wall: a handful of turns, not the hundreds of cells in front of the wall.
    let mut walled = NavGrid::new(64, 64, 1.0, Vec2::ZERO).unwrap();
    walled.block_rect(Vec2::new(32.5, 4.0), Vec2::new(32.5, 60.0));
    let status = run(
        &mut search,
        &walled,
        Vec2::new(10.5, 32.5),
        Vec2::new(54.5, 32.5),
        8,
    );
    assert!(matches!(status, SearchStatus::Done(Ok(_))), "{status:?}");
    assert!(search.expanded() <= 40, "{}", search.expanded());
    assert!((search.last_cost(&walled) - optimal_around_wall()).abs() < 1e-3);
}

/// The cost (in cells) of the shortest path from cell (10, 32) to cell (54, 32) around the wall
/// of the test above, from the brute-force Dijkstra of the test support.
fn optimal_around_wall() -> f32 {
    let mut walled = NavGrid::new(64, 64, 1.0, Vec2::ZERO).unwrap();
    walled.block_rect(Vec2::new(32.5, 4.0), Vec2::new(32.5, 60.0));
    let distances = reference_distances(&walled, UVec2::new(10, 32));
    distances[32 * 64 + 54].unwrap() as f32
}

#[test]
fn open_ground_path_is_a_single_straight_segment() {
    let grid = NavGrid::new(50, 50, 0.5, Vec2::new(-10.0, -10.0)).unwrap();
    let (start, goal) = (Vec2::new(-9.3, -9.8), Vec2::new(14.1, 3.7));
    let path = find_path(&grid, start, goal).unwrap();
    assert_eq!(path.waypoints, vec![goal]);
    assert!((path.length - start.distance(goal)).abs() < 1e-4);
    // Start and goal in the same cell.
    let near = find_path(&grid, start, start + Vec2::splat(0.1)).unwrap();
    assert_eq!(near.waypoints, vec![start + Vec2::splat(0.1)]);
    assert!((near.length - 0.1 * 2f32.sqrt()).abs() < 1e-5);
}

#[test]
fn path_goes_around_a_wall_through_its_corner() {
    // Wall x = 5 for z in [0, 8); the way round is past cell (5, 8).
    let mut grid = NavGrid::new(10, 10, 1.0, Vec2::ZERO).unwrap();
    grid.block_rect(Vec2::new(5.5, 0.0), Vec2::new(5.5, 7.9));
    let path = find_path(&grid, Vec2::new(1.5, 1.5), Vec2::new(8.5, 1.5)).unwrap();
    assert!(
        path.waypoints.len() >= 2 && path.waypoints.len() <= 4,
        "{path:?}"
    );
    assert!(
        path.waypoints.iter().any(|w| w.y > 7.9),
        "passes above the wall: {path:?}"
    );
    // Around the wall: at least the two slanted legs to the far side of the wall's end.
    let detour = 2.0 * Vec2::new(3.5, 7.0).length();
    assert!(
        path.length >= detour - 0.5 && path.length < detour + 2.0,
        "{}",
        path.length
    );
}

#[test]
fn resumed_search_gives_the_same_answer_as_one_shot() {
    let mut rng = Rng::new(3);
    let mut search = PathSearch::new();
    for seed in 0..40 {
        let grid = random_grid(40, 40, 0.3, 900 + seed);
        let a = random_walkable_cell(&grid, &mut rng).unwrap();
        let b = random_walkable_cell(&grid, &mut rng).unwrap();
        let (start, goal) = (grid.cell_center(a), grid.cell_center(b));
        let one_shot = find_path(&grid, start, goal);
        search.start(&grid, start, goal).unwrap();
        let mut calls = 0;
        let resumed = loop {
            calls += 1;
            match search.step(&grid, 7) {
                SearchStatus::Running => assert!(search.is_running()),
                SearchStatus::Done(result) => break result,
            }
        };
        assert_eq!(resumed, one_shot, "seed {seed}");
        assert!(!search.is_running());
        // Every call but the last expands exactly 7 cells; an unreachable search may need one
        // more call that only finds the open list empty.
        let full_calls = search.expanded().div_ceil(7).max(1);
        assert!(
            calls == full_calls || calls == full_calls + 1,
            "seed {seed}: {calls}"
        );
    }
}

#[test]
fn search_buffers_survive_generation_wrap_and_grid_resize() {
    let mut rng = Rng::new(4);
    let mut search = PathSearch::new();
    search.force_generation_near_wrap();
    for seed in 0..12 {
        // Alternate sizes so buffers get reallocated too.
        let size = if seed % 3 == 0 { 16 } else { 24 };
        let grid = random_grid(size, size, 0.3, 77 + seed);
        let a = random_walkable_cell(&grid, &mut rng).unwrap();
        let b = random_walkable_cell(&grid, &mut rng).unwrap();
        let (start, goal) = (grid.cell_center(a), grid.cell_center(b));
        let expected = find_path(&grid, start, goal);
        let got = run(&mut search, &grid, start, goal, u32::MAX);
        assert_eq!(got, SearchStatus::Done(expected), "seed {seed}");
        if seed % 3 != 0 {
            search.force_generation_near_wrap();
        }
    }
}

#[test]
fn search_restarts_when_the_grid_changes_mid_search() {
    let mut grid = NavGrid::new(30, 30, 1.0, Vec2::ZERO).unwrap();
    let (start, goal) = (Vec2::new(0.5, 15.5), Vec2::new(29.5, 15.5));
    let mut search = PathSearch::new();
    search.start(&grid, start, goal).unwrap();
    // One expansion: the start's, so the goal is not reached yet.
    assert_eq!(search.step(&grid, 1), SearchStatus::Running);
    // Wall across the whole map: the restarted search must notice it's now unreachable.
    grid.block_rect(Vec2::new(10.5, 0.0), Vec2::new(10.5, 30.0));
    let SearchStatus::Done(result) = search.step(&grid, u32::MAX) else {
        panic!("should finish")
    };
    // The 300 cells left of the wall, searched again from scratch: their jump points only.
    let Err(PathError::Unreachable { goal: g, expanded }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(g, goal);
    assert!((1..=300).contains(&expanded), "{expanded}");
    assert_eq!(search.expanded(), expanded, "counted from the restart");
    // Blocking the goal while suspended is reported as such.
    let mut grid = NavGrid::new(30, 30, 1.0, Vec2::ZERO).unwrap();
    search.start(&grid, start, goal).unwrap();
    assert_eq!(search.step(&grid, 1), SearchStatus::Running);
    grid.set_blocked(UVec2::new(29, 15), true);
    assert_eq!(
        search.step(&grid, 5),
        SearchStatus::Done(Err(PathError::GoalBlocked { goal }))
    );
}

#[test]
fn every_path_error_is_produced_with_a_clear_message() {
    let mut grid = NavGrid::new(10, 10, 1.0, Vec2::ZERO).unwrap();
    grid.set_blocked(UVec2::new(2, 3), true);
    // Box in the cell (8, 8).
    for cell in [(7, 7), (8, 7), (9, 7), (7, 8), (7, 9)] {
        grid.set_blocked(UVec2::new(cell.0, cell.1), true);
    }
    let open = Vec2::new(0.5, 0.5);

    let outside = find_path(&grid, open, Vec2::new(12.0, 3.0)).unwrap_err();
    assert_eq!(
        outside,
        PathError::OutsideGrid {
            point: Vec2::new(12.0, 3.0)
        }
    );
    assert_eq!(
        outside.to_string(),
        "point (12.0, 3.0) lies outside the navigation grid"
    );

    let start_blocked = find_path(&grid, Vec2::new(2.5, 3.25), open).unwrap_err();
    assert_eq!(
        start_blocked.to_string(),
        "start (2.5, 3.2) lies in a blocked cell"
    );

    let goal_blocked = find_path(&grid, open, Vec2::new(2.5, 3.5)).unwrap_err();
    assert_eq!(
        goal_blocked,
        PathError::GoalBlocked {
            goal: Vec2::new(2.5, 3.5)
        }
    );
    assert_eq!(
        goal_blocked.to_string(),
        "goal (2.5, 3.5) lies in a blocked cell"
    );

    let unreachable = find_path(&grid, open, Vec2::new(8.5, 8.5)).unwrap_err();
    // 100 cells - 6 blocked - the 4 boxed-in cells around the goal = 90 reachable cells, all
    // scanned; only the jump points among them are expanded.
    let PathError::Unreachable { goal, expanded } = unreachable else {
        panic!("{unreachable:?}")
    };
    assert_eq!(goal, Vec2::new(8.5, 8.5));
    assert!((1..=90).contains(&expanded), "{expanded}");
    assert_eq!(
        unreachable.to_string(),
        format!(
            "goal (8.5, 8.5) is unreachable from the start: everything reachable was searched \
             ({expanded} jump points expanded)"
        )
    );

    let invalid = find_path(&grid, Vec2::new(f32::NAN, 0.0), open).unwrap_err();
    assert_eq!(
        invalid.to_string(),
        "invalid path query: the start point is not finite"
    );
    let invalid_goal = find_path(&grid, open, Vec2::new(0.0, f32::INFINITY)).unwrap_err();
    assert_eq!(
        invalid_goal.to_string(),
        "invalid path query: the goal point is not finite"
    );
    assert_eq!(
        PathSearch::new().step(&grid, 10),
        SearchStatus::Done(Err(PathError::InvalidInput {
            reason: "no search is in progress, call PathSearch::start first"
        }))
    );

    // Cancelled comes from the queue (see queue tests); its message:
    assert_eq!(
        PathError::Cancelled.to_string(),
        "the path query was cancelled before it finished"
    );
}
