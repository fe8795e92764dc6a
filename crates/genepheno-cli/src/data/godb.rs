//! Bioconductor `GO.db` (Debian r-bioc-go.db): GO terms and their is_a / part_of parents.
//! `regulates` edges are left out: a regulator of a process is not an instance or part of it.

use rusqlite::Connection;

use super::DataError;

/// Relative path of the SQLite database inside the unpacked package.
pub const SQLITE: &str = "usr/lib/R/site-library/GO.db/extdata/GO.sqlite";

/// A GO term as GO.db lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct GoTermRow {
    pub id: String,
    pub name: String,
    /// "BP", "MF" or "CC".
    pub namespace: String,
}

/// Terms and (child, parent, relation) edges; relation is "is_a" or "part_of".
#[derive(Debug, Default)]
pub struct GoDb {
    pub terms: Vec<GoTermRow>,
    pub edges: Vec<(String, String, &'static str)>,
}

fn sql(e: rusqlite::Error) -> DataError {
    DataError::Sqlite(e.to_string())
}

/// Reads terms of the three namespaces and their is_a / part_of edges.
pub fn read(conn: &Connection) -> Result<GoDb, DataError> {
    let mut db = GoDb::default();
    let mut stmt = conn
        .prepare("SELECT go_id, term, ontology FROM go_term WHERE ontology IN ('BP','MF','CC') ORDER BY go_id")
        .map_err(sql)?;
    db.terms = stmt
        .query_map([], |r| Ok(GoTermRow { id: r.get(0)?, name: r.get(1)?, namespace: r.get(2)? }))
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?;
    let known: std::collections::HashSet<String> = db.terms.iter().map(|t| t.id.clone()).collect();
    for table in ["go_bp_parents", "go_mf_parents", "go_cc_parents"] {
        let query = format!(
            "SELECT c.go_id, p.go_id, e.relationship_type FROM {table} e \
             JOIN go_term c ON c._id = e._id JOIN go_term p ON p._id = e._parent_id ORDER BY c.go_id, p.go_id"
        );
        let mut stmt = conn.prepare(&query).map_err(sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(sql)?;
        for row in rows {
            let (child, parent, relation) = row.map_err(sql)?;
            let relation = match relation.as_str() {
                "isa" | "is_a" => "is_a",
                "part of" | "part_of" => "part_of",
                _ => continue,
            };
            // GO.db hangs the three roots under a pseudo-term "all" (ontology "universal"); it
            // is no GO concept, so edges to terms outside BP/MF/CC are dropped.
            if known.contains(child.as_str()) && known.contains(parent.as_str()) {
                db.edges.push((child, parent, relation));
            }
        }
    }
    Ok(db)
}

/// GO's secondary identifiers (merged terms) and the primary term each now belongs to.
pub fn read_alt_ids(conn: &Connection) -> Result<std::collections::HashMap<String, String>, DataError> {
    let mut stmt = conn
        .prepare("SELECT s.secondary, t.go_id FROM go_synonym s JOIN go_term t ON t._id = s._id WHERE s.secondary IS NOT NULL")
        .map_err(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

/// Identifiers of obsolete GO terms (no longer in the graph; annotations to them are dropped).
pub fn read_obsolete(conn: &Connection) -> Result<std::collections::HashSet<String>, DataError> {
    let mut stmt = conn.prepare("SELECT go_id FROM go_obsolete").map_err(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

/// Opens the database read-only.
pub fn open(path: &std::path::Path) -> Result<Connection, DataError> {
    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)
}

/// Opens the database file read-only and reads it.
pub fn read_file(path: &std::path::Path) -> Result<GoDb, DataError> {
    read(&open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real rows from GO.sqlite around "mitochondrion inheritance" (see fixtures/README.md).
    #[test]
    fn reads_real_go_rows_keeping_is_a_and_part_of_only() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../tests/fixtures/go_db_excerpt.sql")).unwrap();
        let db = read(&conn).unwrap();
        let t = db.terms.iter().find(|t| t.id == "GO:0000001").unwrap();
        assert_eq!((t.name.as_str(), t.namespace.as_str()), ("mitochondrion inheritance", "BP"));
        assert!(db.edges.iter().any(|(c, p, r)| c == "GO:0000001" && p == "GO:0048308" && *r == "is_a"));
        assert!(db.edges.iter().any(|(_, _, r)| *r == "part_of"));
        assert!(db.edges.iter().all(|(_, _, r)| *r == "is_a" || *r == "part_of"));
    }
}
