//! The shipped sequential model, trained on the Amazon video-games data
//! (`../shared/data/recsys/amazon_games.txt`): new plays change its picks at once, and the
//! reasons it gives point at plays that really go with the recommended item. Never skipped:
//! missing files fail the test with the path looked for.

use std::collections::HashMap;
use std::path::PathBuf;

use kansei_recommend::model::sequential::{
    GAMES_CATALOGUE_PATH, GAMES_MODEL_PATH, SequentialModel,
};
use kansei_recommend::{Catalogue, Interactions, LeaveLastOut, Reason, RecommendEngine};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn workspace(path: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    assert!(path.exists(), "missing: {}", path.display());
    path
}

fn engine() -> RecommendEngine {
    let model = SequentialModel::load(workspace(GAMES_MODEL_PATH)).expect("shipped model loads");
    let catalogue = Catalogue::load(workspace(GAMES_CATALOGUE_PATH)).expect("catalogue loads");
    RecommendEngine::new(Box::new(model), catalogue).expect("model and catalogue fit")
}

fn games() -> Interactions {
    Interactions::load(workspace("../shared/data/recsys/amazon_games.txt")).expect("data loads")
}

#[test]
fn a_new_play_changes_the_picks_at_once() -> TestResult {
    let engine = engine();
    let split = LeaveLastOut::new(&games());
    let mut changed = 0;
    let users: Vec<usize> = (0..split.train.len()).step_by(997).take(20).collect();
    for &user in &users {
        let history = split.test_history(user);
        let before = engine.recommend(&history, 10)?;
        // The player plays the first pick.
        let mut after_history = history.clone();
        after_history.push(before[0].item);
        let after = engine.recommend(&after_history, 10)?;
        assert!(
            after.iter().all(|p| p.item != before[0].item),
            "a played item is not recommended"
        );
        let items = |picks: &[kansei_recommend::Recommendation]| -> Vec<u32> {
            picks.iter().map(|p| p.item).collect()
        };
        changed += usize::from(items(&before)[1..] != items(&after)[..9]);
    }
    assert!(
        changed >= users.len() * 3 / 4,
        "{changed} of {} lists changed beyond the played pick",
        users.len()
    );
    Ok(())
}

#[test]
fn reasons_point_at_plays_that_go_with_the_pick() -> TestResult {
    let engine = engine();
    let data = games();
    let split = LeaveLastOut::new(&data);
    // Players per item in the training data, to count how often two items share a player.
    let mut players: HashMap<u32, Vec<u32>> = HashMap::new();
    for (user, sequence) in split.train.iter().enumerate() {
        let mut items = sequence.clone();
        items.sort_unstable();
        items.dedup();
        for item in items {
            players.entry(item).or_default().push(user as u32);
        }
    }
    let shared = |a: u32, b: u32| -> usize {
        let (Some(x), Some(y)) = (players.get(&a), players.get(&b)) else {
            return 0;
        };
        x.iter().filter(|u| y.binary_search(u).is_ok()).count()
    };
    // For players with several distinct recent plays: does the play named in the reason share
    // more players with the pick than the player's other plays do on average?
    let (mut better, mut worse, mut unexplained) = (0, 0, 0);
    for user in (0..split.train.len()).step_by(31) {
        let history = split.test_history(user);
        let mut recent: Vec<u32> = history.iter().rev().take(50).copied().collect();
        recent.sort_unstable();
        recent.dedup();
        if recent.len() < 3 {
            continue;
        }
        let pick = &engine.recommend(&history, 1)?[0];
        let Reason::BecauseYouPlayed { item: reason, .. } = pick.reason else {
            // No recent play is similar to the pick (cosine 0 or less): "popular with players".
            assert_eq!(pick.reason, Reason::Popular);
            unexplained += 1;
            continue;
        };
        assert!(
            history.contains(&reason),
            "the reason names a play of this player"
        );
        let others: Vec<usize> = recent
            .iter()
            .filter(|&&i| i != reason)
            .map(|&i| shared(i, pick.item))
            .collect();
        let mean_other = others.iter().sum::<usize>() as f64 / others.len() as f64;
        let named = shared(reason, pick.item) as f64;
        if named > mean_other {
            better += 1;
        } else if named < mean_other {
            worse += 1;
        }
    }
    println!(
        "named play shares more players with the pick: {better}, fewer: {worse}, no play named: {unexplained}"
    );
    assert!(
        better + worse > 100,
        "too few players compared: {better} + {worse}"
    );
    assert!(
        unexplained * 10 < better + worse,
        "most picks name a play: {unexplained} without one, {} with",
        better + worse
    );
    assert!(
        better >= 4 * worse,
        "the named play goes with the pick more often than the others: {better} better, {worse} worse"
    );
    Ok(())
}
