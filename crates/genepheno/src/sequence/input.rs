//! From the bytes of a file (or pasted text) to FASTA text: gzip is undone, a byte-order mark is
//! dropped, and inputs that are plainly something else (FASTQ, PDF, an archive, a binary) are named
//! as such instead of being parsed into nonsense records.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;
use thiserror::Error;

/// Decompressed inputs larger than this are refused: a browser tab cannot hold many copies of them.
pub const MAX_DECOMPRESSED_BYTES: u64 = 512 * 1024 * 1024;

/// How far into an input the format sniffing looks.
const SNIFF_BYTES: usize = 64 * 1024;

/// FASTA text ready for the record parser.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, [u8]>,
    /// Whether the input was gzip-compressed.
    pub was_gzip: bool,
}

/// Why an input as a whole cannot be read as FASTA.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the input is empty")]
    Empty,
    #[error("this is a FASTQ file (sequencing reads with qualities), not FASTA: GenePheno scores protein or coding sequences of genes")]
    Fastq,
    #[error("this is a PDF document, not FASTA: export or copy the sequences as FASTA text")]
    Pdf,
    #[error("this is a {0} archive: extract it and drop the FASTA files inside (or compress them with gzip)")]
    Archive(&'static str),
    #[error("this is a binary file, not FASTA text (byte {offset} is not text)")]
    Binary { offset: usize },
    #[error("the gzip data is damaged: {0}")]
    BadGzip(String),
    #[error("decompressed, the input is over {} MB: split it into smaller files", MAX_DECOMPRESSED_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("this is not FASTA: a FASTA file starts with a '>' header line, but line 1 reads \"{first_line}\"")]
    NotFasta { first_line: String },
}

/// Turns raw input bytes into FASTA text, or says what the input is instead.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let (text, was_gzip) = if bytes.starts_with(&[0x1f, 0x8b]) {
        (Cow::Owned(gunzip(bytes)?), true)
    } else {
        (Cow::Borrowed(bytes), false)
    };
    let text = strip_bom(text);
    sniff(&text)?;
    Ok(Decoded { text, was_gzip })
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    // Multi-member aware, so bgzip output (concatenated gzip members) decodes whole.
    MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::BadGzip(e.to_string()))?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

fn strip_bom(text: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    match text {
        Cow::Borrowed(b) => Cow::Borrowed(b.strip_prefix(BOM).unwrap_or(b)),
        Cow::Owned(mut v) => {
            if v.starts_with(BOM) {
                v.drain(..BOM.len());
            }
            Cow::Owned(v)
        }
    }
}

/// Recognises what is plainly not FASTA by its first bytes.
fn sniff(text: &[u8]) -> Result<(), DecodeError> {
    let head = &text[..text.len().min(SNIFF_BYTES)];
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    if head.starts_with(b"%PDF") {
        return Err(DecodeError::Pdf);
    }
    for (magic, name) in [
        (&b"PK\x03\x04"[..], "zip"),
        (b"BZh", "bzip2"),
        (b"\xFD7zXZ\x00", "xz"),
        (b"\x28\xB5\x2F\xFD", "zstd"),
        (b"7z\xBC\xAF\x27\x1C", "7-zip"),
    ] {
        if head.starts_with(magic) {
            return Err(DecodeError::Archive(name));
        }
    }
    if let Some(offset) = first_non_text_byte(head) {
        return Err(DecodeError::Binary { offset });
    }
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    let body = &head[start..];
    if body.starts_with(b">") {
        return Ok(());
    }
    if looks_like_fastq(body) {
        return Err(DecodeError::Fastq);
    }
    // Text before the first header is taken as header-less sequence only if it reads like one.
    let leading = &body[..first_header_offset(body)];
    let chars = leading.iter().filter(|b| !b.is_ascii_whitespace()).count();
    let letters = leading.iter().filter(|b| b.is_ascii_alphabetic() || **b == b'*').count();
    if chars > 0 && letters * 10 >= chars * 9 {
        Ok(())
    } else {
        let line = body.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let mut first_line: String = line.trim_end().chars().take(60).collect();
        if line.chars().count() > 60 {
            first_line.push('…');
        }
        Err(DecodeError::NotFasta { first_line })
    }
}

/// Offset of a NUL or control byte, or of invalid UTF-8, within the sniffed head.
fn first_non_text_byte(head: &[u8]) -> Option<usize> {
    if let Some(i) = head
        .iter()
        .position(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
    {
        return Some(i);
    }
    match std::str::from_utf8(head) {
        Ok(_) => None,
        // A multi-byte character cut by the sniff window is not an error.
        Err(e) if e.error_len().is_none() => None,
        Err(e) => Some(e.valid_up_to()),
    }
}

fn looks_like_fastq(body: &[u8]) -> bool {
    let mut lines = body.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let _seq = lines.next();
    let third = lines.next().unwrap_or_default();
    first.starts_with(b"@") && third.starts_with(b"+")
}

/// Offset of the first line that starts with '>' (or the end): what comes before it is
/// header-less sequence.
pub(super) fn first_header_offset(text: &[u8]) -> usize {
    let mut at = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b">") {
            return at;
        }
        at += line.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn plain_and_gzip_give_the_same_text() {
        let fasta = b">a\nMKV\n";
        assert_eq!(decode(fasta).unwrap().text.as_ref(), fasta);
        let zipped = gzip(fasta);
        let decoded = decode(&zipped).unwrap();
        assert!(decoded.was_gzip);
        assert_eq!(decoded.text.as_ref(), fasta);
    }

    #[test]
    fn concatenated_gzip_members_decode_whole() {
        let mut two = gzip(b">a\nMKV\n");
        two.extend(gzip(b">b\nMLL\n"));
        assert_eq!(decode(&two).unwrap().text.as_ref(), b">a\nMKV\n>b\nMLL\n");
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBF>a\nMKV\n").unwrap().text.as_ref(), b">a\nMKV\n");
    }

    #[test]
    fn other_formats_are_named() {
        assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
        assert_eq!(decode(b" \n\r\n").unwrap_err(), DecodeError::Empty);
        assert_eq!(decode(b"@r1\nACGT\n+\nIIII\n").unwrap_err(), DecodeError::Fastq);
        assert_eq!(decode(b"%PDF-1.7\n%\xE2\xE3").unwrap_err(), DecodeError::Pdf);
        assert_eq!(decode(b"PK\x03\x04rest").unwrap_err(), DecodeError::Archive("zip"));
        assert_eq!(decode(b">a\nMK\x00V").unwrap_err(), DecodeError::Binary { offset: 5 });
        assert_eq!(decode(b">a\n\xFF\xFEM").unwrap_err(), DecodeError::Binary { offset: 3 });
        assert!(matches!(decode(b"\x1f\x8bnot gzip"), Err(DecodeError::BadGzip(_))));
    }

    #[test]
    fn prose_is_not_fasta_but_a_bare_sequence_is() {
        let err = decode(b"LOCUS       NM_000546  2512 bp  mRNA\n1 gatgg...\n").unwrap_err();
        assert!(matches!(&err, DecodeError::NotFasta { first_line } if first_line.starts_with("LOCUS")));
        assert!(decode(b"{\"json\": [1, 2, 3]}").is_err());
        assert!(decode(b"MKVLAAGIVALLL\nPEPTIDE\n").is_ok());
        assert!(decode(b"\n\nMKVLA\n>b\nMKV\n").is_ok());
    }
}
