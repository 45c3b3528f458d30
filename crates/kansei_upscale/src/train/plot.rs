//! The training-curve PNG: smoothed loss against step (log scale) and, when there is
//! validation, PSNR-Y against step with the bicubic level for reference. Drawn directly into an
//! RGB buffer (axes, ticks and labels in a built-in 3x5 pixel font), no plotting library.

use std::path::Path;

use ::image::RgbImage;

use super::TrainError;

const WIDTH: u32 = 900;
const LOSS_HEIGHT: u32 = 320;
const VAL_HEIGHT: u32 = 240;
const LEFT: u32 = 80;
const RIGHT: u32 = 20;
const TOP: u32 = 30;
const BOTTOM: u32 = 40;
/// Glyph pixels are drawn as `FONT_SCALE x FONT_SCALE` squares.
const FONT_SCALE: u32 = 2;

const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];
const GRID: [u8; 3] = [225, 225, 225];
const BLUE: [u8; 3] = [30, 90, 200];
const LIGHT_BLUE: [u8; 3] = [185, 205, 240];
const GREY: [u8; 3] = [130, 130, 130];

/// Draws the curves and writes them to `path` as a PNG.
///
/// `losses` are `(step, loss)` for every step taken; they are averaged over bins of steps (one
/// per horizontal pixel at most), which is the smoothing. `validation` is `(step, PSNR-Y)`;
/// `bicubic` the bicubic PSNR-Y of the same images. `total_steps` fixes the horizontal axis.
///
/// # Errors
///
/// [`TrainError::Write`] if the file cannot be written.
pub fn plot_training(
    path: &Path,
    losses: &[(u64, f64)],
    validation: &[(u64, f64)],
    bicubic: Option<f64>,
    total_steps: u64,
) -> Result<(), TrainError> {
    let height = LOSS_HEIGHT + if validation.is_empty() { 0 } else { VAL_HEIGHT };
    let mut canvas = Canvas {
        image: RgbImage::from_pixel(WIDTH, height, ::image::Rgb(WHITE)),
    };
    let x_max = total_steps.max(1) as f64;
    let loss_panel = Panel {
        x0: LEFT,
        y0: TOP,
        width: WIDTH - LEFT - RIGHT,
        height: LOSS_HEIGHT - TOP - BOTTOM,
        x_max,
    };
    let log10 = |points: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        points
            .into_iter()
            .filter(|(_, v)| *v > 0.0 && v.is_finite())
            .map(|(x, v)| (x, v.log10()))
            .collect()
    };
    let raw = log10(bin_means(losses, loss_panel.width as usize, x_max));
    let smoothed = log10(bin_means(
        &moving_average(losses, losses.len() / 40),
        loss_panel.width as usize,
        x_max,
    ));
    let (lo, hi) = padded_range(raw.iter().map(|p| p.1));
    canvas.text(
        LEFT,
        8,
        "TRAINING LOSS (CHARBONNIER, LOG SCALE): PER STEP (LIGHT), MOVING AVERAGE (DARK)",
        BLACK,
    );
    canvas.axes(&loss_panel, (lo, hi), |v| format_number(10f64.powf(v)));
    canvas.polyline(&loss_panel, (lo, hi), &raw, LIGHT_BLUE, false);
    canvas.polyline(&loss_panel, (lo, hi), &smoothed, BLUE, false);

    if !validation.is_empty() {
        let panel = Panel {
            x0: LEFT,
            y0: LOSS_HEIGHT + TOP,
            width: WIDTH - LEFT - RIGHT,
            height: VAL_HEIGHT - TOP - BOTTOM,
            x_max,
        };
        let points: Vec<(f64, f64)> = validation.iter().map(|&(s, v)| (s as f64, v)).collect();
        let (lo, hi) = padded_range(points.iter().map(|p| p.1).chain(bicubic));
        canvas.text(
            LEFT,
            LOSS_HEIGHT + 8,
            "VALIDATION PSNR-Y (DB): NETWORK (BLUE), BICUBIC (GREY)",
            BLACK,
        );
        canvas.axes(&panel, (lo, hi), format_number);
        if let Some(b) = bicubic {
            canvas.polyline(&panel, (lo, hi), &[(0.0, b), (x_max, b)], GREY, true);
        }
        canvas.polyline(&panel, (lo, hi), &points, BLUE, false);
        for &(x, y) in &points {
            let (px, py) = panel.map((lo, hi), x, y);
            canvas.dot(px, py, BLUE);
        }
    }
    canvas
        .image
        .save_with_format(path, ::image::ImageFormat::Png)
        .map_err(|e| TrainError::Write {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

/// Mean value per bin of steps, at most `bins` bins over `[0, x_max]`; `(bin centre, mean)`.
fn bin_means(points: &[(u64, f64)], bins: usize, x_max: f64) -> Vec<(f64, f64)> {
    let bins = bins.max(1);
    let mut sums = vec![(0.0f64, 0usize); bins];
    for &(step, value) in points {
        if value.is_finite() {
            let b = ((step as f64 / x_max) * bins as f64) as usize;
            let slot = &mut sums[b.min(bins - 1)];
            slot.0 += value;
            slot.1 += 1;
        }
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, (sum, n))| ((i as f64 + 0.5) / bins as f64 * x_max, sum / *n as f64))
        .collect()
}

/// Centred moving average over `window` points (at least 1; shorter at the ends).
fn moving_average(points: &[(u64, f64)], window: usize) -> Vec<(u64, f64)> {
    let half = window.max(1) / 2;
    let mut prefix = Vec::with_capacity(points.len() + 1);
    prefix.push(0.0);
    for &(_, v) in points {
        let last = prefix.last().copied().unwrap_or(0.0);
        prefix.push(last + if v.is_finite() { v } else { 0.0 });
    }
    (0..points.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(points.len()));
            (points[i].0, (prefix[b] - prefix[a]) / (b - a) as f64)
        })
        .collect()
}

