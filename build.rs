//! Compiles the IPADIC morphological dictionary from the MeCab source that
//! Debian's `mecab-ipadic` package installs, and leaves the binary artefacts
//! in `OUT_DIR/ipadic` for `src/tokenize/ipadic.rs` to embed.
//!
//! Nothing is downloaded: air-gapped build hosts work as long as the source
//! CSVs are present. `MAMORI_IPADIC_SRC` points at another source directory
//! (any MeCab IPADIC layout: `*.csv`, `matrix.def`, `char.def`, `unk.def`).
//! Its encoding is EUC-JP unless `MAMORI_IPADIC_ENCODING` says otherwise.
//!
//! It also builds the automaton of the built-in term lists
//! (`dictionaries/`) and hashes the built-in tables once, rather than at the
//! start of every scan.

use std::path::{Path, PathBuf};

use daachorse::{CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

/// The scan's normalization, which the terms go through.
#[allow(dead_code)]
#[path = "src/normalize.rs"]
mod normalize;

/// The hashes of person names, which `tokenize::NameLexicon` looks up.
#[allow(dead_code)]
#[path = "src/tokenize/names.rs"]
mod names;

/// The gazetteer's names, which the address detector's automaton holds.
#[allow(dead_code)]
#[path = "src/detect/gazetteer.rs"]
mod gazetteer;

const DEFAULT_SRC: &str = "/usr/share/mecab/dic/ipadic";

fn metadata(encoding: &str) -> Metadata {
    let json = format!(
        r#"{{
  "name": "ipadic",
  "encoding": "{encoding}",
  "default_word_cost": -10000,
  "default_left_context_id": 0,
  "default_right_context_id": 0,
  "default_field_value": "*",
  "flexible_csv": true,
  "skip_invalid_cost_or_id": false,
  "normalize_details": true,
  "dictionary_schema": {{ "fields": ["surface", "left_context_id", "right_context_id", "cost",
    "part_of_speech", "part_of_speech_subcategory_1", "part_of_speech_subcategory_2",
    "part_of_speech_subcategory_3", "conjugation_form", "conjugation_type", "base_form",
    "reading", "pronunciation"] }},
  "user_dictionary_schema": {{ "fields": ["surface", "part_of_speech", "reading"] }}
}}"#
    );
    Metadata::load(json.as_bytes()).expect("built-in IPADIC metadata is valid")
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/normalize.rs");
    println!("cargo:rerun-if-changed=src/tokenize/names.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    sensitive_automaton(&out.join("sensitive_terms.daac"));
    gazetteer(&out.join("gazetteer.daac"), &out.join("gazetteer.rs"));
    table_hashes(&out.join("builtin_hashes.rs"));
    println!("cargo:rerun-if-env-changed=MAMORI_IPADIC_SRC");
    println!("cargo:rerun-if-env-changed=MAMORI_IPADIC_ENCODING");

    let src = std::env::var_os("MAMORI_IPADIC_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SRC));
    let encoding = std::env::var("MAMORI_IPADIC_ENCODING").unwrap_or_else(|_| "EUC-JP".into());
    if !src.join("matrix.def").is_file() || !src.join("Noun.csv").is_file() {
        eprintln!(
            "error: the IPADIC dictionary source was not found in {}.\n\
             mamori compiles its Japanese tokenizer dictionary from the MeCab IPADIC source.\n\
             On Debian or Ubuntu install it with:  sudo apt-get install mecab-ipadic\n\
             or set MAMORI_IPADIC_SRC to a directory holding the IPADIC CSVs and matrix.def.",
            src.display()
        );
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed={}", src.display());

    let dict_dir = out.join("ipadic");
    build(&src, &dict_dir, &encoding);
    person_names(&src, &encoding, &out.join("person_names.txt"));
    // What `mamori --version` names: the IPADIC package version (Debian's,
    // when dpkg knows it) and a hash of the source files' names and sizes.
    let version = std::process::Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "mecab-ipadic"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown version".into());
    println!("cargo:rustc-env=MAMORI_IPADIC_VERSION={version}");
    println!("cargo:rustc-env=MAMORI_IPADIC_ID={:016x}", source_id(&src));
    // `lindera_dictionary::embedded_dictionary!` reads its files from
    // `$LINDERA_WORKDIR/<dir>`.
    println!("cargo:rustc-env=LINDERA_WORKDIR={}", out.display());
}

/// FNV-1a over the dictionary source's file names and sizes, in name order.
fn source_id(src: &Path) -> u64 {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(src)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let len = e.metadata().ok()?.len();
                    Some((e.file_name().to_string_lossy().into_owned(), len))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, len) in files {
        for b in name.bytes().chain(len.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn build(src: &Path, dict_dir: &Path, encoding: &str) {
    let stamp = dict_dir.join(".built-from");
    let want = format!("{}|{encoding}", src.display());
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return;
    }
    if let Err(err) = DictionaryBuilder::new(metadata(encoding)).build_dictionary(src, dict_dir) {
        eprintln!(
            "error: building the IPADIC dictionary from {} failed: {err}",
            src.display()
        );
        std::process::exit(1);
    }
    std::fs::write(&stamp, want).expect("write build stamp");
}

/// Writes the surfaces the source files as person names (名詞,固有名詞,人名,
/// 姓 or 名), one a line, sorted: `tokenize::NameLexicon` embeds them to
/// tell cheaply where no name token can be.
fn person_names(src: &Path, encoding: &str, out: &Path) {
    let encoding = encoding_rs::Encoding::for_label(encoding.as_bytes()).unwrap_or_else(|| {
        eprintln!("error: unknown IPADIC encoding {encoding}");
        std::process::exit(1);
    });
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(src)
        .expect("IPADIC source directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    let mut names = std::collections::BTreeSet::new();
    for csv in csvs {
        let bytes = std::fs::read(&csv).expect("IPADIC source file is readable");
        let (text, _, _) = encoding.decode(&bytes);
        for line in text.lines() {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() > 7
                && f[4] == "名詞"
                && f[5] == "固有名詞"
                && f[6] == "人名"
                && (f[7] == "姓" || f[7] == "名")
                && !f[0].is_empty()
            {
                names.insert(f[0].to_string());
            }
        }
    }
    let mut text = String::new();
    for n in &names {
        text.push_str(n);
        text.push('\n');
    }
    std::fs::write(out, text).expect("write person_names.txt");
    // The table `tokenize::NameLexicon` looks the names up in: the longest
    // name's length in characters, then the slots, little-endian.
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u64;
    let mut table = longest.to_le_bytes().to_vec();
    for slot in names::table(names.iter().map(|n| names::hash(n))) {
        table.extend_from_slice(&slot.to_le_bytes());
    }
    std::fs::write(out.with_extension("table"), table).expect("write person_names.table");
}

/// The built-in term lists, in `detect::sensitive::BUILTIN`'s order.
const TERM_LISTS: [&str; 3] = ["health.tsv", "criminal.tsv", "special_care.tsv"];

/// The built-in tables after the term lists, in `detect::builtin_tables`'
/// order.
const OTHER_TABLES: [&str; 3] = [
    "municipalities.tsv",
    "context_keywords.tsv",
    "column_names.tsv",
];

/// Writes, as Rust constants, the hashes `detect::builtin_rules_hash` and
/// `detect::builtin_table_hashes` give: SHA-256 over every table's name,
/// length (u64, little-endian) and bytes, and each table's own SHA-256. A
/// test there checks them against the tables compiled in.
fn table_hashes(out: &Path) {
    use sha2::{Digest, Sha256};
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut all = Sha256::new();
    let mut each = String::new();
    for name in TERM_LISTS.iter().chain(&OTHER_TABLES) {
        let path = Path::new("dictionaries").join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).expect("built-in table is readable");
        all.update(name.as_bytes());
        all.update((bytes.len() as u64).to_le_bytes());
        all.update(&bytes);
        each.push_str(&format!(
            "    ({name:?}, {:?}),\n",
            hex(&Sha256::digest(&bytes))
        ));
    }
    let code = format!(
        "/// SHA-256 over the built-in tables (written by build.rs).\n\
         pub const RULES: &str = {:?};\n\
         /// Each built-in table's SHA-256 (written by build.rs).\n\
         pub const TABLES: &[(&str, &str)] = &[\n{each}];\n",
        hex(&all.finalize())
    );
    std::fs::write(out, code).expect("write the tables' hashes");
}

/// Writes the address detector's gazetteer (`detect::address`): the
/// automaton of every name of [`gazetteer::entries`], valued with its index
/// in name order, and, as Rust statics, the names, what each is and the
/// longest name's length in characters. A test there checks both against
/// the list compiled in.
fn gazetteer(automaton_out: &Path, table_out: &Path) {
    let path = Path::new("dictionaries").join("municipalities.tsv");
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rerun-if-changed=src/detect/gazetteer.rs");
    let text = std::fs::read_to_string(&path).expect("the gazetteer is readable");
    let entries = gazetteer::entries(&text);
    let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build_with_values(entries.keys().zip(0u32..))
        .expect("the gazetteer makes an automaton");
    std::fs::write(automaton_out, automaton.serialize()).expect("write the gazetteer's automaton");
    let mut names = String::new();
    let mut places = String::new();
    for (name, e) in &entries {
        names.push_str(&format!("    {name:?},\n"));
        match e.prefecture {
            Some(p) => places.push_str(&format!("    super::Place::Prefecture({p}),\n")),
            None => places.push_str(&format!(
                "    super::Place::Municipality {{ prefectures: &{:?}, alone: {} }},\n",
                e.prefectures, e.alone
            )),
        }
    }
    let longest = entries.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    let code = format!(
        "/// Every name, in name order (written by build.rs).\n\
         pub(super) static NAMES: [&str; {n}] = [\n{names}];\n\
         /// What each name is (written by build.rs).\n\
         pub(super) static PLACES: [super::Place; {n}] = [\n{places}];\n\
         /// The longest name, in characters (written by build.rs).\n\
         pub(super) const LONGEST: usize = {longest};\n\
         /// The names' automaton, serialized (written by build.rs).\n\
         pub(super) static AUTOMATON: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/gazetteer.daac\"));\n",
        n = entries.len()
    );
    std::fs::write(table_out, code).expect("write the gazetteer's table");
}

/// Writes the automaton of the built-in term lists as
/// `detect::sensitive::SensitiveDetector::automaton` builds it: every
/// distinct lower-cased, normalized term, valued with the index of its first
/// entry. A test there checks that both give the same bytes.
fn sensitive_automaton(out: &Path) {
    let mut first = std::collections::BTreeMap::new();
    let mut index = 0u32;
    for name in TERM_LISTS {
        let path = Path::new("dictionaries").join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("built-in term list is readable");
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let term = line.split('\t').next().unwrap_or("").trim();
            let term = normalize::normalize(term).as_str().to_ascii_lowercase();
            first.entry(term).or_insert(index);
            index += 1;
        }
    }
    let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build_with_values(first)
        .expect("the built-in term lists make an automaton");
    std::fs::write(out, automaton.serialize()).expect("write the terms' automaton");
}
