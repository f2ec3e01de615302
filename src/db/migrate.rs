//! Schema installation and upgrades: `schema.sql` for a fresh database, numbered steps after it.

use anyhow::Context;
use rusqlite::Connection;

/// The whole current schema.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Upgrade steps: step `i` takes a database from `user_version = i + 1` to `i + 2`. Each step's
/// effect is also folded into `schema.sql`, so a fresh install lands on the same schema.
const STEPS: &[&str] = &[
    include_str!("schema_history/v2_sending.sql"),
    include_str!("schema_history/v3_webhooks_inbox.sql"),
];

/// The `user_version` of a database that has the current schema.
pub fn current_version() -> i64 {
    1 + STEPS.len() as i64
}

/// Brings the database to the current schema, installing it when empty.
pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let target = current_version();
    if version > target {
        anyhow::bail!(
            "the database was written by a newer fluenzr (schema {version}, this binary knows {target})"
        );
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version == 0 {
        let tables: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )?;
        if tables > 0 {
            anyhow::bail!(
                "the database is not a fluenzr database (it has tables but no schema version)"
            );
        }
        tx.execute_batch(SCHEMA).context("installing schema.sql")?;
    } else {
        for (index, step) in STEPS.iter().enumerate().skip(version as usize - 1) {
            tx.execute_batch(step)
                .with_context(|| format!("applying schema step {}", index + 2))?;
        }
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_database_gets_the_current_version_and_migrating_twice_is_harmless() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, current_version());
    }

    fn schema_of(conn: &Connection) -> Vec<(String, String)> {
        let mut statement = conn
            .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The first released schema, as it shipped.
    fn first_release_schema() -> String {
        include_str!("schema_history/v1.sql").to_owned()
    }

    #[test]
    fn an_upgraded_database_ends_identical_to_a_fresh_install() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
        let mut upgraded = Connection::open_in_memory().unwrap();
        upgraded.execute_batch(&first_release_schema()).unwrap();
        upgraded.pragma_update(None, "user_version", 1).unwrap();
        migrate(&mut upgraded).unwrap();
        assert_eq!(schema_of(&fresh), schema_of(&upgraded));
    }

    #[test]
    fn a_database_from_a_newer_binary_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", current_version() + 1)
            .unwrap();
        assert!(migrate(&mut conn).is_err());
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE other (x)").unwrap();
        assert!(migrate(&mut conn).is_err());
    }
}
