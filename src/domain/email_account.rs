//! Email accounts: the SMTP (and optional IMAP) settings of a mailbox campaigns send from, their
//! validation, and the field-by-field merge a partial update applies.

use crate::config::Secret;
use crate::domain::email::EmailAddress;
use crate::domain::ids::EmailAccountId;
use crate::error::Error;

/// The SMTP host that marks a sandbox account: its mail is captured in the database.
pub const SANDBOX_HOST: &str = "sandbox";
/// `dailyLimit` when the client gives none.
pub const DEFAULT_DAILY_LIMIT: u32 = 500;
/// Largest allowed `dailyLimit`.
pub const MAX_DAILY_LIMIT: u32 = 100_000;
/// Longest host name (RFC 1035).
pub const MAX_HOST_LEN: usize = 253;
/// Longest display name.
pub const MAX_DISPLAY_NAME_LEN: usize = 200;
/// Longest SMTP/IMAP user name.
pub const MAX_USERNAME_LEN: usize = 255;
/// Longest SMTP/IMAP password.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// How the connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// Plaintext upgraded with STARTTLS (SMTP 587, IMAP 143).
    Tls,
    /// Implicit TLS from the first byte (SMTP 465, IMAP 993).
    Ssl,
    /// Plaintext (local relays and tests).
    None,
}

impl Encryption {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Ssl => "ssl",
            Self::None => "none",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "tls" => Some(Self::Tls),
            "ssl" => Some(Self::Ssl),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Which server of an account a setting belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Outgoing mail.
    Smtp,
    /// The inbox read for replies and bounces.
    Imap,
}

impl Protocol {
    /// The wire name, also the prefix of field names in errors (`smtp.host`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Imap => "imap",
        }
    }

    /// The port used when the client gives none.
    pub fn default_port(self, encryption: Encryption) -> u16 {
        match (self, encryption) {
            (Self::Smtp, Encryption::Tls) => 587,
            (Self::Smtp, Encryption::Ssl) => 465,
            (Self::Smtp, Encryption::None) => 25,
            (Self::Imap, Encryption::Ssl) => 993,
            (Self::Imap, Encryption::Tls | Encryption::None) => 143,
        }
    }

    /// The encryption used when the client gives none.
    pub fn default_encryption(self) -> Encryption {
        match self {
            Self::Smtp => Encryption::Tls,
            Self::Imap => Encryption::Ssl,
        }
    }

    fn field(self, name: &str) -> String {
        format!("{}.{name}", self.as_str())
    }
}

/// Whether an SMTP host is the sandbox marker (any case).
pub fn is_sandbox_host(host: &str) -> bool {
    host.eq_ignore_ascii_case(SANDBOX_HOST)
}

/// Connection settings of one mail server, with the password in clear (only ever held in
/// memory by the code that connects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (0 only for the sandbox).
    pub port: u16,
    /// User name; no authentication when absent.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Connection protection.
    pub encryption: Encryption,
}

/// SMTP settings of an account.
pub type SmtpSettings = ServerSettings;
/// IMAP settings of an account.
pub type ImapSettings = ServerSettings;

impl ServerSettings {
    /// Whether these are the SMTP settings of a sandbox account (no network involved).
    pub fn is_sandbox(&self) -> bool {
        is_sandbox_host(&self.host)
    }
}

/// Stored settings of one server as shown to clients: the password only as "is set".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSummary {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub username: Option<String>,
    /// Connection protection.
    pub encryption: Encryption,
    /// Whether a password is stored.
    pub has_password: bool,
}

/// `active` (last check passed or never checked) or `error` (last check failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountStatus {
    /// Usable.
    #[default]
    Active,
    /// The last connection test or send failed; see `last_error`.
    Error,
}

