//! HTML: one self-contained file that works offline (no external scripts,
//! styles or fonts): the summary by category, by classification level and
//! by folder with bar charts, every policy violation, what could not be
//! scanned, and the findings table with filters. Values are masked as in
//! every other format.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{FolderSummary, ScanInfo};
use super::{Reported, RunSummary};
use crate::classify::Level;
use crate::finding::Category;
use crate::policy::VerdictKind;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON made safe inside a `<script>` element: `<`, `>` and `&` (which only
/// occur inside JSON strings) become `\u003c`, `\u003e`, `\u0026`, so no
/// text from a file (`</script>`, `<!--`) can end or hide the element.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart as inline SVG.
fn bars(rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let h = 22;
    let mut svg = format!(
        r#"<svg class="chart" role="img" width="640" height="{}" xmlns="http://www.w3.org/2000/svg">"#,
        rows.len() * h + 4
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = i * h + 2;
        let w = (*n as f64 / max as f64 * 380.0).round() as u64;
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-size="13">{}</text><rect x="220" y="{}" width="{w}" height="{}" fill="#4a6fa5"></rect><text x="{}" y="{}" font-size="12">{n}</text>"##,
            y + 15,
            esc(label),
            y + 3,
            h - 6,
            226 + w,
            y + 15
        ));
    }
    svg.push_str("</svg>");
    svg
}

