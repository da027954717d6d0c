//! QR codes as inline SVG (for the TOTP setup page): black modules on a white square with a quiet zone.

use qrcode::{Color, QrCode};
use std::fmt::Write;

/// Modules of white border on each side (the QR specification's quiet zone).
const QUIET_ZONE: usize = 4;
/// Rendered size in CSS pixels.
const SIZE_PX: usize = 220;

/// An inline `<svg>` element (no XML prolog) encoding `data`: `viewBox` in modules, 220 px square,
/// `role="img"` `aria-label="QR code"`. It paints its own white background, so it scans in dark mode too.
pub fn svg(data: &str) -> Result<String, String> {
    let code = QrCode::new(data.as_bytes()).map_err(|e| format!("cannot encode a QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] == Color::Dark {
                x += 1;
            }
            let _ = write!(
                path,
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            );
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{SIZE_PX}\" \
         height=\"{SIZE_PX}\" role=\"img\" aria-label=\"QR code\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#ffffff\"/>\
         <path fill=\"#000000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_inline_accessible_and_black_on_white() {
        let s = svg("otpauth://totp/Linux%20Patch%20Manager:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(s.starts_with("<svg "), "{s}");
        assert!(!s.contains("<?xml"));
        assert!(s.ends_with("</svg>"));
        for needle in [
            "viewBox=\"0 0 ",
            "width=\"220\"",
            "height=\"220\"",
            "role=\"img\"",
            "aria-label=\"QR code\"",
            "fill=\"#ffffff\"",
            "fill=\"#000000\"",
        ] {
            assert!(s.contains(needle), "{needle} missing in {s}");
        }
        // The top-left finder pattern starts one quiet zone in: a 7-module dark run.
        assert!(s.contains("d=\"M4 4h7v1h-7z"), "{s}");
    }

    #[test]
    fn too_much_data_is_refused() {
        assert!(svg(&"x".repeat(8000)).is_err());
    }
}
