//! Minimal Japanese test PDFs, written by hand with `std` only.
//!
//! Each PDF has one non-embedded CID font (`Ryumin-Light`, Adobe-Japan1) and
//! shows the given text with one `Tj` per line, the way older Japanese
//! generators (dvipdfmx, Acrobat Distiller with base-14-style CJK fonts,
//! patent-office tools) write them. The kinds cover the predefined CMaps a
//! text extractor must know to get Unicode back without a `ToUnicode` map,
//! plus a `ToUnicode` baseline and a file that needs xref repair.
//!
//! ```ignore
//! #[path = "jpdf.rs"] mod jpdf;
//! let bytes = jpdf::pdf(jpdf::Kind::SjisV, "山田太郎\n東京都千代田区\u{c}二ページ目");
//! // or, for text outside the built-in table, encode it yourself:
//! let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("髙橋");
//! let bytes = jpdf::pdf_encoded("90ms-RKSJ-H", &[&[&sjis[..]]]);
//! ```
//!
//! In `text`, `\n` starts a new line and `\u{c}` (form feed) a new page.
//! Glyphs are not embedded, so viewers substitute a system font; the files
//! exist to test text extraction, not rendering.

// Included with `#[path]` by tests that each use only part of it.
#![allow(dead_code)]

use std::fmt::Write as _;

/// How the strings in the content stream are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/90ms-RKSJ-H`: Shift_JIS bytes, horizontal.
    SjisH,
    /// `/90ms-RKSJ-V`: Shift_JIS bytes, vertical writing.
    SjisV,
    /// `/EUC-H`: EUC-JP bytes.
    EucH,
    /// `/UniJIS-UTF16-H`: UTF-16BE. Any text encodes, but extractors read it
    /// back through Adobe-Japan1 CIDs (poppler turns `_` into U+0332).
    Utf16H,
    /// `/Identity-H`, 2-byte Adobe-Japan1 CIDs, no `ToUnicode`: the text
    /// comes back only through the Adobe-Japan1 CID → Unicode table.
    IdentityH,
    /// `/Identity-V`, as [`Kind::IdentityH`] but vertical.
    IdentityV,
    /// Baseline: `/Identity-H` with a `ToUnicode` CMap, so any text works:
    /// codes are the Adobe-Japan1 CIDs where [`encode`] knows them, else
    /// numbered from `0x4000` in order of first use.
    ToUnicode,
    /// [`Kind::ToUnicode`] whose xref offsets all point 10 bytes too far:
    /// readable only by a parser that rebuilds the xref.
    BrokenXref,
}

impl Kind {
    /// Every kind, for table-driven tests.
    pub const ALL: [Kind; 8] = [
        Kind::SjisH,
        Kind::SjisV,
        Kind::EucH,
        Kind::Utf16H,
        Kind::IdentityH,
        Kind::IdentityV,
        Kind::ToUnicode,
        Kind::BrokenXref,
    ];

    /// The `/Encoding` CMap name.
    pub fn cmap(self) -> &'static str {
        match self {
            Kind::SjisH => "90ms-RKSJ-H",
            Kind::SjisV => "90ms-RKSJ-V",
            Kind::EucH => "EUC-H",
            Kind::Utf16H => "UniJIS-UTF16-H",
            Kind::IdentityH | Kind::ToUnicode | Kind::BrokenXref => "Identity-H",
            Kind::IdentityV => "Identity-V",
        }
    }
}

