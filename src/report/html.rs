//! HTML: one self-contained file that works offline (no external scripts,
//! styles or fonts): the summary by category, by classification level and
//! by folder with bar charts, every policy violation, what could not be
//! scanned, and the findings table with filters. Values are masked as in
//! every other format.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{FileSummary, FolderSummary, ScanInfo};
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

/// A bar chart as a table: each label in its own cell (wrapped, never
/// cut), the bar beside it scaled to the largest count.
fn bars(id: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let mut h = format!("<table class=\"chart\" id=\"{id}\" role=\"img\">");
    for (label, n) in rows {
        let pct = *n as f64 * 100.0 / max as f64;
        h.push_str(&format!(
            "<tr><td class=\"label\">{}</td><td class=\"bar\"><span style=\"width:{pct:.1}%\"></span></td><td class=\"n\">{n}</td></tr>",
            esc(label)
        ));
    }
    h.push_str("</table>");
    h
}

/// A report time (RFC 3339, UTC) to the second, as a `<time>` element the
/// page's script shows in the reader's local time.
fn time_element(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(t) = time::OffsetDateTime::parse(rfc3339, &Rfc3339) else {
        return esc(rfc3339);
    };
    let t = t.replace_nanosecond(0).unwrap_or(t);
    let iso = t.format(&Rfc3339).unwrap_or_default();
    let shown = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    format!("<time datetime=\"{iso}\">{shown}</time>")
}

/// Paths as the page shows them: relative to their scan root; with several
/// roots, under the root's own name.
struct Paths<'a> {
    roots: &'a [String],
}

impl Paths<'_> {
    fn show(&self, path: &str) -> String {
        let name = |root: &str| {
            root.rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or(root)
                .to_string()
        };
        if let Some(root) = self
            .roots
            .iter()
            .find(|r| r.trim_end_matches('/') == path.trim_end_matches('/'))
        {
            return if self.roots.len() == 1 {
                ".".to_string()
            } else {
                name(root.trim_end_matches('/'))
            };
        }
        let root = self
            .roots
            .iter()
            .map(|r| r.trim_end_matches('/'))
            .filter(|r| {
                path.len() > r.len()
                    && path.starts_with(r)
                    && (r.is_empty() || path.as_bytes()[r.len()] == b'/')
            })
            .max_by_key(|r| r.len());
        let Some(root) = root else {
            return path.to_string();
        };
        let rel = path[root.len()..].trim_start_matches('/');
        if self.roots.len() == 1 {
            return rel.to_string();
        }
        format!("{}/{rel}", name(root))
    }

    /// The folder of a file as shown (`.` for the root itself).
    fn folder(&self, path: &str) -> String {
        let shown = self.show(path);
        match shown.rfind('/') {
            Some(i) => shown[..i].to_string(),
            None => ".".to_string(),
        }
    }
}

/// The most files the fix-first list shows.
pub const FIX_FIRST: usize = 100;

