//! Which URLs a webhook may call: http or https, a host, no credentials in the URL, and, unless
//! the server allows private webhooks, a host whose every address is public. This is the
//! guard against server-side request forgery the Standard Webhooks spec asks for: a webhook
//! cannot be aimed at the server itself, its network, or a cloud metadata address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// The longest webhook URL accepted, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// Why a URL is not a webhook URL; each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    /// The URL is longer than `MAX_URL_CHARS`: use a shorter one.
    #[error("webhook URLs are at most 2048 characters; this one has {0}")]
    TooLong(usize),
    /// The text is not an absolute URL.
    #[error("not a valid URL ({0}); a webhook URL looks like https://example.com/hooks/goals")]
    Malformed(String),
    /// Another scheme than http or https.
    #[error("webhook URLs must be http or https, not {0}")]
    Scheme(String),
    /// The URL names no host.
    #[error("a webhook URL needs a host, as in https://example.com/hooks/goals")]
    NoHost,
    /// The URL carries a user name or password, which would be sent to (and logged by) every
    /// hop: authenticate deliveries by their signature instead.
    #[error("webhook URLs may not hold a user name or password (user:pass@); receivers check the webhook-signature header instead")]
    UserInfo,
    /// The host name did not resolve (now): check its spelling and DNS.
    #[error("cannot resolve {host}: {reason}")]
    Unresolved { host: String, reason: String },
    /// The host resolves to a loopback, private or otherwise non-public address.
    #[error("{}", private_message(.host, .ip))]
    Private { host: String, ip: IpAddr },
}

fn private_message(host: &str, ip: &IpAddr) -> String {
    let kind = private_kind(*ip).unwrap_or("non-public");
    let subject = if host == ip.to_string() {
        format!("{ip} is")
    } else {
        format!("{host} resolves to {ip},")
    };
    let article = if kind == "unspecified" { "an" } else { "a" };
    format!(
        "{subject} {article} {kind} address: webhooks to loopback and private networks are refused \
         unless the server runs with --allow-private-webhooks"
    )
}

/// How long a host name's lookup may take.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks that `url` may be a webhook's address and parses it. With `allow_private` the
/// host's addresses are not checked (tests, closed networks); the rest still is. A host name
/// is resolved now, and refused if any of its addresses is not public.
pub async fn check_url(url: &str, allow_private: bool) -> Result<Url, UrlRefused> {
    let parsed = parse(url)?;
    if allow_private {
        return Ok(parsed);
    }
    let host = parsed.host_str().ok_or(UrlRefused::NoHost)?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    // An IP literal (IPv6 in brackets) is its own address: no lookup, no network.
    let (host, addresses): (String, Vec<IpAddr>) =
        match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => (ip.to_string(), vec![ip]),
            Err(_) => {
                // A resolver that does not answer must not hold the request (or a delivery).
                let lookup = tokio::net::lookup_host((host, port));
                let found = match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
                    Ok(found) => found.map_err(|e| e.to_string()),
                    Err(_) => Err(format!("no answer within {} s", LOOKUP_TIMEOUT.as_secs())),
                };
                let found = found.map_err(|reason| UrlRefused::Unresolved {
                    host: host.to_owned(),
                    reason,
                })?;
                (host.to_owned(), found.map(|a| a.ip()).collect())
            }
        };
    if addresses.is_empty() {
        let reason = "it has no address".to_owned();
        return Err(UrlRefused::Unresolved { host, reason });
    }
    match addresses.into_iter().find(|ip| is_private(*ip)) {
        Some(ip) => Err(UrlRefused::Private { host, ip }),
        None => Ok(parsed),
    }
}