/// A PDF of `kind` showing `text` (`\n`: new line, `\u{c}`: new page).
///
/// # Panics
/// On a character the built-in tables cannot encode for `kind` (see
/// [`encode`]); use [`pdf_encoded`] with your own bytes for those.
pub fn pdf(kind: Kind, text: &str) -> Vec<u8> {
    let mut to_unicode: Vec<(u16, char)> = Vec::new();
    let mut code = |c: char| -> u16 {
        if let Some(&(code, _)) = to_unicode.iter().find(|&&(_, u)| u == c) {
            return code;
        }
        // The real Adobe-Japan1 CID where known, else codes from 0x4000 up
        // (above every CID that `encode` produces).
        let fallback = 0x4000
            + to_unicode
                .iter()
                .filter(|&&(code, _)| code >= 0x4000)
                .count() as u16;
        let code = encode(Kind::IdentityH, &c.to_string())
            .map_or(fallback, |b| u16::from_be_bytes([b[0], b[1]]));
        to_unicode.push((code, c));
        code
    };
    let pages: Vec<Vec<Vec<u8>>> = text
        .split('\u{c}')
        .map(|page| {
            page.split('\n')
                .map(|line| match kind {
                    Kind::ToUnicode | Kind::BrokenXref => {
                        line.chars().flat_map(|c| code(c).to_be_bytes()).collect()
                    }
                    _ => encode(kind, line)
                        .unwrap_or_else(|c| panic!("jpdf: cannot encode {c:?} for {kind:?}")),
                })
                .collect()
        })
        .collect();
    let tu = matches!(kind, Kind::ToUnicode | Kind::BrokenXref).then_some(&to_unicode[..]);
    let shift = if kind == Kind::BrokenXref { 10 } else { 0 };
    write(kind.cmap(), &pages, tu, shift)
}

/// A PDF whose strings are already encoded for `cmap` (any predefined
/// Adobe-Japan1 CMap name, e.g. `"90ms-RKSJ-H"`, `"H"`, `"UniJIS-UTF8-V"`):
/// `pages[p][l]` is the string of line `l` on page `p`. Vertical if the
/// name ends in `-V`.
pub fn pdf_encoded(cmap: &str, pages: &[&[&[u8]]]) -> Vec<u8> {
    let pages: Vec<Vec<Vec<u8>>> = pages
        .iter()
        .map(|p| p.iter().map(|l| l.to_vec()).collect())
        .collect();
    write(cmap, &pages, None, 0)
}

/// Encodes one line for `kind`, or returns the first character that the
/// built-in tables cannot encode. Supported: printable ASCII (for the
/// Identity kinds except `\`, `_`, `` ` ``, `|` and `~`, whose Adobe-Japan1
/// CIDs read back as other characters), hiragana, katakana, full-width
/// digits and Latin letters, and the punctuation and ~170 kanji of [`JIS`]
/// (names, addresses, form labels). `Utf16H` takes any text; `ToUnicode` and
/// `BrokenXref` are encoded by [`pdf`] itself and are not accepted here.
pub fn encode(kind: Kind, line: &str) -> Result<Vec<u8>, char> {
    let mut out = Vec::new();
    if kind == Kind::Utf16H {
        line.encode_utf16()
            .for_each(|u| out.extend(u.to_be_bytes()));
        return Ok(out);
    }
    for c in line.chars() {
        let ascii = (' '..='~').contains(&c);
        match kind {
            Kind::SjisH | Kind::SjisV | Kind::EucH if ascii => out.push(c as u8),
            Kind::SjisH | Kind::SjisV => {
                let [j1, j2] = jis(c).ok_or(c)?.to_be_bytes();
                let s1 = j1.div_ceil(2) + if j1 <= 0x5E { 0x70 } else { 0xB0 };
                let s2 = if j1 % 2 == 1 {
                    j2 + if j2 < 0x60 { 0x1F } else { 0x20 }
                } else {
                    j2 + 0x7E
                };
                out.extend([s1, s2]);
            }
            Kind::EucH => out.extend(jis(c).ok_or(c)?.to_be_bytes().map(|b| b | 0x80)),
            Kind::IdentityH | Kind::IdentityV => {
                let cid = if ascii {
                    // Adobe-Japan1 CIDs 1-95 are proportional ASCII.
                    (!"\\_`|~".contains(c)).then(|| c as u16 - 0x1F)
                } else {
                    jis(c).and_then(jis_to_cid)
                };
                out.extend(cid.ok_or(c)?.to_be_bytes());
            }
            Kind::Utf16H | Kind::ToUnicode | Kind::BrokenXref => return Err(c),
        }
    }
    Ok(out)
}

