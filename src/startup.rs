//! Builds the application: database, first-start workspace, HTTP server and background tasks.

use crate::api;
use crate::config::Config;
use crate::db::{self, Database};
use crate::domain::{time, workspace::Plan};
use crate::inbox::Inbox;
use crate::sender::lease::Lease;
use crate::sender::{Sender, SenderHandle};
use crate::webhooks::Dispatcher;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// A built, not yet running, server.
pub struct Application {
    address: SocketAddr,
    server: Server,
    database: Database,
    config: Arc<Config>,
    first_start_key: Option<String>,
    sender: SenderHandle,
    dispatcher: Dispatcher,
    /// Held while this process may run the sender (only one process per database file).
    sender_lease: Option<Lease>,
}

impl Application {
    /// Opens the database (creating and migrating it), creates the first workspace of an empty
    /// database, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let sender_lease = if config.run_sender {
            Some(Lease::acquire(&config.db_path)?)
        } else {
            None
        };
        let database = Database::open(&config.db_path, config.read_connections)?;
        let first_start_key = database
            .write(|conn| {
                if db::workspaces::count(conn)? > 0 {
                    return Ok(None);
                }
                let now = time::format(chrono::Utc::now());
                let workspace = db::workspaces::create(conn, "Default workspace", Plan::Pro, &now)?;
                let (_, secret) = db::api_keys::create(conn, &workspace.id, "Default key", &now)?;
                Ok(Some(secret))
            })
            .await
            .map_err(|error| anyhow::anyhow!("creating the first workspace: {error}"))?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let address = listener.local_addr()?;
        let workers = config.workers;
        let config = Arc::new(config);
        let sender = SenderHandle::default();
        let dispatcher = Dispatcher::new(database.clone(), config.clone())
            .context("setting up the webhook dispatcher")?;
        let mut app_state = api::AppState::new(database.clone(), config.clone());
        app_state.sender = sender.clone();
        app_state.dispatcher = dispatcher.handle();
        let state = web::Data::new(app_state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(|cfg| api::configure(cfg, &state))
                .wrap(actix_web::middleware::from_fn(
                    api::middleware::normalize_errors,
                ))
                .wrap(actix_web::middleware::from_fn(
                    api::middleware::catch_panics,
                ))
        })
        .workers(workers)
        // Idle keep-alive connections stay open longer than actix's 5 s default, so a client
        // pausing between requests does not race the server closing its connection.
        .keep_alive(Duration::from_secs(75))
        .listen(listener)?
        .run();
        Ok(Self {
            address,
            server,
            database,
            config,
            first_start_key,
            sender,
            dispatcher,
            sender_lease,
        })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The database handle (tests use it to inspect state).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// A sender over this application's database, woken by its API (tests drive it with
    /// [`Sender::run_once`] when the background sender is off).
    pub fn sender(&self) -> Sender {
        Sender::new(
            self.database.clone(),
            self.config.clone(),
            self.sender.clone(),
        )
    }

    /// An inbox poller over this application's database (tests drive it with
    /// [`Inbox::run_once`] when the background workers are off).
    pub fn inbox(&self) -> Inbox {
        Inbox::new(self.database.clone(), self.config.clone())
    }

    /// The webhook dispatcher of this application (shared with its API; tests drive it with
    /// [`Dispatcher::run_once`] when the background workers are off).
    pub fn dispatcher(&self) -> Dispatcher {
        self.dispatcher.clone()
    }

    /// The API key created for an empty database, if this start created one.
    pub fn first_start_key(&self) -> Option<&str> {
        self.first_start_key.as_deref()
    }

    /// Runs until the server is stopped (Ctrl-C / SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let database = self.database.clone();
        let housekeeping = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let now = chrono::Utc::now().timestamp();
                if let Err(error) = database
                    .write(move |conn| db::idempotency::purge_expired(conn, now))
                    .await
                {
                    tracing::warn!(%error, "purging expired idempotency keys failed");
                }
            }
        });
        let (stop_sender, sender_stopped) = tokio::sync::oneshot::channel::<()>();
        let sender = self.sender_lease.as_ref().map(|_| {
            let sender = self.sender();
            tokio::spawn(sender.run_until_stopped(async move {
                let _ = sender_stopped.await;
            }))
        });
        // The inbox poller runs where the sender runs: only one process per database file.
        let (stop_inbox, inbox_stopped) = tokio::sync::oneshot::channel::<()>();
        let inbox = self.sender_lease.as_ref().map(|_| {
            let inbox = self.inbox();
            tokio::spawn(inbox.run_until_stopped(async move {
                let _ = inbox_stopped.await;
            }))
        });
        // The dispatcher runs where the sender runs: only one process delivers per database.
        let (stop_dispatcher, dispatcher_stopped) = tokio::sync::oneshot::channel::<()>();
        let dispatcher = self.sender_lease.as_ref().map(|_| {
            tokio::spawn(self.dispatcher.clone().run_until_stopped(async move {
                let _ = dispatcher_stopped.await;
            }))
        });
        let result = self.server.await;
        housekeeping.abort();
        let _ = stop_sender.send(());
        let _ = stop_inbox.send(());
        let _ = stop_dispatcher.send(());
        if let Some(sender) = sender {
            let _ = sender.await;
        }
        if let Some(inbox) = inbox {
            let _ = inbox.await;
        }
        if let Some(dispatcher) = dispatcher {
            let _ = dispatcher.await;
        }
        drop(self.sender_lease);
        result
    }
}
