//! The SSRF guard: which webhook URLs and resolved addresses may be called. A URL is checked
//! when it is stored and again at every delivery; the connection only ever goes to an address
//! vetted here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Parses a webhook URL and refuses what must never be called: schemes other than http(s),
/// missing hosts, and (unless `allow_private`) hosts that are forbidden IP literals or
/// `localhost`. Host names are vetted again when they are resolved ([`resolve_vetted`]).
///
/// WHATWG host parsing turns every numeric IPv4 spelling (`2130706433`, `0x7f000001`,
/// `0177.0.0.1`, `127.1`) into the address it means, so all of them are checked as IPs.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|error| format!("invalid URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the URL must use http or https".to_owned());
    }
    let forbidden_ip = |ip: IpAddr| {
        if !allow_private && is_forbidden(ip) {
            Err(format!(
                "the address {ip} is not allowed (private, loopback, link-local or reserved)"
            ))
        } else {
            Ok(())
        }
    };
    match url.host() {
        None => return Err("the URL must have a host".to_owned()),
        Some(url::Host::Ipv4(ip)) => forbidden_ip(IpAddr::V4(ip))?,
        Some(url::Host::Ipv6(ip)) => forbidden_ip(IpAddr::V6(ip))?,
        Some(url::Host::Domain(domain)) => {
            if domain.is_empty() {
                return Err("the URL must have a host".to_owned());
            }
            let name = domain.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(format!("the host {name} is not allowed (loopback)"));
            }
        }
    }
    Ok(url)
}

/// Whether an address is one a webhook must never reach: loopback, private (RFC 1918), CGNAT,
/// unique-local, link-local (cloud metadata), unspecified, multicast, broadcast, `0.0.0.0/8`,
/// documentation, benchmarking and reserved ranges, and any IPv6 form that embeds such an IPv4
/// address (mapped, compatible, NAT64, 6to4).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_forbidden_v4(ip),
        IpAddr::V6(ip) => is_forbidden_v6(ip),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", including 0.0.0.0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 224 // multicast, reserved, broadcast
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| {
        Ipv4Addr::new(
            (high >> 8) as u8,
            (high & 0xff) as u8,
            (low >> 8) as u8,
            (low & 0xff) as u8,
        )
    };
    if ip.is_unspecified() || ip.is_loopback() {
        return true;
    }
    match segments {
        // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d.
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0, 0, 0, 0, 0, 0, high, low] => {
            is_forbidden_v4(embedded_v4(high, low))
        }
        // IPv4-translated ::ffff:0:a.b.c.d.
        [0, 0, 0, 0, 0xffff, 0, high, low] => is_forbidden_v4(embedded_v4(high, low)),
        // NAT64 well-known prefix 64:ff9b::/96.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => is_forbidden_v4(embedded_v4(high, low)),
        // Local-use NAT64 64:ff9b:1::/48: translates to whatever the operator chose.
        [0x64, 0xff9b, 1, ..] => true,
        // 6to4 2002:a.b.c.d::/48 reaches the embedded IPv4 host.
        [0x2002, high, low, ..] => is_forbidden_v4(embedded_v4(high, low)),
        // Teredo 2001::/32 tunnels to an obfuscated IPv4 host.
        [0x2001, 0, ..] => true,
        // Documentation 2001:db8::/32.
        [0x2001, 0xdb8, ..] => true,
        // Discard-only 100::/64.
        [0x100, 0, 0, 0, ..] => true,
        [first, ..] => {
            (first & 0xfe00) == 0xfc00 // unique-local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
                || (first & 0xff00) == 0xff00 // multicast ff00::/8
        }
    }
}

/// Resolves `host` and returns its addresses with `port`, refusing the host when ANY of them
/// is forbidden (unless `allow_private`): a name that also points inside is never called.
pub async fn resolve_vetted(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    // A resolver that cannot answer must not hold a delivery (or the test endpoint) for long.
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::lookup_host((host, port)),
    )
    .await
    .map_err(|_| format!("could not resolve {host}: no answer within 3 s"))?
    .map_err(|error| format!("could not resolve {host}: {error}"))?
    .collect();
    vet(host, addresses, allow_private)
}

