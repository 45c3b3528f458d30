//! Behaviour assets: RON files through Bevy's asset server (hot reloaded with Bevy's
//! `file_watcher` feature), or behaviours written in Rust.

use std::sync::Arc;

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext};
use bevy::prelude::*;

use crate::decision::{Behaviour, BehaviourDef, BehaviourError};

/// A compiled behaviour (behaviour tree, utility selector, or both), shared by every NPC that
/// uses it.
#[derive(Asset, TypePath, Clone, Debug)]
pub struct BehaviourAsset {
    /// The compiled behaviour.
    pub behaviour: Arc<Behaviour>,
}

impl BehaviourAsset {
    /// Compiles a behaviour written in Rust.
    pub fn from_def(def: &BehaviourDef) -> Result<Self, BehaviourError> {
        Ok(Self {
            behaviour: Arc::new(Behaviour::compile(def)?),
        })
    }

    /// Compiles a behaviour from RON text (the format of `*.behaviour.ron` files).
    pub fn from_ron(text: &str) -> Result<Self, BehaviourError> {
        Ok(Self {
            behaviour: Arc::new(Behaviour::from_ron(text)?),
        })
    }
}

/// Why a behaviour file could not be loaded; its message names the file, line and column.
#[derive(Debug, thiserror::Error)]
pub enum BehaviourLoadError {
    /// The file could not be read.
    #[error("could not read behaviour file {path}: {source}")]
    Io {
        /// The asset path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error("behaviour file {path} is not UTF-8 text")]
    NotUtf8 {
        /// The asset path.
        path: String,
    },
    /// The file is malformed or describes an invalid behaviour.
    #[error("behaviour file {path}, {source}")]
    Behaviour {
        /// The asset path.
        path: String,
        /// What is wrong, with the line and column.
        source: BehaviourError,
    },
}

/// Loads `*.behaviour.ron` files into [`BehaviourAsset`]s.
#[derive(Default, TypePath)]
pub struct BehaviourLoader;

impl AssetLoader for BehaviourLoader {
    type Asset = BehaviourAsset;
    type Settings = ();
    type Error = BehaviourLoadError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<BehaviourAsset, BehaviourLoadError> {
        let path = load_context.path().to_string();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| BehaviourLoadError::Io {
                path: path.clone(),
                source,
            })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| BehaviourLoadError::NotUtf8 { path: path.clone() })?;
        BehaviourAsset::from_ron(&text)
            .map_err(|source| BehaviourLoadError::Behaviour { path, source })
    }

    fn extensions(&self) -> &[&str] {
        &["behaviour.ron"]
    }
}

/// Behaviour files that failed to load, newest last, each message with the file's path, line
/// and column. NPCs using them keep their last good behaviour (or stand still if there never
/// was one).
#[derive(Resource, Clone, Debug, Default)]
pub struct BehaviourLoadErrors {
    /// The error messages, one per failed load.
    pub messages: Vec<String>,
}
