//! Which address a request comes from, for sign-in throttling.
//!
//! Behind a reverse proxy every peer is the proxy, so one client's failures
//! would lock everyone out. `X-Forwarded-For` is believed only as far as it was
//! written by proxies listed in `server.trusted_proxies`: the client is the
//! right-most address in the chain that is not a trusted proxy, since anything
//! to its left was written by the client itself.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// A network such as `10.0.0.0/8` (a single address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn parse_one(s: &str) -> Option<Cidr> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let net = canonical(addr.trim().parse::<IpAddr>().ok()?);
    let max = if net.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some(Cidr { net, prefix })
}

/// Parses `server.trusted_proxies`; the error is the first entry that is not a CIDR or address.
pub fn parse_cidrs(list: &[String]) -> Result<Vec<Cidr>, String> {
    list.iter()
        .map(|s| parse_one(s).ok_or_else(|| s.clone()))
        .collect()
}

/// The client's address: the peer, unless the peer is a trusted proxy, then
/// the right-most address of `X-Forwarded-For` that is not one.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let mut client = canonical(peer?);
    if !trusted.iter().any(|c| c.contains(client)) {
        return Some(client);
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty());
    for hop in hops.rev() {
        // A hop that is not an address was not written by a proxy; the last
        // trusted hop is then the best anyone can vouch for.
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = canonical(ip);
        if !trusted.iter().any(|c| c.contains(client)) {
            break;
        }
    }
    Some(client)
}

/// The address a request's sign-in attempts are counted against.
pub fn of_request(req: &HttpRequest, trusted: &[Cidr]) -> String {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_address(req.peer_addr().map(|a| a.ip()), &forwarded, trusted)
        .map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn cidrs_parse_and_bad_ones_are_named() {
        let list = parse_cidrs(&[
            "10.0.0.0/8".into(),
            "192.0.2.7".into(),
            "2001:db8::/32".into(),
        ])
        .unwrap();
        assert!(list[0].contains(ip("10.200.1.1").unwrap()));
        assert!(!list[0].contains(ip("11.0.0.1").unwrap()));
        assert!(list[1].contains(ip("::ffff:192.0.2.7").unwrap()));
        assert!(list[2].contains(ip("2001:db8:1::5").unwrap()));
        assert!(parse_cidrs(&["0.0.0.0/0".into()]).unwrap()[0].contains(ip("8.8.8.8").unwrap()));
        assert_eq!(
            parse_cidrs(&["10.0.0.0/33".into()]),
            Err("10.0.0.0/33".into())
        );
        assert_eq!(
            parse_cidrs(&["proxy.local".into()]),
            Err("proxy.local".into())
        );
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted = parse_cidrs(&["10.0.0.0/8".into()]).unwrap();
        // An untrusted peer: its header is ignored.
        assert_eq!(
            client_address(ip("198.51.100.9"), &["203.0.113.5"], &trusted),
            ip("198.51.100.9")
        );
        // A trusted peer: the right-most untrusted hop, whatever the client wrote to its left.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &["1.1.1.1, 203.0.113.5", "10.0.0.3"],
                &trusted
            ),
            ip("203.0.113.5")
        );
        // Nothing forwarded, or all hops trusted: the left-most trusted one.
        assert_eq!(
            client_address(ip("10.0.0.2"), &[], &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["10.0.0.9"], &trusted),
            ip("10.0.0.9")
        );
        // Garbage in the header is not an address anyone vouched for.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["not-an-ip"], &trusted),
            ip("10.0.0.2")
        );
        // No proxies configured: the peer, always.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["203.0.113.5"], &[]),
            ip("10.0.0.2")
        );
    }
}
