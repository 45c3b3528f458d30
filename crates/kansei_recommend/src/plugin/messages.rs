//! The messages the game and the plugin exchange.

use bevy::prelude::*;

use crate::engine::Recommendation;

/// The local player played catalogue item `0` (write one per play, e.g. when a game is
/// launched from the library screen).
///
/// Recorded in the player's profile only while they consent to personalisation. An id the
/// catalogue does not hold is ignored: it is counted in
/// [`RecommendState::unknown_plays`](super::RecommendState::unknown_plays) and warned about
/// once.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayRecorded(pub u32);

/// The player asked to forget what they played: the plays leave the profile in memory and on
/// disk (the profile file and every copy of it set aside are rewritten or deleted at once), and
/// the recommendations go back to cold-start picks.
#[derive(Message, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForgetPlayerHistory;

/// The player switched personalisation on (`true`) or off (`false`), e.g. on the settings
/// screen. Saved in the profile's [`Consent`](kansei_player::Consent) (where the difficulty
/// plugin sees it too). Off: no play is recorded and recommendations are cold-start picks
/// (popular within [`PreferredTags`](super::PreferredTags)); the plays already recorded are
/// kept, unused, until [`ForgetPlayerHistory`].
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetPersonalisation(pub bool);

/// The recommendations changed; [`Recommendations`](super::Recommendations) already holds them.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct RecommendationsUpdated {
    /// The new top-k, best first, each with its reason.
    pub recommendations: Vec<Recommendation>,
    /// Whether they come from the player's plays (`false`: cold-start picks).
    pub personalised: bool,
}
