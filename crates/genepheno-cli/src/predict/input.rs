//! FASTA records from a file or standard input, plain or gzip, in bounded memory.
//!
//! The page parses a whole file in memory; a proteome-scale input must not be. The stream is cut
//! into pieces of whole records (a piece always starts at a `>` line) and every piece goes
//! through the page's own parser and validator (`genepheno::sequence::Parser`), numbered as one
//! whole input would be and sharing one set of identifiers, so a record reads, is named and is
//! refused exactly as in the page. Format sniffing (FASTQ, PDF, archives, binaries) looks at the
//! first 64 KiB of decompressed text, as the page does.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use genepheno::sequence::{self, Identifiers, MAX_NUCLEOTIDES, Parser, SequenceRecord};

/// Records per piece handed to the parser: large enough to amortise a parser's setup, small
/// enough to keep a piece's text to a few hundred kilobytes for ordinary proteins.
const PIECE_RECORDS: usize = 256;
/// A record's text beyond this many bytes is not kept: it is over every length limit of the
/// policy anyway (`MAX_NUCLEOTIDES` letters, plus line breaks), so it is reported, not parsed.
pub const MAX_RECORD_BYTES: usize = 2 * MAX_NUCLEOTIDES + 64 * 1024;
/// How much decompressed text the format sniffing sees (as the page's `decode`).
const SNIFF_BYTES: usize = 64 * 1024;

/// Why an input cannot be read at all (as opposed to a record in it).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{source_name}: {message}")]
    Format { source_name: String, message: String },
    #[error("{source_name}: {error}")]
    Io { source_name: String, error: io::Error },
}

/// Something read from the stream, in input order.
pub enum Item {
    /// A parsed record (ready or not; its problems say why not).
    Record(SequenceRecord),
    /// A record whose text was over [`MAX_RECORD_BYTES`]: numbered, named, not parsed. Its
    /// identifier is claimed like a parsed record's, so that a repeat of it (before or after) is
    /// renamed and reported as in the page; `duplicate` says so when it is the repeat.
    Oversized { number: usize, id: String, letters: u64, duplicate: Option<sequence::Problem> },
}

/// Counts the bytes taken from the underlying reader (compressed bytes for gzip), for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A FASTA input being read; see the module docs.
pub struct FastaStream {
    source: String,
    lines: Box<dyn BufRead + Send>,
    ids: Identifiers,
    /// Number of the next record.
    next_number: usize,
    /// A header line read but not yet used (it starts the next piece).
    pending_header: Option<Vec<u8>>,
    /// Text before the first header, if any, consumed with the first piece.
    leading: Vec<u8>,
    started: bool,
    finished: bool,
    /// Bytes taken from the file or stdin so far.
    pub consumed: Arc<AtomicU64>,
    /// Size of the input file, when known (not for stdin).
    pub total_bytes: Option<u64>,
}

impl FastaStream {
    /// Opens `path`, or standard input for `-`.
    pub fn open(path: &Path) -> Result<Self, InputError> {
        let name = path.display().to_string();
        let io_err = |error| InputError::Io { source_name: name.clone(), error };
        if name == "-" {
            return Self::from_reader("stdin", Box::new(io::stdin()), None);
        }
        let file = File::open(path).map_err(io_err)?;
        let total = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        Self::from_reader(&name, Box::new(file), total)
    }

