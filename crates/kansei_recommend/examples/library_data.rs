//! Writes the demo library's simulated plays and their counts (see `kansei_recommend::demo`):
//! `assets/recommend/library-plays.txt` (`user item` lines) and the `plays` of every game in
//! `assets/recommend/library.catalogue.ron`. Run from the repository root:
//!
//! ```text
//! cargo run -p kansei_recommend --example library_data
//! ```
//!
//! The catalogue's names, tags and series are read from the file and written back unchanged, one
//! game per line; only `plays` changes.

use std::fmt::Write as _;

use kansei_recommend::demo::{LIBRARY_PLAYERS, LIBRARY_SEED, plays_to_text, simulate_plays};
use kansei_recommend::{Catalogue, CatalogueItem};

const CATALOGUE: &str = "assets/recommend/library.catalogue.ron";
const PLAYS: &str = "assets/recommend/library-plays.txt";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(CATALOGUE)?;
    let mut catalogue = Catalogue::from_ron(&text)?;
    let data = simulate_plays(&catalogue, LIBRARY_PLAYERS, LIBRARY_SEED);
    std::fs::write(PLAYS, plays_to_text(&data))?;
    catalogue.set_plays(&data.item_counts());

    // Keep the file's header comment and its one-game-per-line layout.
    let mut out: String = text
        .lines()
        .take_while(|line| line.starts_with("//"))
        .map(|line| format!("{line}\n"))
        .collect();
    out.push_str("(\n    items: [\n");
    for item in catalogue.items() {
        writeln!(out, "        {},", item_line(item))?;
    }
    out.push_str("    ],\n)\n");
    std::fs::write(CATALOGUE, out)?;
    println!(
        "wrote {PLAYS} ({} players, {} plays) and the plays of {} games in {CATALOGUE}",
        data.active_users(),
        data.len(),
        catalogue.len()
    );
    Ok(())
}

fn item_line(item: &CatalogueItem) -> String {
    let quoted = |s: &str| format!("{s:?}");
    let tags: Vec<String> = item.tags.iter().map(|t| quoted(t)).collect();
    let mut line = format!(
        "(id: {}, name: {}, tags: [{}], plays: {}",
        item.id,
        quoted(&item.name),
        tags.join(", "),
        item.plays
    );
    if !item.metadata.is_empty() {
        let entries: Vec<String> = item
            .metadata
            .iter()
            .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
            .collect();
        let _ = write!(line, ", metadata: {{{}}}", entries.join(", "));
    }
    line.push(')');
    line
}