/// The range of `values` with 5 % headroom on each side (a unit range around a single value).
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// A short label for an axis value: `12k`, `1.5M`, `0.0123`, `36.21`.
fn format_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}K", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 1e-3 || a == 0.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.1e}")
    }
}

/// A plotting area in pixels, and the step axis it spans (`0 ..= x_max`).
struct Panel {
    x0: u32,
    y0: u32,
    width: u32,
    height: u32,
    x_max: f64,
}

impl Panel {
    /// Pixel position of data point `(x, y)` for a value range `(lo, hi)`.
    fn map(&self, (lo, hi): (f64, f64), x: f64, y: f64) -> (i64, i64) {
        let px = f64::from(self.x0) + (x / self.x_max).clamp(0.0, 1.0) * f64::from(self.width);
        let t = ((y - lo) / (hi - lo)).clamp(0.0, 1.0);
        let py = f64::from(self.y0) + (1.0 - t) * f64::from(self.height);
        (px.round() as i64, py.round() as i64)
    }
}

struct Canvas {
    image: RgbImage,
}

impl Canvas {
    fn put(&mut self, x: i64, y: i64, color: [u8; 3]) {
        if x >= 0
            && y >= 0
            && x < i64::from(self.image.width())
            && y < i64::from(self.image.height())
        {
            self.image
                .put_pixel(x as u32, y as u32, ::image::Rgb(color));
        }
    }

    fn dot(&mut self, x: i64, y: i64, color: [u8; 3]) {
        for dy in -2..=2 {
            for dx in -2..=2 {
                self.put(x + dx, y + dy, color);
            }
        }
    }

