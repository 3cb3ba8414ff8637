//! Permitted purposes: which categories of personal data may be held where,
//! and the verdict for each finding.
//!
//! A policy is a TOML file:
//!
//! ```toml
//! name = "サンプル証券 個人情報取扱方針"
//! # What a finding no purpose covers is: "violation" or "permitted".
//! default = "violation"
//!
//! [[purpose]]
//! id = "法定書類作成"
//! description = "法定書類の作成・届出事務（個人番号）"
//! categories = ["my_number", "person_name", "address"]
//! paths = ["人事部/**", "経理部/法定調書/**"]
//! owner = "人事部"
//! # Optional: findings below this confidence are not judged by this purpose.
//! min_confidence = "medium"
//! ```
//!
//! `paths` are globs matched against the file's path relative to the
//! policy's `root` (`root = "/srv/share"`, optional; else the configuration's
//! `root`, else the scan root), so scanning a subfolder gives the same
//! verdicts as scanning the whole share (inside an archive, the archive's
//! path): `*` stays within one folder,
//! `**` crosses folders (`人事部/*.csv`, `経理部/**`). A finding is `permitted`
//! by the first purpose that lists its category at a matching path, else it
//! gets the `default` verdict, with the reason.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Category, Confidence, Finding};

/// The verdict on one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `permitted` or `violation`.
    pub verdict: VerdictKind,
    /// The purpose that permits it, if one does.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub purpose: Option<String>,
    /// The owner (department) named by that purpose, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// Permitted or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// A purpose allows this category here.
    Permitted,
    /// No purpose allows it here.
    Violation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    root: Option<String>,
    default: VerdictKind,
    #[serde(default, rename = "purpose")]
    purposes: Vec<PurposeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeFile {
    id: String,
    #[serde(default)]
    description: Option<String>,
    categories: Vec<String>,
    paths: Vec<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    min_confidence: Option<Confidence>,
}

/// One permitted purpose, compiled.
#[derive(Debug, Clone)]
pub struct Purpose {
    /// Its id (`法定書類作成`).
    pub id: String,
    /// What it is for.
    pub description: Option<String>,
    /// The categories it allows.
    pub categories: Vec<Category>,
    /// The owner or department.
    pub owner: Option<String>,
    /// Findings below this confidence are not judged by this purpose.
    pub min_confidence: Option<Confidence>,
    paths: GlobSet,
    globs: Vec<String>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Its name, if it has one.
    pub name: Option<String>,
    /// The folder `paths` are relative to (the share's root), if the policy
    /// declares one; otherwise the scan root.
    pub root: Option<std::path::PathBuf>,
    /// The verdict when no purpose covers a finding.
    pub default: VerdictKind,
    /// The purposes, in file order.
    pub purposes: Vec<Purpose>,
}

/// 1-based line of a byte offset in `src`.
fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

