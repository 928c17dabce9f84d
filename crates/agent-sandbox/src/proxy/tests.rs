use super::*;
use proptest::prelude::*;

fn env(vars: &[(&str, &str)]) -> ProxyEnv {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProxyEnv::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

fn server(url: &str) -> Uri {
    url.parse().unwrap()
}

/// The chosen proxy as `scheme://host:port`, or "direct".
fn chosen(kubeconfig: Option<&str>, vars: &[(&str, &str)], url: &str) -> String {
    match choose(kubeconfig, &env(vars), &server(url)).unwrap() {
        Some(p) => p.to_string(),
        None => "direct".into(),
    }
}

#[test]
fn the_kubeconfig_proxy_wins_over_the_environment_and_no_proxy() {
    let vars = [("HTTPS_PROXY", "http://env:1"), ("NO_PROXY", "*")];
    assert_eq!(
        chosen(Some("http://kc:3128"), &vars, "https://api.example:6443"),
        "http://kc:3128"
    );
    // Even for a loopback server: it is an explicit choice.
    assert_eq!(
        chosen(Some("socks5://kc"), &[], "https://127.0.0.1:6443"),
        "socks5://kc:1080"
    );
    // An empty proxy-url is no proxy-url.
    assert_eq!(
        chosen(
            Some("  "),
            &[("HTTPS_PROXY", "http://env:1")],
            "https://api.example"
        ),
        "http://env:1"
    );
}

#[test]
fn the_environment_by_server_scheme_upper_case_first() {
    let vars = [
        ("HTTPS_PROXY", "http://upper-s:1"),
        ("https_proxy", "http://lower-s:1"),
        ("http_proxy", "http://lower:2"),
    ];
    assert_eq!(
        chosen(None, &vars, "https://api.example"),
        "http://upper-s:1"
    );
    assert_eq!(chosen(None, &vars, "http://api.example"), "http://lower:2");
    assert_eq!(
        chosen(
            None,
            &[("https_proxy", "http://lower-s:1")],
            "https://api.example"
        ),
        "http://lower-s:1"
    );
    // HTTP_PROXY is not used for an https server, nor the reverse.
    assert_eq!(
        chosen(None, &[("HTTP_PROXY", "http://p:1")], "https://api.example"),
        "direct"
    );
    assert_eq!(
        chosen(None, &[("HTTPS_PROXY", "http://p:1")], "http://api.example"),
        "direct"
    );
    // Without a scheme, http:// is assumed (as Go does); default ports by scheme.
    assert_eq!(
        chosen(
            None,
            &[("HTTPS_PROXY", "proxy.corp:3128")],
            "https://a.example"
        ),
        "http://proxy.corp:3128"
    );
    assert_eq!(
        chosen(None, &[("HTTPS_PROXY", "proxy.corp")], "https://a.example"),
        "http://proxy.corp:80"
    );
    assert_eq!(chosen(None, &[], "https://a.example"), "direct");
    assert_eq!(
        chosen(None, &[("HTTPS_PROXY", "   ")], "https://a.example"),
        "direct"
    );
}

#[test]
fn loopback_servers_never_use_an_environment_proxy() {
    let vars = [("HTTPS_PROXY", "http://p:1")];
    for url in [
        "https://127.0.0.1:6443",
        "https://127.9.9.9",
        "https://[::1]:6443",
        "https://localhost:6443",
        "https://LOCALHOST",
    ] {
        assert_eq!(chosen(None, &vars, url), "direct", "{url}");
    }
    assert_eq!(
        chosen(None, &vars, "https://localhost.example"),
        "http://p:1"
    );
}

#[test]
fn no_proxy_is_checked_against_the_server_not_the_proxy() {
    let https = |no_proxy: &str, url: &str| {
        chosen(
            None,
            &[
                ("HTTPS_PROXY", "http://proxy.corp:3128"),
                ("NO_PROXY", no_proxy),
            ],
            url,
        )
    };
    // kube's loader matched NO_PROXY against the proxy's own address.
    assert_eq!(
        https("proxy.corp", "https://api.example"),
        "http://proxy.corp:3128"
    );
    assert_eq!(https("api.example", "https://api.example"), "direct");
    assert_eq!(
        chosen(
            None,
            &[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "api.example")],
            "https://api.example"
        ),
        "direct"
    );
}

