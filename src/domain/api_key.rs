//! API key secrets: generation, hashing and the constant-time check.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every key starts with this.
pub const KEY_PREFIX: &str = "flz_sk_";
/// Random alphanumerics after the prefix.
pub const KEY_RANDOM_LEN: usize = 32;
/// How many characters of a key are kept in clear to recognise it in listings.
pub const DISPLAY_PREFIX_LEN: usize = KEY_PREFIX.len() + 4;

/// A freshly generated secret key, shown once.
pub fn generate_secret() -> String {
    format!(
        "{KEY_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), KEY_RANDOM_LEN)
    )
}

/// Whether a presented token has the shape of a key (so malformed tokens never reach the DB).
pub fn is_well_formed(token: &str) -> bool {
    token.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        rest.len() == KEY_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The stored form of a key: SHA-256 of the secret (keys carry 190 bits of entropy, so a fast
/// hash is enough; only this hash is ever stored).
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two hashes in constant time.
pub fn hashes_match(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The part of a key shown in listings.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(DISPLAY_PREFIX_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_hash_consistently() {
        let key = generate_secret();
        assert!(is_well_formed(&key));
        assert!(hashes_match(&hash_secret(&key), &hash_secret(&key)));
        assert!(!hashes_match(
            &hash_secret(&key),
            &hash_secret(&generate_secret())
        ));
        assert!(!is_well_formed("flz_sk_short"));
        assert!(!is_well_formed(&key.replace("flz_sk_", "flz_pk_")));
    }
}