/// The most unreadable and skipped paths the page lists.
const NOT_SCANNED: usize = 1000;

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
table.chart { border: none; margin: .6em 0 1em; }
table.chart td { border: none; padding: 1px 6px; }
table.chart td.label { max-width: 28em; }
table.chart td.bar { width: 24em; }
table.chart td.bar span { display: inline-block; height: 14px; background: #4a6fa5; min-width: 1px; }
td.places { font-size: 12px; color: #444; }
code { font-size: 12px; word-break: break-all; }
.level-specific_personal { background: #fbd5d5; }
.level-special_care { background: #fde9cf; }
details { margin: .6em 0; }
"#;

const SCRIPT: &str = r#"
(function () {
  Array.prototype.forEach.call(document.querySelectorAll('time[datetime]'), function (t) {
    var d = new Date(t.getAttribute('datetime'));
    if (!isNaN(d)) { t.title = t.textContent; t.textContent = d.toLocaleString(); }
  });
  var data = JSON.parse(document.getElementById('findings-data').textContent);
  var body = document.getElementById('findings-body');

  data.forEach(function (f, i) {
    var tr = document.createElement('tr');
    tr.className = 'finding' + (f.verdict === 'violation' ? ' violation' : '');
    tr.dataset.category = f.category; tr.dataset.confidence = f.confidence;
    tr.dataset.verdict = f.verdict || '';
    [f.path, f.place, f.category, f.confidence, f.rule, f.value, f.context, f.verdict || '']
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
  // Milliseconds from the start of loading until the page is usable.
  document.body.setAttribute('data-ready-ms', Math.round(performance.now()));
})();
"#;

pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    files: &FileRanks,
    folders: &[FolderSummary],
    findings: &[Reported],
    violations: &[Reported],
) -> io::Result<()> {
    let paths = Paths { roots: &info.roots };
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width\">");
    h.push_str("<title>mamori scan report</title><style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body>\n");
    h.push_str(&format!(
        "<h1>mamori scan report</h1><p>{} — {} · {}: {}</p>",
        time_element(&info.started),
        time_element(&info.finished),
        if info.roots.len() == 1 {
            "root"
        } else {
            "roots"
        },
        esc(&info.roots.join(", "))
    ));
    let policy = info.policy.is_some();
    let mut summary = format!(
        "<p><span id=\"files-scanned\" data-value=\"{fs}\">{fs}</span> {files} scanned, \
         <span id=\"total-findings\" data-value=\"{ft}\">{ft}</span> {findings} at {mc} confidence or above",
        fs = info.files_scanned,
        files = if info.files_scanned == 1 {
            "file"
        } else {
            "files"
        },
        ft = info.findings_total,
        findings = if info.findings_total == 1 {
            "finding"
        } else {
            "findings"
        },
        mc = info.min_confidence.id(),
    );
    if let Some(p) = &info.policy {
        summary.push_str(&format!(
            ", <span id=\"total-violations\" data-value=\"{vt}\">{vt}</span> {v} of the policy {}",
            esc(p),
            vt = info.violations_total,
            v = if info.violations_total == 1 {
                "violation"
            } else {
                "violations"
            },
        ));
    }
    summary.push_str(&format!(
        ", <span id=\"total-errors\" data-value=\"{et}\">{et}</span> not readable, {sk} not scanned on purpose.</p>",
        et = info.errors_total,
        sk = info.files_skipped,
    ));
    h.push_str(&summary);
    if !policy {
        h.push_str("<p class=\"muted\" id=\"no-policy\">No policy was given: findings are not judged. Run with <code>--policy FILE</code> to see which are violations and who owns each file.</p>");
    }
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

    fix_first(&mut h, &paths, policy, files);

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
    h.push_str(&bars("chart-category", &cat_rows));

    // By level.
    let levels = &files.levels;
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
    h.push_str(&bars("chart-level", &level_rows));

    // By folder.
    let top = super::folders_by_level(folders);
    h.push_str(&format!(
        "<h2>Folders</h2><table id=\"by-folder\"><tr><th>folder</th><th>level</th><th>findings</th><th>files with findings</th>{}<th>categories</th></tr>",
        if policy { "<th>violations</th>" } else { "" }
    ));
    for f in top.iter().take(50) {
        let cats: Vec<String> = f.counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let shown = paths.show(&f.path);
        h.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td>{}<td>{}</td></tr>",
            if f.violations > 0 {
                " class=\"violation\""
            } else {
                ""
            },
            esc(&shown),
            esc(f.classification.label_ja()),
            f.findings,
            f.files_with_findings,
            f.files,
            if policy {
                format!("<td class=\"n\">{}</td>", f.violations)
            } else {
                String::new()
            },
            esc(&cats.join(", "))
        ));
    }
    h.push_str("</table>");
    if top.len() > 50 {
        h.push_str(&format!(
            "<p class=\"muted\">… and {} more folders with findings (every folder is in the json report).</p>",
            top.len() - 50
        ));
    }

    // Violations (the most important, up to the listing limit).
    if policy {
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
            h.push_str("<table id=\"violations\"><tr><th>file</th><th>location</th><th>category</th><th>value</th><th>reason</th></tr>");
            for f in violations {
                let file = f.entry_at.map_or(f.path.as_str(), |i| {
                    f.path.get(..i.saturating_sub(1)).unwrap_or(&f.path)
                });
                h.push_str(&format!(
                    "<tr class=\"violation\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&paths.show(file)),
                    esc(&super::place(f)),
                    f.category.id(),
                    esc(&f.masked),
                    esc(f.policy.as_ref().map_or("", |p| p.reason.as_str()))
                ));
            }
            h.push_str("</table>");
        }
    }

    // Not scanned.
    h.push_str(&format!(
        "<h2>Not scanned ({} not readable, {} skipped)</h2>",
        info.errors_total, info.files_skipped
    ));
    if info.errors_total == 0 && info.skipped.is_empty() {
        h.push_str("<p class=\"muted\">Every file was read.</p>");
    } else {
        if !info.skipped_by_reason.is_empty() {
            let reasons: Vec<String> = info
                .skipped_by_reason
                .iter()
                .map(|(r, n)| format!("{} {n}", esc(r)))
                .collect();
            h.push_str(&format!(
                "<p>Skipped by reason: {}.</p>",
                reasons.join(", ")
            ));
        }
        h.push_str("<table id=\"not-scanned\"><tr><th>path</th><th>reason</th><th></th></tr>");
        let all = info
            .errors
            .iter()
            .map(|p| (p, "error"))
            .chain(info.skipped.iter().map(|p| (p, "skipped")));
        for (p, kind) in all.take(NOT_SCANNED) {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{kind}</td></tr>",
                esc(&paths.show(&p.path)),
                esc(&p.reason)
            ));
        }
        h.push_str("</table>");
        let n = info.errors_total + info.files_skipped;
        let shown = (info.errors.len() + info.skipped.len()).min(NOT_SCANNED) as u64;
        if n > shown {
            h.push_str(&format!(
                "<p class=\"muted\">… and {} more (in the json report: the first 10,000 unreadable and the first 10,000 skipped paths).</p>",
                n - shown
            ));
        }
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
    if policy {
        h.push_str("<select id=\"f-verdict\"><option value=\"\">any verdict</option><option>violation</option><option>permitted</option></select>");
    } else {
        h.push_str("<select id=\"f-verdict\" hidden><option value=\"\"></option></select>");
    }
    h.push_str(&format!(
        "<span id=\"f-shown\">{n}</span> of {n} shown</div>",
        n = findings.len()
    ));
    let total = info.findings_total + info.findings_suppressed;
    if total > findings.len() as u64 {
        h.push_str(&format!(
            "<p class=\"muted\" id=\"findings-limit\">The {} most important of {total} findings are embedded here (policy violations, then the most certain, then the most sensitive categories); every finding is in the json, jsonl, csv and sarif reports (<code>mamori report THIS-SCAN.json --format csv</code>, or scan with <code>--format json</code>).</p>",
            findings.len()
        ));
    }
    let value = if info.reveal() {
        "value"
    } else {
        "masked value"
    };
    h.push_str(&format!("<table id=\"findings\"><thead><tr><th>file</th><th>location</th><th>category</th><th>confidence</th><th>rule</th><th>{value}</th><th>context</th><th>verdict</th></tr></thead><tbody id=\"findings-body\"></tbody></table>"));
    let data: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let file = f.entry_at.map_or(f.path.as_str(), |i| {
                f.path.get(..i.saturating_sub(1)).unwrap_or(&f.path)
            });
            serde_json::json!({
                "path": paths.show(file),
                "place": super::place(f),
                "category": f.category.id(),
                "confidence": f.confidence.id(),
                "rule": f.rule,
                "value": f.masked,
                "context": f.context,
                "verdict": f.policy.as_ref().map(|p| match p.verdict {
                    VerdictKind::Permitted => "permitted",
                    VerdictKind::Violation => "violation",
                }),
            })
        })
        .collect();
    let json = script_safe(&serde_json::to_string(&data).unwrap_or_else(|_| "[]".into()));

    audit(&mut h, info);

    h.push_str(&format!(
        "<script type=\"application/json\" id=\"findings-data\">{json}</script><script>{SCRIPT}</script>"
    ));
    h.push_str("</body></html>\n");
    out.write_all(h.as_bytes())
}

