//! The history's colour, confidence and depth encodings, the `YCoCg` transform and the history's
//! Catmull-Rom weights: the CPU twins of the functions of the same names in
//! `shaders/temporal_resolve.wgsl` and `shaders/temporal_depth_history.wgsl`.

use super::params::{COLOR_MAX, CONFIDENCE_STEPS};

/// Encodes one linear colour channel for the `rgba8unorm` history: `sqrt(c / (1 + c))` of `c`
/// clamped to `[0, COLOR_MAX]`, quantised to `k / 255`.
///
/// `c / (1 + c)` is an invertible tone curve that maps all of HDR into `[0, 1)`, and the square
/// root spends the 8 bits roughly as sRGB does, where the eye sees steps. Quantising here rather
/// than in the store makes the stored value exact on every device (a unorm store of `k / 255`
/// cannot round differently).
pub fn encode_channel(c: f32) -> f32 {
    let x = c.clamp(0.0, COLOR_MAX);
    ((x / (1.0 + x)).sqrt() * 255.0 + 0.5).floor() / 255.0
}

/// Inverts [`encode_channel`] (up to its quantisation): `e^2 / (1 - e^2)`, the denominator
/// kept at least `1 / 256` so that `e = 1` stays finite.
pub fn decode_channel(e: f32) -> f32 {
    let y = e * e;
    y / (1.0 - y).max(1.0 / 256.0)
}

/// The history alpha holding `confidence` in steps of `1 / CONFIDENCE_STEPS` in its upper 7
/// bits (at most 127 steps) and `disagreed` in its lowest: whether the pixel's static clip test
/// disagreed in the frame that wrote it ([`DISAGREEMENT_PERSISTS`](super::params::DISAGREEMENT_PERSISTS)).
pub fn encode_confidence(confidence: f32, disagreed: bool) -> f32 {
    let steps = (confidence * CONFIDENCE_STEPS + 0.5).floor().min(127.0);
    (2.0 * steps + if disagreed { 1.0 } else { 0.0 }) / 255.0
}

/// The confidence a history alpha holds (see [`encode_confidence`]), also between texels: the
/// interpolated code `2 k + f` (`f` the interpolated flags, 0 to 1) halved, a quarter step below
/// rounding, so that on a texel centre it is exactly `k / CONFIDENCE_STEPS` whatever the flag.
pub fn decode_confidence(alpha: f32) -> f32 {
    (alpha * 127.5 + 0.25).floor() / CONFIDENCE_STEPS
}

/// Whether a history alpha says the pixel's static clip test disagreed (see
/// [`encode_confidence`]).
pub fn decode_disagreed(alpha: f32) -> bool {
    ((alpha * 255.0 + 0.5).floor() as u32) & 1 == 1
}

/// The depth history's bit marking a 3x3 in which something moved (`MOVED_BIT` in the shaders).
const MOVED_BIT: u32 = 0x8000_0000;

/// One depth history texel as `temporal_depth_history.wgsl` stores it: the closest depth in
/// bits 0-14 and the farthest in bits 15-29, each as a 15-bit float (its `f32` bits from 15 up:
/// the whole exponent and the top 8 bits of the mantissa, truncated, exact for depths in
/// `[0, 2)`), and bit 31 set when `moved`. A negative `farthest` is stored as 0.
pub fn pack_depth_pair(closest: f32, farthest: f32, moved: bool) -> u32 {
    let code = |depth: f32| depth.to_bits() >> 15;
    code(closest) | (code(farthest.max(0.0)) << 15) | if moved { MOVED_BIT } else { 0 }
}

/// Inverts [`pack_depth_pair`] (up to its truncation): `(closest, farthest, moved)`.
pub fn unpack_depth_pair(packed: u32) -> (f32, f32, bool) {
    (
        f32::from_bits((packed & 0x7fff) << 15),
        f32::from_bits(packed & 0x3fff_8000),
        packed & MOVED_BIT != 0,
    )
}

