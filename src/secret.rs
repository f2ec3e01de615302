//! Encryption at rest of stored credentials (SMTP/IMAP passwords) with a key derived from the
//! server's configured secret key.

use anyhow::{bail, Context};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// Format version written as the first byte of every sealed value.
const VERSION: u8 = 1;
/// Length of the random nonce after the version byte.
const NONCE_LEN: usize = 12;
/// Separates this key from anything else ever derived from the same configured secret.
const KEY_LABEL: &[u8] = b"fluenzr/secret-box/v1\0";

/// Seals and opens short secrets with ChaCha20-Poly1305; a sealed value is bound to its
/// `context` (authenticated, not stored), so it cannot be copied to another row or column.
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; 32],
}

impl SecretBox {
    /// Derives the box key as SHA-256(label ‖ configured secret key).
    pub fn new(secret_key: &crate::config::Secret) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(KEY_LABEL);
        hasher.update(secret_key.expose().as_bytes());
        Self {
            key: hasher.finalize().into(),
        }
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.key))
    }

    /// Encrypts `plaintext` bound to `context`: version byte, random 96-bit nonce, ciphertext
    /// with its tag.
    pub fn seal(&self, plaintext: &str, context: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption with a 32-byte key and a 12-byte nonce only fails for messages of
        // hundreds of gigabytes, which a password never is.
        let ciphertext = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a value made by [`SecretBox::seal`] with the same key and `context`; any other
    /// key, context or a changed byte is an error.
    pub fn open(&self, sealed: &[u8], context: &str) -> anyhow::Result<String> {
        let Some((&version, rest)) = sealed.split_first() else {
            bail!("the sealed value is empty");
        };
        if version != VERSION {
            bail!("unknown sealed value version {version}");
        }
        if rest.len() < NONCE_LEN + 16 {
            bail!("the sealed value is truncated");
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| {
                anyhow::anyhow!("the sealed value does not open with this key and context")
            })?;
        String::from_utf8(plaintext).context("the sealed value is not UTF-8")
    }
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn secret_box(key: &str) -> SecretBox {
        SecretBox::new(&Secret::new(key.to_owned()))
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_key_and_context() {
        let secrets = secret_box("server key");
        let sealed = secrets.seal("hunter2 ✓", "acc_1:smtp");
        assert_eq!(sealed[0], VERSION);
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"), "not plaintext");
        assert_eq!(secrets.open(&sealed, "acc_1:smtp").unwrap(), "hunter2 ✓");
        assert_ne!(
            sealed,
            secrets.seal("hunter2 ✓", "acc_1:smtp"),
            "fresh nonce"
        );
    }

    #[test]
    fn a_sealed_secret_does_not_open_with_another_key() {
        let sealed = secret_box("server key").seal("hunter2", "acc_1:smtp");
        assert!(secret_box("other key").open(&sealed, "acc_1:smtp").is_err());
    }

    #[test]
    fn a_sealed_secret_does_not_open_in_another_context() {
        let secrets = secret_box("server key");
        let sealed = secrets.seal("hunter2", "acc_1:smtp");
        assert!(secrets.open(&sealed, "acc_2:smtp").is_err());
        assert!(secrets.open(&sealed, "acc_1:imap").is_err());
    }

    #[test]
    fn a_tampered_or_truncated_secret_does_not_open() {
        let secrets = secret_box("server key");
        let sealed = secrets.seal("hunter2", "ctx");
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            assert!(secrets.open(&tampered, "ctx").is_err(), "byte {index}");
        }
        assert!(secrets.open(&sealed[..sealed.len() - 1], "ctx").is_err());
        assert!(secrets.open(&[], "ctx").is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", secret_box("server key")), "[redacted]");
    }
}
