//! E-mail (.eml, RFC 5322) with mail-parser: the sender and recipients
//! (names and addresses), the subject, every text body in whatever charset
//! it declares (ISO-2022-JP included; HTML bodies as text), and the
//! attachments, each read like an archive entry (`mail.eml!名簿.xlsx`).
//!
//! Locations: `part` is `header:From`, `header:Subject`, `body` (then
//! `paragraph` is the line of the decoded body) and so on.
//!
//! Declared charsets lie: UTF-8, EUC-JP or Shift_JIS bytes under an
//! ISO-2022-JP label (a 7-bit encoding) are common in Japanese mail. A body
//! or an encoded word (`=?ISO-2022-JP?B?…?=`) whose bytes do not decode
//! cleanly in the declared charset is decoded by its content instead, as a
//! text file would be. Returned headers (`text/rfc822-headers`, as bounces
//! carry them) have their encoded words decoded the same way.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use regex::bytes::Regex;

use super::Visitor;
use super::archive::{Budget, Limits, visit_entry};
use crate::error::{Error, ErrorKind, Result};
use crate::unit::{DocRef, TextUnit};

const HEADER_NAMES: &[&str] = &[
    "from:",
    "to:",
    "cc:",
    "subject:",
    "date:",
    "message-id:",
    "mime-version:",
    "received:",
    "return-path:",
    "reply-to:",
    "content-type:",
    "delivered-to:",
    "x-mailer:",
    "content-transfer-encoding:",
    "sender:",
    "in-reply-to:",
    "references:",
];

/// Decodes `bytes` in the charset `label` if they fit it (no malformed
/// sequence), else by their content; `None` if neither gives clean text.
pub(crate) fn decode_fitting(bytes: &[u8], label: Option<&str>) -> Option<String> {
    if let Some(enc) = label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        let (text, malformed) = enc.decode_without_bom_handling(bytes);
        // ISO-2022-JP is 7-bit: an 8-bit byte means another charset.
        let seven_bit_lie = enc == encoding_rs::ISO_2022_JP && bytes.iter().any(|&b| b >= 0x80);
        if !malformed && !seven_bit_lie {
            return Some(text.into_owned());
        }
    }
    match super::sniff::sniff(bytes, true) {
        super::sniff::Sniffed::Text(t) => {
            let (text, malformed) = t
                .encoding
                .decode_without_bom_handling(&bytes[t.bom_len.min(bytes.len())..]);
            (!malformed).then(|| text.into_owned())
        }
        super::sniff::Sniffed::Binary(_) => None,
    }
}

static ENCODED_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=").expect("valid encoded-word regex")
});

/// Decodes the RFC 2047 encoded words of a header value, each in its
/// declared charset if it fits, else by its content.
pub(crate) fn decode_encoded_words(raw: &[u8]) -> String {
    let mut out = Vec::new();
    let mut last = 0;
    let mut after_word = false;
    for c in ENCODED_WORD.captures_iter(raw) {
        let m = c.get(0).expect("whole match");
        let between = &raw[last..m.start()];
        // Whitespace between two encoded words is not part of the text.
        if !(after_word && between.iter().all(u8::is_ascii_whitespace)) {
            out.extend_from_slice(String::from_utf8_lossy(between).as_bytes());
        }
        let charset = std::str::from_utf8(&c[1]).ok();
        let data = &c[3];
        let bytes = if c[2].eq_ignore_ascii_case(b"b") {
            mail_parser::decoders::base64::base64_decode(data)
        } else {
            let q: Vec<u8> = data
                .iter()
                .map(|&b| if b == b'_' { b' ' } else { b })
                .collect();
            mail_parser::decoders::quoted_printable::quoted_printable_decode(&q)
        };
        match bytes.and_then(|b| decode_fitting(&b, charset)) {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => out.extend_from_slice(m.as_bytes()),
        }
        last = m.end();
        after_word = true;
    }
    out.extend_from_slice(String::from_utf8_lossy(&raw[last..]).as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of a body part, decoded by its content when its declared
/// charset does not fit its bytes.
fn part_text(raw: &[u8], part: &mail_parser::MessagePart<'_>) -> Option<String> {
    let (start, end) = (part.offset_body as usize, part.offset_end as usize);
    let body = raw.get(start..end.min(raw.len()))?;
    let bytes = match part.encoding {
        mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(body)?,
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)?
        }
        mail_parser::Encoding::None => body.to_vec(),
    };
    let charset = part.content_type().and_then(|c| c.attribute("charset"));
    let headers = part.content_type().is_some_and(|c| {
        c.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
    });
    let text = decode_fitting(&bytes, charset)?;
    Some(match &part.body {
        PartType::Html(_) => mail_parser::decoders::html::html_to_text(&text),
        _ if headers => decode_encoded_words(text.as_bytes()),
        _ => text,
    })
}