/// The checks that need no network: length, syntax, scheme, host, no credentials.
fn parse(url: &str) -> Result<Url, UrlRefused> {
    let chars = url.chars().count();
    if chars > MAX_URL_CHARS {
        return Err(UrlRefused::TooLong(chars));
    }
    let parsed = Url::parse(url).map_err(|e| UrlRefused::Malformed(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme(parsed.scheme().to_owned()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(UrlRefused::NoHost);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlRefused::UserInfo);
    }
    Ok(parsed)
}

/// Whether a webhook must not call `ip`: loopback, private, link-local, unspecified,
/// multicast, broadcast, shared (CGNAT) and IPv6 unique-local addresses, and IPv6 addresses
/// that carry such an IPv4 address (IPv4-mapped, NAT64).
pub fn is_private(ip: IpAddr) -> bool {
    private_kind(ip).is_some()
}

/// What kind of non-public address `ip` is, if it is one.
fn private_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 0 {
        // 0.0.0.0/8, "this network": 0.0.0.0 reaches the local host on Linux.
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (CGNAT)")
    } else {
        None
    }
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return v4_kind(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if segments[0] & 0xffc0 == 0xfec0 {
        // Site-local, deprecated but still routed inside some networks.
        Some("site-local")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_non_public_ipv4_range_is_private() {
        for text in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.255",
            "255.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
        ] {
            assert!(is_private(ip(text)), "{text}");
        }
    }

    #[test]
    fn public_ipv4_addresses_next_to_the_ranges_are_not_private() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "169.253.255.255",
            "100.63.255.255",
            "100.128.0.0",
            "223.255.255.255",
        ] {
            assert!(!is_private(ip(text)), "{text}");
        }
    }

    #[test]
    fn each_non_public_ipv6_range_is_private() {
        for text in [
            "::1",
            "::",
            "fe80::1",
            "febf:ffff::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            assert!(is_private(ip(text)), "{text}");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_not_private() {
        for text in [
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "fe00::1",
        ] {
            assert!(!is_private(ip(text)), "{text}");
        }
    }

    async fn refused(url: &str) -> UrlRefused {
        check_url(url, false).await.unwrap_err()
    }

    #[tokio::test]
    async fn a_loopback_literal_is_refused_with_the_flag_that_allows_it() {
        let e = refused("http://127.0.0.1/hook").await;
        assert_eq!(
            e.to_string(),
            "127.0.0.1 is a loopback address: webhooks to loopback and private networks are \
             refused unless the server runs with --allow-private-webhooks"
        );
        let e = refused("http://[::1]:8080/").await;
        assert!(
            e.to_string().starts_with("::1 is a loopback address"),
            "{e}"
        );
        let e = refused("https://[fd00::5]/").await;
        assert!(
            e.to_string().starts_with("fd00::5 is a unique-local"),
            "{e}"
        );
        let e = refused("http://0.0.0.0/").await;
        assert!(
            e.to_string().starts_with("0.0.0.0 is an unspecified"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_by_name_and_address() {
        // `localhost` resolves from the hosts file, without the network.
        let e = refused("http://localhost:8080/hook").await;
        let text = e.to_string();
        assert!(text.starts_with("localhost resolves to "), "{text}");
        assert!(text.contains("a loopback address"), "{text}");
        assert!(check_url("http://localhost:8080/hook", true).await.is_ok());
    }

    #[tokio::test]
    async fn private_literals_are_refused_unless_allowed() {
        for url in [
            "http://10.1.2.3/",
            "http://172.20.0.1:9000/x",
            "http://192.168.0.10/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.1.1/",
            "http://0.0.0.0:8080/",
            "http://[fe80::1]/",
            "http://[::ffff:10.0.0.1]/",
        ] {
            assert!(
                matches!(refused(url).await, UrlRefused::Private { .. }),
                "{url}"
            );
            assert!(check_url(url, true).await.is_ok(), "{url}");
        }
    }

    #[tokio::test]
    async fn other_spellings_of_loopback_are_refused_too() {
        for url in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
        ] {
            let e = refused(url).await;
            assert!(e.to_string().contains("loopback"), "{url}: {e}");
        }
    }

    #[tokio::test]
    async fn a_public_literal_is_accepted() {
        let url = check_url("https://93.184.215.14/hooks?x=1", false).await;
        assert_eq!(url.unwrap().as_str(), "https://93.184.215.14/hooks?x=1");
        assert!(check_url("http://[2606:4700::1]:8443/", false)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn other_schemes_are_refused_by_name() {
        let e = refused("ftp://93.184.215.14/hook").await;
        assert_eq!(e, UrlRefused::Scheme("ftp".into()));
        assert_eq!(e.to_string(), "webhook URLs must be http or https, not ftp");
        for url in ["file:///etc/passwd", "gopher://93.184.215.14/", "data:,x"] {
            assert!(matches!(refused(url).await, UrlRefused::Scheme(_)), "{url}");
            assert!(matches!(
                check_url(url, true).await,
                Err(UrlRefused::Scheme(_))
            ));
        }
    }

    #[tokio::test]
    async fn credentials_in_the_url_are_refused_even_when_private_is_allowed() {
        for url in [
            "https://user:pass@93.184.215.14/",
            "https://user@93.184.215.14/",
            "https://:pass@93.184.215.14/",
            "http://user:pass@10.0.0.1/",
        ] {
            assert_eq!(refused(url).await, UrlRefused::UserInfo, "{url}");
            assert_eq!(check_url(url, true).await, Err(UrlRefused::UserInfo));
        }
    }

    #[tokio::test]
    async fn malformed_and_overlong_urls_are_refused() {
        for url in ["", "example.com/hook", "http://", "https://exa mple.com/"] {
            let e = refused(url).await;
            assert!(
                matches!(e, UrlRefused::Malformed(_) | UrlRefused::NoHost),
                "{url}: {e:?}"
            );
        }
        let long = format!("https://93.184.215.14/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(
            refused(&long).await,
            UrlRefused::TooLong(MAX_URL_CHARS + 22)
        );
        let longest = format!("https://93.184.215.14/{}", "a".repeat(MAX_URL_CHARS - 22));
        assert!(check_url(&longest, false).await.is_ok());
    }
}
