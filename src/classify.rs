//! Classification: the level of personal data a file or folder holds, from
//! its findings.
//!
//! | level | id | when |
//! |---|---|---|
//! | 特定個人情報 | `specific_personal` | a My Number |
//! | 要配慮個人情報・機微情報 | `special_care` | health, criminal record, crime victim, race, creed, social status, union membership, sex life, domicile of origin |
//! | 個人情報 | `personal` | names, contact details, other identifiers |
//! | — | `none` | nothing of the above (a corporate number is not personal data) |
//!
//! A file takes the highest level among its findings; a folder the highest
//! among its files.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::finding::Category;

/// How sensitive the personal data in a file or folder is. Ordered:
/// `None < Personal < SpecialCare < SpecificPersonal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No personal data found.
    #[default]
    None,
    /// 個人情報: names, contact details, identifiers.
    Personal,
    /// 要配慮個人情報・機微情報.
    SpecialCare,
    /// 特定個人情報: holds a My Number.
    SpecificPersonal,
}

impl Level {
    /// The level a category alone gives.
    pub fn of(category: Category) -> Level {
        match category {
            Category::MyNumber => Level::SpecificPersonal,
            Category::Domicile => Level::SpecialCare,
            c if c.is_sensitive_term() => Level::SpecialCare,
            Category::CorporateNumber => Level::None,
            _ => Level::Personal,
        }
    }

    /// The level of a set of category counts.
    pub fn of_counts(counts: &BTreeMap<Category, u64>) -> Level {
        counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(c, _)| Level::of(*c))
            .max()
            .unwrap_or_default()
    }

    /// The snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Personal => "personal",
            Level::SpecialCare => "special_care",
            Level::SpecificPersonal => "specific_personal",
        }
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Level::None => "なし",
            Level::Personal => "個人情報",
            Level::SpecialCare => "要配慮個人情報・機微情報",
            Level::SpecificPersonal => "特定個人情報",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_category_decides() {
        let mut c = BTreeMap::new();
        assert_eq!(Level::of_counts(&c), Level::None);
        c.insert(Category::CorporateNumber, 3);
        assert_eq!(Level::of_counts(&c), Level::None);
        c.insert(Category::Phone, 1);
        assert_eq!(Level::of_counts(&c), Level::Personal);
        c.insert(Category::Domicile, 1);
        assert_eq!(Level::of_counts(&c), Level::SpecialCare);
        c.insert(Category::MyNumber, 1);
        assert_eq!(Level::of_counts(&c), Level::SpecificPersonal);
        assert_eq!(Level::of(Category::Creed), Level::SpecialCare);
    }
}
