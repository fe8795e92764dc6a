//! FASTA records, read incrementally so that a page can parse tens of megabytes in slices, show
//! progress and stay responsive. Record framing is noodles-fasta's; what a record's header and
//! letters mean (identifiers, kinds, problems) is ours.

use std::collections::HashMap;

use noodles_fasta::io::Reader;
use noodles_fasta::record::Definition;
use serde::{Deserialize, Serialize};

use super::input::{DecodeError, decode, first_header_offset};
use super::problem::FileProblem;
use super::residues;
use super::{Problem, SequenceRecord};

/// Everything read from one or more inputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParseOutcome {
    pub records: Vec<SequenceRecord>,
    pub file_problems: Vec<FileProblem>,
}

impl ParseOutcome {
    /// Records that can be scored.
    pub fn ready(&self) -> impl Iterator<Item = &SequenceRecord> {
        self.records.iter().filter(|r| r.is_ready())
    }
}

/// Identifiers already given out in a session, so that a repeated one (within a file or across
/// files) is made unique and reported rather than silently merged.
///
/// `genepheno predict` streams inputs of any size through one of these, so what it keeps per
/// identifier is what bounds the memory of a proteome-scale run: not the identifier but a 96-bit
/// fingerprint of it (the first 12 bytes of its SHA-256) and where it was first used, 24 bytes in
/// all (about 170 bytes with the identifier and its source as strings). Two different identifiers
/// are taken for one with a chance of 2^-96 per pair: about 10^-11 for a billion records. The
/// page keeps its records anyway, but uses the same type so that both name records alike.
#[derive(Debug, Default)]
pub struct Identifiers {
    first_use: HashMap<Fingerprint, FirstUse>,
    /// The sources named in `first_use`, each once (a session has a few; a stream has one).
    sources: Vec<String>,
}

/// The first 96 bits of an identifier's SHA-256, as `u32`s so that an entry of the map has no
/// padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Fingerprint([u32; 3]);

impl Fingerprint {
    fn of(id: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(id.as_bytes());
        let word = |i: usize| u32::from_le_bytes(digest[4 * i..4 * i + 4].try_into().expect("4 bytes"));
        Self([word(0), word(1), word(2)])
    }
}

/// Where an identifier was first used: an index into `Identifiers::sources` and the record
/// number (as two `u32`s, for the same reason as [`Fingerprint`]).
#[derive(Clone, Copy, Debug)]
struct FirstUse {
    source: u32,
    number: [u32; 2],
}

impl FirstUse {
    fn number(self) -> usize {
        (u64::from(self.number[1]) << 32 | u64::from(self.number[0])) as usize
    }
}

impl Identifiers {
    /// The identifiers of records read earlier (a session kept in the browser), so that records
    /// added afterwards do not take them again.
    pub fn of_records(records: &[super::SequenceRecord]) -> Self {
        let mut ids = Self::default();
        for r in records {
            let first = ids.first_use_at(&r.source, r.number);
            ids.first_use.insert(Fingerprint::of(&r.id), first);
        }
        ids
    }

    /// Claims `id` for record `number` of `source`; on a clash returns the unique name used
    /// instead and the problem that says so.
    fn claim(&mut self, id: String, source: &str, number: usize) -> (String, Option<Problem>) {
        let first = self.first_use_at(source, number);
        let Some(earlier) = self.first_use.get(&Fingerprint::of(&id)).copied() else {
            self.first_use.insert(Fingerprint::of(&id), first);
            return (id, None);
        };
        let (renamed, fingerprint) = (2..)
            .map(|k| {
                let candidate = format!("{id}#{k}");
                let fingerprint = Fingerprint::of(&candidate);
                (candidate, fingerprint)
            })
            .find(|(_, fingerprint)| !self.first_use.contains_key(fingerprint))
            .expect("an unused suffix exists");
        self.first_use.insert(fingerprint, first);
        let problem = Problem::DuplicateId {
            original: id,
            first_source: self.sources[earlier.source as usize].clone(),
            first_number: earlier.number(),
            renamed: renamed.clone(),
        };
        (renamed, Some(problem))
    }

    /// The entry for record `number` of `source`, adding `source` to the list if it is new.
    /// Records come source after source, so the last one is tried first.
    fn first_use_at(&mut self, source: &str, number: usize) -> FirstUse {
        let index = match self.sources.iter().rposition(|s| s == source) {
            Some(index) => index,
            None => {
                self.sources.push(source.to_owned());
                self.sources.len() - 1
            }
        };
        let number = number as u64;
        FirstUse {
            source: u32::try_from(index).expect("fewer than 2^32 sources in one session"),
            number: [number as u32, (number >> 32) as u32],
        }
    }
}

