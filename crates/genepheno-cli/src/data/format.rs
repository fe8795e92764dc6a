//! The committed files' on-disk format: tab-separated text, one header line naming the columns,
//! gzip-compressed with a fixed header (no file name, mtime 0) so that identical content gives
//! identical bytes on every machine. Lists inside a cell are comma-separated.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder, read::GzDecoder};

use super::DataError;

/// Writes `header` then `rows` as a deterministic gzip TSV (or plain TSV when the name does not end
/// in `.gz`). Cells must not contain tabs or newlines: this is checked, because a stray tab would
/// silently shift every later column for the reader.
pub fn write_tsv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), DataError> {
    let mut text = String::new();
    text.push_str(&header.join("\t"));
    text.push('\n');
    for row in rows {
        if row.len() != header.len() {
            return Err(DataError::Format(format!(
                "{}: row has {} cells, header {}",
                path.display(),
                row.len(),
                header.len()
            )));
        }
        for (i, cell) in row.iter().enumerate() {
            if cell.contains(['\t', '\n', '\r']) {
                return Err(DataError::Format(format!("{}: cell {cell:?} has a tab or newline", path.display())));
            }
            if i > 0 {
                text.push('\t');
            }
            text.push_str(cell);
        }
        text.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    }
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        // mtime 0 and no file name are GzBuilder's defaults; set them explicitly because the
        // reproducibility of the committed bytes depends on it.
        let mut encoder = GzBuilder::new().mtime(0).write(Vec::new(), Compression::best());
        encoder.write_all(text.as_bytes()).map_err(|e| DataError::io(path, e))?;
        encoder.finish().map_err(|e| DataError::io(path, e))?
    } else {
        text.into_bytes()
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
    let reader: Box<dyn Read> =
        if path.extension().is_some_and(|e| e == "gz") { Box::new(GzDecoder::new(file)) } else { Box::new(file) };
    let mut lines = BufReader::new(reader).lines();
    let header = match lines.next() {
        Some(line) => line.map_err(|e| DataError::io(path, e))?,
        None => return Err(DataError::Format(format!("{}: empty file", path.display()))),
    };
    let columns: Vec<String> = header.split('\t').map(str::to_owned).collect();
    let mut rows = Vec::new();
    for line in lines {
        let line = line.map_err(|e| DataError::io(path, e))?;
        let row: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if row.len() != columns.len() {
            return Err(DataError::Format(format!("{}: row with {} cells: {line:.80}", path.display(), row.len())));
        }
        rows.push(row);
    }
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
        let dir = std::env::temp_dir().join(format!("gp-format-{}", std::process::id()));
        let (a, b) = (dir.join("a.tsv.gz"), dir.join("b.tsv.gz"));
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
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tabs_inside_cells_are_refused() {
        let path = std::env::temp_dir().join(format!("gp-format-tab-{}.tsv", std::process::id()));
        assert!(write_tsv(&path, &["a"], &[vec!["x\ty".to_owned()]]).is_err());
    }
}