    /// Reads from any byte source (gzip is recognised by its magic bytes).
    pub fn from_reader(source: &str, raw: Box<dyn Read + Send>, total_bytes: Option<u64>) -> Result<Self, InputError> {
        let consumed = Arc::new(AtomicU64::new(0));
        let mut raw = BufReader::with_capacity(256 * 1024, Counting { inner: raw, count: consumed.clone() });
        let io_err = |error| InputError::Io { source_name: source.to_owned(), error };
        let gzip = raw.fill_buf().map_err(io_err)?.starts_with(&[0x1f, 0x8b]);
        let text: Box<dyn Read + Send> = if gzip { Box::new(MultiGzDecoder::new(raw)) } else { Box::new(raw) };
        let mut lines: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(256 * 1024, text));
        // Sniff the head with the page's decoder (it names FASTQ, PDF, archives, binaries).
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut lines).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| {
            if gzip { InputError::Format { source_name: source.to_owned(), message: format!("the gzip data is damaged: {e}") } } else { io_err(e) }
        })?;
        let bom = match sequence::decode(&head) {
            Ok(decoded) => head.len() - decoded.text.len(),
            Err(error) => return Err(InputError::Format { source_name: source.to_owned(), message: error.to_string() }),
        };
        head.drain(..bom);
        let lines: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(256 * 1024, io::Cursor::new(head).chain(lines)));
        Ok(Self {
            source: source.to_owned(),
            lines,
            ids: Identifiers::default(),
            next_number: 1,
            pending_header: None,
            leading: Vec::new(),
            started: false,
            finished: false,
            consumed,
            total_bytes,
        })
    }

    /// Name of the input in messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn read_line(&mut self, line: &mut Vec<u8>) -> Result<bool, InputError> {
        line.clear();
        let n = self.lines.read_until(b'\n', line).map_err(|error| InputError::Io { source_name: self.source.clone(), error })?;
        Ok(n > 0)
    }

    /// Reads the next line of the current record (or of the header-less text) into `line`; false
    /// at the end of the input or at the next header line, which is kept for the next record.
    fn next_body_line(&mut self, line: &mut Vec<u8>) -> Result<bool, InputError> {
        if !self.read_line(line)? {
            return Ok(false);
        }
        if line.starts_with(b">") {
            self.pending_header = Some(std::mem::take(line));
            return Ok(false);
        }
        Ok(true)
    }

    /// The next records in input order (up to a few hundred); empty at the end of the input.
    pub fn next_items(&mut self) -> Result<Vec<Item>, InputError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let mut piece: Vec<u8> = Vec::new();
        let mut line = Vec::new();
        if !self.started {
            self.started = true;
            // Header-less text before the first '>' line (the page names such records too).
            while self.next_body_line(&mut line)? {
                self.leading.extend_from_slice(&line);
                if self.leading.len() > MAX_RECORD_BYTES {
                    return Err(InputError::Format {
                        source_name: self.source.clone(),
                        message: format!(
                            "over {} MB of text before the first '>' header line: give every sequence a header line",
                            MAX_RECORD_BYTES / 1_000_000
                        ),
                    });
                }
            }
            piece = std::mem::take(&mut self.leading);
        }
        let mut items = Vec::new();
        let mut in_piece = 0usize;
        while let Some(header) = self.pending_header.take() {
            // One record: its header and the lines up to the next header.
            let record_start = piece.len();
            piece.extend_from_slice(&header);
            let mut letters = 0u64;
            let mut oversized = false;
            while self.next_body_line(&mut line)? {
                if oversized {
                    letters += line.iter().filter(|b| !b.is_ascii_whitespace()).count() as u64;
                    continue;
                }
                piece.extend_from_slice(&line);
                if piece.len() - record_start > MAX_RECORD_BYTES {
                    oversized = true;
                    letters = piece[record_start + header.len()..].iter().filter(|b| !b.is_ascii_whitespace()).count() as u64;
                }
            }
            if oversized {
                // Parse what came before it, then report it in its place.
                piece.truncate(record_start);
                items.extend(self.parse(&piece, in_piece));
                in_piece = 0;
                piece.clear();
                let number = self.next_number;
                self.next_number += 1;
                let id = String::from_utf8_lossy(header[1..].split(|b| b.is_ascii_whitespace()).next().unwrap_or_default()).into_owned();
                let (id, duplicate) = self.ids.claim(id, &self.source, number);
                items.push(Item::Oversized { number, id, letters, duplicate });
            } else {
                in_piece += 1;
            }
            if in_piece >= PIECE_RECORDS || items.len() >= PIECE_RECORDS {
                break;
            }
        }
        if self.pending_header.is_none() {
            self.finished = true;
        }
        items.extend(self.parse(&piece, in_piece));
        Ok(items)
    }

    /// Parses whole records of one piece (text before the first header included) with the
    /// page's parser, numbering on from the records before.
    fn parse(&mut self, piece: &[u8], headers: usize) -> Vec<Item> {
        if piece.iter().all(u8::is_ascii_whitespace) {
            return Vec::new();
        }
        let mut parser = Parser::new(self.source.clone(), piece).numbered_from(self.next_number);
        let mut items = Vec::with_capacity(headers);
        loop {
            let batch = parser.next_batch(&mut self.ids, PIECE_RECORDS);
            if batch.is_empty() {
                break;
            }
            items.extend(batch.into_iter().map(Item::Record));
        }
        if let Some(Item::Record(last)) = items.last() {
            self.next_number = last.number + 1;
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(bytes: Vec<u8>) -> FastaStream {
        FastaStream::from_reader("test.fasta", Box::new(io::Cursor::new(bytes)), None).unwrap()
    }

    fn all(mut s: FastaStream) -> Vec<Item> {
        let mut out = Vec::new();
        loop {
            let items = s.next_items().unwrap();
            if items.is_empty() {
                return out;
            }
            out.extend(items);
        }
    }

    fn records(items: Vec<Item>) -> Vec<SequenceRecord> {
        items.into_iter().map(|i| match i { Item::Record(r) => r, Item::Oversized { .. } => panic!("oversized") }).collect()
    }

    /// A FASTA text with every kind of record the page handles: header-less leading text,
    /// repeated identifiers, a missing identifier, bad letters, a CDS, CRLF, a BOM.
    fn mixed(n: usize) -> Vec<u8> {
        let mut text = b"\xEF\xBB\xBFMKVLAAGIVALLLPEPTIDE\n\n".to_vec();
        for i in 0..n {
            match i % 6 {
                0 => write!(text, ">sp|P{i:05}|X_HUMAN protein {i}\r\nMKTAYIAKQRQISFVKSH\r\nFSRQLEERLGLIEVQ\r\n").unwrap(),
                1 => write!(text, ">dup\nMEELLKKAWWPPGGAAKR\n").unwrap(),
                2 => write!(text, "> no identifier here\nMKV*\n").unwrap(),
                3 => write!(text, ">bad{i}\nMKV1QQ!\n").unwrap(),
                4 => write!(text, ">cds{i}\nATGGCTGCTAAAGGTCTGCTGGCTGCTAAAGGTCTGCTGGCTGCTAAAGGTCTGCTGGCTGCTAAAGGTCTGCTGGCTGCTAAAGGTCTGTAA\n").unwrap(),
                _ => write!(text, ">empty{i}\n\n").unwrap(),
            }
        }
        text
    }

    #[test]
    fn pieces_read_exactly_like_the_whole_input_in_the_page() {
        let text = mixed(1000);
        let whole = sequence::parse_all("test.fasta", &text);
        assert!(whole.file_problems.is_empty());
        let streamed = records(all(stream(text.clone())));
        assert_eq!(streamed.len(), 1001, "the header-less block and 1,000 records");
        assert_eq!(streamed, whole.records);
        // Gzip gives the same records.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        assert_eq!(records(all(stream(gz.finish().unwrap()))), whole.records);
    }

    #[test]
    fn a_record_over_every_limit_is_reported_in_its_place_without_being_kept() {
        let mut text = b">a\nMKV\n>huge genome region\n".to_vec();
        let line = [b'A'; 1000];
        for _ in 0..700 {
            text.extend_from_slice(&line);
            text.push(b'\n');
        }
        text.extend_from_slice(b">c\nMLL\n");
        let items = all(stream(text));
        assert_eq!(items.len(), 3);
        match &items[1] {
            Item::Oversized { number, id, letters, .. } => assert_eq!((*number, id.as_str(), *letters), (2, "huge", 700_000)),
            Item::Record(_) => panic!("the long record was parsed"),
        }
        match &items[2] {
            Item::Record(r) => assert_eq!((r.number, r.id.as_str()), (3, "c")),
            Item::Oversized { .. } => panic!(),
        }
    }

    #[test]
    fn an_oversized_record_takes_its_identifier_like_any_other() {
        let huge = |id: &str| {
            let mut text = format!(">{id} genome region\n").into_bytes();
            for _ in 0..700 {
                text.extend_from_slice(&[b'A'; 1000]);
                text.push(b'\n');
            }
            text
        };
        let mut text = b">a\nMKV\n".to_vec();
        text.extend(huge("a"));
        text.extend(huge("b"));
        text.extend_from_slice(b">b\nMLL\n>a\nMLL\n");
        let items = all(stream(text));
        let dup = |original: &str, first_number, renamed: &str| {
            Some(sequence::Problem::DuplicateId { original: original.into(), first_source: "test.fasta".into(), first_number, renamed: renamed.into() })
        };
        match &items[1] {
            Item::Oversized { number, id, duplicate, .. } => assert_eq!((*number, id.as_str(), duplicate.clone()), (2, "a#2", dup("a", 1, "a#2"))),
            Item::Record(_) => panic!("the long record was parsed"),
        }
        match &items[2] {
            Item::Oversized { number, id, duplicate, .. } => assert_eq!((*number, id.as_str(), duplicate.clone()), (3, "b", None)),
            Item::Record(_) => panic!("the long record was parsed"),
        }
        // Records after them see their identifiers as taken (and numbered on).
        let rest: Vec<(usize, &str, Option<&sequence::Problem>)> = items[3..]
            .iter()
            .map(|i| match i {
                Item::Record(r) => (r.number, r.id.as_str(), r.problems.first()),
                Item::Oversized { .. } => panic!(),
            })
            .collect();
        assert_eq!(rest, [(4, "b#2", dup("b", 3, "b#2").as_ref()), (5, "a#3", dup("a", 1, "a#3").as_ref())]);
    }

    #[test]
    fn what_is_not_fasta_is_named_before_any_record() {
        let err = FastaStream::from_reader("x.fq", Box::new(io::Cursor::new(b"@r1\nACGT\n+\nIIII\n".to_vec())), None).err().unwrap();
        assert!(err.to_string().contains("FASTQ"), "{err}");
        let err = FastaStream::from_reader("x", Box::new(io::Cursor::new(Vec::new())), None).err().unwrap();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = FastaStream::from_reader("x.gz", Box::new(io::Cursor::new(b"\x1f\x8bnot gzip at all".to_vec())), None).err().unwrap();
        assert!(err.to_string().contains("gzip"), "{err}");
    }
}
