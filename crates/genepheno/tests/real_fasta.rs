//! Parsing and validation on real FASTA files from Biopython's test data (see fixtures/README.md),
//! and on the same files reshaped the ways users' files differ (CRLF, lower case, unwrapped,
//! gzip), which must not change what is read.

use std::io::Write;
use std::path::PathBuf;

use genepheno::sequence::{Problem, SequenceKind, parse_all};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/biopython-1.85").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Records and their residues counted the simplest possible way, as an independent reference.
fn naive_records(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix('>') {
            out.push((header.split_whitespace().next().unwrap().to_owned(), String::new()));
        } else if let Some((_, seq)) = out.last_mut() {
            seq.extend(line.trim().chars().map(|c| c.to_ascii_uppercase()));
        }
    }
    out
}

fn proteins(bytes: &[u8]) -> Vec<(String, String)> {
    let outcome = parse_all("input", bytes);
    assert!(outcome.file_problems.is_empty(), "{:?}", outcome.file_problems);
    outcome.records.iter().map(|r| (r.id.clone(), r.protein.clone().unwrap_or_default())).collect()
}

#[test]
fn swissprot_headers_and_wrapped_lines() {
    let bytes = fixture("multi_ex.fasta");
    let outcome = parse_all("multi_ex.fasta", &bytes);
    assert_eq!(outcome.records.len(), 8);
    let tpa = &outcome.records[0];
    assert_eq!(tpa.id, "sp|P00750|TPA_HUMAN");
    assert!(tpa.description.starts_with("Tissue-type plasminogen activator OS=Homo sapiens"));
    assert_eq!(tpa.kind, SequenceKind::Protein);
    // Swiss-Prot P00750 (TPA_HUMAN) is 562 residues long.
    assert_eq!(tpa.protein_length(), 562);
    assert_eq!(proteins(&bytes), naive_records(std::str::from_utf8(&bytes).unwrap()));
}

#[test]
fn ncbi_and_mixed_headers() {
    for name in ["protein_lib.fa", "aster.pro", "CAG33136.1.fasta"] {
        let bytes = fixture(name);
        let got = proteins(&bytes);
        assert!(!got.is_empty());
        assert_eq!(got, naive_records(std::str::from_utf8(&bytes).unwrap()), "{name}");
    }
    let aster = parse_all("aster.pro", &fixture("aster.pro"));
    assert_eq!(aster.records[0].id, "gi|3298468|dbj|BAA31520.1|");
    assert_eq!(aster.records[0].description, "SAMIPF");
}

#[test]
fn layout_variants_read_the_same() {
    let original = fixture("multi_ex.fasta");
    let text = String::from_utf8(original.clone()).unwrap();
    let expected = proteins(&original);
    let crlf = text.replace('\n', "\r\n");
    let lower: String = text
        .lines()
        .map(|l| if l.starts_with('>') { l.to_owned() } else { l.to_lowercase() })
        .collect::<Vec<_>>()
        .join("\n");
    let unwrapped: String = naive_records(&text)
        .iter()
        .map(|(id, seq)| format!(">{id}\n{seq}*\n"))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&original).unwrap();
    let gz = gz.finish().unwrap();
    for (name, bytes) in [
        ("crlf", crlf.into_bytes()),
        ("lower", lower.into_bytes()),
        ("unwrapped with trailing *", unwrapped.into_bytes()),
        ("gzip", gz),
    ] {
        assert_eq!(proteins(&bytes), expected, "{name}");
    }
}

#[test]
fn gzip_file_from_disk() {
    let outcome = parse_all("flowers.pro.gz", &fixture("flowers.pro.gz"));
    assert_eq!(outcome.records.len(), 3);
    assert!(outcome.records.iter().all(|r| r.is_ready()));
    // The PDB chain starts with an X: read as unknown, and said so.
    assert!(matches!(
        outcome.records[0].problems.as_slice(),
        [Problem::NonStandardResidues { count: 1, .. }]
    ));
}

