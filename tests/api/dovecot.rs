//! A real IMAP server for tests: Debian's dovecot (`dovecot-imapd`), started from a throwaway
//! configuration in a temporary directory on a free loopback port, with one user
//! (`user@example.test` / `secret`). Tests put mail into its INBOX with IMAP APPEND. The server
//! is stopped (`doveadm stop`) when the `Dovecot` is dropped.

// Shared test support: not every test uses every item.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The mailbox's login.
pub const USER: &str = "user@example.test";
/// Its password.
pub const PASSWORD: &str = "secret";

/// A running dovecot.
pub struct Dovecot {
    dir: TempDir,
    config: PathBuf,
    port: u16,
}

/// A program from `/usr/sbin` (not on every user's PATH) or else from the PATH.
fn program(name: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from(name)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

fn chown_mail(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "mail:mail"])
        .arg(path)
        .status()
        .expect("chown runs");
    assert!(status.success(), "chown mail:mail {}", path.display());
}

impl Dovecot {
    /// Writes the configuration, starts dovecot and waits until it accepts connections.
    pub fn start() -> Dovecot {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        // Dovecot's own processes (users dovecot, dovenull, mail) must reach the files.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(root.join(sub)).expect("dovecot directory");
        }
        chown_mail(&root.join("mail"));
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n"))
            .expect("passwd file");
        let port = free_port();
        let root_text = root.display();
        let config = root.join("dovecot.conf");
        std::fs::write(
            &config,
            format!(
                "base_dir = {root_text}/run
state_dir = {root_text}/state
log_path = {root_text}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{root_text}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = {root_text}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root_text}/mail/%u
}}
"
            ),
        )
        .expect("dovecot.conf");
        // It daemonises: its own output is of no use once it has started.
        let status = Command::new(program("dovecot"))
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("dovecot starts (apt-get install dovecot-imapd)");
        assert!(status.success(), "dovecot -c {}", config.display());
        let server = Dovecot { dir, config, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot is not listening on {port}: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The IMAP port (plaintext) on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Dovecot's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to dovecot");
        let mut client = async_imap::Client::new(stream);
        client
            .read_response()
            .await
            .expect("greeting")
            .expect("greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(error, _)| error)
            .expect("login to dovecot")
    }

    /// Puts a message into the user's INBOX (IMAP APPEND), unread.
    pub async fn append(&self, raw: &str) {
        let mut session = self.session().await;
        let raw = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        session
            .append("INBOX", None, None, raw.as_bytes())
            .await
            .expect("APPEND");
        session.logout().await.expect("LOGOUT");
    }

    /// How many messages of the INBOX carry `\Seen`, out of how many.
    pub async fn seen(&self) -> (usize, usize) {
        use futures_util::TryStreamExt;
        let mut session = self.session().await;
        let mailbox = session.examine("INBOX").await.expect("EXAMINE");
        if mailbox.exists == 0 {
            return (0, 0);
        }
        let fetches: Vec<_> = session
            .fetch("1:*", "FLAGS")
            .await
            .expect("FETCH")
            .try_collect()
            .await
            .expect("FETCH responses");
        let seen = fetches
            .iter()
            .filter(|fetch| {
                fetch
                    .flags()
                    .any(|flag| matches!(flag, async_imap::types::Flag::Seen))
            })
            .count();
        session.logout().await.expect("LOGOUT");
        (seen, fetches.len())
    }

    /// Gives the INBOX a new UIDVALIDITY (as when a server rebuilds a mailbox).
    pub fn set_uid_validity(&self, uid_validity: u32) {
        let status = Command::new(program("doveadm"))
            .arg("-c")
            .arg(&self.config)
            .args(["mailbox", "update", "-u", USER, "--uid-validity"])
            .arg(uid_validity.to_string())
            .arg("INBOX")
            .stdin(Stdio::null())
            .status()
            .expect("doveadm runs");
        assert!(status.success(), "doveadm mailbox update: {}", self.log());
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(program("doveadm"))
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
