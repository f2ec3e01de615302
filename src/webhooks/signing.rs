//! Webhook signatures over the exact bytes sent: the `X-FluenzR-Signature` header
//! (`sha256=<hex>` over `"<timestamp>.<body>"`) and the Standard Webhooks `webhook-signature`
//! (`v1,<base64>` over `"<event id>.<timestamp>.<body>"`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of the parts, concatenated, under `key`.
fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The `X-FluenzR-Signature` value: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let mac = hmac(secret.as_bytes(), &[timestamp.as_bytes(), b".", body]);
    format!("sha256={}", hex::encode(mac))
}

/// The Standard Webhooks key: the base64-decoded part after `whsec_` when the secret has that
/// form, otherwise the secret's own bytes.
pub fn standard_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|encoded| BASE64.decode(encoded).ok())
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// The `webhook-signature` value: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
pub fn sign_standard(secret: &str, event_id: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let mac = hmac(
        &standard_key(secret),
        &[event_id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    );
    format!("v1,{}", BASE64.encode(mac))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently with Python's `hmac` and `hashlib` modules.
    const BODY: &[u8] = br#"{"id":"evt_test","type":"contact.created"}"#;

    #[test]
    fn the_fluenzr_signature_matches_an_independent_computation() {
        assert_eq!(
            sign("s3cret", 1_700_000_000, BODY),
            "sha256=e7e27599a15469363034afdcd48136cc5ee278f1ad253a71ed4a9d732e99c7ed"
        );
    }

    #[test]
    fn any_changed_input_changes_the_signature() {
        let reference = sign("s3cret", 1_700_000_000, BODY);
        assert_ne!(sign("s3creT", 1_700_000_000, BODY), reference);
        assert_ne!(sign("s3cret", 1_700_000_001, BODY), reference);
        assert_ne!(sign("s3cret", 1_700_000_000, &BODY[1..]), reference);
    }

    #[test]
    fn the_standard_signature_matches_the_published_example() {
        // The example of the Standard Webhooks specification.
        assert_eq!(
            sign_standard(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_secret_without_the_prefix_signs_with_its_own_bytes() {
        assert_eq!(
            sign_standard("s3cret", "evt_1", 1_700_000_000, BODY),
            "v1,UH3ABP7oFiYFqz2TZgXsesU/qlgf1DLzn9LuUTgZlqc="
        );
        assert_eq!(standard_key("whsec_!!not base64"), b"whsec_!!not base64");
        assert_eq!(standard_key("whsec_AQID"), vec![1, 2, 3]);
    }
}
