//! Tiny deterministic random numbers (no `rand` dependency): xorshift32 with a seed mixer.

/// Replacement state used when the state is zero, the one fixed point of xorshift.
const NONZERO_STATE: u32 = 0x9E37_79B9;

/// Spreads a user seed over all 32 bits (murmur3 finaliser) so that nearby seeds such as 1, 2, 3
/// give unrelated streams from the first draw on.
pub(crate) fn mix_seed(seed: u32) -> u32 {
    let mut x = seed;
    x ^= x >> 16;
    x = x.wrapping_mul(0x85EB_CA6B);
    x ^= x >> 13;
    x = x.wrapping_mul(0xC2B2_AE35);
    x ^= x >> 16;
    if x == 0 { NONZERO_STATE } else { x }
}

/// Advances a xorshift32 state and returns the new value. A zero state (for example from a
/// `Default`-constructed owner) is replaced first, so the stream never gets stuck at zero.
pub(crate) fn next_u32(state: &mut u32) -> u32 {
    let mut x = if *state == 0 { NONZERO_STATE } else { *state };
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    x
}

/// Uniform number in `[0, 1)` built from the top 24 bits (exactly representable in `f32`).
pub(crate) fn next_unit(state: &mut u32) -> f32 {
    (next_u32(state) >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Uniform number in `[-1, 1)`.
pub(crate) fn next_signed_unit(state: &mut u32) -> f32 {
    next_unit(state) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_state_does_not_get_stuck_and_values_stay_in_range() {
        let mut state = 0;
        let mut seen_different = false;
        let first = next_u32(&mut state);
        for _ in 0..1000 {
            let value = next_signed_unit(&mut state);
            assert!((-1.0..1.0).contains(&value));
            seen_different |= state != first;
        }
        assert!(seen_different);
        assert_ne!(mix_seed(1), mix_seed(2));
    }
}
