//! Interaction files (`user item` lines, `SASRec`'s format) and the leave-last-out split.
//!
//! Each line holds two positive integers, a user id and an item id, and each user's lines are in
//! chronological order. Blank lines and lines starting with `#` are skipped. Ids are 1-based;
//! item id 0 is reserved for "no item" (the padding of sequence models).

use std::path::Path;

use crate::error::{DataError, RecommendError};

/// Every user's interactions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interactions {
    /// `users[u]` is the sequence of user id `u + 1` (empty for ids that never appear).
    pub users: Vec<Vec<u32>>,
    /// The largest item id seen: items are `1..=num_items`.
    pub num_items: u32,
}

impl Interactions {
    /// Reads a file of `user item` lines.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Io`] if it cannot be read, [`RecommendError::Data`] naming the line for
    /// anything malformed.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, RecommendError> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Ok(Self::parse_named(&text, &path.display().to_string())?)
    }

    /// Parses `user item` lines from a string.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the first malformed line.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        Self::parse_named(text, "<text>")
    }

    fn parse_named(text: &str, path: &str) -> Result<Self, DataError> {
        let mut data = Self::default();
        for (index, line) in text.lines().enumerate() {
            let error = |message: String| DataError {
                path: path.to_owned(),
                line: index + 1,
                message,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(user), Some(item), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(error(format!(
                    "expected two fields `user item`, found `{line}`"
                )));
            };
            let id = |field: &str, what: &str| -> Result<u32, DataError> {
                match field.parse::<u32>() {
                    Ok(0) => Err(error(format!("{what} id 0: ids start at 1"))),
                    Ok(id) if id > MAX_ID => Err(error(format!(
                        "{what} id {id} is larger than the supported {MAX_ID}"
                    ))),
                    Ok(id) => Ok(id),
                    Err(_) => Err(error(format!(
                        "{what} id `{field}` is not a positive integer"
                    ))),
                }
            };
            let user = id(user, "user")? as usize;
            let item = id(item, "item")?;
            if data.users.len() < user {
                data.users.resize_with(user, Vec::new);
            }
            data.users[user - 1].push(item);
            data.num_items = data.num_items.max(item);
        }
        Ok(data)
    }

    /// Users with at least one interaction.
    pub fn active_users(&self) -> usize {
        self.users.iter().filter(|s| !s.is_empty()).count()
    }

    /// Total interactions.
    pub fn len(&self) -> usize {
        self.users.iter().map(Vec::len).sum()
    }

    /// Whether there are no interactions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How often each item id `0..=num_items` occurs (index 0 is always 0).
    pub fn item_counts(&self) -> Vec<u32> {
        count_items(self.num_items, self.users.iter())
    }
}

/// Ids above this are refused: a typo like `1 4294967` would otherwise size a model for billions
/// of items.
pub const MAX_ID: u32 = 50_000_000;

/// How often each item `0..=num_items` occurs in `sequences`.
pub fn count_items<'a>(num_items: u32, sequences: impl Iterator<Item = &'a Vec<u32>>) -> Vec<u32> {
    let mut counts = vec![0u32; num_items as usize + 1];
    for sequence in sequences {
        for &item in sequence {
            if let Some(count) = counts.get_mut(item as usize) {
                *count += 1;
            }
        }
    }
    counts
}

/// `SASRec`'s split: for users with at least 3 interactions the last is the test item and the one
/// before it the validation item; shorter histories are all training data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveLastOut {
    /// Training sequences, one per user (same indexing as [`Interactions::users`]).
    pub train: Vec<Vec<u32>>,
    /// Each user's validation item.
    pub valid: Vec<Option<u32>>,
    /// Each user's test item.
    pub test: Vec<Option<u32>>,
    /// Items are `1..=num_items`.
    pub num_items: u32,
}

impl LeaveLastOut {
    /// Splits `data`.
    pub fn new(data: &Interactions) -> Self {
        let mut split = Self {
            train: Vec::with_capacity(data.users.len()),
            valid: Vec::with_capacity(data.users.len()),
            test: Vec::with_capacity(data.users.len()),
            num_items: data.num_items,
        };
        for sequence in &data.users {
            if sequence.len() < 3 {
                split.train.push(sequence.clone());
                split.valid.push(None);
                split.test.push(None);
            } else {
                let n = sequence.len();
                split.train.push(sequence[..n - 2].to_vec());
                split.valid.push(Some(sequence[n - 2]));
                split.test.push(Some(sequence[n - 1]));
            }
        }
        split
    }

    /// The history a model sees when it predicts user `u`'s test item: training plus validation.
    pub fn test_history(&self, user: usize) -> Vec<u32> {
        let mut history = self.train[user].clone();
        history.extend(self.valid[user]);
        history
    }

    /// The split a refit trains on, once validation has chosen the recipe: each user's
    /// validation item appended to their training items, no validation items left, the test
    /// items held out as before. A model trained on it predicts the test item from the very
    /// history [`LeaveLastOut::test_history`] gives it, having learnt from every play before
    /// it, as a model retrained on everything up to now would in a game.
    pub fn refit(&self) -> Self {
        Self {
            train: (0..self.train.len())
                .map(|u| self.test_history(u))
                .collect(),
            valid: vec![None; self.valid.len()],
            test: self.test.clone(),
            num_items: self.num_items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_users_in_order() {
        let data = Interactions::parse("1 5\n1 3\n\n# note\n2 7\n1 2\n").expect("parses");
        assert_eq!(data.users, vec![vec![5, 3, 2], vec![7]]);
        assert_eq!(data.num_items, 7);
        assert_eq!(data.len(), 4);
        assert_eq!(data.item_counts()[3], 1);
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let cases = [
            ("1 2\n1\n", 2, "two fields"),
            ("1 2\n1 2 3\n", 2, "two fields"),
            ("1 x\n", 1, "not a positive integer"),
            ("1 -4\n", 1, "not a positive integer"),
            ("0 4\n", 1, "ids start at 1"),
            ("1 2\n\n3 999999999\n", 3, "larger than"),
        ];
        for (text, line, needle) in cases {
            let error = Interactions::parse(text).expect_err(text);
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.to_string().contains(needle), "{error}");
        }
    }

    #[test]
    fn a_refit_trains_on_the_validation_items_and_still_holds_out_the_test_items() {
        let data = Interactions::parse("1 1\n1 2\n1 3\n1 4\n2 5\n2 6\n").expect("parses");
        let split = LeaveLastOut::new(&data);
        let refit = split.refit();
        assert_eq!(refit.train, vec![vec![1, 2, 3], vec![5, 6]]);
        assert_eq!(refit.valid, vec![None, None]);
        assert_eq!(refit.test, vec![Some(4), None]);
        assert_eq!(refit.num_items, 6);
        // The test item is in no refit training sequence of its user.
        for (user, test) in refit.test.iter().enumerate() {
            if let Some(test) = test {
                assert_eq!(refit.train[user], split.test_history(user));
                assert_eq!(split.test[user], Some(*test));
            }
        }
    }

    #[test]
    fn leave_last_out_holds_out_the_last_two() {
        let data = Interactions::parse("1 1\n1 2\n1 3\n1 4\n2 5\n2 6\n").expect("parses");
        let split = LeaveLastOut::new(&data);
        assert_eq!(split.train, vec![vec![1, 2], vec![5, 6]]);
        assert_eq!(split.valid, vec![Some(3), None]);
        assert_eq!(split.test, vec![Some(4), None]);
        assert_eq!(split.test_history(0), vec![1, 2, 3]);
    }
}
