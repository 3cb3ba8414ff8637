//! The IPADIC dictionary compiled by `build.rs` from the MeCab source and
//! embedded in the binary.

lindera_dictionary::embedded_dictionary!("/ipadic", EmbeddedIpadicLoader);