#[test]
fn no_proxy_entries() {
    let m = |list: &str, host: &str, port: u16| NoProxy::parse(list).matches(host, port);
    // `*` alone, among others, with spaces.
    assert!(m("*", "anything.example", 443));
    assert!(m("a.example, * ", "10.0.0.1", 6443));
    // Names: the name and below; a leading dot or `*.`: only below.
    assert!(m("example.com", "example.com", 443));
    assert!(m("example.com", "api.example.com", 443));
    assert!(!m("example.com", "badexample.com", 443));
    assert!(m(".example.com", "api.example.com", 443));
    assert!(!m(".example.com", "example.com", 443));
    assert!(m("*.example.com", "a.b.example.com", 443));
    assert!(!m("*.example.com", "example.com", 443));
    assert!(m("EXAMPLE.com", "Api.Example.COM", 443));
    // Addresses, IPv4 and IPv6, bracketed or not; never a name match.
    assert!(m("10.0.0.1", "10.0.0.1", 443));
    assert!(!m("10.0.0.1", "10.0.0.10", 443));
    assert!(!m("0.1", "10.0.0.1", 443));
    assert!(m("fd00::1", "fd00::1", 443));
    assert!(m("[fd00::1]", "fd00:0::1", 443));
    assert!(m("10.0.0.1", "::ffff:10.0.0.1", 443));
    // CIDR blocks.
    assert!(m("10.0.0.0/8", "10.200.3.4", 443));
    assert!(!m("10.0.0.0/8", "11.0.0.1", 443));
    assert!(m("192.168.1.0/24", "192.168.1.255", 443));
    assert!(!m("192.168.1.0/24", "192.168.2.1", 443));
    assert!(m("0.0.0.0/0", "8.8.8.8", 443));
    assert!(m("fd00::/8", "fdab::1", 443));
    assert!(!m("fd00::/8", "fe80::1", 443));
    assert!(!m("10.0.0.0/8", "ten.example", 443));
    // Ports.
    assert!(m("api.example:6443", "api.example", 6443));
    assert!(!m("api.example:6443", "api.example", 443));
    assert!(m("10.0.0.1:6443", "10.0.0.1", 6443));
    assert!(!m("10.0.0.1:6443", "10.0.0.1", 443));
    assert!(m("[fd00::1]:6443", "fd00::1", 6443));
    assert!(!m("[fd00::1]:6443", "fd00::1", 443));
    // Malformed entries are ignored, the rest still apply.
    for bad in [
        "",
        ",",
        ":443",
        "10.0.0.0/33",
        "10.0.0.0/x",
        "a:b",
        "[::1",
        ".",
        "host:99999",
    ] {
        assert!(!m(bad, "a.example", 443), "{bad:?}");
        assert!(m(&format!("{bad},a.example"), "a.example", 443), "{bad:?}");
    }
}

#[test]
fn other_schemes_are_refused_by_name_and_bad_urls_are_never_quoted() {
    let err = |url: &str, source| Proxy::parse(url, source).unwrap_err();
    let e = err(
        "https://user:s3cret-canary@proxy:443",
        ProxySource::Kubeconfig,
    );
    assert!(matches!(e, ProxyError::UnsupportedScheme { .. }));
    assert_eq!(
        e.to_string(),
        "the kubeconfig's proxy-url uses the proxy scheme \"https\", which is not supported: use http:// \
         (HTTP CONNECT) or socks5:// (SOCKS5)"
    );
    let e = err("ftp://proxy", ProxySource::Env("HTTPS_PROXY"));
    assert!(
        e.to_string()
            .starts_with("HTTPS_PROXY uses the proxy scheme \"ftp\""),
        "{e}"
    );
    let e = err("socks4://proxy", ProxySource::Env("https_proxy"));
    assert!(e.to_string().contains("\"socks4\""), "{e}");

    // An unencoded space in the password: not a URL; named, never shown.
    let e = err(
        "http://user:s3cret canary@proxy:3128",
        ProxySource::Env("HTTPS_PROXY"),
    );
    assert!(matches!(e, ProxyError::InvalidUrl { .. }));
    let text = format!("{e} {e:?}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(
        text.starts_with("HTTPS_PROXY is not a valid proxy URL"),
        "{text}"
    );

    // As a crate error: KUBECONFIG_ERROR.
    let crate_err: crate::Error = e.into();
    assert_eq!(crate_err.code(), crate::ErrorCode::KubeConfig);
    assert!(!format!("{crate_err} {crate_err:?}").contains("s3cret"));

    // Through choose(), from the environment.
    let e = choose(
        None,
        &env(&[("HTTPS_PROXY", "gopher://x")]),
        &server("https://a.example"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"gopher\""), "{e}");
}

