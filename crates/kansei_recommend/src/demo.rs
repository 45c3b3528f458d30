//! The demo game library: 48 invented games in 8 genres (seven of them in series) and a seeded
//! simulation of players' play histories over it, for the `recommend` example, the plugin's
//! tests and a small model that trains in minutes.
//!
//! - [`library_catalogue`]: `assets/recommend/library.catalogue.ron`, built in. Each game has 2
//!   or 3 tags from `adventure`, `platformer`, `puzzle`, `racing`, `rpg`, `shooter`,
//!   `simulation` and `strategy`; games in a series carry `series` and `part` metadata.
//! - [`simulated_plays`]: players with tastes. Each player likes one or two genres (75% of
//!   first picks come from them), plays a series in order and mostly goes straight on to the
//!   next part, and about a third of them change taste half-way through (drift).
//!   `assets/recommend/library-plays.txt` holds [`LIBRARY_PLAYERS`] of them with
//!   [`LIBRARY_SEED`], written by `cargo run -p kansei_recommend --example library_data`, which
//!   also fills the catalogue's `plays` with their counts.
//!
//! The simulation uses its own `SplitMix64` generator, so a seed gives the same histories on
//! every platform and with every version of `rand`.
//!
//! # Usage
//!
//! ```
//! use kansei_recommend::demo::{library_catalogue, simulated_plays};
//! use kansei_recommend::model::markov::Markov;
//! use kansei_recommend::RecommendEngine;
//!
//! let catalogue = library_catalogue();
//! assert_eq!(catalogue.len(), 48);
//! let plays = simulated_plays(500, 7);
//! let markov = Markov::fit(&plays.users, catalogue.max_id())?;
//! let engine = RecommendEngine::new(Box::new(markov), catalogue)?;
//! // A player who finished the first Ember Saga is offered the second.
//! let picks = engine.recommend(&[1], 3)?;
//! assert_eq!(picks[0].name, "Ember Saga II: Cinderfall");
//! assert_eq!(picks[0].reason.to_string(), "because you played Ember Saga: The Ashen Crown");
//! # Ok::<(), kansei_recommend::RecommendError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::catalogue::Catalogue;
use crate::data::Interactions;

/// The library's catalogue file, as shipped in `assets/recommend/library.catalogue.ron`.
pub const LIBRARY_CATALOGUE_RON: &str =
    include_str!("../../../assets/recommend/library.catalogue.ron");

/// Players in `assets/recommend/library-plays.txt`.
pub const LIBRARY_PLAYERS: usize = 3_000;

/// The seed of `assets/recommend/library-plays.txt`.
pub const LIBRARY_SEED: u64 = 0x4B41_4E53_4549;

/// Chance that a player who just played part `n` of a series plays part `n + 1` next.
const NEXT_PART: f64 = 0.75;
/// How much more likely a game in one of the player's genres is picked than another game.
const GENRE_PULL: f64 = 9.0;
/// Chance that a player's taste drifts (one liked genre replaced) half-way through.
const DRIFT: f64 = 0.35;
/// History length: at least this many plays...
const MIN_PLAYS: usize = 3;
/// ...then one more with this chance each time...
const ANOTHER_PLAY: f64 = 0.9;
/// ...up to this many.
const MAX_PLAYS: usize = 40;

/// The built-in demo library (`assets/recommend/library.catalogue.ron`). Never empty: the tests
/// check that the file parses.
pub fn library_catalogue() -> Catalogue {
    Catalogue::from_ron(LIBRARY_CATALOGUE_RON).unwrap_or_default()
}

/// `players` simulated players of [`library_catalogue`] (see the [module docs](self)); the same
/// `seed` gives the same histories.
pub fn simulated_plays(players: usize, seed: u64) -> Interactions {
    simulate_plays(&library_catalogue(), players, seed)
}

/// `players` simulated players of any catalogue, with tastes from its tags and series from its
/// `series` and `part` metadata (see the [module docs](self)).
pub fn simulate_plays(catalogue: &Catalogue, players: usize, seed: u64) -> Interactions {
    let library = Library::new(catalogue);
    let mut rng = SplitMix64(seed);
    let users = (0..players).map(|_| library.player(&mut rng)).collect();
    Interactions {
        users,
        num_items: catalogue.max_id(),
    }
}

/// `data` as `user item` lines, each user's plays in order (the format of
/// [`Interactions::load`]).
pub fn plays_to_text(data: &Interactions) -> String {
    let mut text = String::with_capacity(data.len() * 8);
    for (user, plays) in data.users.iter().enumerate() {
        for item in plays {
            let _ = writeln!(text, "{} {item}", user + 1);
        }
    }
    text
}