#[test]
fn coding_sequences_are_translated() {
    let outcome = parse_all("drosophila.fasta", &fixture("drosophila.fasta"));
    assert_eq!(outcome.records.len(), 27);
    for r in &outcome.records {
        assert!(matches!(r.kind, SequenceKind::TranslatedCds { stopped_at_codon: true, .. }), "{}", r.id);
        let protein = r.protein.as_deref().unwrap();
        // Drosophila alcohol dehydrogenase: 256 residues, Met first.
        assert_eq!(protein.len(), 256, "{}", r.id);
        assert!(protein.starts_with('M'), "{}", r.id);
    }
}

#[test]
fn non_coding_nucleotides_are_explained_not_scored() {
    let outcome = parse_all("centaurea.nu", &fixture("centaurea.nu"));
    let r = &outcome.records[0];
    assert_eq!(r.kind, SequenceKind::Nucleotide);
    assert!(!r.is_ready());
    // CCT GTC ACT TAA: the stop codon begins at nucleotide 10.
    assert_eq!(r.problems, vec![Problem::Untranslatable { residues: 3, stop_at: Some(10) }]);
    assert!(r.problems[0].to_string().contains("nucleotide 10"));
}

#[test]
fn alignment_gaps_are_reported_with_their_position() {
    let bytes = fixture("fa01");
    let outcome = parse_all("fa01", &bytes);
    let naive = naive_records(std::str::from_utf8(&bytes).unwrap());
    for (record, (_, seq)) in outcome.records.iter().zip(&naive) {
        let first_gap = seq.find('-').unwrap() + 1;
        let gaps = seq.matches('-').count();
        assert_eq!(
            record.problems,
            vec![Problem::InvalidLetter { position: first_gap, letter: '-', count: gaps }]
        );
        assert!(!record.is_ready());
    }
}

#[test]
fn duplicate_identifiers_are_kept_and_renamed() {
    let outcome = parse_all("dups.fasta", &fixture("dups.fasta"));
    let ids: Vec<&str> = outcome.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "beta", "gamma", "alpha#2", "delta"]);
    assert!(outcome.records[3].problems.contains(&Problem::DuplicateId {
        original: "alpha".into(),
        first_source: "dups.fasta".into(),
        first_number: 1,
        renamed: "alpha#2".into(),
    }));
}

#[test]
fn fastq_is_named_as_such() {
    let outcome = parse_all("example.fastq", &fixture("example.fastq"));
    assert!(outcome.records.is_empty());
    assert!(outcome.file_problems[0].message.contains("FASTQ"));
}

#[test]
fn valid_records_survive_bad_neighbours() {
    let mut mixed = fixture("fa01");
    mixed.extend(fixture("multi_ex.fasta"));
    mixed.extend(b">empty one\n\n>sp|X|Y\nMKV1LL\n");
    let outcome = parse_all("mixed.fa", &mixed);
    assert_eq!(outcome.records.len(), 2 + 8 + 2);
    assert_eq!(outcome.ready().count(), 8);
    assert_eq!(outcome.records[10].problems, vec![Problem::Empty]);
    assert_eq!(outcome.records[10].description, "one");
    assert_eq!(
        outcome.records[11].problems,
        vec![Problem::InvalidLetter { position: 4, letter: '1', count: 1 }]
    );
}

#[test]
fn pasted_text_without_headers() {
    let outcome = parse_all("pasted", b"MKVLAAGIVALLLAA\n\nmstnpkpqrk tkrntnrrpq\n>named\nMKV\n");
    let ids: Vec<&str> = outcome.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["pasted-1", "pasted-2", "named"]);
    assert_eq!(outcome.records[1].protein.as_deref(), Some("MSTNPKPQRKTKRNTNRRPQ"));
    assert_eq!(outcome.records[0].problems, vec![Problem::NoHeader { assigned: "pasted-1".into() }]);
}

#[test]
fn header_without_identifier_keeps_its_text() {
    let outcome = parse_all("x.fa", b"> tumour suppressor fragment\nMKVLAAGIVALLLAA\n");
    let r = &outcome.records[0];
    assert_eq!(r.id, "x.fa-1");
    assert_eq!(r.description, "tumour suppressor fragment");
    assert!(r.is_ready());
}
