//! [`ProfileStore`]: player profiles as versioned RON files in a folder the game chooses,
//! written atomically and loaded with validation.
//!
//! - **Atomic writes**: a profile is written to `<id>.ron.tmp`, flushed to disk, then renamed
//!   over `<id>.ron`. A crash mid-write leaves the previous file intact (and at worst a stale
//!   `.tmp`, which the next save replaces).
//! - **Nothing silently discarded**: a file that does not parse, fails validation, or was
//!   written by a newer version is renamed aside (`<id>.corrupt-<unix seconds>.ron` or
//!   `<id>.v<version>-<unix seconds>.ron`), reported in [`Loaded::issue`], and play goes on
//!   with a fresh profile.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{PROFILE_VERSION, PlayerProfile};

/// Longest player id accepted (it is a file name).
pub const MAX_PLAYER_ID_LEN: usize = 64;

/// Why a profile could not be loaded or saved at all.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The id is empty, too long, or holds characters other than ASCII letters, digits, `-`
    /// and `_` (it becomes a file name).
    #[error("player id {0:?} must be 1 to 64 ASCII letters, digits, '-' or '_'")]
    BadPlayerId(String),
    /// The folder or a file could not be read, written or renamed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The profile could not be encoded (a bug, not bad data).
    #[error("cannot encode the profile of {player}: {message}")]
    Encode {
        /// The player id.
        player: String,
        /// The encoder's message.
        message: String,
    },
}

/// What [`ProfileStore::load`] found wrong with a saved profile that it set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadIssue {
    /// What was wrong, in words.
    pub reason: String,
    /// Where the file now is.
    pub backup: PathBuf,
}

/// A loaded (or fresh) profile, and what was wrong with the file if anything was.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The profile to play with.
    pub profile: PlayerProfile,
    /// Set when the saved file was unusable and was set aside; the profile is then fresh.
    pub issue: Option<LoadIssue>,
}

/// Player profiles in one folder, one file per player.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
}

impl ProfileStore {
    /// A store in `dir`, created if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            action: "create the profile folder",
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    /// The file `player_id`'s profile lives in.
    pub fn path(&self, player_id: &str) -> Result<PathBuf, StoreError> {
        check_id(player_id)?;
        Ok(self.dir.join(format!("{player_id}.ron")))
    }

    /// Loads `player_id`'s profile: a fresh one when there is no file, the saved one when it is
    /// valid, and a fresh one plus a [`LoadIssue`] when the file was unusable (it is kept aside,
    /// see the [module docs](self)).
    pub fn load(&self, player_id: &str) -> Result<Loaded, StoreError> {
        let path = self.path(player_id)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    profile: PlayerProfile::new(player_id),
                    issue: None,
                });
            }
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let problem = match parse(&text, player_id) {
            Ok(profile) => {
                return Ok(Loaded {
                    profile,
                    issue: None,
                });
            }
            Err(problem) => problem,
        };
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let backup = match &problem {
            Problem::Newer(version) => self.dir.join(format!("{player_id}.v{version}-{stamp}.ron")),
            Problem::Corrupt(_) => self.dir.join(format!("{player_id}.corrupt-{stamp}.ron")),
        };
        std::fs::rename(&path, &backup).map_err(|source| StoreError::Io {
            action: "set aside the unusable profile",
            path: path.clone(),
            source,
        })?;
        let reason = match problem {
            Problem::Newer(version) => format!(
                "written by a newer version of the game (profile version {version}, this build \
                 reads up to {PROFILE_VERSION})"
            ),
            Problem::Corrupt(why) => format!("unreadable: {why}"),
        };
        Ok(Loaded {
            profile: PlayerProfile::new(player_id),
            issue: Some(LoadIssue { reason, backup }),
        })
    }

    /// Saves `profile` atomically (see the [module docs](self)).
    pub fn save(&self, profile: &PlayerProfile) -> Result<PathBuf, StoreError> {
        let path = self.path(&profile.player_id)?;
        let config = ron::ser::PrettyConfig::new().struct_names(true);
        let text = ron::ser::to_string_pretty(profile, config).map_err(|e| StoreError::Encode {
            player: profile.player_id.clone(),
            message: e.to_string(),
        })?;
        let temporary = path.with_extension("ron.tmp");
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = std::fs::File::create(&temporary).map_err(io("create", &temporary))?;
        file.write_all(text.as_bytes())
            .map_err(io("write", &temporary))?;
        // On disk before the rename makes it the profile: a crash after the rename must not
        // leave an empty file behind it.
        file.sync_all().map_err(io("flush", &temporary))?;
        drop(file);
        std::fs::rename(&temporary, &path).map_err(io("rename", &temporary))?;
        Ok(path)
    }
}

impl ProfileStore {
    /// Forgets `player_id` on disk: deletes their profile, every copy of it set aside by
    /// [`load`](Self::load) (`<id>.corrupt-*.ron`, `<id>.v*-*.ron`) and any unfinished
    /// `<id>.ron.tmp`. Returns the files deleted. The game should also drop the profile it holds
    /// in memory.
    pub fn forget(&self, player_id: &str) -> Result<Vec<PathBuf>, StoreError> {
        let profile = self.path(player_id)?;
        let entries = std::fs::read_dir(&self.dir).map_err(|source| StoreError::Io {
            action: "list the profile folder",
            path: self.dir.clone(),
            source,
        })?;
        let corrupt = format!("{player_id}.corrupt-");
        let newer = format!("{player_id}.v");
        let mut deleted = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let set_aside =
                (name.starts_with(&corrupt) || name.starts_with(&newer)) && name.ends_with(".ron");
            let ours = name == format!("{player_id}.ron")
                || name == format!("{player_id}.ron.tmp")
                || set_aside;
            if !ours {
                continue;
            }
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|source| StoreError::Io {
                action: "delete",
                path: path.clone(),
                source,
            })?;
            deleted.push(path);
        }
        debug_assert!(!profile.exists());
        deleted.sort();
        Ok(deleted)
    }
}

/// Why a saved profile is unusable.
enum Problem {
    /// Written by a newer version.
    Newer(u32),
    /// Does not parse, or fails validation.
    Corrupt(String),
}

fn parse(text: &str, player_id: &str) -> Result<PlayerProfile, Problem> {
    // The version first, read from the text, so that a newer file whose other fields changed
    // shape is recognised as newer rather than as corrupt.
    if let Some(version) = declared_version(text)
        && version > PROFILE_VERSION
    {
        return Err(Problem::Newer(version));
    }
    let profile: PlayerProfile =
        ron::from_str(text).map_err(|e| Problem::Corrupt(e.to_string()))?;
    if profile.player_id != player_id {
        return Err(Problem::Corrupt(format!(
            "the file is {:?}'s profile",
            profile.player_id
        )));
    }
    profile.check().map_err(Problem::Corrupt)?;
    Ok(profile)
}

/// The number after the first `version:` in a profile's text, if there is one.
fn declared_version(text: &str) -> Option<u32> {
    let start = text.find("version:")? + "version:".len();
    let digits: String = text[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn check_id(player_id: &str) -> Result<(), StoreError> {
    let ok = !player_id.is_empty()
        && player_id.len() <= MAX_PLAYER_ID_LEN
        && player_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadPlayerId(player_id.to_owned()))
    }
}