/// What the simulation knows about the catalogue.
struct Library {
    /// Item ids, in catalogue order.
    ids: Vec<u32>,
    /// Per item (same order): genre indices, the first being its main genre.
    genres: Vec<Vec<usize>>,
    /// Per item: how much players like it, `(0, 1]`.
    appeal: Vec<f64>,
    /// Per item: the series' item indices in part order, and this item's place in it.
    series: Vec<Option<(usize, usize)>>,
    /// The series, each as item indices in part order.
    series_parts: Vec<Vec<usize>>,
    /// Per genre: how many players like it, relative.
    genre_weight: Vec<f64>,
}

impl Library {
    fn new(catalogue: &Catalogue) -> Self {
        let items = catalogue.items();
        let names: BTreeSet<&str> = items
            .iter()
            .flat_map(|item| item.tags.iter().map(String::as_str))
            .collect();
        let names: Vec<&str> = names.into_iter().collect();
        let genres = items
            .iter()
            .map(|item| {
                item.tags
                    .iter()
                    .filter_map(|tag| names.iter().position(|name| name == tag))
                    .collect()
            })
            .collect();
        // Fixed by the names, not the seed: the library's hits and niches are the same for every
        // sample of players.
        let appeal = items
            .iter()
            .map(|item| 0.15 + 0.85 * unit_hash(&item.name).powi(2))
            .collect();
        let genre_weight = names.iter().map(|name| 0.5 + unit_hash(name)).collect();
        let mut by_series: BTreeMap<&str, Vec<(u32, usize)>> = BTreeMap::new();
        for (index, item) in items.iter().enumerate() {
            let series = item.metadata.get("series");
            let part = item
                .metadata
                .get("part")
                .and_then(|p| p.parse::<u32>().ok());
            if let (Some(series), Some(part)) = (series, part) {
                by_series.entry(series).or_default().push((part, index));
            }
        }
        let mut series = vec![None; items.len()];
        let mut series_parts = Vec::new();
        for mut parts in by_series.into_values() {
            parts.sort_unstable();
            for (place, &(_, index)) in parts.iter().enumerate() {
                series[index] = Some((series_parts.len(), place));
            }
            series_parts.push(parts.into_iter().map(|(_, index)| index).collect());
        }
        Self {
            ids: items.iter().map(|item| item.id).collect(),
            genres,
            appeal,
            series,
            series_parts,
            genre_weight,
        }
    }

    /// One player's history, as catalogue ids.
    fn player(&self, rng: &mut SplitMix64) -> Vec<u32> {
        let n = self.ids.len();
        if n == 0 {
            return Vec::new();
        }
        let mut liked = Vec::with_capacity(2);
        let first = rng.weighted(&self.genre_weight);
        liked.extend(first);
        if rng.unit() < 0.4 {
            let mut weights = self.genre_weight.clone();
            if let Some(first) = first {
                weights[first] = 0.0;
            }
            liked.extend(rng.weighted(&weights));
        }
        let mut length = MIN_PLAYS;
        while length < MAX_PLAYS && rng.unit() < ANOTHER_PLAY {
            length += 1;
        }
        let length = length.min(n);
        let drift_at = (rng.unit() < DRIFT).then(|| length / 3 + rng.below(length / 3 + 1));

        let mut played = vec![false; n];
        let mut history: Vec<usize> = Vec::with_capacity(length);
        while history.len() < length {
            if Some(history.len()) == drift_at && !liked.is_empty() {
                let mut weights = self.genre_weight.clone();
                for &genre in &liked {
                    weights[genre] = 0.0;
                }
                if let Some(new) = rng.weighted(&weights) {
                    let old = rng.below(liked.len());
                    liked[old] = new;
                }
            }
            let next_part = history
                .last()
                .and_then(|&last| self.next_part(last))
                .filter(|&next| !played[next]);
            let pick = match next_part {
                Some(next) if rng.unit() < NEXT_PART => Some(next),
                _ => {
                    let weights: Vec<f64> = (0..n)
                        .map(|i| {
                            if played[i] {
                                return 0.0;
                            }
                            let genres = &self.genres[i];
                            let pull = if genres.first().is_some_and(|g| liked.contains(g)) {
                                GENRE_PULL * 1.5
                            } else if genres.iter().any(|g| liked.contains(g)) {
                                GENRE_PULL
                            } else {
                                1.0
                            };
                            self.appeal[i] * pull
                        })
                        .collect();
                    rng.weighted(&weights)
                        .map(|i| self.first_unplayed_part(i, &played))
                }
            };
            let Some(pick) = pick else {
                break;
            };
            played[pick] = true;
            history.push(pick);
        }
        history.into_iter().map(|i| self.ids[i]).collect()
    }

