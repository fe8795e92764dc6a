//! `genepheno predict` as a user runs it: the built binary, real human proteins from the committed
//! data, inputs from a file, gzip or standard input, from a directory without the repository.
//! Scores are compared between runs, never against fixed numbers (the models get retrained).

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_genepheno");

/// The first `n` human proteins of data/genes.tsv.gz as FASTA.
fn human_fasta(n: usize) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/genes.tsv.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .skip(1)
        .take(n)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            format!(">{}_{} Entrez {}\n{}\n", f[2], f[1], f[0], f[6])
        })
        .collect()
}

/// A fresh directory with no models in it, removed when dropped (also when a test fails).
fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs the binary in `dir` (a directory with no models in it) with `stdin` fed in.
fn predict(dir: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .arg("predict")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.map(<[u8]>::to_vec).unwrap_or_default();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

#[test]
fn file_gzip_and_stdin_give_the_same_output_for_any_thread_count_from_any_directory() {
    let tmp = temp_dir();
    let dir = tmp.path();
    let fasta = human_fasta(120);
    std::fs::write(dir.join("human.fasta"), &fasta).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(fasta.as_bytes()).unwrap();
    std::fs::write(dir.join("human.fasta.gz"), gz.finish().unwrap()).unwrap();

    let plain = predict(dir, &["--threads", "1", "human.fasta"], None);
    assert_eq!(plain.status.code(), Some(0), "{}", String::from_utf8_lossy(&plain.stderr));
    // Not a terminal: no progress bar, nothing on stderr for a clean input.
    assert!(plain.stderr.is_empty(), "{}", String::from_utf8_lossy(&plain.stderr));
    let text = String::from_utf8(plain.stdout.clone()).unwrap();
    assert_eq!(text.lines().next(), Some("record_id\tterm_id\tterm_name\tscore"), "the documented default header");
    assert!(text.lines().count() > 120, "at least one term per protein above the threshold, got {} lines", text.lines().count());

    let gzip = predict(dir, &["--threads", "2", "human.fasta.gz"], None);
    assert_eq!(gzip.stdout, plain.stdout);
    let stdin = predict(dir, &["--threads", "3", "-"], Some(fasta.as_bytes()));
    assert_eq!(stdin.status.code(), Some(0));
    assert_eq!(stdin.stdout, plain.stdout);
}

#[test]
fn bad_records_are_reported_with_record_and_position_and_the_rest_are_scored() {
    let tmp = temp_dir();
    let dir = tmp.path();
    let good = human_fasta(3);
    let fasta = format!("{good}>bad1 a typo\nMKVLA1AGIV\n>empty\n\n{good}");
    let out = predict(dir, &["--top", "1", "-"], Some(fasta.as_bytes()));
    assert_eq!(out.status.code(), Some(3), "some records not scored");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stdin: record 4 (bad1): not scored: '1' at position 6"), "{stderr}");
    assert!(stderr.contains("record 5 (empty): not scored: the sequence is empty"), "{stderr}");
    // The repeated proteins get renamed (as the page does), with a note, and are scored.
    assert!(stderr.contains("record 6 (") && stderr.contains("note: identifier"), "{stderr}");
    assert!(stderr.contains("2 of 8 records were not scored"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1 + 6, "header and the top term of each of the 6 good records:\n{stdout}");
    assert!(stdout.contains("#2\t"), "renamed duplicates are written under their new name");
}

#[test]
fn inputs_that_are_not_fasta_and_wrong_options_fail_with_their_own_status() {
    let tmp = temp_dir();
    let dir = tmp.path();
    let fastq = predict(dir, &["-"], Some(b"@read1\nACGT\n+\nIIII\n"));
    assert_eq!(fastq.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fastq.stderr).contains("FASTQ"));
    assert!(fastq.stdout.is_empty(), "nothing written for an input that is not FASTA");
    let missing = predict(dir, &["no-such.fasta"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such.fasta"));
    let usage = predict(dir, &["--threads", "0", "-"], Some(b">a\nMKV\n"));
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn mode_column_and_jsonl_say_which_mode_scored_each_record() {
    let tmp = temp_dir();
    let dir = tmp.path();
    // Two known human proteins, then one no human protein resembles.
    let fasta = format!("{}>nonhuman\nAYVINDSCIACGACKPECPVNIQQGSIYAIDADSCIDCGSCASVCPVGAPNPED\n", human_fasta(2));
    let tsv = predict(dir, &["--mode", "auto", "--all", "--top", "2", "-"], Some(fasta.as_bytes()));
    assert_eq!(tsv.status.code(), Some(0), "{}", String::from_utf8_lossy(&tsv.stderr));
    let text = String::from_utf8(tsv.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["record_id", "term_id", "term_name", "score", "mode"]);
    let modes: Vec<&str> = rows[1..].iter().map(|r| r[4]).collect();
    assert_eq!(modes, ["known-gene", "known-gene", "known-gene", "known-gene", "sequence", "sequence"]);

    let jsonl = predict(dir, &["--mode", "auto", "--format", "jsonl", "--top", "3", "-"], Some(fasta.as_bytes()));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(jsonl.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["mode"], "known-gene");
    assert_eq!(lines[0]["known_gene"]["exact"], true);
    assert_eq!(lines[2]["id"], "nonhuman");
    assert_eq!(lines[2]["mode"], "sequence");
    assert!(lines.iter().all(|l| l["terms"].as_array().is_some_and(|t| t.len() <= 3)));

    // Sequence mode scores the known genes from their sequence instead: other scores.
    let seq = predict(dir, &["--mode", "sequence", "--all", "--top", "2", "-"], Some(fasta.as_bytes()));
    let seq_text = String::from_utf8(seq.stdout).unwrap();
    assert!(seq_text.lines().skip(1).all(|l| l.ends_with("\tsequence")));
    let without_mode = |t: &str| t.lines().skip(1).take(4).map(|l| l.rsplit_once('\t').unwrap().0.to_owned()).collect::<Vec<_>>();
    assert_ne!(without_mode(&seq_text), without_mode(&text), "curated GO and sequence gave the very same terms and scores");
}
