//! The scenarios, one module per endpoint group of the spec's `endpoints.tsv`.

mod auth;
mod boundaries;
mod casing;
mod effects;
mod flows;
mod imports;
mod jwt;
mod keys;
mod links;
mod mfa;
mod misc;
mod passwords;
mod roles;
mod saml;
mod selfuser;
mod sequences;
mod session;
mod snapshots;
mod sso;
mod tenant_defaults;
mod tenants;
mod users;
mod users_search;
mod windows;
mod wire;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::scenario::Scenario;

/// Every scenario, in run order.
pub fn all() -> Vec<Scenario> {
    [
        auth::scenarios(),
        casing::scenarios(),
        links::scenarios(),
        session::scenarios(),
        selfuser::scenarios(),
        misc::scenarios(),
        mfa::scenarios(),
        sso::scenarios(),
        saml::scenarios(),
        users::scenarios(),
        tenants::scenarios(),
        roles::scenarios(),
        imports::scenarios(),
        keys::scenarios(),
        boundaries::scenarios(),
        jwt::scenarios(),
        sequences::scenarios(),
        effects::scenarios(),
        wire::scenarios(),
        windows::scenarios(),
        tenant_defaults::scenarios(),
        snapshots::scenarios(),
    ]
    .concat()
}

/// A token whose payload was changed after signing (so its signature no longer matches).
pub(crate) fn forge_payload(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    if parts.len() != 3 {
        return token.to_owned();
    }
    let mut claims: Value = URL_SAFE_NO_PAD
        .decode(&parts[1])
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    change(&mut claims);
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}

/// The same claims with `alg: none` and no signature.
pub(crate) fn unsigned(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap_or("");
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    format!("{header}.{payload}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_unique_and_grouped() {
        let all = all();
        let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate scenario names");
        for s in &all {
            assert!(
                s.name.starts_with(&format!("{}.", s.group.as_str()))
                    || s.tags.contains(&"snapshot"),
                "{} is not named after its group",
                s.name
            );
        }
    }
}