    /// The part after item `i` in its series.
    fn next_part(&self, i: usize) -> Option<usize> {
        let (series, place) = self.series[i]?;
        self.series_parts[series].get(place + 1).copied()
    }

    /// Item `i`, or the first part of its series the player has not played yet: series are
    /// played in order.
    fn first_unplayed_part(&self, i: usize, played: &[bool]) -> usize {
        match self.series[i] {
            Some((series, place)) => self.series_parts[series][..place]
                .iter()
                .copied()
                .find(|&part| !played[part])
                .unwrap_or(i),
            None => i,
        }
    }
}

/// FNV-1a of `text`, mapped to `[0, 1)`.
fn unit_hash(text: &str) -> f64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    let mut rng = SplitMix64(hash);
    rng.unit()
}

/// `SplitMix64` (Steele, Lea and Flood 2014): small, fast and the same everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// An index drawn with probability proportional to its weight; `None` when all are 0.
    fn weighted(&mut self, weights: &[f64]) -> Option<usize> {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut target = self.unit() * total;
        let mut last = None;
        for (i, &weight) in weights.iter().enumerate() {
            if weight <= 0.0 {
                continue;
            }
            if target < weight {
                return Some(i);
            }
            target -= weight;
            last = Some(i);
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/recommend")
            .join(name)
    }

    #[test]
    fn the_library_has_48_games_in_8_genres() {
        let catalogue = library_catalogue();
        assert_eq!(catalogue.len(), 48);
        assert_eq!(catalogue.max_id(), 48);
        let genres: BTreeSet<&str> = catalogue
            .items()
            .iter()
            .flat_map(|item| item.tags.iter().map(String::as_str))
            .collect();
        assert_eq!(genres.len(), 8, "{genres:?}");
        for item in catalogue.items() {
            assert!((2..=3).contains(&item.tags.len()), "{}", item.name);
            assert!(item.plays > 0, "{} is never played", item.name);
        }
    }

    #[test]
    fn the_shipped_plays_are_the_seeded_simulation() {
        let data = simulated_plays(LIBRARY_PLAYERS, LIBRARY_SEED);
        let text = std::fs::read_to_string(asset("library-plays.txt")).expect("shipped file");
        assert!(
            text == plays_to_text(&data),
            "assets/recommend/library-plays.txt is stale: run `cargo run -p kansei_recommend \
             --example library_data`"
        );
        assert_eq!(Interactions::parse(&text).expect("parses"), data);
        let counts = data.item_counts();
        for item in library_catalogue().items() {
            assert_eq!(item.plays, counts[item.id as usize], "{}", item.name);
        }
        assert_eq!(data.active_users(), LIBRARY_PLAYERS);
    }

    #[test]
    fn players_have_tastes_and_play_series_in_order() {
        let catalogue = library_catalogue();
        let data = simulated_plays(1_000, 3);
        assert_eq!(data, simulated_plays(1_000, 3), "seeded");
        assert_ne!(data, simulated_plays(1_000, 4));
        let part = |id: u32| {
            let item = catalogue.get(id)?;
            Some((
                item.metadata.get("series")?.clone(),
                item.metadata.get("part")?.parse::<u32>().ok()?,
            ))
        };
        let (mut shared, mut pairs, mut followed) = (0, 0, 0);
        for history in &data.users {
            assert!(history.len() >= MIN_PLAYS && history.len() <= MAX_PLAYS);
            let unique: BTreeSet<_> = history.iter().collect();
            assert_eq!(unique.len(), history.len(), "no game is played twice");
            for (i, &id) in history.iter().enumerate() {
                if let Some((series, n)) = part(id)
                    && n > 1
                {
                    // Every earlier part was played before.
                    for earlier in 1..n {
                        assert!(
                            history[..i]
                                .iter()
                                .any(|&h| part(h) == Some((series.clone(), earlier))),
                            "{series} {n} before {earlier}: {history:?}"
                        );
                    }
                }
            }
            for pair in history.windows(2) {
                let tags = |id| catalogue.get(id).map_or(&[][..], |i| &i.tags[..]);
                pairs += 1;
                shared += usize::from(tags(pair[0]).iter().any(|t| tags(pair[1]).contains(t)));
                if let (Some((a, n)), Some((b, m))) = (part(pair[0]), part(pair[1]))
                    && a == b
                    && m == n + 1
                {
                    followed += 1;
                }
            }
        }
        // Random pairs share a tag about 30% of the time; players with tastes far more often.
        let share = shared as f64 / pairs as f64;
        assert!(share > 0.6, "consecutive plays share a genre {share:.2}");
        assert!(followed > 500, "{followed} sequels played straight after");
    }
}
