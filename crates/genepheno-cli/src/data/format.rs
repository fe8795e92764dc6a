//! The committed files' on-disk format: tab-separated text, one header line naming the columns,
//! gzip-compressed with a fixed header (no file name, mtime 0) so that identical content gives
//! identical bytes on every machine. Lists inside a cell are comma-separated.
//!
//! Rows are read and written by the `csv` crate with tabs, no quoting and `\n` line ends: the
//! cells are identifiers, counts and names, never quoted, so the files stay plain TSV that any
//! tool reads (`zcat | cut -f`), and every row must have the header's number of cells.

use std::io::{Read, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder, read::GzDecoder};

use super::DataError;

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => DataError::Format(format!(
            "{}: line {} has {len} cells, the header {expected_len}",
            path.display(),
            pos.as_ref().map_or(0, |p| p.line()),
        )),
        _ => DataError::Format(format!("{}: {e}", path.display())),
    }
}

/// Writes `header` then `rows` as a deterministic gzip TSV (or plain TSV when the name does not end
/// in `.gz`). Cells must not contain tabs or newlines: this is checked, because a stray tab would
/// silently shift every later column for the reader.
pub fn write_tsv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), DataError> {
    if let Some(cell) = rows.iter().flatten().find(|cell| cell.contains(['\t', '\n', '\r'])) {
        return Err(DataError::Format(format!("{}: cell {cell:?} has a tab or newline", path.display())));
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .quote_style(csv::QuoteStyle::Never)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(header).map_err(|e| csv_error(path, e))?;
    for row in rows {
        writer.write_record(row).map_err(|e| csv_error(path, e))?;
    }
    let text = writer.into_inner().map_err(|e| DataError::Format(format!("{}: {e}", path.display())))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    }
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        // mtime 0 and no file name are GzBuilder's defaults; set them explicitly because the
        // reproducibility of the committed bytes depends on it.
        let mut encoder = GzBuilder::new().mtime(0).write(Vec::new(), Compression::best());
        encoder.write_all(&text).map_err(|e| DataError::io(path, e))?;
        encoder.finish().map_err(|e| DataError::io(path, e))?
    } else {
        text
    };
    std::fs::write(path, bytes).map_err(|e| DataError::io(path, e))
}

/// A parsed TSV file: the header's column names and the data rows.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Index of a named column, so readers fail clearly if a file's layout changed.
    pub fn column(&self, name: &str) -> Result<usize, DataError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| DataError::Format(format!("missing column {name:?} (have {:?})", self.columns)))
    }
}

/// Reads a file written by [`write_tsv`] (gzip or plain, chosen by the extension).
pub fn read_tsv(path: &Path) -> Result<Table, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let input: Box<dyn Read> =
        if path.extension().is_some_and(|e| e == "gz") { Box::new(GzDecoder::new(file)) } else { Box::new(file) };
    let mut reader = csv::ReaderBuilder::new().delimiter(b'\t').quoting(false).from_reader(input);
    let columns: Vec<String> = reader.headers().map_err(|e| csv_error(path, e))?.iter().map(str::to_owned).collect();
    if columns.iter().all(String::is_empty) {
        return Err(DataError::Format(format!("{}: empty file", path.display())));
    }
    let rows = reader
        .records()
        .map(|record| record.map(|r| r.iter().map(str::to_owned).collect()).map_err(|e| csv_error(path, e)))
        .collect::<Result<Vec<Vec<String>>, _>>()?;
    Ok(Table { columns, rows })
}

/// Splits a comma-separated list cell; the empty cell is the empty list.
pub fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(',').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_output_is_byte_stable_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.tsv.gz"), dir.path().join("b.tsv.gz"));
        let rows = vec![vec!["1".to_owned(), "GO:1,GO:2".to_owned()], vec!["2".to_owned(), String::new()]];
        write_tsv(&a, &["id", "terms"], &rows).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write_tsv(&b, &["id", "terms"], &rows).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let table = read_tsv(&a).unwrap();
        assert_eq!(table.columns, ["id", "terms"]);
        assert_eq!(table.rows, rows);
        assert_eq!(split_list(&table.rows[0][1]).collect::<Vec<_>>(), ["GO:1", "GO:2"]);
        assert_eq!(split_list(&table.rows[1][1]).count(), 0);
    }

    #[test]
    fn tabs_inside_cells_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tab.tsv");
        assert!(write_tsv(&path, &["a"], &[vec!["x\ty".to_owned()]]).is_err());
    }

    /// The bytes are plain TSV (no quotes, `\n` line ends), and a row whose cell count differs
    /// from the header's is refused on writing and on reading, naming the line.
    #[test]
    fn files_are_plain_tsv_and_ragged_rows_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tsv");
        let rows = vec![vec!["HP:1".to_owned(), "a \"quoted\" name, with comma".to_owned()], vec!["HP:2".to_owned(), String::new()]];
        write_tsv(&path, &["id", "name"], &rows).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id\tname\nHP:1\ta \"quoted\" name, with comma\nHP:2\t\n");
        assert_eq!(read_tsv(&path).unwrap().rows, rows);
        assert!(write_tsv(&path, &["id", "name"], &[vec!["HP:1".to_owned()]]).is_err());
        std::fs::write(&path, "id\tname\nHP:1\tx\nHP:2\n").unwrap();
        let err = read_tsv(&path).err().expect("a ragged row is an error").to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