/// The Catmull-Rom (Keys, `a = -0.5`) weights of the texels at -1, 0, 1 and 2 from a position
/// `t` in `[0, 1)` past texel 0: [`keys_weight`](crate::resample::keys_weight) at `1 + t`,
/// `t`, `1 - t` and `2 - t`, written as polynomials in `t` as the shader evaluates them. They
/// sum to 1.
pub fn catmull_rom_weights(t: f32) -> [f32; 4] {
    let t2 = t * t;
    [
        t * (t * (1.0 - 0.5 * t) - 0.5),
        t2 * (1.5 * t - 2.5) + 1.0,
        t * (t * (2.0 - 1.5 * t) + 0.5),
        t2 * (0.5 * t - 0.5),
    ]
}

/// RGB to `YCoCg` (luma, orange and green chroma), in which the neighbourhood's box is built.
pub fn rgb_to_ycocg(c: [f32; 3]) -> [f32; 3] {
    [
        0.25 * c[0] + 0.5 * c[1] + 0.25 * c[2],
        0.5 * c[0] - 0.5 * c[2],
        -0.25 * c[0] + 0.5 * c[1] - 0.25 * c[2],
    ]
}

/// Inverts [`rgb_to_ycocg`].
pub fn ycocg_to_rgb(c: [f32; 3]) -> [f32; 3] {
    [c[0] + c[1] - c[2], c[0] + c[2], c[0] - c[1] - c[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_round_trips_within_one_step() {
        for i in 0..=400 {
            let c = i as f32 * 0.01;
            let back = decode_channel(encode_channel(c));
            // One step of e is 1/255 and dc/de = 2e (1 + c)^2; half a step, plus the curvature over it.
            let step = 2.0 * (c / (1.0 + c)).sqrt() * (1.0 + c).powi(2) / 255.0;
            assert!((back - c).abs() <= 0.6 * step + 1e-6, "{c}: {back}");
        }
        assert_eq!(encode_channel(-1.0), 0.0);
        assert!(decode_channel(encode_channel(1e9)).is_finite());
    }

    #[test]
    fn confidence_round_trips_exactly() {
        for k in 0..=127_u8 {
            let confidence = f32::from(k) / CONFIDENCE_STEPS;
            for disagreed in [false, true] {
                let alpha = encode_confidence(confidence, disagreed);
                assert_eq!(decode_confidence(alpha), confidence);
                assert_eq!(decode_disagreed(alpha), disagreed);
            }
        }
    }

    #[test]
    fn catmull_rom_weights_are_keys_and_sum_to_one() {
        use crate::resample::keys_weight;
        for k in 0..64 {
            let t = k as f32 / 64.0;
            let w = catmull_rom_weights(t);
            let keys = [1.0 + t, t, 1.0 - t, 2.0 - t].map(keys_weight);
            for i in 0..4 {
                assert!((w[i] - keys[i]).abs() < 1e-6, "t {t}: {w:?} vs {keys:?}");
            }
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn depth_pairs_round_trip_to_eight_mantissa_bits() {
        for (closest, farthest, moved) in [
            (1.0, 0.0, false),
            (0.5, 0.25, true),
            (0.012_345, 0.000_1, false),
            (1e-9, 3e-30, true),
            (0.0, 0.0, true),
        ] {
            let (c, f, m) = unpack_depth_pair(pack_depth_pair(closest, farthest, moved));
            assert_eq!(m, moved);
            // Truncated to 9 significant bits: never above, at most 2^-8 of the value below.
            for (back, value) in [(c, closest), (f, farthest)] {
                assert!(
                    back <= value && value - back <= value * 2.0_f32.powi(-8),
                    "{value}: {back}"
                );
            }
        }
        // The flag never leaks into the farthest depth.
        let (_, farthest, _) = unpack_depth_pair(pack_depth_pair(0.3, 0.7, true));
        assert!((farthest - 0.7).abs() < 1e-3);
    }

    #[test]
    fn ycocg_round_trips() {
        let c = [0.3, 0.9, 0.1];
        let back = ycocg_to_rgb(rgb_to_ycocg(c));
        for k in 0..3 {
            assert!((back[k] - c[k]).abs() < 1e-6);
        }
    }
}