/// JIS X 0208 code (`0x2121`-`0x7426`) of a character, if known.
pub fn jis(c: char) -> Option<u16> {
    let u = c as u32;
    let code = match u {
        0x3041..=0x3093 => 0x2421 + (u - 0x3041), // hiragana
        0x30A1..=0x30F6 => 0x2521 + (u - 0x30A1), // katakana
        0xFF10..=0xFF19 => 0x2330 + (u - 0xFF10), // full-width digits
        0xFF21..=0xFF3A => 0x2341 + (u - 0xFF21), // full-width A-Z
        0xFF41..=0xFF5A => 0x2361 + (u - 0xFF41), // full-width a-z
        _ => return JIS.iter().find(|&&(k, _)| k == c).map(|&(_, j)| j),
    };
    Some(code as u16)
}

/// Adobe-Japan1 CID of a JIS X 0208 code, as the predefined `H` CMap maps
/// it (rows 1-7 and the kanji rows 16-84; row 8, box drawing, is left out).
pub fn jis_to_cid(jis: u16) -> Option<u16> {
    // (first code, last code, first CID) from poppler-data's Adobe-Japan1/H.
    #[rustfmt::skip]
    const RANGES: [(u16, u16, u16); 16] = [
        (0x2121, 0x217E, 633), (0x2221, 0x222E, 727), (0x223A, 0x2241, 741),
        (0x224A, 0x2250, 749), (0x225C, 0x226A, 756), (0x2272, 0x2279, 771),
        (0x227E, 0x227E, 779), (0x2330, 0x2339, 780), (0x2341, 0x235A, 790),
        (0x2361, 0x237A, 816), (0x2421, 0x2473, 842), (0x2521, 0x2576, 925),
        (0x2621, 0x2638, 1011), (0x2641, 0x2658, 1035), (0x2721, 0x2741, 1059),
        (0x2751, 0x2771, 1092),
    ];
    let [row, cell] = jis.to_be_bytes();
    if !(0x21..=0x7E).contains(&cell) {
        return None;
    }
    let cell = (cell - 0x21) as u16;
    match row {
        0x21..=0x27 => RANGES
            .iter()
            .find(|&&(lo, hi, _)| (lo..=hi).contains(&jis))
            .map(|&(lo, _, cid)| cid + (jis - lo)),
        // Level 1 kanji; row 0x4F has 51 cells.
        0x30..=0x4F if row < 0x4F || cell < 51 => Some(1125 + (row as u16 - 0x30) * 94 + cell),
        // Level 2 kanji; row 0x74 has 4 (the last two elsewhere).
        0x50..=0x74 if row < 0x74 || cell < 4 => Some(4090 + (row as u16 - 0x50) * 94 + cell),
        _ => None,
    }
}

