//! SARIF 2.1.0, for security tooling (code-scanning dashboards, SIEM).
//!
//! One run; one rule per mamori rule id; one result per finding with its
//! physical location (file URI, line, column, byte offset, or the sheet and
//! cell as a logical location), the masked value and context only, and the
//! keyed fingerprint as a partial fingerprint. Policy violations are
//! `error`, other findings `warning` (high, medium) or `note` (low). Files
//! that could not be read are tool execution notifications.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::ScanInfo;
use super::{Reported, RunSummary};
use crate::finding::Confidence;

/// Percent-encodes a path into a URI reference (RFC 3986): unreserved
/// characters and `/` stay, everything else (Japanese included) is encoded.
/// A byte of a file name that is not UTF-8 (kept as a private-use
/// character by [`crate::finding::path_text`]) is encoded as itself, so the
/// URI names the file exactly.
fn uri(path: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut utf8 = [0u8; 4];
    for c in path.chars() {
        let c = if c == '\\' { '/' } else { c };
        let bytes: &[u8] = match crate::finding::escaped_byte(c) {
            Some(b) => {
                utf8[0] = b;
                &utf8[..1]
            }
            None => c.encode_utf8(&mut utf8).as_bytes(),
        };
        for &b in bytes {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn level(f: &Reported) -> &'static str {
    if f.is_violation() {
        "error"
    } else if f.confidence >= Confidence::Medium {
        "warning"
    } else {
        "note"
    }
}

/// The file's URI relative to the scan root it lies under, with that
/// root's id (`ROOT0`…); absolute (percent-encoded) when under none.
fn artifact(file: &str, roots: &[String]) -> Value {
    let under = roots.iter().enumerate().find_map(|(i, r)| {
        let r = r.trim_end_matches('/');
        let rel = file.strip_prefix(r)?.strip_prefix('/')?;
        Some((i, rel))
    });
    match under {
        Some((i, rel)) => json!({ "uri": uri(rel), "uriBaseId": format!("ROOT{i}") }),
        None => json!({ "uri": uri(file) }),
    }
}

/// `file://` URIs of the roots, for `originalUriBaseIds` (directories end
/// with `/`, as SARIF wants).
fn root_bases(roots: &[String]) -> Value {
    let mut bases = serde_json::Map::new();
    for (i, r) in roots.iter().enumerate() {
        let abs = std::path::absolute(r).unwrap_or_else(|_| r.into());
        let mut u = format!("file://{}", uri(&crate::finding::path_text(&abs)));
        if !u.ends_with('/') {
            u.push('/');
        }
        bases.insert(format!("ROOT{i}"), json!({ "uri": u }));
    }
    Value::Object(bases)
}

fn location(f: &Reported, roots: &[String]) -> Value {
    let l = &f.location;
    // Inside an archive the artifact is the archive; the entry is logical.
    let (file, inner) = match f.entry_at.filter(|&at| at <= f.path.len()) {
        Some(at) => (&f.path[..at - 1], Some(&f.path[at..])),
        None => (f.path.as_str(), None),
    };
    let mut region = serde_json::Map::new();
    if let Some(line) = l.line {
        region.insert("startLine".into(), json!(line));
        region.insert("startColumn".into(), json!(l.column));
    }
    if let Some(b) = l.byte_offset {
        region.insert("byteOffset".into(), json!(b));
    }
    region.insert("snippet".into(), json!({ "text": f.context }));
    let mut logical = Vec::new();
    if let Some(inner) = inner {
        logical.push(json!({ "fullyQualifiedName": inner, "kind": "module" }));
    }
    if let (Some(sheet), Some(cell)) = (&l.sheet, &l.cell) {
        logical.push(json!({ "fullyQualifiedName": format!("{sheet}!{cell}"), "kind": "element" }));
    }
    if let Some(part) = &l.part {
        logical.push(json!({
            "fullyQualifiedName": format!("{part}#{}", l.paragraph.unwrap_or(0)),
            "kind": "element"
        }));
    }
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": artifact(file, roots),
            "region": Value::Object(region),
        }
    });
    if !logical.is_empty() {
        loc["logicalLocations"] = json!(logical);
    }
    loc
}

