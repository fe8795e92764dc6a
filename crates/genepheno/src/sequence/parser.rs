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
#[derive(Debug, Default)]
pub struct Identifiers {
    first_use: HashMap<String, (String, usize)>,
}

impl Identifiers {
    /// The identifiers of records read earlier (a session kept in the browser), so that records
    /// added afterwards do not take them again.
    pub fn of_records(records: &[super::SequenceRecord]) -> Self {
        let first_use = records.iter().map(|r| (r.id.clone(), (r.source.clone(), r.number))).collect();
        Self { first_use }
    }

    /// Claims `id` for record `number` of `source`; on a clash returns the unique name used
    /// instead and the problem that says so.
    fn claim(&mut self, id: String, source: &str, number: usize) -> (String, Option<Problem>) {
        let Some((first_source, first_number)) = self.first_use.get(&id).cloned() else {
            self.first_use.insert(id.clone(), (source.to_owned(), number));
            return (id, None);
        };
        let renamed = (2..)
            .map(|k| format!("{id}#{k}"))
            .find(|candidate| !self.first_use.contains_key(candidate))
            .expect("an unused suffix exists");
        self.first_use.insert(renamed.clone(), (source.to_owned(), number));
        let problem = Problem::DuplicateId {
            original: id,
            first_source,
            first_number,
            renamed: renamed.clone(),
        };
        (renamed, Some(problem))
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