/// The first bytes look like a message: a block of header fields, at least
/// two of them ones every mail has (three when no body follows).
pub fn looks_like_email(sample: &[u8]) -> bool {
    let sample = &sample[..sample.len().min(8192)];
    // Most files fail on their first line (not `Name: value`): say so
    // without decoding the sample.
    let first = &sample[..memchr::memchr(b'\n', sample).unwrap_or(sample.len())];
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if first.is_empty() {
        return false;
    }
    if !first.starts_with(b" ") && !first.starts_with(b"\t") {
        let Some(colon) = memchr::memchr(b':', first) else {
            return false;
        };
        let name = &first[..colon];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
            return false;
        }
    }
    let text = String::from_utf8_lossy(sample);
    let mut known = 0;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            return known >= 2 && i > 1;
        }
        if line.starts_with([' ', '\t']) {
            continue; // folded header
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        let lower = format!("{}:", name.to_ascii_lowercase());
        if HEADER_NAMES.contains(&lower.as_str()) {
            known += 1;
        }
        if i > 200 {
            return false;
        }
    }
    // Headers alone (returned headers, `text/rfc822-headers`).
    known >= 3
}

fn unit(text: &str, part: &str, paragraph: u64, header: Option<&str>) -> TextUnit {
    TextUnit {
        text: text.to_string(),
        column_header: header.map(str::to_string),
        doc: Some(DocRef {
            part: part.to_string(),
            paragraph,
            slide: None,
            page: None,
        }),
        ..Default::default()
    }
}