/// Refuses an empty answer, or one with any forbidden address (unless `allow_private`).
pub fn vet(
    host: &str,
    addresses: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    if addresses.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|address| is_forbidden(address.ip())) {
            return Err(format!(
                "{host} resolves to {}, which is not allowed (private, loopback, link-local or reserved)",
                bad.ip()
            ));
        }
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn forbidden_addresses_are_refused() {
        let forbidden = [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network"),
            ("10.0.0.1", "RFC 1918"),
            ("10.255.255.255", "RFC 1918 end"),
            ("100.64.0.1", "CGNAT start"),
            ("100.127.255.254", "CGNAT end"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback /8"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.0.1", "link-local"),
            ("172.16.0.1", "RFC 1918 start"),
            ("172.31.255.255", "RFC 1918 end"),
            ("192.168.1.1", "RFC 1918"),
            ("192.0.0.8", "IETF assignments"),
            ("192.0.2.10", "TEST-NET-1"),
            ("198.51.100.7", "TEST-NET-2"),
            ("203.0.113.9", "TEST-NET-3"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("::", "unspecified v6"),
            ("::1", "loopback v6"),
            ("::ffff:127.0.0.1", "mapped loopback"),
            ("::ffff:7f00:1", "mapped loopback in hex"),
            ("::ffff:10.1.2.3", "mapped private"),
            ("::ffff:169.254.169.254", "mapped metadata"),
            ("::ffff:0.0.0.0", "mapped unspecified"),
            ("::127.0.0.1", "compatible loopback"),
            ("::a9fe:a9fe", "compatible metadata"),
            ("::ffff:0:127.0.0.1", "translated loopback"),
            ("64:ff9b::7f00:1", "NAT64 of loopback"),
            ("64:ff9b::10.0.0.1", "NAT64 of private"),
            ("64:ff9b:1::1", "local-use NAT64"),
            ("2002:7f00:1::1", "6to4 of loopback"),
            ("2002:a00:1::", "6to4 of private"),
            ("2001:0:4136:e378::1", "Teredo"),
            ("2001:db8::1", "documentation v6"),
            ("100::1", "discard-only"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local fd"),
            ("fe80::1", "link-local v6"),
            ("febf::1", "link-local v6 end"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast v6"),
        ];
        for (raw, why) in forbidden {
            assert!(is_forbidden(ip(raw)), "{raw} ({why}) must be forbidden");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.1.1",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.1.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for raw in public {
            assert!(!is_forbidden(ip(raw)), "{raw} must be allowed");
        }
    }

    #[test]
    fn every_numeric_spelling_of_loopback_parses_to_loopback_and_is_refused() {
        for raw in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0X7F000001/",
            "http://0177.0.0.1/",
            "http://0177.0000.0000.0001/",
            "http://127.1/",
            "http://127.0.1/",
            "http://0x7f.1/",
            "http://127.0.0.1./",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "https://127.0.0.1:8443/hook",
        ] {
            let url = url::Url::parse(raw).unwrap();
            if let Some(url::Host::Ipv4(v4)) = url.host() {
                assert_eq!(v4, Ipv4Addr::LOCALHOST, "{raw} parses to 127.0.0.1");
            }
            let refused = check_url(raw, false).expect_err(raw);
            assert!(refused.contains("not allowed"), "{raw}: {refused}");
            assert!(
                check_url(raw, true).is_ok(),
                "{raw} allowed when private is"
            );
        }
    }

    #[test]
    fn private_link_local_and_unspecified_literals_are_refused() {
        for raw in [
            "http://0.0.0.0/",
            "http://0/",
            "http://10.0.0.1/",
            "http://167772161/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0xa9fea9fe/",
            "http://192.168.0.1:8080/",
            "http://172.16.0.1/",
            "http://[fc00::1]/",
            "http://[fe80::1]/",
            "http://[::]/",
            "http://[::ffff:169.254.169.254]/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
        ] {
            let refused = check_url(raw, false).expect_err(raw);
            assert!(refused.contains("not allowed"), "{raw}: {refused}");
        }
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_accepted() {
        for (raw, why) in [
            ("ftp://example.com/", "scheme"),
            ("file:///etc/passwd", "file"),
            ("gopher://example.com/", "gopher"),
            ("javascript:alert(1)", "javascript"),
            ("example.com/hook", "no scheme"),
            ("http://", "no host"),
            ("", "empty"),
            ("http://exa mple.com/", "space in host"),
        ] {
            assert!(check_url(raw, true).is_err(), "{raw} ({why})");
        }
        let url = check_url("https://hooks.example.com/in?x=1", false).unwrap();
        assert_eq!(url.host_str(), Some("hooks.example.com"));
        assert!(check_url("http://8.8.8.8:8080/", false).is_ok());
        assert!(check_url("http://[2606:4700:4700::1111]/", false).is_ok());
    }

    #[test]
    fn an_answer_with_any_forbidden_address_is_refused() {
        let public: SocketAddr = "8.8.8.8:443".parse().unwrap();
        let inside: SocketAddr = "10.0.0.1:443".parse().unwrap();
        assert_eq!(vet("h", vec![public], false).unwrap(), vec![public]);
        assert!(vet("h", vec![public, inside], false).is_err());
        assert!(vet("h", vec![inside, public], false).is_err());
        assert_eq!(vet("h", vec![inside], true).unwrap(), vec![inside]);
        assert!(vet("h", vec![], true).is_err());
    }

    #[tokio::test]
    async fn resolving_localhost_is_refused_unless_private_is_allowed() {
        let refused = resolve_vetted("localhost", 80, false).await.unwrap_err();
        assert!(refused.contains("not allowed"), "{refused}");
        let allowed = resolve_vetted("localhost", 80, true).await.unwrap();
        assert!(allowed.iter().all(|address| address.port() == 80));
        assert!(resolve_vetted("127.0.0.1", 80, false).await.is_err());
        assert!(resolve_vetted("[::1]", 80, false).await.is_err());
        assert!(resolve_vetted("8.8.8.8", 80, false).await.is_ok());
    }
}
