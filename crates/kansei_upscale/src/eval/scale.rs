//! [`Scale`]: an upscaling factor the evaluation supports.

use std::fmt;

use super::EvalError;

/// The factors evaluation and the command line accept today; the data sets ship x2, x3 and x4.
pub const SUPPORTED_SCALES: [u32; 3] = [2, 3, 4];

/// An integer upscaling factor, checked to be one of [`SUPPORTED_SCALES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scale(u32);

impl Scale {
    /// Factor 2.
    pub const X2: Self = Self(2);
    /// Factor 3.
    pub const X3: Self = Self(3);
    /// Factor 4.
    pub const X4: Self = Self(4);

    /// `factor` as a [`Scale`], or [`EvalError::UnsupportedScale`].
    pub fn new(factor: u32) -> Result<Self, EvalError> {
        if SUPPORTED_SCALES.contains(&factor) {
            Ok(Self(factor))
        } else {
            Err(EvalError::UnsupportedScale { scale: factor })
        }
    }

    /// The factor as an integer (2, 3 or 4).
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "x{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_three_and_four_are_accepted() {
        for factor in SUPPORTED_SCALES {
            assert_eq!(Scale::new(factor).map(Scale::get).ok(), Some(factor));
        }
        for factor in [0, 1, 5, 8] {
            let err = Scale::new(factor).err().map(|e| e.to_string());
            assert_eq!(
                err.as_deref(),
                Some(format!("unsupported scale {factor}: only 2, 3 and 4 are supported").as_str())
            );
        }
    }
}