/// Reads a message held in memory.
pub(crate) fn read_eml(
    bytes: &[u8],
    inner: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<()> {
    // Attached messages nest like archives, under the same limit.
    super::archive::check_depth(budget, limits)?;
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| Error::new(ErrorKind::Io, "not a readable e-mail message"))?;
    let mut emit = |u: TextUnit| visitor.unit(inner, &u, UTF_8 as &'static Encoding);
    let people = [
        ("From", message.from(), "差出人"),
        ("To", message.to(), "宛先"),
        ("Cc", message.cc(), "宛先"),
        ("Bcc", message.bcc(), "宛先"),
        ("Reply-To", message.reply_to(), "宛先"),
    ];
    for (field, address, label) in people {
        let part = format!("header:{field}");
        for (i, a) in address.into_iter().flat_map(|a| a.iter()).enumerate() {
            if let Some(name) = a.name().filter(|n| !n.trim().is_empty()) {
                emit(unit(name.trim(), &part, i as u64 + 1, Some(label)));
            }
            if let Some(addr) = a.address() {
                emit(unit(addr, &part, i as u64 + 1, Some("メールアドレス")));
            }
        }
    }
    let subject = message
        .header_raw("Subject")
        .map(|raw| decode_encoded_words(raw.trim().as_bytes()));
    if let Some(subject) = subject.as_deref().or(message.subject()) {
        emit(unit(subject.trim(), "header:Subject", 1, None));
    }
    let raw = message.raw_message();
    let mut i = 0;
    while let Some(decoded) = message.body_text(i) {
        let body = message
            .text_body
            .get(i)
            .and_then(|&id| message.part(id))
            .and_then(|part| part_text(raw, part))
            .map_or(decoded, std::borrow::Cow::Owned);
        let part = if i == 0 {
            "body".to_string()
        } else {
            format!("body{}", i + 1)
        };
        let mut preceding = String::new();
        for (n, line) in body.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut u = unit(line, &part, n as u64 + 1, None);
            u.preceding = std::mem::take(&mut preceding);
            preceding = super::tail(line, super::PRECEDING_CHARS);
            emit(u);
        }
        i += 1;
    }
    for (n, attachment) in message.attachments().enumerate() {
        let name = attachment
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("attachment{}", n + 1));
        let path = if inner.is_empty() {
            name.clone()
        } else {
            format!("{inner}!{name}")
        };
        let contents: std::borrow::Cow<'_, [u8]> = match attachment.message() {
            // A forwarded message: read it as the .eml it is.
            Some(m) => std::borrow::Cow::Borrowed(m.raw_message()),
            None => std::borrow::Cow::Borrowed(attachment.contents()),
        };
        let name = if attachment.is_message() && !name.to_ascii_lowercase().ends_with(".eml") {
            format!("{name}.eml")
        } else {
            name
        };
        // Attachments count against the message's limits like archive
        // entries: how many, how large each, how large in all.
        match super::archive::admit(budget, limits, contents.len() as u64, None) {
            Some(why) => visitor.entry(&path, Err(Error::new(ErrorKind::Io, why))),
            None => visit_entry(&contents, &name, &path, limits, budget, visitor),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unit of a message, as (part, text).
    fn units(m: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut each = |u: &TextUnit, _: &'static Encoding| {
            out.push((u.doc.as_ref().unwrap().part.clone(), u.text.clone()))
        };
        read_eml(m, "", &Limits::default(), &mut Budget::default(), &mut each).unwrap();
        out
    }

    fn has(units: &[(String, String)], part: &str, text: &str) -> bool {
        units.iter().any(|(p, t)| p == part && t.contains(text))
    }

    #[test]
    fn bodies_whose_declared_charset_lies_are_decoded_by_content() {
        let body = "架空花子様の連絡先を更新しました。\r\n";
        for bytes in [
            body.as_bytes().to_vec(),
            encoding_rs::EUC_JP.encode(body).0.into_owned(),
            encoding_rs::SHIFT_JIS.encode(body).0.into_owned(),
        ] {
            let mut m =
                b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
                Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
                    .to_vec();
            m.extend_from_slice(&bytes);
            let u = units(&m);
            assert!(has(&u, "body", "連絡先を更新"), "{u:?}");
        }
        // A true ISO-2022-JP body is left as it is.
        let mut m = b"From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n".to_vec();
        m.extend_from_slice(&encoding_rs::ISO_2022_JP.encode(body).0);
        assert!(has(&units(&m), "body", "連絡先を更新"));
    }

    fn base64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Collects units with the entry they come from.
    #[derive(Default)]
    struct Entries(Vec<(String, String)>);

    impl Visitor for Entries {
        fn unit(&mut self, inner: &str, unit: &TextUnit, _: &'static Encoding) {
            self.0.push((inner.to_string(), unit.text.clone()));
        }
    }

    /// Collects the outcome of each attachment.
    #[derive(Default)]
    struct Outcomes(Vec<(String, std::result::Result<(), String>)>);

    impl Visitor for Outcomes {
        fn unit(&mut self, _: &str, _: &TextUnit, _: &'static Encoding) {}
        fn entry(
            &mut self,
            inner: &str,
            outcome: std::result::Result<crate::read::ReadOutcome, Error>,
        ) {
            self.0.push((
                inner.to_string(),
                outcome.map(|_| ()).map_err(|e| e.to_string()),
            ));
        }
    }

    #[test]
    fn attachments_are_held_to_the_entry_limits() {
        // Six text attachments of 40 bytes each (base64 in the message).
        let mut m = String::from(
            "From: a@example.jp\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
             Content-Type: text/plain\r\n\r\nsee attached\r\n",
        );
        for i in 0..6 {
            let body = if i == 5 {
                "x".repeat(400)
            } else {
                format!("TEL 090-2468-{:04} {}", 1000 + i, "-".repeat(20))
            };
            m.push_str(&format!(
                "--B\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\
                 Content-Disposition: attachment; filename=\"a{i}.txt\"\r\n\r\n{}\r\n",
                base64(body.as_bytes())
            ));
        }
        m.push_str("--B--\r\n");
        let limits = Limits {
            max_entries: 4,
            max_entry_bytes: 100,
            ..Limits::default()
        };
        let mut v = Outcomes::default();
        read_eml(m.as_bytes(), "", &limits, &mut Budget::default(), &mut v).unwrap();
        let read: Vec<&str> =
            v.0.iter()
                .filter(|(_, o)| o.is_ok())
                .map(|(p, _)| p.as_str())
                .collect();
        assert_eq!(read, ["a0.txt", "a1.txt", "a2.txt", "a3.txt"], "{:?}", v.0);
        let refused: Vec<&str> =
            v.0.iter()
                .filter_map(|(p, o)| {
                    o.as_ref().err().map(|e| {
                        assert!(e.contains("entry limit reached"), "{e}");
                        p.as_str()
                    })
                })
                .collect();
        assert_eq!(refused, ["a4.txt", "a5.txt"]);
        // And the size of one attachment.
        let limits = Limits {
            max_entry_bytes: 100,
            ..Limits::default()
        };
        let mut v = Outcomes::default();
        read_eml(m.as_bytes(), "", &limits, &mut Budget::default(), &mut v).unwrap();
        let big = v.0.iter().find(|(p, _)| p == "a5.txt").unwrap();
        assert!(
            big.1
                .as_ref()
                .unwrap_err()
                .contains("larger than the limit"),
            "{:?}",
            big
        );
        assert_eq!(v.0.iter().filter(|(_, o)| o.is_ok()).count(), 5);
    }

    #[test]
    fn encoded_words_in_the_wrong_charset_and_returned_headers() {
        let sjis = encoding_rs::SHIFT_JIS.encode("見積書の送付について").0;
        let word = format!("=?ISO-2022-JP?B?{}?=", base64(&sjis));
        assert_eq!(
            decode_encoded_words(word.as_bytes()),
            "見積書の送付について"
        );
        let m = format!(
            "From: a@example.jp\r\nSubject: {word}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; boundary=\"B\"\r\n\r\n--B\r\n\
             Content-Type: text/plain; charset=us-ascii\r\n\r\nReturned.\r\n--B\r\n\
             Content-Type: text/rfc822-headers\r\n\r\nReturn-Path: <c@example.jp>\r\n\
             Subject: {word}\r\nFrom: c@example.jp\r\nMessage-ID: 1\r\n--B--\r\n"
        );
        let u = units(m.as_bytes());
        assert!(has(&u, "header:Subject", "見積書の送付"), "{u:?}");
        // The returned headers are read too: an entry that is a message of
        // headers only.
        let mut v = Entries::default();
        read_eml(
            m.as_bytes(),
            "",
            &Limits::default(),
            &mut Budget::default(),
            &mut v,
        )
        .unwrap();
        assert!(
            v.0.iter()
                .any(|(inner, t)| !inner.is_empty() && t.contains("見積書の送付")),
            "{:?}",
            v.0
        );
    }

    #[test]
    fn recognises_messages_by_their_headers() {
        let m = b"Received: from x\r\nFrom: a@b.jp\r\nTo: c@d.jp\r\nSubject: hi\r\n\r\nbody";
        assert!(looks_like_email(m));
        // MIME without From or To, and returned headers without a body.
        assert!(looks_like_email(
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nbody"
        ));
        assert!(looks_like_email(
            b"Return-Path: <a@b.jp>\r\nSubject: x\r\nMessage-ID: 1\r\nMIME-Version: 1.0\r\n"
        ));
        assert!(!looks_like_email("氏名,電話\n山田,03\n".as_bytes()));
        assert!(!looks_like_email(
            b"Note: this is a memo\nSecond line\n\nmore"
        ));
    }
}