    /// A line from `a` to `b` (Bresenham), 2 pixels thick; every other 6 pixels when `dashed`.
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: [u8; 3], dashed: bool) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err, mut n) = (x0, y0, dx + dy, 0u32);
        loop {
            if !dashed || (n / 6) % 2 == 0 {
                self.put(x, y, color);
                self.put(x, y + 1, color);
            }
            n += 1;
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn polyline(
        &mut self,
        panel: &Panel,
        range: (f64, f64),
        points: &[(f64, f64)],
        color: [u8; 3],
        dashed: bool,
    ) {
        for pair in points.windows(2) {
            let a = panel.map(range, pair[0].0, pair[0].1);
            let b = panel.map(range, pair[1].0, pair[1].1);
            self.line(a, b, color, dashed);
        }
    }

    /// Frame, grid lines, and 5 labelled ticks on each axis.
    fn axes(&mut self, panel: &Panel, (lo, hi): (f64, f64), label: impl Fn(f64) -> String) {
        let (x0, y0) = (i64::from(panel.x0), i64::from(panel.y0));
        let (x1, y1) = (x0 + i64::from(panel.width), y0 + i64::from(panel.height));
        for i in 0..=4 {
            let t = f64::from(i) / 4.0;
            // Horizontal grid line and value label.
            let y = y1 - (t * f64::from(panel.height)).round() as i64;
            self.line((x0, y), (x1, y), GRID, false);
            let text = label(lo + t * (hi - lo));
            let w = text_width(&text);
            self.text(
                (x0 as u32).saturating_sub(w + 6),
                (y - 5).max(0) as u32,
                &text,
                BLACK,
            );
            // Vertical grid line and step label.
            let x = x0 + (t * f64::from(panel.width)).round() as i64;
            self.line((x, y0), (x, y1), GRID, false);
            let step = (t * panel.x_max).round();
            let text = if step < 1e4 {
                format!("{step:.0}")
            } else {
                format_number(step)
            };
            let w = text_width(&text) as i64;
            self.text((x - w / 2).max(0) as u32, (y1 + 8) as u32, &text, BLACK);
        }
        self.line((x0, y0), (x0, y1), BLACK, false);
        self.line((x0, y1), (x1, y1), BLACK, false);
        self.text(
            (x1 as u32).saturating_sub(text_width("STEP")),
            (y1 + 22) as u32,
            "STEP",
            BLACK,
        );
    }

    fn text(&mut self, x: u32, y: u32, text: &str, color: [u8; 3]) {
        let mut cx = i64::from(x);
        for ch in text.chars() {
            let rows = glyph(ch.to_ascii_uppercase());
            for (ry, row) in rows.iter().enumerate() {
                for rx in 0..3 {
                    if row & (0b100 >> rx) != 0 {
                        for sy in 0..FONT_SCALE {
                            for sx in 0..FONT_SCALE {
                                self.put(
                                    cx + i64::from(rx as u32 * FONT_SCALE + sx),
                                    i64::from(y + ry as u32 * FONT_SCALE + sy),
                                    color,
                                );
                            }
                        }
                    }
                }
            }
            cx += i64::from(4 * FONT_SCALE);
        }
    }
}

fn text_width(text: &str) -> u32 {
    text.chars().count() as u32 * 4 * FONT_SCALE
}

/// A 3x5 glyph, one row per entry, bit 2 leftmost. Unknown characters are blank.
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        ',' => [0b000, 0b000, 0b000, 0b010, 0b100],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        '(' => [0b010, 0b100, 0b100, 0b100, 0b010],
        ')' => [0b010, 0b001, 0b001, 0b001, 0b010],
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'B' => [0b110, 0b101, 0b110, 0b101, 0b110],
        'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
        'D' => [0b110, 0b101, 0b101, 0b101, 0b110],
        'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
        'F' => [0b111, 0b100, 0b110, 0b100, 0b100],
        'G' => [0b011, 0b100, 0b101, 0b101, 0b011],
        'H' => [0b101, 0b101, 0b111, 0b101, 0b101],
        'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
        'K' => [0b101, 0b101, 0b110, 0b101, 0b101],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
        'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
        'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
        'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
        'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
        'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
        'V' => [0b101, 0b101, 0b101, 0b101, 0b010],
        'W' => [0b101, 0b101, 0b111, 0b111, 0b101],
        'X' => [0b101, 0b101, 0b010, 0b101, 0b101],
        'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
        _ => [0; 5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_average_their_steps() {
        let points: Vec<(u64, f64)> = (0..10).map(|s| (s, s as f64)).collect();
        let bins = bin_means(&points, 2, 10.0);
        assert_eq!(bins, [(2.5, 2.0), (7.5, 7.0)]);
    }

    #[test]
    fn moving_average_is_centred() {
        let points: Vec<(u64, f64)> = (0..5).map(|s| (s, s as f64)).collect();
        let avg = moving_average(&points, 3);
        assert_eq!(avg, [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (4, 3.5)]);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(format_number(12_000.0), "12K");
        assert_eq!(format_number(36.214), "36.21");
        assert_eq!(format_number(0.01234), "0.0123");
        assert_eq!(format_number(0.0), "0.0000");
    }
}
