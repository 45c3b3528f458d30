//! The history's colour and confidence encodings and the `YCoCg` transform, the CPU twins of the
//! functions of the same names in `shaders/temporal_resolve.wgsl`.

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

/// The history alpha holding `confidence`, in steps of `1 / CONFIDENCE_STEPS`.
pub fn encode_confidence(confidence: f32) -> f32 {
    (confidence * CONFIDENCE_STEPS + 0.5).floor() / 255.0
}

/// The confidence an (interpolated) history alpha stands for, rounded to a whole step.
pub fn decode_confidence(alpha: f32) -> f32 {
    (alpha * 255.0 + 0.5).floor() / CONFIDENCE_STEPS
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
        for k in 0..=255_u8 {
            let confidence = f32::from(k) / CONFIDENCE_STEPS;
            assert_eq!(decode_confidence(encode_confidence(confidence)), confidence);
        }
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
