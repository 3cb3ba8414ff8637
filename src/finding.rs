//! The public result types: what was found, how sure we are, and where.

use serde::{Deserialize, Serialize};

/// A kind of personal data. Serialised as a snake_case id (`my_number`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// 個人番号 (My Number): 12 digits with a check digit.
    MyNumber,
    /// 法人番号: 13 digits with a leading check digit. A company's number,
    /// public by law, reported so it is never mistaken for a My Number.
    CorporateNumber,
    /// 電話番号: a Japanese phone number (fixed, mobile, IP, free dial, +81).
    Phone,
    /// メールアドレス.
    Email,
    /// 郵便番号 (NNN-NNNN) marked as one by 〒, a label or an address after it.
    PostalCode,
    /// 住所: prefecture, municipality, town and block numbers.
    Address,
    /// 本籍地 (domicile of origin): a place under a 本籍 label.
    Domicile,
    /// 氏名: a person's name.
    PersonName,
    /// 病歴・保健医療: diseases, medical history, treatment, disability.
    Health,
    /// 犯罪の経歴: criminal record.
    Criminal,
    /// 犯罪により害を被った事実: having been a victim of crime.
    CrimeVictim,
    /// 人種・民族: race or ethnic origin.
    RaceEthnicity,
    /// 信条: creed, religion, political party support.
    Creed,
    /// 門地・社会的身分: lineage and social status.
    SocialStatus,
    /// 労働組合への加盟: trade-union membership.
    UnionMembership,
    /// 性生活・性的指向: sex life and sexual orientation.
    SexLife,
    /// クレジットカード番号: Luhn-valid, in a card issuer's range.
    CreditCard,
    /// 旅券番号: 2 letters + 7 digits, with a passport keyword.
    Passport,
    /// 運転免許証番号: 12 digits, with a driver's licence keyword.
    DriversLicense,
    /// 在留カード番号: 2 letters + 8 digits + 2 letters.
    ResidenceCard,
    /// 基礎年金番号: 4 + 6 digits, with a pension keyword.
    PensionNumber,
    /// 健康保険被保険者証の記号・番号.
    HealthInsuranceNumber,
    /// 銀行口座番号: 7 digits with a bank context.
    BankAccount,
    /// 生年月日: a date labelled as a date of birth.
    DateOfBirth,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: &'static [Category] = &[
        Category::MyNumber,
        Category::CorporateNumber,
        Category::Phone,
        Category::Email,
        Category::PostalCode,
        Category::Address,
        Category::Domicile,
        Category::PersonName,
        Category::Health,
        Category::Criminal,
        Category::CrimeVictim,
        Category::RaceEthnicity,
        Category::Creed,
        Category::SocialStatus,
        Category::UnionMembership,
        Category::SexLife,
        Category::CreditCard,
        Category::Passport,
        Category::DriversLicense,
        Category::ResidenceCard,
        Category::PensionNumber,
        Category::HealthInsuranceNumber,
        Category::BankAccount,
        Category::DateOfBirth,
    ];

    /// The category with this id.
    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.id() == id)
    }

    /// A special-care (要配慮個人情報) or sensitive (機微情報) category that
    /// comes from dictionaries: health, criminal, crime_victim,
    /// race_ethnicity, creed, social_status, union_membership, sex_life.
    pub fn is_sensitive_term(self) -> bool {
        matches!(
            self,
            Category::Health
                | Category::Criminal
                | Category::CrimeVictim
                | Category::RaceEthnicity
                | Category::Creed
                | Category::SocialStatus
                | Category::UnionMembership
                | Category::SexLife
        )
    }

    /// The snake_case id used in reports and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Category::MyNumber => "my_number",
            Category::CorporateNumber => "corporate_number",
            Category::Phone => "phone",
            Category::Email => "email",
            Category::PostalCode => "postal_code",
            Category::Address => "address",
            Category::Domicile => "domicile",
            Category::PersonName => "person_name",
            Category::Health => "health",
            Category::Criminal => "criminal",
            Category::CrimeVictim => "crime_victim",
            Category::RaceEthnicity => "race_ethnicity",
            Category::Creed => "creed",
            Category::SocialStatus => "social_status",
            Category::UnionMembership => "union_membership",
            Category::SexLife => "sex_life",
            Category::CreditCard => "credit_card",
            Category::Passport => "passport",
            Category::DriversLicense => "drivers_license",
            Category::ResidenceCard => "residence_card",
            Category::PensionNumber => "pension_number",
            Category::HealthInsuranceNumber => "health_insurance_number",
            Category::BankAccount => "bank_account",
            Category::DateOfBirth => "date_of_birth",
        }
    }

    /// A short Japanese label for human-readable reports.
    pub fn label_ja(self) -> &'static str {
        match self {
            Category::MyNumber => "個人番号（マイナンバー）",
            Category::CorporateNumber => "法人番号",
            Category::Phone => "電話番号",
            Category::Email => "メールアドレス",
            Category::PostalCode => "郵便番号",
            Category::Address => "住所",
            Category::Domicile => "本籍地",
            Category::PersonName => "氏名",
            Category::Health => "病歴・保健医療",
            Category::Criminal => "犯罪の経歴",
            Category::CrimeVictim => "犯罪被害",
            Category::RaceEthnicity => "人種・民族",
            Category::Creed => "信条",
            Category::SocialStatus => "門地・社会的身分",
            Category::UnionMembership => "労働組合への加盟",
            Category::SexLife => "性生活",
            Category::CreditCard => "クレジットカード番号",
            Category::Passport => "旅券番号",
            Category::DriversLicense => "運転免許証番号",
            Category::ResidenceCard => "在留カード番号",
            Category::PensionNumber => "基礎年金番号",
            Category::HealthInsuranceNumber => "健康保険被保険者番号",
            Category::BankAccount => "口座番号",
            Category::DateOfBirth => "生年月日",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// How sure a detector is that a match is the category it claims.
///
/// Ordered: `Low < Medium < High`, so a threshold is a plain comparison.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The value pattern alone (and its checksum, where it has one).
    Low,
    /// Pattern plus supporting context that is not conclusive.
    #[default]
    Medium,
    /// Pattern, checksum where there is one, and a keyword or column header.
    High,
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub fn id(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            other => Err(format!("unknown confidence `{other}` (low, medium, high)")),
        }
    }
}

