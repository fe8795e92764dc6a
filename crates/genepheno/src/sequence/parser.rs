//! FASTA records, read incrementally so that a page can parse tens of megabytes in slices, show
//! progress and stay responsive. Record framing is noodles-fasta's; what a record's header and
//! letters mean (identifiers, kinds, problems) is ours.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

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
/// identifier is what bounds the memory of a proteome-scale run, and that must grow in step with
/// the input, never in jumps. So it keeps no identifier and no source per name, only a 96-bit
/// fingerprint of the name (the first 12 bytes of its SHA-256), in the order names are given out,
/// in fixed chunks that are never moved; an index of 4-byte positions into them, which is the
/// only part rebuilt as it grows; and where each name was first used as runs of consecutive
/// records (one per source, in practice), not per name. That is 12 bytes per name plus 5 to 11
/// of index (about 18 for a human proteome ten times over), where a hash map of fingerprint and
/// first use took 24 bytes per entry in a table of twice as many slots as needed at worst, next
/// to the half-size table it replaced while growing. Two different identifiers are taken for one
/// with a chance of 2^-96 per pair: about 10^-11 for a billion records. The page keeps its
/// records anyway, but uses the same type so that both name records alike.
#[derive(Debug, Default)]
pub struct Identifiers {
    /// The fingerprint of every name given out, in that order: a name's position here is what
    /// `index`, `runs` and `next_suffix` refer to. Each chunk is allocated at its full size once,
    /// so growing never copies what is kept (a single `Vec` would, leaving the old copy behind).
    chunks: Vec<Vec<Fingerprint>>,
    /// Open addressing with linear probing: each slot holds a position in `chunks` plus one, or
    /// 0 when empty. A power of two long, at most three quarters full.
    index: Vec<u32>,
    /// Keyed per process, like the standard hash map: the fingerprints come from the input, and
    /// taking their own bits as the hash would let an input make every lookup probe long.
    hasher: RandomState,
    /// Where the names were first used: a run says that the names from position `first` on were
    /// claimed by consecutive records of one source, from record `number` on.
    runs: Vec<Run>,
    /// The sources named in `runs`, each once (a session has a few; a stream has one).
    sources: Vec<String>,
    /// For an identifier repeated more than once (keyed by its position), the suffix to try
    /// first for its next repeat: the suffixes below it are taken, and names are never given
    /// back, so the search need not start at #2 again (which is quadratic when every record
    /// shares one identifier). Only a shortcut: without it the names would be the same.
    next_suffix: HashMap<u32, u32>,
}

/// The first 96 bits of an identifier's SHA-256, as `u32`s so that it has no padding and a
/// 4-byte alignment (12 bytes in a chunk, not 16).
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

/// Names per chunk of `Identifiers::chunks` (48 KiB): small next to a proteome, so little is
/// allocated ahead of need.
const CHUNK: usize = 4096;
/// The fewest slots of an index (1 KiB), so that a handful of records does not rebuild it often.
const MIN_SLOTS: usize = 256;

/// Consecutive names claimed by consecutive records of one source (see `Identifiers::runs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    /// Position of the run's first name.
    first: usize,
    /// Index into `Identifiers::sources`.
    source: u32,
    /// Record number of the run's first name.
    number: usize,
}

impl Identifiers {
    /// The identifiers of records read earlier (a session kept in the browser), so that records
    /// added afterwards do not take them again.
    pub fn of_records(records: &[super::SequenceRecord]) -> Self {
        let mut ids = Self::default();
        for r in records {
            let fingerprint = Fingerprint::of(&r.id);
            ids.reserve_one();
            // A kept session's names are unique; should one repeat, its first use is kept.
            if let Err(slot) = ids.find(fingerprint) {
                ids.give(fingerprint, slot, &r.source, r.number);
            }
        }
        ids
    }

    /// Claims `id` for record `number` of `source`; on a clash returns the unique name used
    /// instead (`id#k` with the smallest `k` from 2 whose name is free) and the problem that
    /// says so. Records must be claimed in input order, each once, for their names and messages
    /// to be those of the page; `genepheno predict` claims those it does not parse too.
    pub fn claim(&mut self, id: String, source: &str, number: usize) -> (String, Option<Problem>) {
        self.reserve_one();
        let fingerprint = Fingerprint::of(&id);
        let original = match self.find(fingerprint) {
            Ok(position) => position,
            Err(slot) => {
                self.give(fingerprint, slot, source, number);
                return (id, None);
            }
        };
        let remembered = self.next_suffix.get(&original).copied();
        let mut k = remembered.map_or(2, |k| k as usize);
        let (renamed, fingerprint, slot) = loop {
            let candidate = format!("{id}#{k}");
            let fingerprint = Fingerprint::of(&candidate);
            match self.find(fingerprint) {
                Ok(_) => k += 1,
                Err(slot) => break (candidate, fingerprint, slot),
            }
        };
        // Remembered from the second repeat on (the first one needs no shortcut), so that this
        // costs nothing for identifiers given at most twice.
        if remembered.is_some() || k > 2 {
            match u32::try_from(k + 1) {
                Ok(next) => self.next_suffix.insert(original, next),
                // Past what is remembered: searching from #2 again gives the same name.
                Err(_) => self.next_suffix.remove(&original),
            };
        }
        self.give(fingerprint, slot, source, number);
        let (first_source, first_number) = self.first_use(original);
        let problem = Problem::DuplicateId {
            original: id,
            first_source: self.sources[first_source as usize].clone(),
            first_number,
            renamed: renamed.clone(),
        };
        (renamed, Some(problem))
    }

