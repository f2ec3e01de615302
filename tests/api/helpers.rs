//! `spawn_app`: a fresh temporary database, port 0, the real `Application::build`.

use fluenzr::config::{Config, Secret};
use fluenzr::db::{self, Database};
use fluenzr::domain::time;
use fluenzr::domain::workspace::Plan;
use fluenzr::startup::Application;
use reqwest::{Method, Response};
use serde_json::Value;
use std::path::PathBuf;
use tempfile::TempDir;

/// A running application and a client with a Pro workspace key.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// Key of the workspace created on first start (Pro).
    pub api_key: String,
    /// The database file.
    pub db_path: PathBuf,
    /// Direct database access for arranging and asserting state.
    pub database: Database,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The campaign sender (the background one is off: tests drive it with `run_once`).
    pub sender: std::sync::Arc<fluenzr::sender::Sender>,
    /// The inbox poller (the background one is off: tests drive it with `run_once`).
    pub inbox: std::sync::Arc<fluenzr::inbox::Inbox>,
    /// The webhook dispatcher (the background one is off: tests drive it with `run_once`).
    pub dispatcher: std::sync::Arc<fluenzr::webhooks::Dispatcher>,
    _dir: TempDir,
}

/// Starts the app with test defaults (generous rate limits, test routes on).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("fluenzr.db");
    let mut config = Config::with_defaults(db_path.clone(), "127.0.0.1:0");
    config.workers = 2;
    config.read_connections = 4;
    config.rate_limit_per_minute = 100_000;
    config.auth_failures_per_minute = 100_000;
    config.secret_key = Secret::new("test-secret".to_owned());
    config.enable_test_routes = true;
    config.run_sender = false;
    adjust(&mut config);
    let application = Application::build(config)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let api_key = application
        .first_start_key()
        .expect("an empty database creates a first key")
        .to_owned();
    let database = application.database().clone();
    let sender = std::sync::Arc::new(application.sender());
    let inbox = std::sync::Arc::new(application.inbox());
    let dispatcher = std::sync::Arc::new(application.dispatcher());
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        api_key,
        db_path,
        database,
        client: reqwest::Client::new(),
        sender,
        inbox,
        dispatcher,
        _dir: dir,
    }
}

impl TestApp {
    /// Creates another workspace with a key; returns (workspace id, key).
    pub async fn create_workspace(&self, plan: Plan) -> (String, String) {
        self.database
            .write(move |conn| {
                let now = time::format(chrono::Utc::now());
                let workspace = db::workspaces::create(conn, "Other", plan, &now)?;
                let (_, secret) = db::api_keys::create(conn, &workspace.id, "key", &now)?;
                Ok((workspace.id.to_string(), secret))
            })
            .await
            .expect("workspace created")
    }

    /// A request with this app's key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.api_key, method, path)
    }

    /// A request with another key.
    pub fn request_as(&self, key: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.address, path))
            .bearer_auth(key)
    }

    /// GET with the app's key.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request sent")
    }

    /// A JSON request with the app's key.
    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.request(method, path)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// POST JSON with the app's key.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, body).await
    }

    /// Creates a contact and returns its JSON (`data`).
    pub async fn create_contact(&self, body: Value) -> Value {
        let response = self.post("/v1/contacts", &body).await;
        assert_eq!(response.status(), 201, "creating contact {body}");
        body_json(response).await["data"].clone()
    }

    /// Creates a group and returns its JSON (`data`).
    pub async fn create_group(&self, name: &str) -> Value {
        let response = self
            .post("/v1/groups", &serde_json::json!({ "name": name }))
            .await;
        assert_eq!(response.status(), 201, "creating group {name}");
        body_json(response).await["data"].clone()
    }
}

/// The response body as JSON.
pub async fn body_json(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// GETs `path` without credentials, asserts a 200 HTML answer and returns the page.
pub async fn html_page(address: &str, path: &str) -> String {
    let response = reqwest::get(format!("{address}{path}"))
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    response.text().await.expect("body")
}

/// Asserts an error envelope with the given status and code; returns the body.
pub async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body = body_json(response).await;
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Counts rows of a table matching a condition, straight from SQLite.
pub async fn count_rows(app: &TestApp, sql: &'static str) -> i64 {
    app.database
        .read(move |conn| Ok(conn.query_row(sql, [], |row| row.get(0))?))
        .await
        .expect("count query")
}
