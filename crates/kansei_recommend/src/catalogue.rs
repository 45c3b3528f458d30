//! The catalogue: what can be recommended, with names and optional tags, from RON.
//!
//! ```ron
//! (
//!     items: [
//!         (id: 1, name: "Lumen Drift", tags: ["racing", "arcade"]),
//!         (id: 2, name: "Hollow Keep", tags: ["rpg"], metadata: {"year": "2024"}),
//!     ],
//! )
//! ```
//!
//! Ids are the ones the interaction data and the models use (`1..`); they need not be
//! contiguous. A catalogue for data that comes without metadata is [`Catalogue::numbered`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::MAX_ID;
use crate::error::RecommendError;

/// One recommendable item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItem {
    /// Id in the interaction data and the models, `1..`.
    pub id: u32,
    /// What players see.
    pub name: String,
    /// Genres or other tags, used for cold-start picks and shown with reasons.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How often the item was played in the data the model was trained on (its popularity):
    /// cold-start picks and the long-tail re-ranker use it. `kansei recommend train` fills it.
    #[serde(default)]
    pub plays: u32,
    /// Anything else the game wants to keep with the item.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The file's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    items: Vec<CatalogueItem>,
}

/// Every recommendable item, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    items: Vec<CatalogueItem>,
    index: HashMap<u32, usize>,
    max_id: u32,
}

impl Catalogue {
    /// Builds a catalogue, checking that ids are unique, in `1..=50,000,000`, and named.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Invalid`] naming the first bad item.
    pub fn new(items: Vec<CatalogueItem>) -> Result<Self, RecommendError> {
        let mut index = HashMap::with_capacity(items.len());
        let mut max_id = 0;
        for (position, item) in items.iter().enumerate() {
            let bad = |why: &str| {
                Err(RecommendError::Invalid(format!(
                    "catalogue item {position} (id {}): {why}",
                    item.id
                )))
            };
            if item.id == 0 || item.id > MAX_ID {
                return bad(&format!("ids must be in 1..={MAX_ID}"));
            }
            if item.name.trim().is_empty() {
                return bad("the name is empty");
            }
            if let Some(first) = index.insert(item.id, position) {
                return bad(&format!("the id is also used by item {first}"));
            }
            max_id = max_id.max(item.id);
        }
        Ok(Self {
            items,
            index,
            max_id,
        })
    }

    /// Items `1..=count` named "Item 1", "Item 2", ... without tags: the catalogue of an
    /// interaction file without metadata.
    pub fn numbered(count: u32) -> Self {
        let items = (1..=count)
            .map(|id| CatalogueItem {
                id,
                name: format!("Item {id}"),
                tags: Vec::new(),
                plays: 0,
                metadata: BTreeMap::new(),
            })
            .collect();
        Self::new(items).unwrap_or_default()
    }

    /// Parses a catalogue from RON text.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Invalid`] with the line and column of a syntax error, or naming a bad
    /// item.
    pub fn from_ron(text: &str) -> Result<Self, RecommendError> {
        let file: CatalogueFile = ron::from_str(text)
            .map_err(|error| RecommendError::Invalid(format!("catalogue: {error}")))?;
        Self::new(file.items)
    }

    /// Reads a catalogue file.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Io`] if it cannot be read, otherwise as [`Catalogue::from_ron`] with the
    /// path in the message.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, RecommendError> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_ron(&text).map_err(|error| match error {
            RecommendError::Invalid(message) => {
                RecommendError::Invalid(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// The catalogue as RON.
    ///
    /// # Errors
    ///
    /// If RON serialisation fails.
    pub fn to_ron(&self) -> Result<String, RecommendError> {
        let file = CatalogueFile {
            items: self.items.clone(),
        };
        // One line per item: a 25,000-item catalogue stays readable and a third the size.
        ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default().depth_limit(2))
            .map_err(|error| RecommendError::Invalid(format!("catalogue: {error}")))
    }

    /// The item with this id.
    pub fn get(&self, id: u32) -> Option<&CatalogueItem> {
        self.index.get(&id).map(|&i| &self.items[i])
    }

    /// The item with this id, or [`RecommendError::UnknownItem`].
    ///
    /// # Errors
    ///
    /// For an id the catalogue does not hold.
    pub fn item(&self, id: u32) -> Result<&CatalogueItem, RecommendError> {
        self.get(id).ok_or(RecommendError::UnknownItem {
            id,
            num_items: self.max_id,
        })
    }

    /// Whether the catalogue holds `id`.
    pub fn contains(&self, id: u32) -> bool {
        self.index.contains_key(&id)
    }

    /// The items, in file order.
    pub fn items(&self) -> &[CatalogueItem] {
        &self.items
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sets every item's [`plays`](CatalogueItem::plays) from `counts` (`counts[id]`; ids past
    /// its end get 0).
    pub fn set_plays(&mut self, counts: &[u32]) {
        for item in &mut self.items {
            item.plays = counts.get(item.id as usize).copied().unwrap_or(0);
        }
    }

    /// Plays per id `0..=max_id()` (0 for ids the catalogue does not hold), as the re-ranker
    /// and the popularity model take them.
    pub fn play_counts(&self) -> Vec<u32> {
        let mut counts = vec![0; self.max_id as usize + 1];
        for item in &self.items {
            counts[item.id as usize] = item.plays;
        }
        counts
    }

    /// The largest id: models for this catalogue score ids `1..=max_id()`.
    pub fn max_id(&self) -> u32 {
        self.max_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let text = r#"(items: [
            (id: 1, name: "Lumen Drift", tags: ["racing"]),
            (id: 4, name: "Hollow Keep", metadata: {"year": "2024"}),
        ])"#;
        let catalogue = Catalogue::from_ron(text).expect("parses");
        assert_eq!(catalogue.len(), 2);
        assert_eq!(catalogue.max_id(), 4);
        assert_eq!(
            catalogue.item(4).map(|i| i.name.as_str()).ok(),
            Some("Hollow Keep")
        );
        assert!(catalogue.get(2).is_none());
        let again = Catalogue::from_ron(&catalogue.to_ron().expect("writes")).expect("parses");
        assert_eq!(again, catalogue);
    }

    #[test]
    fn bad_catalogues_are_explained() {
        let cases = [
            (
                "(items: [(id: 1, name: \"a\"), (id: 1, name: \"b\")])",
                "also used by item 0",
            ),
            ("(items: [(id: 0, name: \"a\")])", "ids must be in"),
            ("(items: [(id: 2, name: \" \")])", "name is empty"),
            ("(items: [(id: 2, name: \"a\", colour: 3)])", "colour"),
            ("(items: [(id: 2 name: \"a\")])", "1:"),
        ];
        for (text, needle) in cases {
            let error = Catalogue::from_ron(text).expect_err(text).to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
        assert!(matches!(
            Catalogue::numbered(3).item(9),
            Err(RecommendError::UnknownItem { id: 9, .. })
        ));
    }
}