/// Punctuation and kanji with their JIS X 0208 codes (kana and full-width
/// letters and digits are computed in [`jis`]). Checked against
/// encoding_rs's Shift_JIS and EUC-JP encoders, and each CID from
/// [`jis_to_cid`] against poppler-data's Adobe-Japan1 CID → Unicode table.
#[rustfmt::skip]
pub const JIS: &[(char, u16)] = &[
    ('、',0x2122), ('。',0x2123), ('，',0x2124), ('．',0x2125), ('・',0x2126), ('：',0x2127),
    ('；',0x2128), ('？',0x2129), ('！',0x212A), ('ー',0x213C), ('（',0x214A), ('）',0x214B),
    ('「',0x2156), ('」',0x2157), ('『',0x2158), ('』',0x2159), ('【',0x215A), ('】',0x215B),
    ('〒',0x2229), ('＠',0x2177), ('＃',0x2174), ('＆',0x2175), ('＊',0x2176), ('％',0x2173),
    ('＋',0x215C), ('＝',0x2161), ('＜',0x2163), ('＞',0x2164), ('※',0x2228), ('〇',0x213B),
    ('々',0x2139), ('／',0x213F), ('氏',0x3B61), ('名',0x4C3E), ('前',0x4130), ('姓',0x402B),
    ('住',0x3D3B), ('所',0x3D6A), ('電',0x4545), ('話',0x4F43), ('番',0x4856), ('号',0x3966),
    ('生',0x4038), ('年',0x472F), ('月',0x376E), ('日',0x467C), ('性',0x402D), ('別',0x4A4C),
    ('男',0x434B), ('女',0x3D77), ('歳',0x3A50), ('職',0x3F26), ('業',0x3648), ('勤',0x3650),
    ('務',0x4C33), ('先',0x4068), ('携',0x3748), ('帯',0x4253), ('連',0x4F22), ('絡',0x4D6D),
    ('緊',0x365B), ('急',0x355E), ('郵',0x4D39), ('便',0x4A58), ('本',0x4B5C), ('籍',0x4052),
    ('現',0x383D), ('国',0x3971), ('山',0x3B33), ('田',0x4544), ('太',0x4240), ('郎',0x4F3A),
    ('花',0x3256), ('子',0x3B52), ('鈴',0x4E6B), ('木',0x4C5A), ('佐',0x3A34), ('藤',0x4623),
    ('高',0x3962), ('橋',0x3636), ('中',0x4366), ('伊',0x304B), ('渡',0x454F), ('辺',0x4A55),
    ('村',0x423C), ('小',0x3E2E), ('林',0x4E53), ('加',0x3243), ('吉',0x3548), ('斎',0x3A58),
    ('清',0x4036), ('水',0x3F65), ('松',0x3E3E), ('井',0x3066), ('上',0x3E65), ('野',0x4C6E),
    ('森',0x3F39), ('池',0x4353), ('川',0x406E), ('石',0x4050), ('原',0x3836), ('岡',0x322C),
    ('崎',0x3A6A), ('和',0x4F42), ('美',0x487E), ('東',0x456C), ('京',0x357E), ('都',0x4554),
    ('大',0x4267), ('阪',0x3A65), ('府',0x495C), ('神',0x3F40), ('奈',0x4660), ('県',0x3829),
    ('横',0x3223), ('浜',0x494D), ('市',0x3B54), ('区',0x3668), ('町',0x442E), ('丁',0x437A),
    ('目',0x4C5C), ('地',0x434F), ('千',0x4069), ('代',0x4265), ('港',0x3941), ('新',0x3F37),
    ('宿',0x3D49), ('渋',0x3D42), ('谷',0x432B), ('北',0x4B4C), ('海',0x3324), ('道',0x463B),
    ('福',0x4A21), ('愛',0x3026), ('知',0x434E), ('兵',0x4A3C), ('庫',0x384B), ('埼',0x3A6B),
    ('玉',0x364C), ('葉',0x4D55), ('一',0x306C), ('二',0x4673), ('三',0x3B30), ('四',0x3B4D),
    ('五',0x385E), ('六',0x4F3B), ('七',0x3C37), ('八',0x482C), ('九',0x3665), ('十',0x3D3D),
    ('百',0x4934), ('万',0x4B7C), ('円',0x315F), ('会',0x3271), ('社',0x3C52), ('株',0x3374),
    ('式',0x3C30), ('有',0x4D2D), ('限',0x3842), ('様',0x4D4D), ('殿',0x4542), ('御',0x3866),
    ('部',0x4974), ('課',0x325D), ('長',0x4439), ('係',0x3738), ('担',0x4334), ('当',0x4576),
    ('者',0x3C54), ('個',0x3844), ('人',0x3F4D), ('情',0x3E70), ('報',0x4A73), ('保',0x4A5D),
    ('護',0x386E), ('口',0x387D), ('座',0x3A42), ('銀',0x3664), ('行',0x3954), ('支',0x3B59),
    ('店',0x4539), ('普',0x4961), ('通',0x444C), ('預',0x4D42), ('金',0x3662), ('免',0x4C48),
    ('許',0x3576), ('証',0x3E5A), ('旅',0x4E39), ('券',0x3774), ('健',0x3772), ('康',0x392F),
    ('険',0x3831), ('被',0x486F), ('記',0x352D), ('運',0x313F), ('転',0x453E), ('平',0x4A3F),
    ('成',0x402E), ('令',0x4E61), ('昭',0x3E3C),
];

