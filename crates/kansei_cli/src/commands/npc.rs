//! `kansei npc bench`: the NPC stack's deterministic headless benchmark.

use clap::Subcommand;
use kansei_npc::bench::{self, BenchConfig, BenchMix, BenchReport, StageTimes};

/// Subcommands of `kansei npc`.
#[derive(Subcommand, Debug)]
pub enum NpcCommand {
    /// Runs the demo town headless for a number of fixed 60 Hz ticks (guards, villagers and
    /// commuters, a player walking a loop and making noise) and prints per-tick p50 and p99
    /// wall times split by stage, entities, bytes per NPC, and path query throughput.
    Bench {
        /// Number of NPCs.
        #[arg(long, default_value_t = 1000)]
        agents: usize,
        /// Timed ticks (after the warm-up).
        #[arg(long, default_value_t = 600)]
        ticks: u32,
        /// Untimed warm-up ticks.
        #[arg(long, default_value_t = 120)]
        warmup: u32,
        /// Threads of Bevy's compute pool (the parallel stages); default: one per core.
        #[arg(long)]
        threads: Option<usize>,
        /// Which NPCs: hero (guards), active (villagers), crowd (commuters) or mixed (5% /
        /// 25% / 70%).
        #[arg(long, default_value = "mixed")]
        tier: BenchMix,
        /// Seed of the town and the spawn points.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Search every villager path instead of tracing the paths to doorsteps from the
        /// town's per-doorstep flow fields.
        #[arg(long)]
        no_doorstep_fields: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `kansei npc` subcommand; the error is the message to print.
pub fn run(command: &NpcCommand) -> Result<(), String> {
    match command {
        NpcCommand::Bench {
            agents,
            ticks,
            warmup,
            threads,
            tier,
            seed,
            no_doorstep_fields,
            json,
        } => {
            let threads = threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            if threads == 0 {
                return Err("--threads must be at least 1".into());
            }
            bench::init_threads(threads);
            let config = BenchConfig {
                agents: *agents,
                ticks: *ticks,
                warmup: *warmup,
                mix: *tier,
                seed: *seed,
                doorstep_fields: !*no_doorstep_fields,
            };
            let report = bench::run(&config).map_err(|e| e.to_string())?;
            if *json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print_table(&report);
            }
            Ok(())
        }
    }
}

fn print_table(report: &BenchReport) {
    let [hero, active, crowd] = report.tiers;
    println!(
        "{} NPCs ({hero} hero, {active} active, {crowd} crowd), {} ticks at 60 Hz, {} thread(s)",
        report.agents, report.ticks, report.threads
    );
    println!(
        "{:<12} {:>9} {:>9} {:>9} {:>9}",
        "stage", "p50 ms", "p99 ms", "mean ms", "max ms"
    );
    let row = |name: &str, t: &StageTimes| {
        println!(
            "{name:<12} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            t.p50_ms, t.p99_ms, t.mean_ms, t.max_ms
        );
    };
    row("perception", &report.perception);
    row("decision", &report.decision);
    row("navigation", &report.navigation);
    row("steering", &report.steering);
    row("total", &report.total);
    println!(
        "decisions per tick {:.1}, path answers {} ({} traced from flow fields), entities {}, bytes per NPC {:.0}",
        report.decisions_per_tick,
        report.path_answers,
        report.paths_traced,
        report.entities,
        report.bytes_per_agent
    );
    println!(
        "flow fields built before the first tick: {} in {:.1} ms",
        report.flow_fields, report.flow_field_build_ms
    );
    let p = &report.paths;
    println!(
        "path queries (town grid, unbudgeted): {} run, {} found, {:.0} per second, p50 {:.3} ms, p99 {:.3} ms",
        p.queries, p.found, p.per_second, p.p50_ms, p.p99_ms
    );
}
