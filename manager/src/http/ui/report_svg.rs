//! The compliance trend as an inline SVG line (no script; colours from CSS classes so dark mode applies),
//! with its text equivalent in `<desc>` and a `<title>` per day.

use super::svg::esc;
use crate::reports::compliance::TrendPoint;
use std::fmt::Write;

/// A 0-100 % line over the days of `points` (days without a value leave a gap).
pub fn trend_line(id: &str, title: &str, points: &[TrendPoint]) -> String {
    let (w, h, left, top) = (600.0_f64, 160.0_f64, 36.0_f64, 8.0_f64);
    let n = points.len().max(2);
    #[allow(clippy::cast_precision_loss)]
    let step = (w - left - 8.0) / (n - 1) as f64;
    let y = |p: f64| top + (100.0 - p) * (h - top - 20.0) / 100.0;
    let id = esc(id);
    let desc: Vec<String> = points
        .iter()
        .filter_map(|p| p.percent.map(|v| format!("{}: {v:.1} %", p.day)))
        .collect();
    let mut o = String::with_capacity(4096);
    let _ = write!(
        o,
        "<svg class=\"chart trend\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(&if desc.is_empty() {
            "no snapshot yet".to_owned()
        } else {
            desc.join(", ")
        })
    );
    for g in [0.0, 50.0, 100.0] {
        let _ = write!(
            o,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"axis\" x=\"0\" y=\"{:.1}\">{g:.0} %</text>",
            w - 8.0,
            y(g),
            y(g),
            y(g) + 4.0
        );
    }
    let mut path = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + step * i as f64;
        match p.percent {
            Some(v) => {
                let _ = write!(path, "{}{x:.1} {:.1} ", if pen_down { "L" } else { "M" }, y(v));
                pen_down = true;
                let _ = write!(
                    o,
                    "<circle class=\"point\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.5\"><title>{}: {v:.1} % \
                     ({} of {} hosts with data)</title></circle>",
                    y(v),
                    p.day,
                    p.counts.compliant,
                    p.counts.compliant + p.counts.noncompliant
                );
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = write!(o, "<path class=\"line\" d=\"{}\"/>", path.trim_end());
    }
    if let (Some(f), Some(l)) = (points.first(), points.last()) {
        let _ = write!(
            o,
            "<text class=\"axis\" x=\"{left}\" y=\"{h}\">{}</text><text class=\"axis\" x=\"{:.1}\" y=\"{h}\" \
             text-anchor=\"end\">{}</text>",
            f.day,
            w - 8.0,
            l.day
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::reports::compliance::Counts;

    #[test]
    fn gaps_lift_the_pen_and_values_map_to_height() {
        let p = |d: &str, v: Option<f64>| TrendPoint {
            day: d.parse().unwrap(),
            counts: Counts {
                compliant: 1,
                noncompliant: 1,
                nodata: 0,
            },
            percent: v,
        };
        let s = trend_line(
            "t",
            "Trend",
            &[
                p("2026-06-01", Some(100.0)),
                p("2026-06-02", None),
                p("2026-06-03", Some(0.0)),
            ],
        );
        assert!(s.contains("d=\"M36.0 8.0 M592.0 140.0\""), "{s}");
        assert!(s.contains("2026-06-01: 100.0 %, 2026-06-03: 0.0 %"));
        assert!(trend_line("e", "<x>", &[]).contains("no snapshot yet"));
    }
}