/// Reads the records of one decoded input a slice at a time.
pub struct Parser<'a> {
    source: String,
    total_bytes: usize,
    /// Header-less sequences found before the first header, read first.
    headerless: std::vec::IntoIter<&'a [u8]>,
    reader: Reader<&'a [u8]>,
    number: usize,
    definition: Definition,
    buf: Vec<u8>,
}

impl<'a> Parser<'a> {
    /// Starts reading `text`, the output of [`decode`], which came from `source`.
    pub fn new(source: impl Into<String>, text: &'a [u8]) -> Self {
        let split = first_header_offset(text);
        let (leading, rest) = text.split_at(split);
        Self {
            source: source.into(),
            total_bytes: text.len(),
            headerless: blank_line_blocks(leading).into_iter(),
            reader: Reader::new(rest),
            number: 0,
            definition: Definition::new("_", None),
            buf: Vec::new(),
        }
    }

    /// Numbers this input's records from `first` on instead of 1: a stream read in pieces
    /// (`genepheno predict`) numbers every record as one whole input would, so messages and
    /// generated names are the same however the input was cut.
    pub fn numbered_from(mut self, first: usize) -> Self {
        self.number = first.saturating_sub(1);
        self
    }

    /// Bytes read so far, for progress.
    pub fn bytes_read(&self) -> usize {
        self.total_bytes - self.reader.get_ref().len()
    }

    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Reads up to `max_records` further records; an empty result means the input is exhausted.
    pub fn next_batch(&mut self, ids: &mut Identifiers, max_records: usize) -> Vec<SequenceRecord> {
        let mut out = Vec::new();
        while out.len() < max_records {
            match self.next_record(ids) {
                Some(record) => out.push(record),
                None => break,
            }
        }
        out
    }

    fn next_record(&mut self, ids: &mut Identifiers) -> Option<SequenceRecord> {
        self.number += 1;
        let number = self.number;
        let mut problems = Vec::new();
        let (id, description, letters) = if let Some(block) = self.headerless.next() {
            let assigned = format!("{}-{number}", self.stem());
            problems.push(Problem::NoHeader { assigned: assigned.clone() });
            (assigned, String::new(), block.to_vec())
        } else {
            let header_line = current_line(self.reader.get_ref());
            let (id, description) = match self.reader.read_definition(&mut self.definition) {
                Ok(0) => return None,
                Ok(_) => (
                    String::from_utf8_lossy(self.definition.name()).into_owned(),
                    self.definition
                        .description()
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .unwrap_or_default(),
                ),
                // The only way a line starting with '>' fails is an empty name ("> text"):
                // keep its text as the description and give the record a name.
                Err(_) => {
                    let assigned = format!("{}-{number}", self.stem());
                    problems.push(Problem::MissingId { assigned: assigned.clone() });
                    let text = String::from_utf8_lossy(header_line);
                    (assigned, text.trim_start_matches('>').trim().to_owned(), )
                }
            };
            self.buf.clear();
            // Reading from memory cannot fail; a short read only means the record is empty.
            let _ = self.reader.read_sequence(&mut self.buf);
            (id, description, std::mem::take(&mut self.buf))
        };
        let (id, duplicate) = ids.claim(id, &self.source, number);
        problems.extend(duplicate);
        let checked = residues::check(&letters);
        problems.extend(checked.problems);
        let given_length = letters.iter().filter(|b| !b.is_ascii_whitespace()).count();
        Some(SequenceRecord {
            number,
            source: self.source.clone(),
            id,
            description,
            given_length,
            kind: checked.kind,
            protein: checked.protein,
            problems,
        })
    }

    /// Prefix for generated identifiers: "pasted" for pasted text, else the file name.
    fn stem(&self) -> &str {
        self.source.rsplit('/').next().unwrap_or(&self.source)
    }
}

/// Decodes and parses a whole input in one go (native tools and tests; the page uses [`Parser`]
/// directly so it can yield between slices).
pub fn parse_all(source: &str, bytes: &[u8]) -> ParseOutcome {
    let mut outcome = ParseOutcome::default();
    let mut ids = Identifiers::default();
    match decode(bytes) {
        Ok(decoded) => {
            let mut parser = Parser::new(source, &decoded.text);
            loop {
                let batch = parser.next_batch(&mut ids, 1024);
                if batch.is_empty() {
                    break;
                }
                outcome.records.extend(batch);
            }
        }
        Err(error) => outcome.file_problems.push(file_problem(source, &error)),
    }
    outcome
}

