//! Export: the state of a world copied into a [`StateFile`], collections sorted so that two
//! exports of the same state are byte-identical.

use super::*;

/// The state of `world`. The caller holds the lock only while this copies; serialising and
/// writing happen after it is released.
pub fn export(world: &World) -> StateFile {
    // Every field is named, so a field added to the world fails to compile here until it is
    // saved (or marked as not part of the state).
    let World {
        clock,
        seed: _,
        workspaces,
        tenant_index: _, // rebuilt from the tenants
        api_keys,
        deleted_api_keys,
        outbox,
        webhooks,
        webhook_tx: _,
        sso,
        passthrough_calls,
        imported: _,
    } = world;
    StateFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: format_iso(clock.now()),
        clock_offset_millis: clock.offset(),
        workspaces: workspaces.values().map(export_workspace).collect(),
        api_keys: sorted_keys(api_keys),
        deleted_api_keys: sorted_keys(deleted_api_keys),
        outbox: outbox.iter().cloned().collect(),
        webhooks: webhooks.iter().cloned().collect(),
        sso: sso.clone(),
        passthrough_calls: passthrough_calls.iter().cloned().collect(),
    }
}

pub(super) fn sorted_keys(keys: &HashMap<Box<str>, ApiKey>) -> Vec<ApiKey> {
    let mut out: Vec<ApiKey> = keys.values().cloned().collect();
    out.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
    out
}

pub(super) fn export_workspace(ws: &Workspace) -> WorkspaceState {
    let Workspace {
        tenant_id,
        has_activated_live_mode,
        live_domains,
        realms: [test, live],
    } = ws;
    WorkspaceState {
        tenant_id: tenant_id.to_string(),
        has_activated_live_mode: *has_activated_live_mode,
        live_domains: live_domains.clone(),
        test: export_realm(test),
        live: export_realm(live),
    }
}

pub(super) fn sorted<T: Clone, K: Ord>(
    items: impl Iterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut out: Vec<T> = items.collect();
    out.sort_by_key(key);
    out
}

pub(super) fn export_realm(realm: &Realm) -> RealmState {
    let Realm {
        workspace_id: _,
        mode: _,
        signing,
        tenants,
        users,
        by_email: _, // the three indexes are rebuilt from the users
        by_username: _,
        by_uuid: _,
        next_user_id,
        sessions,
        links,
        codes,
        imports,
        jwt_format,
        rate_limits,
        rate_limit_opt_outs,
        config,
        first_factor_tokens,
        pkce_codes,
        saml,
    } = realm;
    RealmState {
        signing_key: SigningKeyState {
            kid: signing.kid().to_owned(),
            created_at: signing.created_at(),
            private_key: signing.private_pem().to_owned(),
        },
        tenants: tenants.values().cloned().collect(),
        users: users.values().cloned().collect(),
        next_user_id: *next_user_id,
        sessions: sorted(sessions.values().map(|s| Session::clone(s)), |s| {
            (s.created_at, s.session_id)
        }),
        links: sorted(links.values().cloned(), |l| (l.created_at, l.token)),
        codes: codes.clone(),
        imports: imports.clone(),
        jwt_format: jwt_format.clone(),
        rate_limits: sorted(
            rate_limits
                .iter()
                .map(|((channel, address), counters)| RateLimitState {
                    channel: *channel,
                    address: address.clone(),
                    counters: counters.clone(),
                }),
            |r| (r.channel, r.address.clone()),
        ),
        rate_limit_opt_outs: sorted(rate_limit_opt_outs.iter().copied(), |id| *id),
        config: config.clone(),
        first_factor_tokens: sorted(
            first_factor_tokens
                .iter()
                .map(|(token, pending)| FirstFactorState {
                    first_factor_token: token.clone(),
                    pending: pending.clone(),
                }),
            |f| f.first_factor_token.clone(),
        ),
        pkce_codes: sorted(
            pkce_codes.iter().map(|(code, pending)| PkceState {
                authorization_code: *code,
                pending: pending.clone(),
            }),
            |p| p.authorization_code,
        ),
        saml: saml.clone(),
    }
}
