//! Inline SVG charts rendered on the server (no script, CSP-safe: no `style` attributes, colours come from
//! CSS classes so dark mode applies): a donut, horizontal bars and a day strip, each with a text
//! equivalent in `<title>`/`<desc>` and per-part `<title>` tooltips.

use std::fmt::Write;

/// One part of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// Shown name (`healthy`).
    pub label: &'a str,
    /// Count.
    pub value: i64,
    /// CSS class giving the colour (`st-healthy`, `sev-critical`, `none`).
    pub class: &'a str,
}

/// `s` escaped for SVG text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// `value` of `total` in percent (0 for an empty total).
fn share(value: i64, total: i64) -> f64 {
    if total <= 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let s = value.max(0) as f64 * 100.0 / total as f64;
    s
}

/// "healthy 3, degraded 1" — the text equivalent of a chart.
pub fn summary(parts: &[Part<'_>]) -> String {
    parts
        .iter()
        .map(|p| format!("{} {}", p.label, p.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A donut of `parts` with the total in the middle. `id` names the chart's title for `aria-labelledby`.
pub fn donut(id: &str, title: &str, parts: &[Part<'_>]) -> String {
    let total: i64 = parts.iter().map(|p| p.value.max(0)).sum();
    let mut o = String::with_capacity(1024);
    let id = esc(id);
    let _ = write!(
        o,
        "<svg class=\"chart donut\" viewBox=\"0 0 42 42\" width=\"180\" height=\"180\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>\
         <circle class=\"ring\" cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke-width=\"5\"/>",
        esc(title),
        esc(&summary(parts))
    );
    // Circumference 100: dash lengths are percentages; segments start at 12 o'clock.
    let mut offset = 25.0;
    for p in parts.iter().filter(|p| p.value > 0) {
        let s = share(p.value, total);
        let _ = write!(
            o,
            "<circle class=\"seg {}\" cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke-width=\"5\" \
             stroke-dasharray=\"{s:.3} {:.3}\" stroke-dashoffset=\"{offset:.3}\"><title>{}: {} ({s:.1}%)</title></circle>",
            esc(p.class),
            100.0 - s,
            esc(p.label),
            p.value
        );
        offset -= s;
    }
    let _ = write!(
        o,
        "<text class=\"donut-total\" x=\"21\" y=\"22.5\" text-anchor=\"middle\">{total}</text>\
         <text class=\"donut-unit\" x=\"21\" y=\"27\" text-anchor=\"middle\">hosts</text></svg>"
    );
    o
}

/// Horizontal bars, one per part, lengths relative to the largest, value at the end of each bar.
pub fn bars(id: &str, title: &str, parts: &[Part<'_>]) -> String {
    let max = parts.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let row = 26;
    let height = row * parts.len().max(1);
    let id = esc(id);
    let mut o = String::with_capacity(1024);
    let _ = write!(
        o,
        "<svg class=\"chart bars\" viewBox=\"0 0 320 {height}\" width=\"320\" height=\"{height}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(&summary(parts))
    );
    for (i, p) in parts.iter().enumerate() {
        let y = i * row;
        let w = share(p.value, max) * 1.7; // 170 units for the largest bar, room for a 7-digit value
        let _ = write!(
            o,
            "<g><title>{}: {}</title><text class=\"bar-label\" x=\"0\" y=\"{}\">{}</text>\
             <rect class=\"bar {}\" x=\"80\" y=\"{}\" width=\"{w:.1}\" height=\"16\" rx=\"3\"/>\
             <text class=\"bar-value\" x=\"{:.1}\" y=\"{}\">{}</text></g>",
            esc(p.label),
            p.value,
            y + 16,
            esc(p.label),
            esc(p.class),
            y + 4,
            80.0 + w + 6.0,
            y + 16,
            p.value
        );
    }
    o.push_str("</svg>");
    o
}

/// One cell of a day strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Tooltip (`2026-06-01: 288 healthy`).
    pub tip: String,
    /// Colour class (`st-healthy`, `st-degraded`, `st-unreachable`, `none`).
    pub class: &'static str,
}

/// A strip of equal cells (oldest left), e.g. 30 days of health.
pub fn strip(id: &str, title: &str, desc: &str, cells: &[Cell]) -> String {
    let w = 12;
    let width = (w + 2) * cells.len().max(1);
    let id = esc(id);
    let mut o = String::with_capacity(64 * cells.len() + 256);
    let _ = write!(
        o,
        "<svg class=\"chart strip\" viewBox=\"0 0 {width} 24\" width=\"{width}\" height=\"24\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
    for (i, c) in cells.iter().enumerate() {
        let _ = write!(
            o,
            "<rect class=\"cell {}\" x=\"{}\" y=\"0\" width=\"{w}\" height=\"24\" rx=\"2\"><title>{}</title></rect>",
            c.class,
            i * (w + 2),
            esc(&c.tip)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Vec<Part<'static>> {
        vec![
            Part {
                label: "healthy",
                value: 3,
                class: "st-healthy",
            },
            Part {
                label: "degraded",
                value: 1,
                class: "st-degraded",
            },
            Part {
                label: "unreachable",
                value: 0,
                class: "st-unreachable",
            },
        ]
    }

    #[test]
    fn donut_segments_add_up_and_carry_text() {
        let s = donut("states", "Hosts by state", &parts());
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("role=\"img\"") && s.contains("aria-labelledby=\"states-t states-d\""));
        assert!(s.contains("<desc id=\"states-d\">healthy 3, degraded 1, unreachable 0</desc>"));
        assert!(s.contains("stroke-dasharray=\"75.000 25.000\" stroke-dashoffset=\"25.000\""));
        assert!(s.contains("stroke-dasharray=\"25.000 75.000\" stroke-dashoffset=\"-50.000\""));
        // Zero parts draw nothing; the total is shown.
        assert_eq!(s.matches("class=\"seg ").count(), 2);
        assert!(s.contains(">4</text>"));
        assert!(!s.contains("style="), "CSP forbids inline styles");
    }

    #[test]
    fn empty_donut_is_just_the_ring() {
        let s = donut("x", "Nothing", &[]);
        assert!(s.contains("class=\"ring\"") && !s.contains("class=\"seg"));
        assert!(s.contains(">0</text>"));
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let s = bars("sev", "By severity", &parts());
        assert!(s.contains("class=\"bar st-healthy\" x=\"80\" y=\"4\" width=\"170.0\""));
        assert!(s.contains("class=\"bar st-degraded\" x=\"80\" y=\"30\" width=\"56.7\""));
        assert!(s.contains("class=\"bar st-unreachable\" x=\"80\" y=\"56\" width=\"0.0\""));
        assert!(s.contains("<text class=\"bar-value\" x=\"256.0\" y=\"16\">3</text>"));
        assert!(s.contains("<title>degraded: 1</title>"));
        // All zero: no division by zero, empty bars.
        let z = bars(
            "z",
            "Zero",
            &[Part {
                label: "low",
                value: 0,
                class: "sev-low",
            }],
        );
        assert!(z.contains("width=\"0.0\""));
    }

    #[test]
    fn text_is_escaped() {
        let evil = [Part {
            label: "<script>&\"'",
            value: 1,
            class: "x\"onload=\"y",
        }];
        for s in [donut("a\"b", "<t>", &evil), bars("a", "<t>", &evil)] {
            assert!(!s.contains("<script>") && !s.contains("<t>"), "{s}");
            assert!(s.contains("&lt;script&gt;&amp;&quot;&#39;"), "{s}");
            assert!(!s.contains("x\"onload"), "{s}");
        }
        let st = strip(
            "h",
            "T",
            "<d>",
            &[Cell {
                tip: "<b>".into(),
                class: "none",
            }],
        );
        assert!(st.contains("&lt;d&gt;") && st.contains("<title>&lt;b&gt;</title>"));
    }

    #[test]
    fn strip_has_one_cell_each() {
        let cells: Vec<Cell> = (0..30)
            .map(|i| Cell {
                tip: format!("day {i}"),
                class: if i % 2 == 0 { "st-healthy" } else { "none" },
            })
            .collect();
        let s = strip("h", "Health", "30 days", &cells);
        assert_eq!(s.matches("<rect ").count(), 30);
        assert!(s.contains("x=\"406\""));
    }
}
