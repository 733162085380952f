//! The fonts of the PDF report: DejaVu Sans, DejaVu Sans Bold and DejaVu Sans Mono, compiled
//! into the binary from `templates/fonts/` (Bitstream Vera licence, see the README there).
//!
//! The fonts are parsed once per process with printpdf's own parser (allsorts underneath),
//! and the same parse gives both the advance widths the layout measures with and the font
//! printpdf embeds, so what the layout measures is exactly what a reader draws; a second
//! font parser (such as ttf-parser) would only add a way for the two to disagree. Only the
//! glyphs a report uses are embedded: [`subset`] cuts each font down with allsorts (already
//! in the build through printpdf), which keeps a short report at tens of kilobytes instead
//! of the 1.8 MB of the three full fonts.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use printpdf::ParsedFont;
use sha2::{Digest, Sha256};

use super::layout::{Face, FaceMetrics, Metrics};

/// (face, PostScript name, TrueType bytes).
const FONTS: [(Face, &str, &[u8]); 3] = [
    (
        Face::Regular,
        "DejaVuSans",
        include_bytes!("../../../templates/fonts/DejaVuSans.ttf"),
    ),
    (
        Face::Bold,
        "DejaVuSans-Bold",
        include_bytes!("../../../templates/fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        Face::Mono,
        "DejaVuSansMono",
        include_bytes!("../../../templates/fonts/DejaVuSansMono.ttf"),
    ),
];

/// The parsed fonts and their metrics.
pub struct Fonts {
    parsed: [ParsedFont; 3],
    pub metrics: Metrics,
}

/// Parses the embedded fonts on first use.
pub fn fonts() -> &'static Fonts {
    static FONTS_ONCE: OnceLock<Fonts> = OnceLock::new();
    FONTS_ONCE.get_or_init(|| {
        let parsed = FONTS.map(|(_, name, bytes)| {
            let mut warnings = Vec::new();
            ParsedFont::from_bytes(bytes, 0, &mut warnings)
                .unwrap_or_else(|| panic!("the embedded font {name} parses: {warnings:?}"))
        });
        let [regular, bold, mono] = parsed.each_ref().map(face_metrics);
        Fonts {
            metrics: Metrics::new(regular, bold, mono),
            parsed,
        }
    })
}

fn face_metrics(font: &ParsedFont) -> FaceMetrics {
    let em = f32::from(font.units_per_em);
    let advance = |gid: u16| f32::from(font.get_glyph_width(gid).unwrap_or(0)) / em;
    FaceMetrics::new(
        font.codepoint_to_glyph
            .iter()
            .filter_map(|(cp, gid)| Some((char::from_u32(*cp)?, advance(*gid)))),
        advance(0),
        f32::from(font.font_metrics.ascent) / em,
        -f32::from(font.font_metrics.descent) / em,
    )
}

/// The PostScript name of a face.
pub fn name(face: Face) -> &'static str {
    FONTS[face.index()].1
}

/// The font to embed for `face`, holding only the glyphs of `used` (and `.notdef`). Falls
/// back to the whole font, with a warning, if subsetting fails: a larger file beats a
/// report with missing text.
pub fn subset(face: Face, used: &BTreeSet<char>) -> ParsedFont {
    let (_, name, bytes) = FONTS[face.index()];
    let full = &fonts().parsed[face.index()];
    let mut glyphs: Vec<u16> = used
        .iter()
        .filter_map(|c| full.lookup_glyph_index(*c as u32))
        .filter(|gid| *gid != 0)
        .collect();
    glyphs.sort_unstable();
    glyphs.dedup();
    glyphs.insert(0, 0);
    match subset_bytes(bytes, &glyphs) {
        Ok(subset) => {
            let mut warnings = Vec::new();
            if let Some(mut parsed) = ParsedFont::from_bytes(&subset, 0, &mut warnings) {
                // The tag marks a subset (ISO 32000-1, 9.6.4); derived from the glyphs, so
                // the same text gives the same name.
                parsed.font_name = Some(format!("{}+{name}", subset_tag(name, &glyphs)));
                return parsed;
            }
            tracing::warn!("the subset of font {name} does not parse; embedding all of it");
        }
        Err(e) => tracing::warn!("cannot subset font {name} ({e}); embedding all of it"),
    }
    let mut parsed = full.clone();
    parsed.font_name = Some(name.to_string());
    parsed
}

fn subset_bytes(bytes: &[u8], glyphs: &[u16]) -> Result<Vec<u8>, String> {
    let data = ReadScope::new(bytes)
        .read::<FontData<'_>>()
        .map_err(|e| e.to_string())?;
    let provider = data.table_provider(0).map_err(|e| e.to_string())?;
    allsorts::subset::subset(&provider, glyphs, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| e.to_string())
}

/// Six capital letters from a hash of the font name and its glyphs.
fn subset_tag(name: &str, glyphs: &[u16]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    for g in glyphs {
        hasher.update(g.to_be_bytes());
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pdf::layout::Rgb;
    use crate::report::pdf::layout::Style;

    #[test]
    fn metrics_come_from_the_fonts() {
        let m = &fonts().metrics;
        let regular = Style::new(Face::Regular, 10.0, Rgb(0, 0, 0));
        let bold = Style::new(Face::Bold, 10.0, Rgb(0, 0, 0));
        let mono = Style::new(Face::Mono, 10.0, Rgb(0, 0, 0));
        assert!(m.width(&regular, "W") > m.width(&regular, "i") * 2.0);
        assert!(m.width(&bold, "evidence") > m.width(&regular, "evidence"));
        assert_eq!(m.width(&mono, "iiii"), m.width(&mono, "WWWW"));
        for c in ['é', 'ß', 'Ж', 'λ', 'ł', '→', '‘', '…'] {
            assert!(m.face(Face::Regular).has_glyph(c), "{c}");
        }
    }

    #[test]
    fn subsets_keep_the_used_glyphs_with_their_widths() {
        let used: BTreeSet<char> = "Zoë Ångström → Дмитрий 0123".chars().collect();
        let full = &fonts().parsed[0];
        let small = subset(Face::Regular, &used);
        assert!(
            small.original_bytes.len() < 40_000,
            "{}",
            small.original_bytes.len()
        );
        let tag = small.font_name.clone().unwrap();
        assert!(tag.ends_with("+DejaVuSans") && tag.len() == 7 + "DejaVuSans".len());
        for c in used {
            let a = full.lookup_glyph_index(c as u32).unwrap();
            let b = small.lookup_glyph_index(c as u32).expect("kept");
            assert_eq!(full.get_glyph_width(a), small.get_glyph_width(b), "{c}");
        }
        assert_eq!(subset(Face::Regular, &"abc".chars().collect()).font_name, {
            subset(Face::Regular, &"cab".chars().collect()).font_name
        });
    }
}