    /// Makes room in the index for one more name, so that a free slot found by [`Self::find`]
    /// stays valid until it is filled. The index is rebuilt at twice the size from the
    /// fingerprints, and the old one (half the size) freed straight after: only the index is
    /// ever held twice, briefly, never the fingerprints.
    fn reserve_one(&mut self) {
        let names = self.names();
        if (names + 1) * 4 <= self.index.len() * 3 {
            return;
        }
        let slots = (self.index.len() * 2).max(MIN_SLOTS);
        self.index = vec![0; slots];
        for position in 0..names {
            let fingerprint = self.chunks[position / CHUNK][position % CHUNK];
            let Err(slot) = self.find(fingerprint) else { unreachable!("a name is kept once") };
            self.index[slot] = Self::slot_value(position);
        }
    }

    /// The position of `fingerprint`'s name if it was given out, else the free slot for it.
    /// The index must have a free slot (see [`Self::reserve_one`]).
    fn find(&self, fingerprint: Fingerprint) -> Result<u32, usize> {
        let mask = self.index.len() - 1;
        let mut slot = self.hasher.hash_one(fingerprint) as usize & mask;
        loop {
            match self.index[slot] {
                0 => return Err(slot),
                taken => {
                    let position = taken as usize - 1;
                    if self.chunks[position / CHUNK][position % CHUNK] == fingerprint {
                        return Ok(position as u32);
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Names given out so far.
    fn names(&self) -> usize {
        self.chunks.last().map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    /// The index slot value for the name at `position`.
    fn slot_value(position: usize) -> u32 {
        u32::try_from(position + 1).ok().filter(|&v| v != 0).expect("fewer than 2^32 - 1 identifiers in one session")
    }

    /// Gives out the name of `fingerprint` to record `number` of `source`, at the free `slot`.
    fn give(&mut self, fingerprint: Fingerprint, slot: usize, source: &str, number: usize) {
        let position = self.names();
        self.index[slot] = Self::slot_value(position);
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(fingerprint),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(fingerprint);
                self.chunks.push(chunk);
            }
        }
        // Records come source after source, so the last one is tried first.
        let source = match self.sources.iter().rposition(|s| s == source) {
            Some(index) => index,
            None => {
                self.sources.push(source.to_owned());
                self.sources.len() - 1
            }
        };
        let source = u32::try_from(source).expect("fewer than 2^32 sources in one session");
        let continues = self
            .runs
            .last()
            .is_some_and(|run| run.source == source && run.number.checked_add(position - run.first) == Some(number));
        if !continues {
            self.runs.push(Run { first: position, source, number });
        }
    }

    /// The source (index) and record number that first used the name at `position`.
    fn first_use(&self, position: u32) -> (u32, usize) {
        let position = position as usize;
        let run = self.runs[self.runs.partition_point(|run| run.first <= position) - 1];
        (run.source, run.number + (position - run.first))
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
    fn what_is_kept_per_identifier_is_a_fixed_12_bytes_and_an_index() {
        // The memory of `genepheno predict` on a proteome grows by this much per record, whatever
        // the length of the identifiers or their source's name.
        assert_eq!(std::mem::size_of::<Fingerprint>(), 12);
        let mut ids = Identifiers::default();
        let long = "s".repeat(10_000);
        read(&mut ids, &long, &format!(">{}\nMKV\n>{}\nMKV\n", "i".repeat(10_000), "j".repeat(10_000)));
        assert_eq!(ids.sources, [long], "a source is kept once, not per record");
    }

    /// Bytes held for names given out: the fingerprint chunks as allocated, the index, the runs
    /// and the suffixes remembered.
    fn held_bytes(ids: &Identifiers) -> usize {
        ids.chunks.iter().map(|c| c.capacity() * std::mem::size_of::<Fingerprint>()).sum::<usize>()
            + ids.index.capacity() * 4
            + ids.runs.capacity() * std::mem::size_of::<Run>()
            + ids.next_suffix.capacity() * 8
    }

    #[test]
    fn a_proteome_ten_times_over_is_kept_in_under_20_bytes_a_record_and_never_moved() {
        // As `genepheno predict` reads one input: pieces numbered on, every record a repeat after
        // the first copy (the memory check of scripts/bench.sh).
        let (distinct, copies) = (17_283, 10);
        let mut ids = Identifiers::default();
        let mut first_chunk = None;
        for number in 1..=distinct * copies {
            let (name, problem) = ids.claim(format!("P{:05}_GENE", (number - 1) % distinct), "human-x10.fasta", number);
            let copy = (number - 1) / distinct + 1;
            if copy == 1 {
                assert_eq!(problem, None);
            } else {
                assert_eq!(name, format!("P{:05}_GENE#{copy}", (number - 1) % distinct));
            }
            first_chunk = first_chunk.or(Some(ids.chunks[0].as_ptr()));
            assert_eq!(Some(ids.chunks[0].as_ptr()), first_chunk, "what is kept is never moved");
        }
        assert_eq!(ids.names(), distinct * copies);
        assert_eq!(ids.runs, [Run { first: 0, source: 0, number: 1 }], "one run for one input");
        // Remembered suffixes: one per identifier repeated more than once.
        assert_eq!(ids.next_suffix.len(), distinct);
        // 12 of fingerprint, 6.1 of index, 1.3 of remembered suffixes: 19.6, 3.4 MB in all. The
        // hash map of fingerprint and first use it replaced held 262,144 slots of 25 bytes here
        // (37.9 a record), and its old table of half that size with them while growing.
        let per_record = held_bytes(&ids) as f64 / (distinct * copies) as f64;
        assert!(per_record < 20.0, "{per_record:.1} bytes per record");
    }

    #[test]
    fn many_repeats_of_one_identifier_take_the_same_names_as_a_search_from_2_would() {
        let mut ids = Identifiers::default();
        let mut text = String::new();
        for i in 1..=3000 {
            // Given names that a search from #2 meets, between the repeats.
            if i == 5 {
                text.push_str(">x#7\nMKV\n>x#8\nMKV\n");
            }
            text.push_str(">x\nMKV\n");
        }
        let records = read(&mut ids, "a.fasta", &text);
        let names: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        // What the search from #2 for every repeat gives: the smallest free suffix.
        let mut taken = std::collections::HashSet::new();
        let mut expected = Vec::new();
        for r in &records {
            let given = if r.id.starts_with("x#7") || r.id.starts_with("x#8") { r.id.clone() } else { "x".to_owned() };
            let name = if taken.contains(&given) { (2..).map(|k| format!("{given}#{k}")).find(|n| !taken.contains(n)).unwrap() } else { given };
            taken.insert(name.clone());
            expected.push(name);
        }
        assert_eq!(names, expected);
        assert_eq!(&names[..12], ["x", "x#2", "x#3", "x#4", "x#7", "x#8", "x#5", "x#6", "x#9", "x#10", "x#11", "x#12"]);
        // 2,999 repeats, two suffixes given as names on the way.
        assert_eq!(names.last(), Some(&"x#3002"));
        for r in &records[1..] {
            if r.id != "x#7" && r.id != "x#8" {
                assert_eq!(
                    duplicate(r),
                    Some(&Problem::DuplicateId { original: "x".into(), first_source: "a.fasta".into(), first_number: 1, renamed: r.id.clone() })
                );
            }
        }
        // One suffix remembered, for "x": the next repeat starts where the last one ended.
        assert_eq!(ids.next_suffix.values().copied().collect::<Vec<_>>(), [3003]);
    }

    #[test]
    fn first_uses_across_pieces_gaps_and_sources_are_kept() {
        let mut ids = Identifiers::default();
        assert_eq!(ids.claim("a".into(), "s", 1).1, None);
        assert_eq!(ids.claim("b".into(), "s", 2).1, None);
        // Record 3 was not claimed (a gap), then another source, then "s" again from 1.
        assert_eq!(ids.claim("c".into(), "s", 4).1, None);
        assert_eq!(ids.claim("d".into(), "t", 1).1, None);
        assert_eq!(ids.claim("e".into(), "s", 1).1, None);
        assert_eq!(ids.runs.len(), 4);
        let first = |ids: &mut Identifiers, id: &str| match ids.claim(id.into(), "u", 9).1 {
            Some(Problem::DuplicateId { first_source, first_number, .. }) => (first_source, first_number),
            other => panic!("{other:?}"),
        };
        assert_eq!(first(&mut ids, "a"), ("s".into(), 1));
        assert_eq!(first(&mut ids, "b"), ("s".into(), 2));
        assert_eq!(first(&mut ids, "c"), ("s".into(), 4));
        assert_eq!(first(&mut ids, "d"), ("t".into(), 1));
        assert_eq!(first(&mut ids, "e"), ("s".into(), 1));
        assert_eq!(ids.sources, ["s", "t", "u"]);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn record_numbers_beyond_32_bits_are_kept_whole() {
        let number = 5_000_000_000usize;
        let mut ids = Identifiers::default();
        assert_eq!(ids.claim("x".into(), "s", number), ("x".into(), None));
        assert_eq!(ids.first_use(0), (0, number));
        assert_eq!(
            ids.claim("x".into(), "t", number + 1),
            ("x#2".into(), Some(Problem::DuplicateId { original: "x".into(), first_source: "s".into(), first_number: number, renamed: "x#2".into() }))
        );
    }
}