impl AccountStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Error => "error",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// An email account as read back (no passwords).
#[derive(Debug, Clone)]
pub struct EmailAccount {
    /// Public id.
    pub id: EmailAccountId,
    /// Sender address.
    pub email: String,
    /// Sender name shown in `From`.
    pub display_name: Option<String>,
    /// Outgoing server.
    pub smtp: ServerSummary,
    /// Inbox server.
    pub imap: Option<ServerSummary>,
    /// Most messages sent per day.
    pub daily_limit: u32,
    /// Health.
    pub status: AccountStatus,
    /// Why the last check failed.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl EmailAccount {
    /// Whether mail from this account is captured in the database instead of sent.
    pub fn is_sandbox(&self) -> bool {
        is_sandbox_host(&self.smtp.host)
    }
}

/// What to do with a stored password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Keep what is stored (or nothing, for a new server).
    Keep,
    /// Remove it.
    Clear,
    /// Store this one.
    Set(Secret),
}

/// Validated, possibly partial settings of one server from a request.
#[derive(Debug, Clone, Default)]
pub struct ServerChanges {
    /// New host.
    pub host: Option<String>,
    /// New port.
    pub port: Option<u16>,
    /// New user name (or none).
    pub username: Option<Option<String>>,
    /// New password (or none).
    pub password: Option<Option<Secret>>,
    /// New encryption.
    pub encryption: Option<Encryption>,
}

/// One server's settings after a merge: what to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedServer {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub username: Option<String>,
    /// Encryption.
    pub encryption: Encryption,
    /// Password to store, clear or keep.
    pub password: PasswordChange,
}

impl ServerChanges {
    /// Merges these changes into `current` (`None` for a new server). Omitted fields keep their
    /// stored value; a new server needs a host; an omitted encryption defaults per protocol
    /// (`none` for the sandbox); an omitted port keeps the stored one unless it was the default
    /// of an encryption that changed, and otherwise defaults per encryption (0 for the sandbox).
    pub fn merge(
        &self,
        protocol: Protocol,
        current: Option<&ServerSummary>,
    ) -> Result<MergedServer, Error> {
        let host = match (&self.host, current) {
            (Some(host), _) => host.clone(),
            (None, Some(current)) => current.host.clone(),
            (None, None) => {
                let field = protocol.field("host");
                return Err(Error::invalid(&field, format!("{field} is required")));
            }
        };
        let sandbox = protocol == Protocol::Smtp && is_sandbox_host(&host);
        let encryption = self
            .encryption
            .or(current.map(|c| c.encryption))
            .unwrap_or(if sandbox {
                Encryption::None
            } else {
                protocol.default_encryption()
            });
        let kept_port = current.filter(|c| {
            c.port != 0
                && (c.encryption == encryption || c.port != protocol.default_port(c.encryption))
        });
        let port = match (self.port, kept_port) {
            (Some(port), _) => port,
            (None, Some(current)) => current.port,
            (None, None) if sandbox => 0,
            (None, None) => protocol.default_port(encryption),
        };
        let username = match &self.username {
            Some(username) => username.clone(),
            None => current.and_then(|c| c.username.clone()),
        };
        let password = match &self.password {
            None => PasswordChange::Keep,
            Some(None) => PasswordChange::Clear,
            Some(Some(secret)) => PasswordChange::Set(secret.clone()),
        };
        Ok(MergedServer {
            host,
            port,
            username,
            encryption,
            password,
        })
    }
}

/// A validated new account.
#[derive(Debug, Clone)]
pub struct NewEmailAccount {
    /// Sender address.
    pub email: EmailAddress,
    /// Sender name.
    pub display_name: Option<String>,
    /// Outgoing server (its host is required).
    pub smtp: ServerChanges,
    /// Inbox server.
    pub imap: Option<ServerChanges>,
    /// Most messages per day.
    pub daily_limit: u32,
}

/// A validated partial update.
#[derive(Debug, Clone, Default)]
pub struct EmailAccountChanges {
    /// New sender address.
    pub email: Option<EmailAddress>,
    /// New sender name (or none).
    pub display_name: Option<Option<String>>,
    /// Changes merged into the SMTP settings.
    pub smtp: Option<ServerChanges>,
    /// Changes merged into the IMAP settings, or `Some(None)` to remove them.
    pub imap: Option<Option<ServerChanges>>,
    /// New daily limit.
    pub daily_limit: Option<u32>,
}

/// Fields accounts can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmailAccountSortField {
    /// Creation time (default).
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Email address.
    Email,
}