/// Serializes the document: catalog, pages, Type0 font, CIDFont, font
/// descriptor, optional ToUnicode, then a page and content stream per page;
/// every xref offset is written `xref_shift` bytes too far. CIDs 1-632
/// (Adobe-Japan1 roman and half-width forms) are 500 units wide, the rest
/// 1000: with every glyph 1 em wide, pdftotext takes an ASCII space for a
/// column gap and splits the line.
fn write(
    cmap: &str,
    pages: &[Vec<Vec<u8>>],
    to_unicode: Option<&[(u16, char)]>,
    xref_shift: usize,
) -> Vec<u8> {
    let vertical = cmap.ends_with("-V");
    let supplement = if cmap.starts_with("Uni") { 6 } else { 2 };
    let first_page = if to_unicode.is_some() { 7 } else { 6 };
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let mut objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes(),
        format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /Ryumin-Light-{cmap} /Encoding /{cmap} \
             /DescendantFonts [4 0 R]{} >>",
            if to_unicode.is_some() { " /ToUnicode 6 0 R" } else { "" }
        )
        .into_bytes(),
        format!(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /Ryumin-Light /CIDSystemInfo \
             << /Registry (Adobe) /Ordering (Japan1) /Supplement {supplement} >> \
             /FontDescriptor 5 0 R /DW 1000 /W [1 632 500] >>"
        )
        .into_bytes(),
        b"<< /Type /FontDescriptor /FontName /Ryumin-Light /Flags 6 /FontBBox [-170 -331 1024 903] \
          /ItalicAngle 0 /Ascent 859 /Descent -143 /CapHeight 709 /StemV 69 >>"
            .to_vec(),
    ];
    if let Some(chars) = to_unicode {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
             1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
        );
        for block in chars.chunks(100) {
            let _ = writeln!(cmap, "{} beginbfchar", block.len());
            for &(code, c) in block {
                let _ = writeln!(cmap, "<{code:04X}> <{}>", hex(&utf16be(c)));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
        objs.push(stream(cmap.as_bytes()));
    }
    for (i, lines) in pages.iter().enumerate() {
        let mut content = String::from("BT /F1 12 Tf ");
        content.push_str(if vertical { "540 720 Td" } else { "72 720 Td" });
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                content.push_str(if vertical { " -16 0 Td" } else { " 0 -16 Td" });
            }
            let _ = write!(content, " <{}> Tj", hex(line));
        }
        content.push_str(" ET\n");
        objs.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
                 /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                first_page + 2 * i + 1
            )
            .into_bytes(),
        );
        objs.push(stream(content.as_bytes()));
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len() + xref_shift);
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1);
    for off in offsets {
        let _ = writeln!(table, "{off:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    );
    out.extend(table.bytes());
    out
}

fn stream(data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend(data);
    s.extend(b"\nendstream");
    s
}

fn utf16be(c: char) -> Vec<u8> {
    c.encode_utf16(&mut [0; 2])
        .iter()
        .flat_map(|u| u.to_be_bytes())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
