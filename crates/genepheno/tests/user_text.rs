//! What a user reads about their input, as snapshots (insta): every kind of record problem, in
//! the words the page and the CLI show, with its record and position. A changed message shows
//! as a diff to review (`cargo insta review`, or `INSTA_UPDATE=always` and `git diff`), never
//! as a silent change.

use genepheno::sequence::{MAX_RESIDUES, ParseOutcome, Severity, parse_all};

/// The outcome as the user meets it: each record with its verdict and problems, then whole-input
/// problems.
fn report(outcome: &ParseOutcome) -> String {
    let mut out = String::new();
    for r in &outcome.records {
        let verdict = if r.is_ready() { "scored" } else { "not scored" };
        out.push_str(&format!("record {} '{}' ({}, {} letters given): {verdict}\n", r.number, r.id, r.kind.label(), r.given_length));
        for problem in &r.problems {
            let severity = match problem.severity() {
                Severity::Error => "error",
                Severity::Note => "note",
            };
            out.push_str(&format!("  {severity}: {problem}\n"));
        }
    }
    for problem in &outcome.file_problems {
        out.push_str(&format!("input: {problem}\n"));
    }
    out
}

#[test]
fn every_record_problem_names_its_record_and_what_to_do() {
    // Protein letters only (a run of A would be read as nucleotides).
    let too_long = "MKL".repeat(MAX_RESIDUES / 3 + 1);
    let fasta = format!(
        ">ok good protein\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ\n\
         >empty nothing follows\n\
         >bad_letter\nMKTAYIAK!QRQISF!VKSH\n\
         >stop\nMKTAYIAKQ*RQISFVKSHFSRQ\n\
         >long\n{too_long}\n\
         >dna a coding sequence\nATGAAAACCGCGTATATTGCGAAACAGCGCCAGATTAGCTTTGTGAAAAGCCATTTTAGCTAA\n\
         >dna_stop\nATGTAAACCGCGTATATTGCGAAACAGCGCCAG\n\
         >ok again, with its identifier repeated\nMEELLKKAWWPPGGMEELLKKAWW\n\
         >\nMKTAYIAKQRQISFVKSHFSRQ\n\
         >selenoprotein\nMKTAYUAKQRQISFVKSHFSRQLEERLGLIEVQ\n\
         >genbank\n        1 mktayiakqr qisfvkshfs\n       21 rqleerlgli evq\n\
         >genbank_unindented\n1 mktayiakqr qisfvkshfs\n21 rqleerlgli evq\n\
         >short\nMKTAY\n"
    );
    let outcome = parse_all("problems.fasta", fasta.as_bytes());
    insta::assert_snapshot!("record_problems", report(&outcome));
}

#[test]
fn an_input_that_is_not_text_says_so() {
    let outcome = parse_all("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00");
    insta::assert_snapshot!("input_problems", report(&outcome));
}
