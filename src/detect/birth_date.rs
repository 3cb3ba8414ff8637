//! 生年月日: a date under a date-of-birth label (生年月日, 誕生日, 生まれ, or
//! the column header). Western (1986/03/14, 1986-03-14, 1986年3月14日) and
//! Japanese era dates (昭和61年3月14日, S61.3.14, 平成元年1月8日). A date
//! without the label is not reported: dates are everywhere.
//!
//! Rule `date_of_birth.keyword`, confidence high. The masked value keeps the
//! year only.

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds dates of birth.
pub struct BirthDateDetector;

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<y>(?:19|20)[0-9]{2}) \s? (?:[/.\-]|年) \s? (?P<m>[0-9]{1,2}) \s? (?:[/.\-]|月) \s? (?P<d>[0-9]{1,2}) 日?
      | (?P<era>明治|大正|昭和|平成|令和|[MTSHR]) \s? (?P<ey>元|[0-9]{1,2}) \s? (?:[/.\-]|年) \s? (?P<em>[0-9]{1,2}) \s? (?:[/.\-]|月) \s? (?P<ed>[0-9]{1,2}) 日?",
    )
    .expect("valid date regex")
});
local_copy!(DATE_HERE = DATE);

/// Whether the unit's digits could make a date at all: two digit groups or
/// more, with a whole group of four digits from 19 or 20 (a year: the
/// pattern's year is followed by a separator and skipped after a letter or
/// digit) or an era before them. Most units with digits (phone numbers,
/// codes) fail this, and then the date search is not run.
fn may_hold_a_date(input: &Input<'_>) -> bool {
    let text = input.norm.as_str();
    let groups = || input.runs.iter().flat_map(|r| r.groups.iter());
    groups().nth(1).is_some()
        && (groups()
            .any(|&(s, e)| e - s == 4 && matches!(&text.as_bytes()[s..s + 2], b"19" | b"20"))
            || text.contains(['明', '大', '昭', '平', '令', 'M', 'T', 'S', 'H', 'R']))
}

impl Detector for BirthDateDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        if !may_hold_a_date(input) {
            return;
        }
        let text = input.norm.as_str();
        // Most dates are not birth dates (記入日, 2026/11/27 in a memo):
        // only a date with a birth label before it or 生 after it pays
        // for the capture groups.
        DATE_HERE.with(|re| {
            for m in re.find_iter(text) {
                let b = text.as_bytes();
                if (m.start() > 0 && b[m.start() - 1].is_ascii_alphanumeric())
                    || (m.end() < b.len() && b[m.end()].is_ascii_digit())
                {
                    continue;
                }
                // 生年月日：1986年3月14日, or 1986年3月14日生(まれ).
                let born_after = text[m.end()..].trim_start().starts_with('生');
                if !born_after
                    && input.label_before(m.start())
                        != Some(Signal::Identifier(Category::DateOfBirth))
                {
                    continue;
                }
                // The same match, now with its groups.
                let Some(c) = re.captures_at(&text[..m.end()], m.start()) else {
                    continue;
                };
                let num = |k: &str| c.name(k).and_then(|g| g.as_str().parse::<u32>().ok());
                let (month, day) = (num("m").or(num("em")), num("d").or(num("ed")));
                if !month.is_some_and(|v| (1..=12).contains(&v))
                    || !day.is_some_and(|v| (1..=31).contains(&v))
                {
                    continue;
                }
                let year = c.name("y").or(c.name("ey")).map_or("", |g| g.as_str());
                let era = c.name("era").map_or("", |g| g.as_str());
                let (start, end) = input.original_range(m.start(), m.end());
                out.push(Candidate {
                    category: Category::DateOfBirth,
                    rule: "date_of_birth.keyword",
                    confidence: Confidence::High,
                    start,
                    end,
                    value: format!(
                        "{era}{year}-{:02}-{:02}",
                        month.unwrap_or(0),
                        day.unwrap_or(0)
                    ),
                    masked: format!("{era}{year}年**月**日"),
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on;
    use crate::unit::TextUnit;

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        run_on(&BirthDateDetector, &unit)
    }

    fn find(text: &str) -> Vec<Candidate> {
        find_in(TextUnit::line(text.into(), 1, 0, 0))
    }

    #[test]
    fn labelled_dates_in_every_form() {
        for s in [
            "1986/03/14",
            "1986-3-14",
            "1986年3月14日",
            "１９８６年３月１４日",
            "昭和61年3月14日",
            "S61.3.14",
            "平成元年1月8日",
        ] {
            let got = find(&format!("生年月日：{s}"));
            assert_eq!(got.len(), 1, "{s}");
        }
        assert_eq!(find("生年月日 1986年3月14日")[0].masked, "1986年**月**日");
        assert_eq!(find("昭和61年3月14日生まれの男性").len(), 1);
        assert_eq!(find("1986年3月14日生").len(), 1);
        let mut unit = TextUnit::line("1971/06/17".into(), 2, 0, 0);
        unit.column_header = Some("生年月日".into());
        assert_eq!(find_in(unit).len(), 1);
    }

    #[test]
    fn the_preceding_line_labels_only_a_date_at_the_start() {
        let mut unit = TextUnit::line("1979.11.02".into(), 2, 0, 0);
        unit.preceding = "誕生日".into();
        assert_eq!(find_in(unit).len(), 1);
        let mut unit = TextUnit::line("書類を受け取った日付は 1979.11.02".into(), 2, 0, 0);
        unit.preceding = "誕生日".into();
        assert!(find_in(unit).is_empty());
    }

    #[test]
    fn other_dates_are_not_birth_dates() {
        assert!(find("会議は2020-01-05 10:00から").is_empty());
        assert!(find("入社日 2015年8月15日").is_empty());
        assert!(find("生年月日 1986/13/40").is_empty());
    }
}
