//! Where a sign-on may send a browser: a requested `redirect` must be a path, and the origin
//! one-time SSO credentials go to must be one the tenant owns (conventions C-13.1, C-14.3).

use super::model::Mode;
use crate::error::{Error, Result, msg};

/// Longest accepted redirect path or origin, in characters (as the schemas' `maxLength`).
const MAX_REDIRECT: usize = 2048;

/// Checks a requested `redirect` (body `options.redirect`, query `redirect`, SSO `redirect`):
/// the seeds define it as "a path to redirect the user to upon sign on", and `redirectTo` and
/// link URLs put it after the tenant's own origin. So it must be a path: starting with one `/`
/// (not `//host`, not `/\host`, which browsers read as another host), without control
/// characters (no header splitting), at most 2,048 characters. Absolute URLs and `javascript:` are
/// refused with 400 `Invalid redirect`.
pub fn check_redirect_path(path: &str) -> Result<()> {
    let bad = path.chars().count() > MAX_REDIRECT
        || !path.starts_with('/')
        || path.starts_with("//")
        || path.contains('\\')
        || path.chars().any(char::is_control);
    if bad {
        Err(Error::bad_request(msg::INVALID_REDIRECT))
    } else {
        Ok(())
    }
}

/// Whether `host` (lowercase, as the `url` crate gives it) is on `domain` or a subdomain.
fn on_domain(host: &str, domain: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
}

/// The origin (`scheme://host[:port]`) an SSO sign-on may hand its one-time credentials to,
/// from the page `origin` it was started with; 400 `Invalid origin` otherwise. Allowed: `http`
/// or `https`, no user info, no control characters, and a host the tenant owns: in test mode a
/// loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) or one of the
/// workspace's domains (`domains`, subdomains included); in live mode an `https` origin on a
/// live domain.
pub fn allowed_origin(origin: &str, domains: &[String], mode: Mode) -> Result<String> {
    let invalid = || Error::bad_request(msg::INVALID_ORIGIN);
    // The URL parser silently drops tabs and newlines; a value carrying them is refused.
    if origin.len() > MAX_REDIRECT || origin.chars().any(char::is_control) {
        return Err(invalid());
    }
    let url = url::Url::parse(origin).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
        return Err(invalid());
    }
    if url.password().is_some() {
        return Err(invalid());
    }
    let on_workspace = |host: &str| domains.iter().any(|d| on_domain(host, d));
    let allowed = match (url.host(), mode) {
        (Some(url::Host::Domain(host)), Mode::Live) => {
            url.scheme() == "https" && on_workspace(host)
        }
        (Some(url::Host::Domain(host)), Mode::Test) => {
            host == "localhost" || host.ends_with(".localhost") || on_workspace(host)
        }
        (Some(url::Host::Ipv4(ip)), Mode::Test) => ip.is_loopback(),
        (Some(url::Host::Ipv6(ip)), Mode::Test) => ip.is_loopback(),
        _ => false,
    };
    if allowed {
        Ok(url.origin().ascii_serialization())
    } else {
        Err(invalid())
    }
}