impl Policy {
    /// Parses and validates a policy; errors name the file and line.
    pub fn parse(src: &str, name: &str) -> Result<Policy> {
        let bad = |line: usize, why: String| {
            Error::new(ErrorKind::Config, format!("{name}:{line}: {why}"))
        };
        let file: PolicyFile = toml::from_str(src).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(src, s.start));
            bad(line, e.message().to_string())
        })?;
        let line_of_purpose = |i: usize| {
            src.match_indices("[[purpose]]")
                .nth(i)
                .map_or(1, |(at, _)| line_of(src, at))
        };
        let mut purposes = Vec::new();
        for (i, p) in file.purposes.into_iter().enumerate() {
            let line = line_of_purpose(i);
            if purposes.iter().any(|q: &Purpose| q.id == p.id) {
                return Err(bad(line, format!("purpose `{}` is defined twice", p.id)));
            }
            let mut categories = Vec::new();
            for c in &p.categories {
                let cat = Category::from_id(c).ok_or_else(|| {
                    bad(
                        line,
                        format!(
                            "purpose `{}`: unknown category `{c}` (one of: {})",
                            p.id,
                            Category::ALL
                                .iter()
                                .map(|c| c.id())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                categories.push(cat);
            }
            if p.paths.is_empty() {
                return Err(bad(line, format!("purpose `{}` has no paths", p.id)));
            }
            let mut set = GlobSetBuilder::new();
            for g in &p.paths {
                let glob = GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        bad(
                            line,
                            format!("purpose `{}`: invalid path glob `{g}`: {e}", p.id),
                        )
                    })?;
                set.add(glob);
            }
            let paths = set
                .build()
                .map_err(|e| bad(line, format!("purpose `{}`: {e}", p.id)))?;
            purposes.push(Purpose {
                id: p.id,
                description: p.description,
                categories,
                owner: p.owner,
                min_confidence: p.min_confidence,
                paths,
                globs: p.paths,
            });
        }
        Ok(Policy {
            name: file.name,
            root: file.root.map(std::path::PathBuf::from),
            default: file.default,
            purposes,
        })
    }

    /// Reads and validates a policy file.
    pub fn load(path: &std::path::Path) -> Result<Policy> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(&e, path))?;
        let mut policy = Self::parse(&src, &path.display().to_string())?;
        // A relative root is relative to the policy file.
        if let Some(root) = &mut policy.root
            && root.is_relative()
        {
            *root = path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(&*root);
        }
        Ok(policy)
    }

    /// Who answers for the file at `relative` (relative to the policy's
    /// root, as [`Policy::judge`] takes it): the owner of the first purpose
    /// whose paths match it and that names one.
    pub fn owner_of(&self, relative: &str) -> Option<&str> {
        self.purposes
            .iter()
            .find(|p| p.owner.is_some() && p.paths.is_match(relative))
            .and_then(|p| p.owner.as_deref())
    }

    /// The verdict on `finding`, whose file is at `relative` (its path
    /// relative to the scan root, outside any archive).
    pub fn judge(&self, finding: &Finding, relative: &str) -> Verdict {
        for p in &self.purposes {
            if !p.categories.contains(&finding.category) || !p.paths.is_match(relative) {
                continue;
            }
            if p.min_confidence.is_some_and(|m| finding.confidence < m) {
                continue;
            }
            return Verdict {
                verdict: VerdictKind::Permitted,
                purpose: Some(p.id.clone()),
                owner: p.owner.clone(),
                reason: format!(
                    "{} is permitted at {} for {}",
                    finding.category,
                    p.globs.join(", "),
                    p.id
                ),
            };
        }
        let allowed_elsewhere: Vec<&str> = self
            .purposes
            .iter()
            .filter(|p| p.categories.contains(&finding.category))
            .map(|p| p.id.as_str())
            .collect();
        let reason = if allowed_elsewhere.is_empty() {
            format!("no purpose permits {} anywhere", finding.category)
        } else {
            format!(
                "{} is not permitted here (only for {}, at their paths)",
                finding.category,
                allowed_elsewhere.join(", ")
            )
        };
        Verdict {
            verdict: self.default,
            purpose: None,
            owner: None,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    const POLICY: &str = r#"
name = "test"
default = "violation"

[[purpose]]
id = "法定書類作成"
categories = ["my_number", "person_name"]
paths = ["人事部/**"]
owner = "人事部"

[[purpose]]
id = "連絡"
categories = ["phone"]
paths = ["**"]
min_confidence = "high"
"#;

    fn finding(category: Category, confidence: Confidence) -> Finding {
        Finding {
            path: "x".into(),
            category,
            confidence,
            rule: "r.x".into(),
            location: Location::default(),
            masked: String::new(),
            fingerprint: String::new(),
            context: String::new(),
        }
    }

    #[test]
    fn purposes_permit_categories_at_paths() {
        let p = Policy::parse(POLICY, "p.toml").unwrap();
        let mn = finding(Category::MyNumber, Confidence::High);
        let v = p.judge(&mn, "人事部/名簿.csv");
        assert_eq!(
            (v.verdict, v.purpose.as_deref()),
            (VerdictKind::Permitted, Some("法定書類作成"))
        );
        assert_eq!(v.owner.as_deref(), Some("人事部"));
        let v = p.judge(&mn, "営業部/メモ.txt");
        assert_eq!(v.verdict, VerdictKind::Violation);
        assert!(v.reason.contains("only for 法定書類作成"), "{}", v.reason);
        let health = finding(Category::Health, Confidence::High);
        assert!(
            p.judge(&health, "人事部/a.txt")
                .reason
                .contains("no purpose permits health")
        );
        // min_confidence: a medium phone is not covered by 連絡.
        assert_eq!(
            p.judge(&finding(Category::Phone, Confidence::Medium), "a")
                .verdict,
            VerdictKind::Violation
        );
        assert_eq!(
            p.judge(&finding(Category::Phone, Confidence::High), "a")
                .verdict,
            VerdictKind::Permitted
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = Policy::parse("default = \"violation\"\n[[purpose]]\nid = \"a\"\ncategories = [\"mynumber\"]\npaths = [\"**\"]\n", "p.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.toml:2: purpose `a`: unknown category `mynumber`"),
            "{e}"
        );
        let e = Policy::parse("default = \"maybe\"\n", "p.toml").unwrap_err();
        assert!(e.to_string().starts_with("p.toml:1:"), "{e}");
        let e = Policy::parse("default = \"violation\"\n\n[[purpose]]\nid = \"a\"\ncategories = []\npaths = [\"[\"]\n", "q.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("q.toml:3: purpose `a`: invalid path glob"),
            "{e}"
        );
        let e = Policy::parse("default = \"violation\"\nunknown = 1\n", "r.toml").unwrap_err();
        assert!(e.to_string().starts_with("r.toml:2:"), "{e}");
    }
}
