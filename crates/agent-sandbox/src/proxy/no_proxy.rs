//! `NO_PROXY`: the servers reached directly despite an environment proxy.
//!
//! A comma-separated list, read as Go's `net/http` reads it (entries are
//! trimmed and compared case-insensitively; malformed ones are ignored):
//!
//! - `*` matches every server;
//! - an IP address (`10.0.0.1`, `::1`, `[::1]`) matches that address;
//! - a CIDR block (`10.0.0.0/8`, `fd00::/8`) matches the addresses in it;
//! - `example.com` matches that name and every name under it;
//! - `.example.com` and `*.example.com` match only the names under it;
//! - `:port` after an address or a name (`example.com:6443`, `[::1]:443`)
//!   restricts the entry to that port.

use std::net::IpAddr;

/// A parsed `NO_PROXY` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    All,
    Ip {
        ip: IpAddr,
        port: Option<u16>,
    },
    Cidr {
        network: IpAddr,
        prefix: u8,
    },
    /// `suffix` starts with a dot; `exact` also matches the name itself.
    Domain {
        suffix: String,
        exact: bool,
        port: Option<u16>,
    },
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        NoProxy {
            entries: list.split(',').filter_map(entry).collect(),
        }
    }

    /// Whether a server at `host` (a name, or an IP address without
    /// brackets) and `port` is reached directly.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        self.entries.iter().any(|e| match (e, ip) {
            (Entry::All, _) => true,
            (Entry::Ip { ip: want, port: p }, Some(ip)) => same_ip(*want, ip) && port_ok(p),
            (Entry::Cidr { network, prefix }, Some(ip)) => in_block(ip, *network, *prefix),
            // A name entry never matches an address: `.0.1` is no domain of `10.0.0.1`.
            (
                Entry::Domain {
                    suffix,
                    exact,
                    port: p,
                },
                None,
            ) => (host.ends_with(suffix.as_str()) || (*exact && host == suffix[1..])) && port_ok(p),
            _ => false,
        })
    }
}

fn entry(raw: &str) -> Option<Entry> {
    let text = raw.trim().to_ascii_lowercase();
    if text.is_empty() {
        return None;
    }
    if text == "*" {
        return Some(Entry::All);
    }
    if let Some((addr, bits)) = text.split_once('/') {
        let network: IpAddr = addr.parse().ok()?;
        let prefix: u8 = bits.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        return (prefix <= max).then_some(Entry::Cidr { network, prefix });
    }
    let (host, port) = split_port(&text)?;
    if host.is_empty() {
        return None;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(Entry::Ip { ip, port });
    }
    let host = host.strip_prefix('*').unwrap_or(host);
    let (suffix, exact) = match host.strip_prefix('.') {
        Some(rest) if !rest.is_empty() => (format!(".{rest}"), false),
        Some(_) => return None,
        None => (format!(".{host}"), true),
    };
    Some(Entry::Domain {
        suffix,
        exact,
        port,
    })
}

/// `host[:port]`, `[v6][:port]` or a bare IPv6 address; `None` for a port
/// that is not a number.
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match text.matches(':').count() {
        0 => Some((text, None)),
        1 => {
            let (host, port) = text.split_once(':')?;
            Some((host, Some(port.parse().ok()?)))
        }
        // More than one colon: an IPv6 address without a port.
        _ => Some((text, None)),
    }
}

/// Equal addresses, an IPv4 one and its IPv6-mapped form included.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canonical(a) == canonical(b)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn in_block(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (canonical(ip), network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}