/// A host name or address: 1–253 characters, no whitespace or control characters.
pub fn parse_host(protocol: Protocol, raw: &str) -> Result<String, Error> {
    let field = protocol.field("host");
    if raw.is_empty() {
        return Err(Error::invalid(&field, format!("{field} must not be empty")));
    }
    if raw.chars().count() > MAX_HOST_LEN {
        return Err(Error::invalid(
            &field,
            format!("{field} must be at most {MAX_HOST_LEN} characters"),
        ));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            &field,
            format!("{field} must not contain spaces or control characters"),
        ));
    }
    Ok(raw.to_owned())
}

/// A TCP port, 1 to 65535.
pub fn parse_port(protocol: Protocol, raw: i64) -> Result<u16, Error> {
    let field = protocol.field("port");
    u16::try_from(raw)
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| Error::invalid(&field, format!("{field} must be between 1 and 65535")))
}

/// `tls`, `ssl` or `none`.
pub fn parse_encryption(protocol: Protocol, raw: &str) -> Result<Encryption, Error> {
    let field = protocol.field("encryption");
    Encryption::parse(raw)
        .ok_or_else(|| Error::invalid(&field, format!("{field} must be tls, ssl or none")))
}

/// A user name: at most 255 characters, no control characters; empty means none.
pub fn parse_username(protocol: Protocol, raw: &str) -> Result<Option<String>, Error> {
    let field = protocol.field("username");
    if raw.chars().any(char::is_control) {
        return Err(Error::invalid(
            &field,
            format!("{field} must not contain control characters"),
        ));
    }
    if raw.chars().count() > MAX_USERNAME_LEN {
        return Err(Error::invalid(
            &field,
            format!("{field} must be at most {MAX_USERNAME_LEN} characters"),
        ));
    }
    Ok((!raw.is_empty()).then(|| raw.to_owned()))
}

