//! E-mail (.eml, RFC 5322) with mail-parser: the sender and recipients
//! (names and addresses), the subject, every text body in whatever charset
//! it declares (ISO-2022-JP included; HTML bodies as text), and the
//! attachments, each read like an archive entry (`mail.eml!名簿.xlsx`).
//!
//! Locations: `part` is `header:From`, `header:Subject`, `body` (then
//! `paragraph` is the line of the decoded body) and so on.

use encoding_rs::{Encoding, UTF_8};
use mail_parser::{MessageParser, MimeHeaders};

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
];

/// The first bytes look like a message: a block of header fields, at least
/// two of them ones every mail has.
pub fn looks_like_email(sample: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&sample[..sample.len().min(8192)]);
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
            break;
        }
    }
    false
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
    if let Some(subject) = message.subject() {
        emit(unit(subject, "header:Subject", 1, None));
    }
    let mut i = 0;
    while let Some(body) = message.body_text(i) {
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
        visit_entry(&contents, &name, &path, limits, budget, visitor);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_messages_by_their_headers() {
        let m = b"Received: from x\r\nFrom: a@b.jp\r\nTo: c@d.jp\r\nSubject: hi\r\n\r\nbody";
        assert!(looks_like_email(m));
        assert!(!looks_like_email("氏名,電話\n山田,03\n".as_bytes()));
        assert!(!looks_like_email(
            b"Note: this is a memo\nSecond line\n\nmore"
        ));
    }
}
