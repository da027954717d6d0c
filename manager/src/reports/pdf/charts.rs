//! Vector charts for the PDFs (lines drawn by genpdf, no raster): a 0-100 % trend line and horizontal bars.

use genpdf::error::Error;
use genpdf::render::Area;
use genpdf::style::{Color, Style};
use genpdf::{Context, Element, Mm, Position, RenderResult, Size};

const GRID: Color = Color::Greyscale(190);
const INK: Color = Color::Rgb(26, 127, 55);

fn text(ctx: &Context, area: &Area<'_>, x: f64, y: f64, s: &str) -> Result<(), Error> {
    area.print_str(
        &ctx.font_cache,
        Position::new(Mm::from(x), Mm::from(y)),
        Style::new().with_font_size(7),
        s,
    )?;
    Ok(())
}

fn line(area: &Area<'_>, pts: &[(f64, f64)], color: Color) {
    let p = pts
        .iter()
        .map(|(x, y)| Position::new(Mm::from(*x), Mm::from(*y)))
        .collect();
    area.draw_line(p, Style::new().with_color(color));
}

/// Compliance per day: `None` leaves a gap.
pub struct TrendChart {
    /// Values 0-100 per day, oldest first.
    pub values: Vec<Option<f64>>,
    /// Labels under the first and last day.
    pub first: String,
    /// See `first`.
    pub last: String,
}

fn fits(area: &Area<'_>, h: f64) -> bool {
    f64::from(area.size().height) >= h
}

impl Element for TrendChart {
    fn render(&mut self, ctx: &Context, area: Area<'_>, _: Style) -> Result<RenderResult, Error> {
        let (h, left) = (60.0, 14.0);
        if !fits(&area, h + 6.0) {
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: true,
            });
        }
        let w = f64::from(area.size().width) - left - 2.0;
        let y = |v: f64| 2.0 + (100.0 - v) * (h - 4.0) / 100.0;
        for g in [0.0, 50.0, 100.0] {
            line(&area, &[(left, y(g)), (left + w, y(g))], GRID);
            text(ctx, &area, 0.0, y(g) - 1.5, &format!("{g:.0} %"))?;
        }
        #[allow(clippy::cast_precision_loss)]
        let step = w / (self.values.len().max(2) - 1) as f64;
        let mut seg: Vec<(f64, f64)> = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let x = left + step * i as f64;
            match v {
                Some(v) => {
                    seg.push((x, y(*v)));
                    // A small cross marks each day's value (a lone day stays visible).
                    line(&area, &[(x - 0.8, y(*v)), (x + 0.8, y(*v))], INK);
                    line(&area, &[(x, y(*v) - 0.8), (x, y(*v) + 0.8)], INK);
                }
                None => {
                    if seg.len() > 1 {
                        line(&area, &seg, INK);
                    }
                    seg.clear();
                }
            }
        }
        if seg.len() > 1 {
            line(&area, &seg, INK);
        }
        text(ctx, &area, left, h, &self.first)?;
        text(ctx, &area, left + w - 16.0, h, &self.last)?;
        Ok(RenderResult {
            size: Size::new(area.size().width, Mm::from(h + 6.0)),
            has_more: false,
        })
    }
}

/// Horizontal bars, each `(label, value, shown text)`, scaled to `max`.
pub struct Bars {
    /// The bars.
    pub bars: Vec<(String, f64, String)>,
    /// The value of a full-width bar.
    pub max: f64,
    /// Bar colour.
    pub color: Color,
}

impl Element for Bars {
    fn render(&mut self, ctx: &Context, area: Area<'_>, _: Style) -> Result<RenderResult, Error> {
        let (row, label_w) = (6.0, 45.0);
        #[allow(clippy::cast_precision_loss)]
        let h = row * self.bars.len().max(1) as f64;
        if !fits(&area, h) {
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: true,
            });
        }
        let full = f64::from(area.size().width) - label_w - 25.0;
        for (i, (label, v, shown)) in self.bars.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let top = row * i as f64;
            text(ctx, &area, 0.0, top, &super::fit(label, 28))?;
            let len = if self.max > 0.0 {
                (v / self.max).clamp(0.0, 1.0) * full
            } else {
                0.0
            };
            // A filled bar as close strokes (vector, no fill operator needed).
            let mut k = 0.0;
            while k <= 3.6 && len > 0.0 {
                line(
                    &area,
                    &[(label_w, top + 1.0 + k), (label_w + len, top + 1.0 + k)],
                    self.color,
                );
                k += 0.3;
            }
            text(ctx, &area, label_w + len + 2.0, top, shown)?;
        }
        Ok(RenderResult {
            size: Size::new(area.size().width, Mm::from(h)),
            has_more: false,
        })
    }
}