/// A password: at most 1024 characters, no control characters (they would break the
/// line-based protocols); empty means none. Kept exactly as given.
pub fn parse_password(protocol: Protocol, raw: &str) -> Result<Option<Secret>, Error> {
    let field = protocol.field("password");
    if raw.chars().any(char::is_control) {
        return Err(Error::invalid(
            &field,
            format!("{field} must not contain control characters"),
        ));
    }
    if raw.chars().count() > MAX_PASSWORD_LEN {
        return Err(Error::invalid(
            &field,
            format!("{field} must be at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    Ok((!raw.is_empty()).then(|| Secret::new(raw.to_owned())))
}

/// The sender address.
pub fn parse_email(raw: &str) -> Result<EmailAddress, Error> {
    EmailAddress::parse(raw.trim()).map_err(|message| Error::invalid("email", message))
}

/// A display name: at most 200 characters, no control characters (CR/LF would inject
/// headers); trimmed, empty means none.
pub fn parse_display_name(raw: &str) -> Result<Option<String>, Error> {
    crate::domain::text::single_line("displayName", raw, MAX_DISPLAY_NAME_LEN)
        .map_err(|message| Error::invalid("displayName", message))
}

/// A daily limit, 1 to 100000.
pub fn parse_daily_limit(raw: i64) -> Result<u32, Error> {
    u32::try_from(raw)
        .ok()
        .filter(|limit| (1..=MAX_DAILY_LIMIT).contains(limit))
        .ok_or_else(|| {
            Error::invalid(
                "dailyLimit",
                format!("dailyLimit must be between 1 and {MAX_DAILY_LIMIT}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(host: &str, port: u16, encryption: Encryption) -> ServerSummary {
        ServerSummary {
            host: host.to_owned(),
            port,
            username: Some("user".to_owned()),
            encryption,
            has_password: true,
        }
    }

    #[test]
    fn a_new_server_gets_the_default_encryption_and_port() {
        let changes = ServerChanges {
            host: Some("smtp.example.com".to_owned()),
            ..ServerChanges::default()
        };
        let smtp = changes.merge(Protocol::Smtp, None).unwrap();
        assert_eq!((smtp.encryption, smtp.port), (Encryption::Tls, 587));
        let imap = changes.merge(Protocol::Imap, None).unwrap();
        assert_eq!((imap.encryption, imap.port), (Encryption::Ssl, 993));
        let ssl = ServerChanges {
            encryption: Some(Encryption::Ssl),
            ..changes.clone()
        };
        assert_eq!(ssl.merge(Protocol::Smtp, None).unwrap().port, 465);
        let none = ServerChanges {
            encryption: Some(Encryption::None),
            ..changes
        };
        assert_eq!(none.merge(Protocol::Smtp, None).unwrap().port, 25);
        assert_eq!(none.merge(Protocol::Imap, None).unwrap().port, 143);
    }

    #[test]
    fn a_sandbox_account_needs_no_port_or_encryption() {
        let changes = ServerChanges {
            host: Some("SandBox".to_owned()),
            ..ServerChanges::default()
        };
        let merged = changes.merge(Protocol::Smtp, None).unwrap();
        assert_eq!((merged.port, merged.encryption), (0, Encryption::None));
    }

    #[test]
    fn a_new_server_without_a_host_names_the_field() {
        let error = ServerChanges::default()
            .merge(Protocol::Imap, None)
            .unwrap_err();
        assert!(format!("{error:?}").contains("imap.host"), "{error:?}");
    }

    #[test]
    fn a_default_port_follows_a_new_encryption_but_a_custom_one_stays() {
        let to_ssl = ServerChanges {
            encryption: Some(Encryption::Ssl),
            ..ServerChanges::default()
        };
        let current = summary("smtp.example.com", 587, Encryption::Tls);
        assert_eq!(
            to_ssl.merge(Protocol::Smtp, Some(&current)).unwrap().port,
            465
        );
        let custom = summary("smtp.example.com", 2525, Encryption::Tls);
        assert_eq!(
            to_ssl.merge(Protocol::Smtp, Some(&custom)).unwrap().port,
            2525
        );
        let from_sandbox = ServerChanges {
            host: Some("smtp.example.com".to_owned()),
            encryption: Some(Encryption::Tls),
            ..ServerChanges::default()
        };
        let sandbox = summary("sandbox", 0, Encryption::None);
        assert_eq!(
            from_sandbox
                .merge(Protocol::Smtp, Some(&sandbox))
                .unwrap()
                .port,
            587
        );
    }

    #[test]
    fn omitted_credentials_are_kept_and_null_clears_them() {
        let current = summary("smtp.example.com", 587, Encryption::Tls);
        let kept = ServerChanges::default()
            .merge(Protocol::Smtp, Some(&current))
            .unwrap();
        assert_eq!(kept.username.as_deref(), Some("user"));
        assert_eq!(kept.password, PasswordChange::Keep);
        let cleared = ServerChanges {
            username: Some(None),
            password: Some(None),
            ..ServerChanges::default()
        }
        .merge(Protocol::Smtp, Some(&current))
        .unwrap();
        assert_eq!(cleared.username, None);
        assert_eq!(cleared.password, PasswordChange::Clear);
    }

    #[test]
    fn hosts_ports_and_limits_are_checked() {
        assert!(parse_host(Protocol::Smtp, "smtp.example.com").is_ok());
        assert!(parse_host(Protocol::Smtp, "").is_err());
        assert!(parse_host(Protocol::Smtp, "smtp .example.com").is_err());
        assert!(parse_host(Protocol::Smtp, "smtp\r\n.example.com").is_err());
        assert!(parse_host(Protocol::Smtp, &"a".repeat(254)).is_err());
        assert!(parse_port(Protocol::Smtp, 0).is_err());
        assert!(parse_port(Protocol::Smtp, 65536).is_err());
        assert_eq!(parse_port(Protocol::Smtp, 65535).unwrap(), 65535);
        assert!(parse_daily_limit(0).is_err());
        assert!(parse_daily_limit(100_001).is_err());
        assert_eq!(parse_daily_limit(100_000).unwrap(), 100_000);
        assert!(parse_display_name("Ann\r\nBcc: x@example.com").is_err());
        assert!(parse_display_name(&"a".repeat(201)).is_err());
    }
}