/// The file-level problem for an input that could not be decoded.
pub fn file_problem(source: &str, error: &DecodeError) -> FileProblem {
    FileProblem { source_name: source.to_owned(), message: error.to_string() }
}

/// Splits header-less text into sequences at blank lines, dropping blocks with no letters.
fn blank_line_blocks(text: &[u8]) -> Vec<&[u8]> {
    let mut blocks = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            blocks.push(&text[start..at]);
            start = at + line.len();
        }
        at += line.len();
    }
    blocks.push(&text[start..]);
    blocks.retain(|b| b.iter().any(|c| !c.is_ascii_whitespace()));
    blocks
}

/// The line at the start of `rest`, without its line break.
fn current_line(rest: &[u8]) -> &[u8] {
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(ids: &mut Identifiers, source: &str, text: &str) -> Vec<SequenceRecord> {
        Parser::new(source, text.as_bytes()).next_batch(ids, usize::MAX)
    }

    fn duplicate(record: &SequenceRecord) -> Option<&Problem> {
        record.problems.iter().find(|p| matches!(p, Problem::DuplicateId { .. }))
    }

    #[test]
    fn a_repeat_names_its_first_use_and_takes_the_first_free_suffix_across_sources() {
        let mut ids = Identifiers::default();
        let first = read(&mut ids, "a.fasta", ">x\nMKV\n>x#2\nMKV\n>x\nMKV\n>y\nMKV\n");
        let names: Vec<&str> = first.iter().map(|r| r.id.as_str()).collect();
        // "x#2" is the given name of record 2, so the repeat of "x" takes "x#3".
        assert_eq!(names, ["x", "x#2", "x#3", "y"]);
        assert_eq!(duplicate(&first[0]), None);
        assert_eq!(duplicate(&first[1]), None);
        assert_eq!(
            duplicate(&first[2]),
            Some(&Problem::DuplicateId { original: "x".into(), first_source: "a.fasta".into(), first_number: 1, renamed: "x#3".into() })
        );
        let second = read(&mut ids, "b.fasta", ">y\nMKV\n>z\nMKV\n>x\nMKV\n");
        let names: Vec<&str> = second.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(names, ["y#2", "z", "x#4"]);
        assert_eq!(
            duplicate(&second[0]),
            Some(&Problem::DuplicateId { original: "y".into(), first_source: "a.fasta".into(), first_number: 4, renamed: "y#2".into() })
        );
        assert_eq!(
            duplicate(&second[2]),
            Some(&Problem::DuplicateId { original: "x".into(), first_source: "a.fasta".into(), first_number: 1, renamed: "x#4".into() })
        );

        // A kept session gives the same answers for what is added after it.
        let mut kept = Identifiers::of_records(&[first, second].concat());
        let third = read(&mut kept, "c.fasta", ">z\nMKV\n>x#3\nMKV\n>w\nMKV\n");
        let names: Vec<&str> = third.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(names, ["z#2", "x#3#2", "w"]);
        assert_eq!(
            duplicate(&third[0]),
            Some(&Problem::DuplicateId { original: "z".into(), first_source: "b.fasta".into(), first_number: 2, renamed: "z#2".into() })
        );
        assert_eq!(
            duplicate(&third[1]),
            Some(&Problem::DuplicateId { original: "x#3".into(), first_source: "a.fasta".into(), first_number: 3, renamed: "x#3#2".into() })
        );
    }

    #[test]
    fn what_is_kept_per_identifier_is_a_fixed_24_bytes() {
        // The memory of `genepheno predict` on a proteome grows by this much per record (plus the
        // map's spare buckets), whatever the length of the identifiers or their source's name.
        assert_eq!(std::mem::size_of::<(Fingerprint, FirstUse)>(), 24);
        let mut ids = Identifiers::default();
        let long = "s".repeat(10_000);
        read(&mut ids, &long, &format!(">{}\nMKV\n>{}\nMKV\n", "i".repeat(10_000), "j".repeat(10_000)));
        assert_eq!(ids.sources, [long], "a source is kept once, not per record");
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn record_numbers_beyond_32_bits_are_kept_whole() {
        let number = 5_000_000_000usize;
        let mut ids = Identifiers::default();
        assert_eq!(ids.first_use_at("s", number).number(), number);
        assert_eq!(ids.claim("x".into(), "s", number), ("x".into(), None));
        assert_eq!(
            ids.claim("x".into(), "t", number + 1),
            ("x#2".into(), Some(Problem::DuplicateId { original: "x".into(), first_source: "s".into(), first_number: number, renamed: "x#2".into() }))
        );
    }
}
