//! The control surface (`/__mock/*`) is for the developer, not for any web page.
//!
//! The Userfront API (`/v0/*`) answers any origin, as the real service does. The control
//! surface resets the state, moves the clock, points webhooks anywhere and hands out every key,
//! private signing key and password hash, so a page the developer happens to visit must not
//! reach it:
//!
//! - **Origin**: a request with no `Origin` (curl, Node, a test harness) or a loopback one
//!   (`http(s)://localhost`, `*.localhost`, `127.x.x.x`, `[::1]`, any port) is answered; so are
//!   the origins given with `--control-origin`. Any other origin, `null` included, gets 403 in
//!   the documented format and no CORS headers, preflights too, so the browser neither sends
//!   the real request nor shows the answer.
//! - **Host** (DNS rebinding: a page on `evil.example` whose name re-resolves to 127.0.0.1 is
//!   same-origin with the mock and sends no `Origin` on a GET): when the mock is bound to a
//!   loopback address, only a loopback `Host` is answered on `/__mock/*`. The API paths keep
//!   accepting any `Host`: they are readable from any origin by design, so a rebound name gains
//!   nothing there, and refusing them would break tunnels and proxies that keep the public
//!   name. Bound to a non-loopback address the mock is meant to be reached by name (a container,
//!   a LAN), so `Host` is not checked and the binary prints a warning.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};

use crate::error::{Error, msg};

/// Who may use the control surface.
#[derive(Clone, Debug, Default)]
pub struct ControlGuard {
    /// Extra allowed origins (`--control-origin`), normalised by [`normalise_origin`].
    origins: Arc<[String]>,
    /// Refuse a non-loopback `Host` (the mock is bound to a loopback address).
    check_host: bool,
}

impl ControlGuard {
    /// A guard allowing `origins` besides the loopback ones; `loopback_bound` turns on the
    /// `Host` check.
    pub fn new(origins: &[String], loopback_bound: bool) -> Self {
        ControlGuard {
            origins: origins.iter().map(|o| normalise_origin(o)).collect(),
            check_host: loopback_bound,
        }
    }

    /// `None` when `headers` may reach the control surface, else the refusal.
    pub fn refusal(&self, headers: &HeaderMap) -> Option<Error> {
        if self.check_host
            && let Some(host) = headers.get(header::HOST)
            && !host
                .to_str()
                .ok()
                .and_then(host_name)
                .is_some_and(is_loopback_name)
        {
            return Some(Error::new(403, msg::CONTROL_HOST));
        }
        let origin = headers.get(header::ORIGIN)?;
        let allowed = origin.to_str().ok().is_some_and(|o| {
            is_loopback_origin(o) || self.origins.iter().any(|a| *a == normalise_origin(o))
        });
        (!allowed).then(|| Error::new(403, msg::CONTROL_ORIGIN))
    }
}

/// `scheme://host[:port]` in lower case, without a trailing slash.
pub fn normalise_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The host part of a `Host` value or an origin's authority (`[::1]:80` → `::1`).
fn host_name(authority: &str) -> Option<&str> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(ip);
    }
    match authority.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some(host),
        Some(_) => None,
        None => Some(authority),
    }
}

/// `localhost`, a `*.localhost` name (RFC 6761: always loopback), or a loopback address.
fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `http(s)://<loopback name>[:port]`.
fn is_loopback_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        && !authority.contains(['/', '@'])
        && host_name(authority).is_some_and(is_loopback_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_and_hosts() {
        for o in [
            "http://localhost:3000",
            "https://localhost",
            "http://app.localhost:5173",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:3000",
            "HTTP://LOCALHOST:3000",
        ] {
            assert!(is_loopback_origin(o), "{o}");
        }
        for o in [
            "null",
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "file://",
            "ftp://localhost",
            "http://localhost@evil.example",
            "http://[::2]:80",
            "http://10.0.0.1",
        ] {
            assert!(!is_loopback_origin(o), "{o}");
        }
        for h in ["localhost:4780", "127.0.0.1", "[::1]:4780", "x.localhost:1"] {
            assert!(host_name(h).is_some_and(is_loopback_name), "{h}");
        }
        for h in ["evil.example:4780", "192.168.1.2", "[::ffff:1.2.3.4]", ""] {
            assert!(!host_name(h).is_some_and(is_loopback_name), "{h}");
        }
    }
}
