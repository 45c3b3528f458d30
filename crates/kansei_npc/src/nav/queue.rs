//! Budgeted, prioritised, cancellable path query queue answered over several ticks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use glam::Vec2;

use super::search::{PathSearch, SearchStatus};
use super::{FlowField, NavGrid, Path, PathError};

/// Most expansions done between two clock reads while processing the queue.
pub const EXPANSIONS_PER_CLOCK_CHECK: u32 = 32;
/// The clock is also read as soon as the jump scans of a slice have stepped onto this many
/// cells (an expansion scans lines as long as the grid: on an open 256 x 256 grid one can step
/// onto 100,000 cells), so a slice is short whatever the grid.
pub const CELLS_PER_CLOCK_CHECK: u64 = 4096;

/// Urgency of a path query; higher priorities are always served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum PathPriority {
    /// Background work (wandering, idle repositioning).
    Low,
    /// Ordinary movement orders. The default.
    #[default]
    Normal,
    /// Player-visible or combat movement.
    High,
    /// Must be answered as soon as possible (fleeing, scripted moves).
    Critical,
}

impl PathPriority {
    const COUNT: usize = 4;

    fn slot(self) -> usize {
        self as usize
    }
}

/// Handle of a query submitted to a [`PathQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathQueryId(u64);

