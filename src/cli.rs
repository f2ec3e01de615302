//! The command line: `serve` (default), `workspaces`, `keys` and `backup`.

use crate::config::ServeArgs;
use crate::db;
use crate::domain::ids::WorkspaceId;
use crate::domain::time;
use crate::domain::workspace::Plan;
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// fluenzr: a self-hosted FluenzR-compatible outreach API server over one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "fluenzr", version, about)]
pub struct Cli {
    /// SQLite database file.
    #[arg(
        long,
        env = "FLUENZR_DB",
        default_value = "./fluenzr.db",
        global = true
    )]
    pub db: PathBuf,
    /// Log level or filter, optionally `json,<filter>`.
    #[arg(long, env = "FLUENZR_LOG", global = true)]
    pub log: Option<String>,
    /// Server flags when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspaces(WorkspaceCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Write a consistent copy of the database to FILE, even while the server runs.
    Backup {
        /// Where to write the copy (must not exist).
        file: PathBuf,
    },
}

/// `fluenzr workspaces …`
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace and print its id and first API key.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Plan: free, starter or pro (only pro may use the API).
        #[arg(long, default_value = "pro", value_parser = ["free", "starter", "pro"])]
        plan: String,
    },
    /// List workspaces.
    List,
}

/// `fluenzr keys …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key and print it (shown only once).
    Create {
        /// Workspace id (ws_…).
        #[arg(long)]
        workspace: String,
        /// Name to recognise the key by.
        #[arg(long, default_value = "API key")]
        name: String,
    },
    /// List keys: id, workspace, name, prefix, created, last used, revoked.
    List {
        /// Only this workspace's keys.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Revoke a key, given its id (key_…) or the key itself; effective on the next request.
    Revoke {
        /// Key id or secret.
        key: String,
    },
}

impl Cli {
    /// Parses the command line. `--db` and `--log` go anywhere (`fluenzr --db x.db keys list`
    /// and `fluenzr keys list --db x.db` both work); the server flags given before a
    /// subcommand other than `serve` (or before `serve`, which takes its own) are refused
    /// rather than silently ignored.
    pub fn parse_args() -> Self {
        let mut command = Self::command();
        let matches = command.get_matches_mut();
        if matches.subcommand_name().is_some() {
            let misplaced = command
                .get_arguments()
                .filter(|arg| !arg.is_global_set())
                .find(|arg| {
                    matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
                });
            if let Some(arg) = misplaced {
                command
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!("{arg} must come after `serve`, and only `serve` takes it"),
                    )
                    .exit();
            }
        }
        Self::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
    }
}

fn now() -> String {
    time::format(chrono::Utc::now())
}

/// Opens and migrates the database for a one-off command.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let mut conn = db::open_connection(path)?;
    db::migrate::migrate(&mut conn)?;
    Ok(conn)
}

fn parse_workspace(raw: &str) -> anyhow::Result<WorkspaceId> {
    WorkspaceId::parse(raw).with_context(|| format!("{raw:?} is not a workspace id (ws_…)"))
}

/// Creates a workspace with a first key; returns (workspace id, secret).
pub fn create_workspace(
    conn: &Connection,
    name: &str,
    plan: Plan,
) -> anyhow::Result<(WorkspaceId, String)> {
    let tx = conn.unchecked_transaction()?;
    let now = now();
    let workspace = db::workspaces::create(&tx, name, plan, &now)?;
    let (_, secret) = db::api_keys::create(&tx, &workspace.id, "Default key", &now)?;
    tx.commit()?;
    Ok((workspace.id, secret))
}

/// Runs a non-server command, printing its result on stdout.
pub fn run(db_path: &Path, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => unreachable!("serve is handled by main"),
        Command::Workspaces(WorkspaceCommand::Create { name, plan }) => {
            let conn = open(db_path)?;
            let plan = Plan::parse(&plan).context("plan must be free, starter or pro")?;
            let (id, secret) = create_workspace(&conn, name.trim(), plan)?;
            println!(
                "Workspace created: {id} ({}, plan {})",
                name.trim(),
                plan.as_str()
            );
            println!("API key (shown only once, store it now):");
            println!("{secret}");
        }
        Command::Workspaces(WorkspaceCommand::List) => {
            let conn = open(db_path)?;
            println!("{:<26} {:<8} {:<21} NAME", "ID", "PLAN", "CREATED");
            for workspace in db::workspaces::list(&conn)? {
                println!(
                    "{:<26} {:<8} {:<21} {}",
                    workspace.id,
                    workspace.plan.as_str(),
                    workspace.created_at,
                    workspace.name
                );
            }
        }
        Command::Keys(KeyCommand::Create { workspace, name }) => {
            let conn = open(db_path)?;
            let workspace = parse_workspace(&workspace)?;
            let (record, secret) = db::api_keys::create(&conn, &workspace, &name, &now())
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            println!(
                "API key {} created for {} (shown only once, store it now):",
                record.id, workspace
            );
            println!("{secret}");
        }
        Command::Keys(KeyCommand::List { workspace }) => {
            let conn = open(db_path)?;
            let workspace = workspace.as_deref().map(parse_workspace).transpose()?;
            println!(
                "{:<24} {:<26} {:<12} {:<21} {:<21} {:<21} NAME",
                "ID", "WORKSPACE", "PREFIX", "CREATED", "LAST USED", "REVOKED"
            );
            for key in db::api_keys::list(&conn, workspace.as_ref())? {
                println!(
                    "{:<24} {:<26} {:<12} {:<21} {:<21} {:<21} {}",
                    key.id,
                    key.workspace_id,
                    key.prefix,
                    key.created_at,
                    key.last_used_at.as_deref().unwrap_or("never"),
                    key.revoked_at.as_deref().unwrap_or("-"),
                    key.name
                );
            }
        }
        Command::Keys(KeyCommand::Revoke { key }) => {
            let conn = open(db_path)?;
            let id = db::api_keys::revoke(&conn, key.trim(), &now())
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            println!("API key {id} revoked");
        }
        Command::Backup { file } => {
            if !db_path.exists() {
                anyhow::bail!("no database at {}", db_path.display());
            }
            db::backup(db_path, &file)?;
            println!("Backup written to {}", file.display());
        }
    }
    Ok(())
}