#[test]
fn credentials_are_decoded_and_never_shown() {
    let p = Proxy::parse(
        "http://us%40er:s3cret%3Acanary@Proxy.Corp:3128/",
        ProxySource::Kubeconfig,
    )
    .unwrap();
    assert_eq!(p.credentials(), Some(("us@er", "s3cret:canary")));
    assert_eq!(p.to_string(), "http://proxy.corp:3128");
    let debug = format!("{p:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    let auth = p.basic_authorization().unwrap();
    assert!(auth.expose().starts_with("Basic "));
    assert_eq!(format!("{auth:?}"), "<redacted>");
    // The environment's values are secrets too.
    let e = env(&[("HTTPS_PROXY", "http://u:s3cret@p:1")]);
    assert!(!format!("{e:?}").contains("s3cret"));
    // A user without a password sends an empty one.
    let p = Proxy::parse("http://user@p:1", ProxySource::Kubeconfig).unwrap();
    assert_eq!(p.credentials(), Some(("user", "")));
    // IPv6 proxies keep their brackets in the address.
    let p = Proxy::parse("socks5h://[fd00::1]:1080", ProxySource::Kubeconfig).unwrap();
    assert_eq!(p.address(), "[fd00::1]:1080");
    // SOCKS5 credentials are limited to 255 bytes each.
    let long = "x".repeat(256);
    assert!(Proxy::parse(&format!("socks5://{long}:p@h:1"), ProxySource::Kubeconfig).is_err());
    assert!(Proxy::parse(&format!("http://{long}:p@h:1"), ProxySource::Kubeconfig).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Whatever the password, no message or Debug output shows it.
    #[test]
    fn a_password_never_shows(
        scheme in prop::sample::select(vec!["http", "socks5", "https", "ftp", "HTTP"]),
        user in "[a-z]{0,8}",
        suffix in any::<String>(),
        host in "[a-z0-9.-]{0,12}",
        port in prop::option::of(any::<u16>()),
    ) {
        let password = format!("CANARY{suffix}");
        let encoded: String =
            percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC).to_string();
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        for url in [
            format!("{scheme}://{user}:{encoded}@{host}{port}"),
            format!("{scheme}://{user}:{password}@{host}{port}"),
            format!("{user}:{password}@{host}{port}"),
        ] {
            let shown = match Proxy::parse(&url, ProxySource::Env("HTTPS_PROXY")) {
                Ok(p) => format!("{p} {p:?} {}", p.address()),
                Err(e) => format!("{e} {e:?} {}", crate::Error::from(e.clone())),
            };
            prop_assert!(!shown.contains("CANARY"), "{}", shown);
        }
    }

    /// An exact entry always matches its own host, wherever it is in the list.
    #[test]
    fn an_entry_matches_its_host(
        before in "[a-z0-9.,* ]{0,20}",
        host in "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        port in any::<u16>(),
    ) {
        let list = format!("{before},{host}");
        prop_assert!(NoProxy::parse(&list).matches(&host, port));
        let below = format!("sub.{host}");
        let with_port = format!("{host}:{port}");
        prop_assert!(NoProxy::parse(&list).matches(&below, port));
        prop_assert!(NoProxy::parse(&with_port).matches(&host, port));
    }

    /// A CIDR block matches exactly the addresses sharing its prefix bits.
    #[test]
    fn cidr_blocks_match_by_prefix(net in any::<u32>(), ip in any::<u32>(), prefix in 0u8..=32) {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        let list = format!("{}/{prefix}", std::net::Ipv4Addr::from(net));
        let host = std::net::Ipv4Addr::from(ip).to_string();
        prop_assert_eq!(NoProxy::parse(&list).matches(&host, 443), net & mask == ip & mask);
    }

    /// Any text at all: parsing and matching never panic.
    #[test]
    fn arbitrary_input_never_panics(list in any::<String>(), host in any::<String>(), url in any::<String>()) {
        let _ = NoProxy::parse(&list).matches(&host, 443);
        let _ = Proxy::parse(&url, ProxySource::Kubeconfig);
    }
}