/// A command line as one string a POSIX shell would split back into
/// `args`: arguments with anything but safe characters single-quoted.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let safe = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_alphanumeric() || "-_./=:,+@%".contains(c));
            if safe {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One result, as one line of compact JSON (rendered on the worker that
/// found it; [`write_document`] joins the lines).
pub(super) fn write_result(out: &mut Vec<u8>, f: &Reported, roots: &[String]) -> io::Result<()> {
    let mut message = format!(
        "{} ({}, {}): {}",
        f.category.label_ja(),
        f.category.id(),
        f.confidence.id(),
        f.masked
    );
    if let Some(p) = &f.policy {
        message.push_str(&format!(" — {}", p.reason));
    }
    let mut properties = json!({
        "category": f.category.id(),
        "confidence": f.confidence.id(),
    });
    if let Some(p) = &f.policy {
        properties["policy"] = serde_json::to_value(p).unwrap_or(Value::Null);
    }
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f),
        "message": { "text": message },
        "locations": [location(f, roots)],
        "partialFingerprints": { "mamoriValueFingerprint/v1": f.fingerprint },
        "properties": properties,
    });
    if let Some(s) = &f.status {
        result["baselineState"] = json!(match s {
            super::Status::New => "new",
            super::Status::Existing => "unchanged",
        });
    }
    if let Some(s) = &f.suppressed {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": s.reason,
            "properties": { "expires": s.expires },
        }]);
    }
    serde_json::to_writer(&mut *out, &result)?;
    out.push(b'\n');
    Ok(())
}

/// Writes the document: the run's tool, rules and invocation, then the
/// results rendered by [`write_result`] from the spill file, files in path
/// order. Memory holds the rules and the files' offsets, never the results.
pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    rules: &BTreeMap<String, crate::finding::Category>,
    spill: super::json::Spill,
) -> io::Result<()> {
    let rule_objects: Vec<Value> = rules
        .iter()
        .map(|(id, category)| {
            json!({
                "id": id,
                "name": id.replace('.', "/"),
                "shortDescription": { "text": format!("{} ({})", category.label_ja(), category.id()) },
                "properties": { "category": category.id() },
            })
        })
        .collect();
    let notifications: Vec<Value> = info
        .errors
        .iter()
        .map(|p| {
            json!({
                "level": "error",
                "message": { "text": p.reason },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(p.path.split('!').next().unwrap_or(&p.path), &info.roots) } }],
            })
        })
        .collect();
    let mut run_object = json!({
        "originalUriBaseIds": root_bases(&info.roots),
        "tool": { "driver": {
            "name": "mamori",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rule_objects,
        }},
        "invocations": [{
            "executionSuccessful": true,
            "startTimeUtc": info.started,
            "endTimeUtc": info.finished,
            "toolExecutionNotifications": notifications,
        }],
    });
    if let Some(a) = &info.audit {
        // SARIF's own fields for who ran what where; the rest of the audit
        // record in the invocation's property bag.
        let inv = &mut run_object["invocations"][0];
        inv["commandLine"] = json!(shell_words(&a.command_line));
        inv["arguments"] = json!(a.command_line.get(1..).unwrap_or_default());
        inv["machine"] = json!(a.host);
        inv["account"] = json!(a.user);
        let mut dir = format!("file://{}", uri(&a.working_directory));
        if !dir.ends_with('/') {
            dir.push('/');
        }
        inv["workingDirectory"] = json!({ "uri": dir });
        inv["properties"] = json!({ "audit": a });
    }
    if let Some(run) = run {
        run_object["automationDetails"] = json!({ "id": format!("mamori/run/{}", run.id) });
        run_object["properties"] = json!({ "run": run });
    }
    let head = serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
    }))?;
    out.write_all(
        head.strip_suffix('}')
            .unwrap_or(&head)
            .trim_end()
            .as_bytes(),
    )?;
    out.write_all(b",\n  \"runs\": [\n")?;
    // The run object without its closing brace, then its results.
    let run_text = serde_json::to_string_pretty(&run_object)?;
    let run_text = run_text.strip_suffix('}').unwrap_or(&run_text).trim_end();
    for line in run_text.lines() {
        out.write_all(b"    ")?;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.write_all(b"    ,\"results\": [")?;
    let any = spill.write_elements(out, b"\n      ")?;
    out.write_all(if any {
        b"\n    ]\n    }\n  ]\n}\n"
    } else {
        b"]\n    }\n  ]\n}\n"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("share/人事/a b.csv"),
            "share/%E4%BA%BA%E4%BA%8B/a%20b.csv"
        );
        assert_eq!(uri("C:\\x\\y.txt"), "C%3A/x/y.txt");
    }
}
