//! When a temporal upscaler must throw its history away.
//!
//! The spatial path keeps no history, but it tracks these triggers already, so the temporal
//! path (history textures per view) only has to act on [`UpscaleHistory::advance`]'s answer.

use bevy::ecs::component::Component;
use bevy::math::UVec2;

use super::UpscaleMode;

/// Why the history of a view is no longer valid, in the order [`UpscaleHistory::advance`]
/// checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryReset {
    /// The view has no history yet: its first upscaled frame, or the first after the component
    /// was added again or the camera became active again.
    FirstFrame,
    /// The display viewport changed size (window resize, viewport change): history textures
    /// are recreated, so their contents are undefined.
    DisplayResized,
    /// The render resolution changed while the display did not.
    RenderResized,
    /// The [`UpscaleMode`] changed.
    ModeChanged,
    /// The game asked for it with `KanseiUpscale::reset` (a camera cut).
    CameraCut,
}

/// What a view's history was accumulated under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryKey {
    /// Display viewport size, physical pixels.
    pub display: UVec2,
    /// Render resolution, physical pixels.
    pub render: UVec2,
    /// The mode that chose the render resolution.
    pub mode: UpscaleMode,
}

/// Render-world state of one upscaled view: what its history was built under and how many
/// frames it holds. Removed with the view's other upscaler components, so a view that comes
/// back starts with [`HistoryReset::FirstFrame`].
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct UpscaleHistory {
    key: Option<HistoryKey>,
    frames: u64,
}

impl UpscaleHistory {
    /// Moves to the next frame, rendered under `key`; `camera_cut` is the component's `reset`.
    ///
    /// Returns why the history must be discarded this frame, or `None` when it can be reused.
    /// When several reasons apply, the first in [`HistoryReset`]'s order is given.
    pub fn advance(&mut self, key: HistoryKey, camera_cut: bool) -> Option<HistoryReset> {
        let reset = match self.key {
            None => Some(HistoryReset::FirstFrame),
            Some(last) if last.display != key.display => Some(HistoryReset::DisplayResized),
            Some(last) if last.render != key.render => Some(HistoryReset::RenderResized),
            Some(last) if last.mode != key.mode => Some(HistoryReset::ModeChanged),
            Some(_) if camera_cut => Some(HistoryReset::CameraCut),
            Some(_) => None,
        };
        self.key = Some(key);
        self.frames = if reset.is_some() { 1 } else { self.frames + 1 };
        reset
    }

    /// Frames accumulated since the last reset, this one included (0 before the first).
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> HistoryKey {
        HistoryKey {
            display: UVec2::new(1920, 1080),
            render: UVec2::new(960, 540),
            mode: UpscaleMode::Performance,
        }
    }

    /// A history that has seen `key()` for a few frames.
    fn settled() -> UpscaleHistory {
        let mut history = UpscaleHistory::default();
        history.advance(key(), false);
        assert_eq!(history.advance(key(), false), None);
        history
    }

    #[test]
    fn first_frame_resets() {
        let mut history = UpscaleHistory::default();
        assert_eq!(history.frames(), 0);
        assert_eq!(
            history.advance(key(), false),
            Some(HistoryReset::FirstFrame)
        );
        assert_eq!(history.frames(), 1);
        assert_eq!(history.advance(key(), false), None);
        assert_eq!(history.frames(), 2);
    }

    #[test]
    fn display_resize_resets() {
        let mut history = settled();
        let resized = HistoryKey {
            display: UVec2::new(1280, 720),
            render: UVec2::new(640, 360),
            ..key()
        };
        assert_eq!(
            history.advance(resized, false),
            Some(HistoryReset::DisplayResized)
        );
        assert_eq!(history.frames(), 1);
        assert_eq!(history.advance(resized, false), None);
    }

    #[test]
    fn render_resize_resets() {
        let mut history = settled();
        let smaller = HistoryKey {
            render: UVec2::new(640, 360),
            ..key()
        };
        assert_eq!(
            history.advance(smaller, false),
            Some(HistoryReset::RenderResized)
        );
        assert_eq!(history.advance(smaller, false), None);
    }

    #[test]
    fn mode_change_resets_even_at_the_same_size() {
        let mut history = settled();
        let custom = HistoryKey {
            mode: UpscaleMode::Custom(2.0),
            ..key()
        };
        assert_eq!(
            history.advance(custom, false),
            Some(HistoryReset::ModeChanged)
        );
        assert_eq!(history.advance(custom, false), None);
    }

    #[test]
    fn camera_cut_resets_for_exactly_the_frame_it_is_set() {
        let mut history = settled();
        assert_eq!(history.advance(key(), true), Some(HistoryReset::CameraCut));
        assert_eq!(history.frames(), 1);
        assert_eq!(history.advance(key(), false), None);
        assert_eq!(history.frames(), 2);
    }

    #[test]
    fn the_first_applicable_reason_is_reported() {
        let mut history = settled();
        let everything = HistoryKey {
            display: UVec2::new(800, 600),
            render: UVec2::new(400, 300),
            mode: UpscaleMode::Quality,
        };
        assert_eq!(
            history.advance(everything, true),
            Some(HistoryReset::DisplayResized)
        );
        let mut fresh = UpscaleHistory::default();
        assert_eq!(fresh.advance(key(), true), Some(HistoryReset::FirstFrame));
    }
}