impl PathQueryId {
    /// The raw id; ids of one queue are unique and increase with submission order.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The outcome of one submitted query.
#[derive(Debug, Clone, PartialEq)]
pub struct PathAnswer {
    /// The id returned by [`PathQueue::submit`].
    pub id: PathQueryId,
    /// The path, or why there is none (including [`PathError::Cancelled`]).
    pub result: Result<Path, PathError>,
    /// Time spent searching for this query, summed over all ticks.
    pub compute_time: Duration,
    /// Number of [`PathQueue::process`] calls that ended before the one that answered (0 =
    /// answered by the first call after submission).
    pub ticks_waited: u32,
}

/// What one [`PathQueue::process`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessStats {
    /// Queries answered by this call (found paths and failures; cancellations are not counted).
    pub answered: u32,
    /// Of those, the queries answered from a flow field rather than a search (see
    /// [`PathQueue::process_with_fields`]).
    pub traced: u32,
    /// Cells expanded by this call.
    pub expansions: u32,
    /// Wall time the call took.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy)]
struct QueuedQuery {
    id: PathQueryId,
    start: Vec2,
    goal: Vec2,
    submitted_tick: u64,
}

#[derive(Debug)]
struct RunningQuery {
    query: QueuedQuery,
    priority: PathPriority,
    search: PathSearch,
    compute_time: Duration,
}

/// Budgeted, prioritised, cancellable queue that answers path queries asynchronously over ticks.
///
/// Each [`process`](Self::process) call works for about the given time budget: highest priority
/// first, FIFO within a priority. The search in progress is suspended when the budget is spent
/// (the clock is read every [`EXPANSIONS_PER_CLOCK_CHECK`] expansions, or sooner after
/// [`CELLS_PER_CLOCK_CHECK`] cells scanned) and resumed by the next
/// call. A query of strictly higher priority than the search in progress pre-empts it: the lower
/// search is parked with its progress and resumed afterwards (at most one parked search per
/// priority, each with its own reusable buffers). A search whose grid revision changed while it
/// was suspended restarts on the new grid.
#[derive(Debug, Default)]
pub struct PathQueue {
    next_id: u64,
    /// Completed `process` calls.
    tick: u64,
    /// Queries not started yet, one FIFO per priority.
    waiting: [VecDeque<QueuedQuery>; PathPriority::COUNT],
    /// Started searches; the last one is being worked on, the others were pre-empted by it.
    /// Priorities strictly increase towards the end.
    running: Vec<RunningQuery>,
    /// Buffers of finished searches, reused by the next ones.
    spare_searches: Vec<PathSearch>,
    answers: Vec<PathAnswer>,
}

impl PathQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a query from `start` to `goal`. Invalid queries (outside the grid, blocked, not
    /// finite) are accepted here and answered with an error by the next `process` call.
    pub fn submit(&mut self, start: Vec2, goal: Vec2, priority: PathPriority) -> PathQueryId {
        let id = PathQueryId(self.next_id);
        self.next_id += 1;
        self.waiting[priority.slot()].push_back(QueuedQuery {
            id,
            start,
            goal,
            submitted_tick: self.tick,
        });
        id
    }

    /// Cancels a queued or in-progress query: it is removed and answered with
    /// `Err(PathError::Cancelled)` in the next drain. Returns `false` for unknown ids and for
    /// queries already answered.
    pub fn cancel(&mut self, id: PathQueryId) -> bool {
        for fifo in &mut self.waiting {
            if let Some(position) = fifo.iter().position(|q| q.id == id)
                && let Some(query) = fifo.remove(position)
            {
                self.answer(query, Err(PathError::Cancelled), Duration::ZERO);
                return true;
            }
        }
        if let Some(position) = self.running.iter().position(|r| r.query.id == id) {
            let running = self.running.remove(position);
            self.spare_searches.push(running.search);
            self.answer(
                running.query,
                Err(PathError::Cancelled),
                running.compute_time,
            );
            return true;
        }
        false
    }

    /// Works on the queue for about `budget` and returns what was done.
    ///
    /// Always does at least one slice of work (up to [`EXPANSIONS_PER_CLOCK_CHECK`] expansions,
    /// fewer once they have scanned [`CELLS_PER_CLOCK_CHECK`] cells) when there is any, so even
    /// a zero budget makes progress. The overrun past `budget` is at most one slice, plus
    /// smoothing the path of a query finishing in it (and, the first time a search buffer is
    /// used or the grid size changes, allocating that buffer).
    pub fn process(&mut self, grid: &NavGrid, budget: Duration) -> ProcessStats {
        self.process_with_fields(grid, budget, |_| None)
    }

    /// [`process`](Self::process), answering a query from a flow field instead of searching
    /// when `field_for(goal)` returns one for its goal: the field's
    /// [`trace_path`](FlowField::trace_path), microseconds instead of a search's tens. For
    /// goals many queries share (a town's doorsteps, a base, the exits), build a field once
    /// and let every query to it skip the search. `field_for` must return only fields that
    /// are fresh for `grid` and whose goal cell holds `goal`; anything else is answered with
    /// the trace's error. Priorities and the budget apply to traced queries as to searched
    /// ones (the clock is read after each trace).
    pub fn process_with_fields<'f>(
        &mut self,
        grid: &NavGrid,
        budget: Duration,
        field_for: impl Fn(Vec2) -> Option<&'f FlowField>,
    ) -> ProcessStats {
        let call_start = Instant::now();
        let mut stats = ProcessStats::default();
        loop {
            if let Some(priority) = self.priority_to_start() {
                // Starting a search is O(1) (answering an invalid query too), so no clock read
                // then: the started search gets its first slice before the budget is checked.
                // A trace walks the whole route, so the clock is read after it.
                if !self.start_next(grid, priority, &field_for, &mut stats) {
                    continue;
                }
            } else if let Some(current) = self.running.last_mut() {
                let slice_start = Instant::now();
                let expanded_before = current.search.total_expanded();
                let status = current.search.step_bounded(
                    grid,
                    EXPANSIONS_PER_CLOCK_CHECK,
                    CELLS_PER_CLOCK_CHECK,
                );
                current.compute_time += slice_start.elapsed();
                stats.expansions += (current.search.total_expanded() - expanded_before) as u32;
                if let SearchStatus::Done(result) = status
                    && let Some(finished) = self.running.pop()
                {
                    self.spare_searches.push(finished.search);
                    self.answer(finished.query, result, finished.compute_time);
                    stats.answered += 1;
                }
            } else {
                break;
            }
            if call_start.elapsed() >= budget {
                break;
            }
        }
        self.tick += 1;
        stats.elapsed = call_start.elapsed();
        stats
    }