/// Where a finding is, always in terms of the original file.
///
/// In text and CSV: `line` and `column` are 1-based, `column` counting
/// Unicode characters of the decoded line, and `byte_offset` is the 0-based
/// offset of the value's first byte in the file as stored (in its own
/// encoding). In spreadsheets: `sheet`, `cell` (A1 form), `row`, and
/// `column` counts characters within the cell's text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    /// 1-based physical line (text and CSV).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u64>,
    /// 1-based character column in that line, or in the cell's text.
    pub column: u64,
    /// Byte offset of the value's first byte in the original file (text and CSV).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub byte_offset: Option<u64>,
    /// Spreadsheets: the sheet's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sheet: Option<String>,
    /// Documents: the part inside the package (`word/document.xml`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub part: Option<String>,
    /// Documents: the 1-based paragraph number in the part.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paragraph: Option<u64>,
    /// Presentations: the slide number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slide: Option<u64>,
    /// PDF: the page number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u64>,
    /// Spreadsheets: the sheet is hidden in the workbook.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub sheet_hidden: bool,
    /// Spreadsheets: the cell in A1 form (`C5`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cell: Option<String>,
    /// Tables: the 1-based record number (the header is row 1); spreadsheets:
    /// the sheet row.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub row: Option<u64>,
    /// For tables: the header of the value's column, if the table has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column_header: Option<String>,
}

/// One detected value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The file, as reached from the scan root given by the user.
    pub path: String,
    /// What kind of data this is.
    pub category: Category,
    /// How sure the detector is.
    pub confidence: Confidence,
    /// Stable id of the rule that produced the finding (`my_number.keyword`).
    pub rule: String,
    /// Where it is.
    pub location: Location,
    /// The value with its identifying part masked; with `--reveal`, the
    /// value itself, then reported under the name `value`.
    #[serde(alias = "value")]
    pub masked: String,
    /// Keyed hash of the normalised value: equal values share a fingerprint.
    pub fingerprint: String,
    /// The surrounding text with every detected value in it masked.
    pub context: String,
}

/// The first of the private-use characters that stand for the bytes of a
/// file name that are not UTF-8 ([`path_text`]).
const ESCAPED_BYTES: u32 = 0x10_FF00;

/// A path as report text. UTF-8 stays as it is; each byte of a Unix file
/// name that is not part of valid UTF-8 becomes the private-use character
/// U+10FF00 plus the byte (U+10FF80–U+10FFFF), so the name is recoverable:
/// SARIF URIs turn those characters back into the bytes (`%82`), the text
/// report shows them as `\x82`, and JSON and CSV carry them as they are.
pub fn path_text(path: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if let Ok(s) = std::str::from_utf8(bytes) {
            return s.to_string();
        }
        let mut out = String::with_capacity(bytes.len() + 8);
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for &b in chunk.invalid() {
                out.extend(char::from_u32(ESCAPED_BYTES + u32::from(b)));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// The file-name byte a character of [`path_text`] stands for, if it is one.
pub fn escaped_byte(c: char) -> Option<u8> {
    u32::from(c)
        .checked_sub(ESCAPED_BYTES + 0x80)
        .filter(|&d| d < 0x80)
        .map(|d| (d + 0x80) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_confidences_index_by_their_discriminant() {
        // The report counts findings in arrays indexed this way.
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
        }
        assert_eq!(Category::ALL.len(), Category::DateOfBirth as usize + 1);
        let order = [Confidence::Low, Confidence::Medium, Confidence::High];
        for (i, c) in order.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
    }
}