const STYLE: &str = r#"
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f3f8; }
td.n { text-align: right; }
.violation { background: #fde8e8; }
.filters { margin: .6em 0; } .filters input, .filters select { margin-right: .6em; }
.muted { color: #777; }
.chart text { font-family: sans-serif; }
"#;

const SCRIPT: &str = r#"
(function () {
  var data = JSON.parse(document.getElementById('findings-data').textContent);
  var body = document.getElementById('findings-body');
  function loc(l) {
    if (l.sheet) return l.sheet + '!' + l.cell;
    if (l.line) return 'line ' + l.line + ':' + l.column;
    if (l.part) return l.part + ' #' + l.paragraph;
    return '';
  }
  data.forEach(function (f, i) {
    var tr = document.createElement('tr');
    tr.className = 'finding' + (f.verdict === 'violation' ? ' violation' : '');
    tr.dataset.category = f.category; tr.dataset.confidence = f.confidence;
    tr.dataset.verdict = f.verdict || '';
    [f.path, loc(f.location), f.category, f.confidence, f.rule, f.masked, f.context, f.verdict || '']
      .forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
    body.appendChild(tr);
  });
  var q = document.getElementById('f-text'), c = document.getElementById('f-category'),
      k = document.getElementById('f-confidence'), v = document.getElementById('f-verdict'),
      shown = document.getElementById('f-shown');
  function apply() {
    var n = 0, text = q.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (tr) {
      var ok = (!c.value || tr.dataset.category === c.value) &&
               (!k.value || tr.dataset.confidence === k.value) &&
               (!v.value || tr.dataset.verdict === v.value) &&
               (!text || tr.textContent.toLowerCase().indexOf(text) >= 0);
      tr.style.display = ok ? '' : 'none'; if (ok) n++;
    });
    shown.textContent = n;
  }
  [q, c, k, v].forEach(function (e) { e.addEventListener('input', apply); });
  apply();
})();
"#;

pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    files: &[super::FileSummary],
    folders: &[FolderSummary],
    findings: &[Reported],
    violations: &[Reported],
) -> io::Result<()> {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width\">");
    h.push_str("<title>mamori scan report</title><style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body>\n");
    h.push_str(&format!(
        "<h1>mamori scan report</h1><p>{} — {} · roots: {}</p>",
        esc(&info.started),
        esc(&info.finished),
        esc(&info.roots.join(", "))
    ));
    h.push_str(&format!(
        "<p><span id=\"files-scanned\" data-value=\"{fs}\">{fs}</span> files scanned, \
         <span id=\"total-findings\" data-value=\"{ft}\">{ft}</span> findings at {mc} confidence or above, \
         <span id=\"total-violations\" data-value=\"{vt}\">{vt}</span> policy violations{pol}, \
         <span id=\"total-errors\" data-value=\"{et}\">{et}</span> paths not readable, {sk} files not scanned.</p>",
        fs = info.files_scanned,
        ft = info.findings_total,
        mc = info.min_confidence.id(),
        vt = info.violations_total,
        pol = info
            .policy
            .as_ref()
            .map(|p| format!(" ({})", esc(p)))
            .unwrap_or_default(),
        et = info.errors.len(),
        sk = info.files_skipped,
    ));
    if let Some(run) = run {
        h.push_str(&format!(
            "<p id=\"run\" data-run=\"{id}\">Run {id} ({st}{prev}): {read} files read, {unch} unchanged, {rm} removed; \
             <span id=\"new-findings\">{new}</span> new findings.</p>",
            id = run.id,
            st = esc(&run.status),
            prev = run
                .previous_id
                .map(|p| format!(", compared with run {p}"))
                .unwrap_or_default(),
            read = run.files_scanned,
            unch = run.files_unchanged,
            rm = run.files_removed,
            new = run.findings_new,
        ));
    }
    if info.findings_suppressed > 0 {
        h.push_str(&format!(
            "<p>{} accepted findings (baseline) are listed but not counted.</p>",
            info.findings_suppressed
        ));
    }

    // By category.
    h.push_str("<h2>Findings by category</h2><table id=\"by-category\"><tr><th>category</th><th></th><th>findings</th></tr>");
    let mut cat_rows = Vec::new();
    for (cat, n) in &info.findings_by_category {
        h.push_str(&format!(
            "<tr data-category=\"{id}\"><td>{id}</td><td>{ja}</td><td class=\"n\" data-count=\"{n}\">{n}</td></tr>",
            id = cat.id(),
            ja = esc(cat.label_ja())
        ));
        cat_rows.push((format!("{} {}", cat.label_ja(), cat.id()), *n));
    }
    h.push_str("</table>");
    h.push_str(&bars(&cat_rows));

    // By level.
    let mut levels: BTreeMap<Level, u64> = BTreeMap::new();
    for f in files {
        *levels.entry(f.classification).or_default() += 1;
    }
    h.push_str("<h2>Files by classification level</h2><table id=\"by-level\"><tr><th>level</th><th>files</th></tr>");
    let mut level_rows = Vec::new();
    for level in [
        Level::SpecificPersonal,
        Level::SpecialCare,
        Level::Personal,
        Level::None,
    ] {
        let n = levels.get(&level).copied().unwrap_or(0);
        h.push_str(&format!(
            "<tr data-level=\"{}\"><td>{}</td><td class=\"n\" data-count=\"{n}\">{n}</td></tr>",
            level.id(),
            esc(level.label_ja())
        ));
        level_rows.push((level.label_ja().to_string(), n));
    }
    h.push_str("</table>");
    h.push_str(&bars(&level_rows));

    // By folder.
    let top = super::folders_by_level(folders);
    h.push_str("<h2>Folders</h2><table id=\"by-folder\"><tr><th>folder</th><th>level</th><th>findings</th><th>files with findings</th><th>violations</th><th>categories</th></tr>");
    for f in top.iter().take(50) {
        let cats: Vec<String> = f.counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        h.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if f.violations > 0 { " class=\"violation\"" } else { "" },
            esc(&f.path),
            esc(f.classification.label_ja()),
            f.findings,
            f.files_with_findings,
            f.files,
            f.violations,
            esc(&cats.join(", "))
        ));
    }
    h.push_str("</table>");

    // Violations (the most important, up to the listing limit).
    h.push_str(&format!(
        "<h2>Policy violations ({})</h2>",
        info.violations_total
    ));
    if info.violations_total > violations.len() as u64 {
        h.push_str(&format!(
            "<p class=\"muted\" id=\"violations-limit\">The first {} are listed; every violation is in the json, jsonl, csv and sarif reports.</p>",
            violations.len()
        ));
    }
    if violations.is_empty() {
        h.push_str("<p class=\"muted\">None.</p>");
    } else {
        h.push_str("<table id=\"violations\"><tr><th>file</th><th>category</th><th>value</th><th>reason</th></tr>");
        for f in violations {
            h.push_str(&format!(
                "<tr class=\"violation\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.path),
                f.category.id(),
                esc(&f.masked),
                esc(f.policy.as_ref().map_or("", |p| p.reason.as_str()))
            ));
        }
        h.push_str("</table>");
    }

    // Not scanned.
    h.push_str(&format!(
        "<h2>Not scanned ({} not readable, {} skipped)</h2>",
        info.errors.len(),
        info.skipped.len()
    ));
    if info.errors.is_empty() && info.skipped.is_empty() {
        h.push_str("<p class=\"muted\">Every file was read.</p>");
    } else {
        h.push_str("<table id=\"not-scanned\"><tr><th>path</th><th>reason</th><th></th></tr>");
        for (p, kind) in info
            .errors
            .iter()
            .map(|p| (p, "error"))
            .chain(info.skipped.iter().map(|p| (p, "skipped")))
        {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{kind}</td></tr>",
                esc(&p.path),
                esc(&p.reason)
            ));
        }
        h.push_str("</table>");
    }

    // Findings, rendered by the script from the embedded data.
    let categories: Vec<Category> = info.findings_by_category.keys().copied().collect();
    h.push_str("<h2>Findings</h2><div class=\"filters\">");
    h.push_str("<input id=\"f-text\" type=\"search\" placeholder=\"filter text\">");
    h.push_str("<select id=\"f-category\"><option value=\"\">all categories</option>");
    for c in &categories {
        h.push_str(&format!("<option value=\"{0}\">{0}</option>", c.id()));
    }
    h.push_str("</select><select id=\"f-confidence\"><option value=\"\">any confidence</option><option>high</option><option>medium</option><option>low</option></select>");
    h.push_str("<select id=\"f-verdict\"><option value=\"\">any verdict</option><option>violation</option><option>permitted</option></select>");
    h.push_str(&format!(
        "<span id=\"f-shown\">{n}</span> of {n} shown</div>",
        n = findings.len()
    ));
    let total = info.findings_total + info.findings_suppressed;
    if total > findings.len() as u64 {
        h.push_str(&format!(
            "<p class=\"muted\" id=\"findings-limit\">The {} most important of {total} findings are embedded here (policy violations, then the most certain, then the most sensitive categories); every finding is in the json, jsonl, csv and sarif reports (<code>mamori scan … --format json</code>).</p>",
            findings.len()
        ));
    }
    h.push_str("<table id=\"findings\"><thead><tr><th>path</th><th>location</th><th>category</th><th>confidence</th><th>rule</th><th>value</th><th>context</th><th>verdict</th></tr></thead><tbody id=\"findings-body\"></tbody></table>");
    let data: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "path": f.path,
                "location": f.location,
                "category": f.category.id(),
                "confidence": f.confidence.id(),
                "rule": f.rule,
                "masked": f.masked,
                "context": f.context,
                "verdict": f.policy.as_ref().map(|p| match p.verdict {
                    VerdictKind::Permitted => "permitted",
                    VerdictKind::Violation => "violation",
                }),
            })
        })
        .collect();
    let json = script_safe(&serde_json::to_string(&data).unwrap_or_else(|_| "[]".into()));
    h.push_str(&format!(
        "<script type=\"application/json\" id=\"findings-data\">{json}</script><script>{SCRIPT}</script>"
    ));
    h.push_str("</body></html>\n");
    out.write_all(h.as_bytes())
}