    /// Answers produced since the last drain, in the order they were produced.
    pub fn drain_answers(&mut self) -> std::vec::Drain<'_, PathAnswer> {
        self.answers.drain(..)
    }

    /// Queries submitted and not answered yet (waiting or in progress).
    pub fn pending(&self) -> usize {
        self.waiting.iter().map(VecDeque::len).sum::<usize>() + self.running.len()
    }

    /// The priority of the waiting query that should start now, if any: the highest waiting
    /// priority when nothing runs or when it beats the running search's priority.
    fn priority_to_start(&self) -> Option<PathPriority> {
        let highest_waiting = [
            PathPriority::Critical,
            PathPriority::High,
            PathPriority::Normal,
            PathPriority::Low,
        ]
        .into_iter()
        .find(|p| !self.waiting[p.slot()].is_empty())?;
        match self.running.last() {
            Some(current) if current.priority >= highest_waiting => None,
            _ => Some(highest_waiting),
        }
    }

    /// Starts the next query of `priority`, or answers it at once from a field or with the
    /// error that stops it from starting. Returns whether it traced a field (the only case
    /// that takes more than constant time).
    fn start_next<'f>(
        &mut self,
        grid: &NavGrid,
        priority: PathPriority,
        field_for: &impl Fn(Vec2) -> Option<&'f FlowField>,
        stats: &mut ProcessStats,
    ) -> bool {
        let Some(query) = self.waiting[priority.slot()].pop_front() else {
            return false;
        };
        let started = Instant::now();
        if let Some(field) = field_for(query.goal) {
            let result = field.trace_path(grid, query.start, query.goal);
            self.answer(query, result, started.elapsed());
            stats.answered += 1;
            stats.traced += 1;
            return true;
        }
        let mut search = self.spare_searches.pop().unwrap_or_default();
        match search.start(grid, query.start, query.goal) {
            Ok(()) => self.running.push(RunningQuery {
                query,
                priority,
                search,
                compute_time: started.elapsed(),
            }),
            Err(error) => {
                self.spare_searches.push(search);
                self.answer(query, Err(error), started.elapsed());
                stats.answered += 1;
            }
        }
        false
    }

    fn answer(
        &mut self,
        query: QueuedQuery,
        result: Result<Path, PathError>,
        compute_time: Duration,
    ) {
        self.answers.push(PathAnswer {
            id: query.id,
            result,
            compute_time,
            ticks_waited: u32::try_from(self.tick - query.submitted_tick).unwrap_or(u32::MAX),
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::time::Duration;

    use glam::{UVec2, Vec2};

    use super::*;
    use crate::nav::find_path;
    use crate::nav::test_support::{Rng, random_grid, random_walkable_cell, serpentine_grid};

    const AMPLE: Duration = Duration::from_secs(10);

    /// Start and goal at the two ends of the serpentine's corridor.
    fn long_query(grid: &NavGrid) -> (Vec2, Vec2) {
        let top = grid.height() - 1 - u32::from(grid.height().is_multiple_of(2));
        (
            grid.cell_center(UVec2::new(0, 0)),
            grid.cell_center(UVec2::new(0, top)),
        )
    }

    #[test]
    fn higher_priority_first_and_fifo_within_a_priority() {
        let grid = NavGrid::new(20, 20, 1.0, Vec2::ZERO).unwrap();
        let mut queue = PathQueue::default();
        let mut submit = |x: f32, p| queue.submit(Vec2::new(0.5, 0.5), Vec2::new(x, 10.5), p);
        let low_a = submit(1.5, PathPriority::Low);
        let normal_b = submit(2.5, PathPriority::Normal);
        let low_c = submit(3.5, PathPriority::Low);
        let critical_d = submit(4.5, PathPriority::Critical);
        let normal_e = submit(5.5, PathPriority::default());
        let high_f = submit(6.5, PathPriority::High);
        assert_eq!(queue.pending(), 6);
        let stats = queue.process(&grid, AMPLE);
        assert_eq!(stats.answered, 6);
        // At least the start and the goal of each.
        assert!(stats.expansions >= 6 * 2, "{stats:?}");
        assert_eq!(queue.pending(), 0);
        let answers: Vec<PathAnswer> = queue.drain_answers().collect();
        let order: Vec<PathQueryId> = answers.iter().map(|a| a.id).collect();
        assert_eq!(
            order,
            [critical_d, high_f, normal_b, normal_e, low_a, low_c]
        );
        for answer in &answers {
            assert_eq!(answer.ticks_waited, 0);
            let path = answer.result.as_ref().unwrap();
            assert_eq!(path.waypoints.len(), 1);
        }
        assert_eq!(queue.drain_answers().count(), 0);
        assert!(low_a.get() < normal_b.get());
    }

    #[test]
    fn cancel_removes_queued_and_in_progress_queries() {
        let grid = serpentine_grid(64);
        let (start, goal) = long_query(&grid);
        let mut queue = PathQueue::new();
        let long = queue.submit(start, goal, PathPriority::Normal);
        let short = queue.submit(start, start + Vec2::X, PathPriority::Normal);
        queue.process(&grid, Duration::ZERO);
        assert_eq!(
            queue.pending(),
            2,
            "long search suspended, short one waiting"
        );
        assert_eq!(queue.drain_answers().count(), 0);

        assert!(queue.cancel(long), "mid-search");
        assert!(!queue.cancel(long), "already cancelled");
        let queued = queue.submit(start, goal, PathPriority::Low);
        assert!(queue.cancel(queued), "queued");
        assert!(!queue.cancel(PathQueryId(12345)), "unknown id");
        assert_eq!(queue.pending(), 1);
        let cancelled: Vec<PathAnswer> = queue.drain_answers().collect();
        assert_eq!(cancelled.len(), 2);
        assert_eq!((cancelled[0].id, cancelled[1].id), (long, queued));
        assert!(
            cancelled
                .iter()
                .all(|a| a.result == Err(PathError::Cancelled))
        );
        assert!(cancelled[0].compute_time > Duration::ZERO);
        assert_eq!(cancelled[0].ticks_waited, 1);

        queue.process(&grid, AMPLE);
        let answers: Vec<PathAnswer> = queue.drain_answers().collect();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].id, short);
        assert!(answers[0].result.is_ok());
        assert!(!queue.cancel(short), "already answered");
    }

    #[test]
    fn long_search_is_suspended_and_resumed_across_calls() {
        // Long enough to need many 100 us calls even for jump point search (about 130,000
        // cells scanned along the corridor).
        let grid = serpentine_grid(512);
        let (start, goal) = long_query(&grid);
        let mut queue = PathQueue::new();
        let id = queue.submit(start, goal, PathPriority::High);
        let budget = Duration::from_micros(100);
        let mut calls = 0;
        let mut expansions = 0;
        let answer = loop {
            let stats = queue.process(&grid, budget);
            calls += 1;
            expansions += stats.expansions;
            if let Some(answer) = queue.drain_answers().next() {
                assert_eq!(stats.answered, 1);
                break answer;
            }
            assert_eq!((stats.answered, queue.pending()), (0, 1));
            // At least one slice: a full one, or one cut short by the cells it scanned.
            assert!(stats.expansions >= 1);
        };
        assert!(calls >= 3, "only {calls} calls: the search was not split");
        assert_eq!(answer.id, id);
        assert_eq!(answer.ticks_waited, calls - 1);
        assert_eq!(answer.result, find_path(&grid, start, goal));
        // The corridor is walked end to end: the path turns at both ends of each of its 256
        // rows, and every turn is a jump point.
        let rows = grid.height() as usize / 2;
        assert!(expansions as usize > rows, "{expansions}");
        assert!(answer.compute_time > Duration::ZERO);
    }

    #[test]
    fn a_slice_ends_early_when_its_scans_cover_many_cells() {
        // Each turn of a 512-wide corridor is a jump point whose scans run the corridor's
        // length, so 32 expansions would scan about 16,000 cells in one slice.
        let grid = serpentine_grid(512);
        let (start, goal) = long_query(&grid);
        let mut queue = PathQueue::new();
        queue.submit(start, goal, PathPriority::Normal);
        let stats = queue.process(&grid, Duration::ZERO);
        assert_eq!(queue.pending(), 1);
        assert!(
            (1..EXPANSIONS_PER_CLOCK_CHECK).contains(&stats.expansions),
            "{stats:?}"
        );
    }

    #[test]
    fn tiny_budget_returns_within_budget_plus_small_slack() {
        let grid = random_grid(96, 96, 0.25, 42);
        let mut rng = Rng::new(8);
        let mut queue = PathQueue::new();
        for _ in 0..300 {
            let a = random_walkable_cell(&grid, &mut rng).unwrap();
            let b = random_walkable_cell(&grid, &mut rng).unwrap();
            queue.submit(
                grid.cell_center(a),
                grid.cell_center(b),
                PathPriority::Normal,
            );
        }
        let budget = Duration::from_micros(50);
        // One slice is at most 32 expansions or 4,096 scanned cells, plus possibly smoothing one
        // finished path: a few µs even in the unoptimised test build (typically within 5 µs of
        // the budget); 100 µs leaves room for a slow shared machine, and a few calls may be
        // descheduled outright.
        let slack = Duration::from_micros(100);
        let mut within = 0;
        let calls = 60;
        for _ in 0..calls {
            let outer = Instant::now();
            let stats = queue.process(&grid, budget);
            let outer = outer.elapsed();
            assert!(stats.elapsed <= outer);
            assert!(stats.expansions > 0, "each call makes progress");
            within += usize::from(outer <= budget + slack);
            assert!(outer < budget + Duration::from_millis(50), "{outer:?}");
        }
        // Allow a few scheduler hiccups.
        assert!(
            within * 10 >= calls * 9,
            "{within}/{calls} calls within budget + slack"
        );
        assert!(queue.pending() > 0);
    }

    #[test]
    fn higher_priority_preempts_and_lower_search_resumes_where_it_was() {
        let grid = serpentine_grid(64);
        let (start, goal) = long_query(&grid);
        let mut queue = PathQueue::new();
        let low = queue.submit(start, goal, PathPriority::Low);
        let mut total_expansions = queue.process(&grid, Duration::ZERO).expansions;
        assert_eq!(queue.pending(), 1);
        let critical = queue.submit(start, start + Vec2::X, PathPriority::Critical);
        let normal = queue.submit(start, start + Vec2::X * 2.0, PathPriority::Normal);
        // A zero budget does one slice per call, enough for either short query.
        for expected in [critical, normal] {
            total_expansions += queue.process(&grid, Duration::ZERO).expansions;
            let ids: Vec<PathQueryId> = queue.drain_answers().map(|a| a.id).collect();
            assert_eq!(ids, [expected]);
        }
        assert_eq!(queue.pending(), 1);
        while queue.pending() > 0 {
            total_expansions += queue.process(&grid, AMPLE).expansions;
        }
        let answer = queue.drain_answers().next().unwrap();
        assert_eq!(answer.id, low);
        assert_eq!(answer.result, find_path(&grid, start, goal));
        // The parked search kept its progress: no cell of it was expanded twice.
        let mut reference = PathSearch::new();
        reference.start(&grid, start, goal).unwrap();
        let _ = reference.step(&grid, u32::MAX);
        // The two short queries expand their start and, one jump away on open ground, their
        // goal.
        let short_expansions = 2 + 2;
        assert_eq!(total_expansions, reference.expanded() + short_expansions);
    }

    #[test]
    fn grid_change_during_a_suspended_search_restarts_it() {
        let mut grid = serpentine_grid(64);
        let (start, goal) = long_query(&grid);
        let mut queue = PathQueue::new();
        queue.submit(start, goal, PathPriority::Normal);
        queue.process(&grid, Duration::ZERO);
        assert_eq!(queue.pending(), 1);
        // Close the corridor's last gap: the goal becomes unreachable.
        grid.set_blocked(UVec2::new(63, 61), true);
        queue.process(&grid, AMPLE);
        let answer = queue.drain_answers().next().unwrap();
        assert!(
            matches!(answer.result, Err(PathError::Unreachable { .. })),
            "{:?}",
            answer.result
        );
        assert_eq!(answer.result, find_path(&grid, start, goal));
    }

    #[test]
    fn invalid_queries_are_answered_with_errors() {
        let mut grid = NavGrid::new(8, 8, 1.0, Vec2::ZERO).unwrap();
        grid.set_blocked(UVec2::new(3, 3), true);
        let mut queue = PathQueue::new();
        let outside = queue.submit(Vec2::new(0.5, 0.5), Vec2::new(-1.0, 0.5), PathPriority::Low);
        let blocked = queue.submit(Vec2::new(3.5, 3.5), Vec2::new(0.5, 0.5), PathPriority::Low);
        let nan = queue.submit(Vec2::NAN, Vec2::new(0.5, 0.5), PathPriority::Low);
        let stats = queue.process(&grid, AMPLE);
        assert_eq!((stats.answered, stats.expansions), (3, 0));
        let answers: Vec<PathAnswer> = queue.drain_answers().collect();
        assert_eq!(answers[0].id, outside);
        assert_eq!(
            answers[0].result,
            Err(PathError::OutsideGrid {
                point: Vec2::new(-1.0, 0.5)
            })
        );
        assert_eq!(answers[1].id, blocked);
        assert!(matches!(
            answers[1].result,
            Err(PathError::StartBlocked { .. })
        ));
        assert_eq!(answers[2].id, nan);
        assert!(matches!(
            answers[2].result,
            Err(PathError::InvalidInput { .. })
        ));
        // An empty queue returns at once.
        let idle = queue.process(&grid, AMPLE);
        assert_eq!((idle.answered, idle.expansions), (0, 0));
        assert!(idle.elapsed < Duration::from_millis(5));
    }

    #[test]
    fn queries_to_a_field_goal_are_traced_in_priority_order_within_the_budget() {
        let grid = serpentine_grid(64);
        let (start, goal) = long_query(&grid);
        let field = FlowField::build(&grid, goal).unwrap();
        let served = |g: Vec2| (grid.cell_at(g) == grid.cell_at(goal)).then_some(&field);
        let mut queue = PathQueue::new();
        let low = queue.submit(start, goal, PathPriority::Low);
        let searched = queue.submit(goal, start, PathPriority::Normal);
        let high = queue.submit(start + Vec2::X, goal, PathPriority::High);
        let stats = queue.process_with_fields(&grid, AMPLE, served);
        assert_eq!((stats.answered, stats.traced), (3, 2));
        let answers: Vec<PathAnswer> = queue.drain_answers().collect();
        let order: Vec<PathQueryId> = answers.iter().map(|a| a.id).collect();
        assert_eq!(order, [high, searched, low]);
        // The traced answer is the field's path, as long as the searched one back.
        let traced = answers[2].result.as_ref().unwrap();
        assert_eq!(traced, &field.trace_path(&grid, start, goal).unwrap());
        let back = answers[1].result.as_ref().unwrap();
        assert!((traced.length - back.length).abs() < 1e-3 * back.length);
        // Traces expand nothing: only the searched query did.
        let searched_alone = {
            let mut queue = PathQueue::new();
            queue.submit(goal, start, PathPriority::Normal);
            queue.process(&grid, AMPLE).expansions
        };
        assert_eq!(stats.expansions, searched_alone);

        // A zero budget traces one query per call: the clock is read after each trace.
        for _ in 0..3 {
            queue.submit(start, goal, PathPriority::Normal);
        }
        for left in (0..3).rev() {
            let stats = queue.process_with_fields(&grid, Duration::ZERO, served);
            assert_eq!((stats.answered, stats.traced), (1, 1));
            assert_eq!(queue.pending(), left);
        }
    }
}
