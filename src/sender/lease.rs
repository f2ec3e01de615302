//! The sender lease: an exclusive lock on a file next to the database, so only one process runs
//! the sender on a database file. The operating system drops it when the process dies, even by
//! `kill -9`, so a restart never waits for a stale lease.

use anyhow::Context;
use fs4::fs_std::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Held for as long as this process runs the sender.
#[derive(Debug)]
pub struct Lease {
    _file: File,
    path: PathBuf,
}

impl Lease {
    /// Takes the lease for the database at `db_path`, or explains who holds it.
    pub fn acquire(db_path: &Path) -> anyhow::Result<Self> {
        let mut name = db_path.as_os_str().to_owned();
        name.push(".sender.lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock_exclusive() {
            Ok(true) => Ok(Self { _file: file, path }),
            Ok(false) => anyhow::bail!(
                "another fluenzr process is already sending from {} (lock {} is held)",
                db_path.display(),
                path.display()
            ),
            Err(error) => Err(error).with_context(|| format!("locking {}", path.display())),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lease_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("fluenzr.db");
        let first = Lease::acquire(&db).unwrap();
        let error = Lease::acquire(&db).unwrap_err().to_string();
        assert!(error.contains("already sending"), "{error}");
        drop(first);
        assert!(Lease::acquire(&db).is_ok());
    }
}