/// What the page shows of the files, kept in bounded memory: the
/// [`FIX_FIRST`] to deal with first, how many hold findings, and how many
/// are at each level.
#[derive(Debug, Default)]
pub(super) struct FileRanks {
    /// The first files in [`rank`] order, and some more between trims.
    top: Vec<FileSummary>,
    /// Files with findings.
    with_findings: u64,
    /// Files by classification level.
    levels: BTreeMap<Level, u64>,
}

/// The order of the fix-first list: by classification level, then
/// violations, then findings (most first), then path.
fn rank(a: &FileSummary, b: &FileSummary) -> std::cmp::Ordering {
    (b.classification, b.violations, b.findings, &a.path).cmp(&(
        a.classification,
        a.violations,
        a.findings,
        &b.path,
    ))
}

impl FileRanks {
    /// Takes a scanned file.
    pub(super) fn add(&mut self, file: FileSummary) {
        *self.levels.entry(file.classification).or_default() += 1;
        if file.findings == 0 {
            return;
        }
        self.with_findings += 1;
        self.top.push(file);
        if self.top.len() >= 2 * FIX_FIRST {
            self.top.sort_by(rank);
            self.top.truncate(FIX_FIRST);
        }
    }

    /// The files to deal with first, in order.
    fn ranked(&self) -> Vec<&FileSummary> {
        let mut ranked: Vec<&FileSummary> = self.top.iter().collect();
        ranked.sort_by(|a, b| rank(a, b));
        ranked.truncate(FIX_FIRST);
        ranked
    }
}

