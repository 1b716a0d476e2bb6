//! Charts of a report's breakdowns (issue 6): a horizontal bar chart as SVG — inline on the pages,
//! and rasterised to PNG for the DOCX, where SVG is not reliably shown. Only categories with
//! entries are drawn; labels and the title are escaped, so any court or unit name is safe.

use std::sync::{Arc, OnceLock};

use crate::Count;

/// Fonts tried in order: the CJK fonts of Linux (Debian's fonts-noto-cjk, Source Han), Windows and
/// macOS, then the platform's sans-serif. The renderer also falls back per glyph.
pub const FONT_FAMILIES: &str =
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'SimHei', sans-serif";

const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 230;
const ROW: u32 = 26;
const TOP: u32 = 36;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut: long S7 items and unit names must not
/// run into the bars.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// A bar chart of `counts` (the categories with entries, in the order given) under `title` (none
/// when empty: a document's heading names it), in Chinese or English labels; `None` when no
/// category has an entry.
pub fn bar_chart(title: &str, counts: &[Count], english: bool) -> Option<String> {
    let shown: Vec<&Count> = counts.iter().filter(|c| c.count > 0).collect();
    let max = shown.iter().map(|c| c.count).max()?;
    let top = if title.is_empty() { 6 } else { TOP };
    let height = top + ROW * shown.len() as u32 + 12;
    let bar_space = WIDTH - LABEL_WIDTH - 60;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\" font-family=\"{FONT_FAMILIES}\" \
         font-size=\"13\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"0\" y=\"20\" font-size=\"15\" font-weight=\"bold\" fill=\"#1a1a1a\">{t}</text>",
        t = escape(title)
    );
    for (i, c) in shown.iter().enumerate() {
        let y = top + ROW * i as u32;
        let label = clip(if english { &c.en } else { &c.zh }, if english { 34 } else { 16 });
        // Every shown category gets a visible bar, however small against the largest.
        let bar = ((c.count as f64 / max as f64) * bar_space as f64).round().max(2.0) as u32;
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#333\">{label}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{ry}\" width=\"{bar}\" height=\"{bh}\" fill=\"#9b1b1b\"/>\
             <text x=\"{nx}\" y=\"{ty}\" fill=\"#1a1a1a\">{n}</text>",
            lx = LABEL_WIDTH - 8,
            ty = y + 17,
            label = escape(&label),
            ry = y + 4,
            bh = ROW - 8,
            nx = LABEL_WIDTH + bar + 6,
            n = c.count,
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// The system's fonts, read once: reading them takes tens of milliseconds.
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

/// A chart as PNG at `scale` (2 gives print quality at the chart's size), with its pixel size.
pub fn png(svg: &str, scale: f32) -> Result<(Vec<u8>, u32, u32), String> {
    let options = resvg::usvg::Options { fontdb: fonts(), ..resvg::usvg::Options::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| format!("chart: {e}"))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or("chart: empty size")?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("chart: cannot allocate the image")?;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let bytes = pixmap.encode_png().map_err(|e| format!("chart: {e}"))?;
    Ok((bytes, size.width(), size.height()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(code: &str, zh: &str, n: u64) -> Count {
        Count { code: code.into(), zh: zh.into(), en: code.into(), count: n }
    }

    #[test]
    fn a_chart_draws_the_categories_with_entries_and_escapes_names() {
        let svg = bar_chart(
            "按单位类别",
            &[count("a", "某区人民政府", 4), count("b", "<script>", 2), count("c", "无", 0)],
            false,
        )
        .unwrap();
        assert_eq!(svg.matches("<rect x=").count(), 2, "{svg}");
        assert!(svg.contains("某区人民政府") && svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        // The largest bar fills the space; the other is half of it.
        assert!(svg.contains("width=\"350\"") && svg.contains("width=\"175\""), "{svg}");
        assert_eq!(bar_chart("空", &[count("c", "无", 0)], false), None);
    }

    #[test]
    fn long_labels_are_clipped() {
        assert_eq!(clip("一二三四五", 4), "一二三…");
        assert_eq!(clip("一二三", 4), "一二三");
    }

    #[test]
    fn a_chart_renders_to_png() {
        let svg = bar_chart("按过问方式", &[count("oral", "口头", 3)], false).unwrap();
        let (png, w, h) = png(&svg, 2.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!((w, h), (WIDTH * 2, (TOP + ROW + 12) * 2));
    }
}
