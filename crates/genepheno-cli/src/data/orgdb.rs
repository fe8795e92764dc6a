//! Bioconductor `org.Hs.eg.db` (Debian r-bioc-org.hs.eg.db): Entrez genes, symbols, aliases, the
//! UniProt map, and direct GO annotations with evidence codes.

use rusqlite::Connection;

use super::DataError;

/// Relative path of the SQLite database inside the unpacked package.
pub const SQLITE: &str = "usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite";

/// What the build needs from org.Hs.eg.db, Entrez-keyed.
#[derive(Debug, Default)]
pub struct OrgDb {
    /// (entrez id, official symbol).
    pub symbols: Vec<(u32, String)>,
    /// (entrez id, alias symbol), including the official symbol as the table does.
    pub aliases: Vec<(u32, String)>,
    /// (UniProt accession, entrez id).
    pub uniprot: Vec<(String, u32)>,
    /// (entrez id, GO id, evidence code): direct annotations from go_bp, go_mf, go_cc.
    pub go: Vec<(u32, String, String)>,
}

fn sql(e: rusqlite::Error) -> DataError {
    DataError::Sqlite(e.to_string())
}

/// Reads the tables through `conn` (a file opened read-only, or a fixture in memory).
pub fn read(conn: &Connection) -> Result<OrgDb, DataError> {
    fn rows<T>(conn: &Connection, query: &str, f: impl Fn(&rusqlite::Row) -> rusqlite::Result<T>) -> Result<Vec<T>, DataError> {
        let mut stmt = conn.prepare(query).map_err(sql)?;
        let out = stmt.query_map([], f).map_err(sql)?.collect::<Result<Vec<T>, _>>().map_err(sql)?;
        Ok(out)
    }
    let entrez = |s: String| -> rusqlite::Result<u32> {
        s.parse().map_err(|_| rusqlite::Error::InvalidColumnType(0, s, rusqlite::types::Type::Text))
    };
    let mut db = OrgDb {
        symbols: rows(conn, "SELECT g.gene_id, i.symbol FROM genes g JOIN gene_info i USING(_id) ORDER BY g._id", |r| {
            Ok((entrez(r.get(0)?)?, r.get(1)?))
        })?,
        aliases: rows(conn, "SELECT g.gene_id, a.alias_symbol FROM genes g JOIN alias a USING(_id) ORDER BY g._id, a.alias_symbol", |r| {
            Ok((entrez(r.get(0)?)?, r.get(1)?))
        })?,
        uniprot: rows(conn, "SELECT u.uniprot_id, g.gene_id FROM genes g JOIN uniprot u USING(_id) ORDER BY u.uniprot_id, g._id", |r| {
            Ok((r.get(0)?, entrez(r.get(1)?)?))
        })?,
        go: Vec::new(),
    };
    for table in ["go_bp", "go_mf", "go_cc"] {
        let query = format!("SELECT g.gene_id, t.go_id, t.evidence FROM genes g JOIN {table} t USING(_id) ORDER BY g._id, t.go_id, t.evidence");
        db.go.extend(rows(conn, &query, |r| Ok((entrez(r.get(0)?)?, r.get(1)?, r.get(2)?)))?);
    }
    Ok(db)
}

/// Opens the database file read-only and reads it.
pub fn read_file(path: &std::path::Path) -> Result<OrgDb, DataError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    read(&conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real rows for TP53 and CDKN1A dumped from org.Hs.eg.sqlite (see fixtures/README.md).
    #[test]
    fn reads_real_org_hs_eg_rows() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../tests/fixtures/org_hs_eg_excerpt.sql")).unwrap();
        let db = read(&conn).unwrap();
        assert!(db.symbols.contains(&(7157, "TP53".to_owned())));
        assert!(db.uniprot.contains(&("P04637".to_owned(), 7157)));
        assert!(db.aliases.iter().any(|(g, a)| *g == 7157 && a == "P53"));
        // TP53 is annotated to "apoptotic process"-related BP terms with experimental evidence.
        assert!(db.go.iter().any(|(g, _, ev)| *g == 7157 && ev == "IMP"));
        assert!(db.go.iter().all(|(_, id, ev)| id.starts_with("GO:") && ev.len() >= 2));
    }
}