/// The files to deal with first: by classification level, then
/// violations, then findings; each with its folder, its owner (from the
/// policy) and where its first violations are.
fn fix_first(h: &mut String, paths: &Paths, policy: bool, files: &FileRanks) {
    let ranked = files.ranked();
    h.push_str("<h2>Fix first</h2>");
    if ranked.is_empty() {
        h.push_str("<p class=\"muted\" id=\"fix-first-none\">No file holds personal data at this confidence.</p>");
        return;
    }
    h.push_str(&format!(
        "<p class=\"muted\">Files with personal data, most sensitive first ({}), then by {}findings.</p>",
        "特定個人情報, 要配慮個人情報・機微情報, 個人情報",
        if policy { "policy violations, then " } else { "" }
    ));
    h.push_str("<table id=\"fix-first\"><tr><th>#</th><th>file</th><th>folder</th><th>level</th>");
    if policy {
        h.push_str("<th>owner</th><th>violations</th>");
    }
    h.push_str("<th>findings</th><th>categories</th>");
    if policy {
        h.push_str("<th>violations at</th>");
    }
    h.push_str("</tr>");
    for (i, f) in ranked.iter().take(FIX_FIRST).enumerate() {
        let shown = paths.show(&f.path);
        let name = shown.rsplit('/').next().unwrap_or(&shown);
        let cats: Vec<String> = f
            .counts
            .iter()
            .map(|(c, n)| format!("{} {n}", c.label_ja()))
            .collect();
        h.push_str(&format!(
            "<tr class=\"fix level-{}{}\" data-path=\"{}\"><td class=\"n\">{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td>",
            f.classification.id(),
            if f.violations > 0 { " violation" } else { "" },
            esc(&shown),
            i + 1,
            esc(&shown),
            esc(name),
            esc(&paths.folder(&f.path)),
            esc(f.classification.label_ja()),
        ));
        if policy {
            h.push_str(&format!(
                "<td>{}</td><td class=\"n\">{}</td>",
                esc(f.owner.as_deref().unwrap_or("—")),
                f.violations
            ));
        }
        h.push_str(&format!(
            "<td class=\"n\">{}</td><td>{}</td>",
            f.findings,
            esc(&cats.join(", "))
        ));
        if policy {
            let places = f.violation_places.join("; ");
            h.push_str(&format!("<td class=\"places\">{}</td>", esc(&places)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if files.with_findings > FIX_FIRST as u64 {
        h.push_str(&format!(
            "<p class=\"muted\" id=\"fix-first-more\">… and {} more files with findings: every file, with its level and counts, is in the json report (<code>files</code>), every finding in the csv.</p>",
            files.with_findings - FIX_FIRST as u64
        ));
    }
}

/// How the scan was run, for an auditor.
fn audit(h: &mut String, info: &ScanInfo) {
    let Some(a) = &info.audit else {
        return;
    };
    let row = |h: &mut String, k: &str, v: String| {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>"));
    };
    let file = |f: &super::FileUsed| {
        format!(
            "{} <code>sha256 {}</code>",
            esc(&f.path),
            esc(if f.sha256.is_empty() {
                "(unreadable)"
            } else {
                &f.sha256
            })
        )
    };
    h.push_str("<h2>How this scan was run</h2><table id=\"audit\">");
    row(h, "host", esc(&a.host));
    row(h, "user", esc(&a.user));
    row(h, "working directory", esc(&a.working_directory));
    row(
        h,
        "command line",
        format!(
            "<code id=\"command-line\">{}</code>",
            esc(&a.command_line.join(" "))
        ),
    );
    row(
        h,
        "mamori",
        format!(
            "{} · IPADIC {} ({})",
            esc(&a.build.version),
            esc(&a.build.ipadic),
            esc(&a.build.ipadic_source)
        ),
    );
    let dicts: Vec<String> = a
        .build
        .dictionaries
        .iter()
        .map(|(n, h)| format!("{} <code>{}</code>", esc(n), esc(&h[..h.len().min(16)])))
        .collect();
    row(h, "built-in term lists", dicts.join(", "));
    if !info.ruleset.is_empty() {
        row(h, "ruleset", format!("<code>{}</code>", esc(&info.ruleset)));
    }
    if let Some(c) = &a.config {
        row(h, "configuration", file(c));
    }
    if let Some(p) = &a.policy {
        row(h, "policy", file(p));
    }
    if let Some(b) = &a.baseline {
        row(h, "baseline", file(b));
    }
    if !a.dictionaries.is_empty() {
        row(
            h,
            "dictionaries",
            a.dictionaries
                .iter()
                .map(file)
                .collect::<Vec<_>>()
                .join("<br>"),
        );
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            esc(&v.join(", "))
        }
    };
    row(h, "excludes", list(&a.excludes));
    row(h, "globs", list(&a.globs));
    row(
        h,
        "size limit",
        a.max_file_size
            .map_or("none".to_string(), |n| format!("{n} bytes")),
    );
    row(
        h,
        "symbolic links",
        (if a.follow_links {
            "followed"
        } else {
            "not followed"
        })
        .to_string(),
    );
    row(h, "threads", a.threads.to_string());
    row(
        h,
        "confidence threshold",
        info.min_confidence.id().to_string(),
    );
    row(
        h,
        "fingerprint key",
        format!(
            "id <code>{}</code> from {}",
            esc(&info.key_id),
            esc(&a.key_source)
        ),
    );
    row(
        h,
        "values",
        (if a.reveal {
            "<strong>revealed (--reveal): this report holds personal data unmasked</strong>"
        } else {
            "masked"
        })
        .to_string(),
    );
    let counts = |m: &BTreeMap<String, u64>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, n)| format!("{} {n}", esc(k)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    row(h, "left out on purpose", counts(&a.excluded));
    row(h, "skipped", counts(&info.skipped_by_reason));
    if !a.merged_from.is_empty() {
        row(
            h,
            "merged from",
            a.merged_from
                .iter()
                .map(file)
                .collect::<Vec<_>>()
                .join("<br>"),
        );
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_to_fix_first_are_kept_without_holding_every_file() {
        let levels = [
            Level::None,
            Level::Personal,
            Level::SpecialCare,
            Level::SpecificPersonal,
        ];
        let all: Vec<FileSummary> = (0..1000u64)
            .map(|i| {
                let k = (i * 7919) % 1000;
                FileSummary {
                    path: format!("share/{k:04}.csv"),
                    format: "csv",
                    encoding: None,
                    bytes: 10,
                    findings: k % 7,
                    classification: levels[(k % 4) as usize],
                    counts: BTreeMap::new(),
                    violations: k % 3,
                    owner: None,
                    violation_places: Vec::new(),
                }
            })
            .collect();
        let mut ranks = FileRanks::default();
        for f in all.clone() {
            ranks.add(f);
            assert!(ranks.top.len() < 2 * FIX_FIRST);
        }
        let mut expected: Vec<&FileSummary> = all.iter().filter(|f| f.findings > 0).collect();
        expected.sort_by(|a, b| rank(a, b));
        assert_eq!(ranks.with_findings, expected.len() as u64);
        expected.truncate(FIX_FIRST);
        assert_eq!(ranks.ranked(), expected);
        assert_eq!(ranks.levels.values().sum::<u64>(), 1000);
        assert_eq!(ranks.levels[&Level::SpecialCare], 250);
    }

    #[test]
    fn paths_are_shown_under_their_root() {
        let one = ["/srv/share".to_string()];
        let p = Paths { roots: &one };
        assert_eq!(p.show("/srv/share/人事部/a.csv"), "人事部/a.csv");
        assert_eq!(p.folder("/srv/share/人事部/a.csv"), "人事部");
        assert_eq!(p.folder("/srv/share/a.csv"), ".");
        assert_eq!(p.show("/srv/share"), ".");
        // Not under the root by name alone.
        assert_eq!(p.show("/srv/shared/a.csv"), "/srv/shared/a.csv");
        let two = ["/srv/share".to_string(), "home/taro/".to_string()];
        let p = Paths { roots: &two };
        assert_eq!(p.show("home/taro/memo.txt"), "taro/memo.txt");
        assert_eq!(p.show("/srv/share/a.csv"), "share/a.csv");
    }

    #[test]
    fn times_are_shown_to_the_second() {
        assert_eq!(
            time_element("2026-11-26T01:02:03.123456789Z"),
            "<time datetime=\"2026-11-26T01:02:03Z\">2026-11-26 01:02:03 UTC</time>"
        );
        assert_eq!(time_element("yesterday<"), "yesterday&lt;");
    }
}
