//! Reading the journal: what is derived from a recorded request when `GET /__mock/requests`
//! asks (its tenant, mode and credential, bodies and headers with secrets redacted) and the
//! filters of that request.

use super::*;

/// What a request's credential was, without the secret.
pub(super) fn credential(headers: &HeaderMap) -> Option<(Value, Option<String>, Option<Mode>)> {
    let credential = bearer(headers)?;
    if let Some(mode) = first_factor_mode(&credential) {
        return Some((json!({ "kind": "firstFactorToken" }), None, Some(mode)));
    }
    if let Some(rest) = credential.strip_prefix("uf_") {
        let mut parts = rest.splitn(3, '_');
        let mode = parts.next().and_then(Mode::parse);
        let key_type = parts.next().and_then(KeyType::parse);
        let tenant = parts
            .next()
            .and_then(|r| r.rsplit_once('_'))
            .map(|(tenant, _)| tenant.to_owned());
        return Some(match (mode, key_type) {
            (Some(mode), Some(key_type)) => (
                json!({
                    "kind": "apiKey",
                    "type": key_type.as_str(),
                    "mode": mode.as_str(),
                    "tenantId": tenant,
                }),
                tenant,
                Some(mode),
            ),
            _ => (json!({ "kind": "unknown" }), None, None),
        });
    }
    let Some(claims) = crate::state::tokens::peek_claims(&credential) else {
        return Some((json!({ "kind": "unknown" }), None, None));
    };
    let tenant = claims["tenantId"].as_str().map(str::to_owned);
    let mode = claims["mode"].as_str().and_then(Mode::parse);
    let token_type = match claims.get("type").and_then(Value::as_str) {
        Some(t) => t.to_owned(),
        None if claims.get("authorization").is_some() => "access".to_owned(),
        None => "id".to_owned(),
    };
    Some((
        json!({
            "kind": "jwt",
            "type": token_type,
            "mode": mode.map(Mode::as_str),
            "tenantId": tenant,
            "userId": claims.get("userId"),
            "sessionId": claims.get("sessionId"),
        }),
        tenant,
        mode,
    ))
}

/// The `{tenantId}` of a `/v0/tenants/{tenantId}/...` path.
pub(super) fn path_tenant(path: &str) -> Option<&str> {
    path.strip_prefix("/v0/tenants/")
        .map(|rest| rest.split('/').next().unwrap_or(rest))
        .filter(|t| !t.is_empty())
}

/// A captured body as JSON, secrets redacted; non-JSON text as a string.
pub(super) fn body_view(body: &Captured) -> Value {
    match body {
        Captured::Empty => Value::Null,
        Captured::Omitted(size) => json!({ "omitted": true, "size": size }),
        Captured::Kept(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(mut value) => {
                redact(&mut value);
                value
            }
            Err(_) => match std::str::from_utf8(bytes) {
                Ok(text) => Value::String(redact_str(text)),
                Err(_) => json!({ "binary": true, "size": bytes.len() }),
            },
        },
    }
}

/// Member names whose values are secrets, lowercase.
pub(super) const SECRET_KEYS: [&str; 26] = [
    "password",
    "existingpassword",
    "newpassword",
    "passwordhash",
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "firstfactortoken",
    "firstfactorcode",
    "authorizationcode",
    "verificationcode",
    "totpcode",
    "backupcode",
    "backupcodes",
    "code",
    "codeverifier",
    "code_verifier",
    "secret",
    "totpsecret",
    "clientsecret",
    "qrcode",
    "key",
    "apikey",
    "privatekey",
    "authorization",
];

/// Query parameters (and link parameters) whose values are secrets.
pub(super) const SECRET_PARAMS: [&str; 3] = ["token", "code", "code_verifier"];

/// Redacts secrets in place: members named like one, and strings that are one (JWTs, API keys,
/// firstFactorTokens, link URLs with a token).
pub(super) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str())
                    && !member.is_null()
                    && !member.is_boolean()
                {
                    *member = Value::String(REDACTED.to_owned());
                } else {
                    redact(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) => {
            let redacted = redact_str(s);
            if redacted != *s {
                *s = redacted;
            }
        }
        _ => {}
    }
}

/// A string with its secrets replaced: a whole JWT, API key or firstFactorToken, or the
/// secret parameters of a URL or query string.
pub(super) fn redact_str(s: &str) -> String {
    if is_secret_string(s) {
        return REDACTED.to_owned();
    }
    if !SECRET_PARAMS.iter().any(|p| s.contains(&format!("{p}="))) {
        return s.to_owned();
    }
    let (head, query) = match s.split_once('?') {
        Some((head, query)) => (Some(head), query),
        None => (None, s),
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = head.map(|h| format!("{h}?")).unwrap_or_default();
    out.push_str(&query.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

pub(super) fn is_secret_string(s: &str) -> bool {
    let api_key = ["uf_test_", "uf_live_"].iter().any(|p| s.starts_with(p));
    let jwt = s.starts_with("eyJ") && s.split('.').count() == 3 && !s.contains(' ');
    api_key || jwt
}

/// Request headers as an object, credentials and cookies redacted: `Authorization` and
/// `Proxy-Authorization` keep their scheme only; `X-Api-Key`, `Cookie` and `Set-Cookie` are
/// replaced whole.
pub(super) fn headers_view(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = match name.as_str() {
            "authorization" | "proxy-authorization" => {
                match value.to_str().ok().and_then(|v| v.split_once(' ')) {
                    Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                    None => REDACTED.to_owned(),
                }
            }
            "x-api-key" | "cookie" | "set-cookie" => REDACTED.to_owned(),
            _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        match out.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                out.insert(name.as_str().to_owned(), Value::String(text));
            }
        }
    }
    Value::Object(out)
}

/// An entry with everything derived: the JSON the journal answers.
pub(super) struct View {
    tenant_id: Option<String>,
    mode: Option<Mode>,
    entry: Arc<Entry>,
    credential: Value,
    headers: HeaderMap,
}

pub(super) fn derive(world: &World, entry: Arc<Entry>) -> View {
    let headers = entry.headers.to_map();
    let (credential, key_tenant, key_mode) =
        credential(&headers).unwrap_or((Value::Null, None, None));
    let query = crate::api::parse_query(entry.query());
    let body_tenant = || match &entry.request_body {
        Captured::Kept(bytes) => serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| v["tenantId"].as_str().map(str::to_owned)),
        _ => None,
    };
    let tenant_id = path_tenant(entry.path())
        .map(str::to_owned)
        .or(key_tenant)
        .or_else(body_tenant)
        .or_else(|| query.get("tenantId").or(query.get("tenant_id")).cloned());
    let mode = key_mode.or_else(|| {
        let tenant = tenant_id.as_deref()?;
        if query.get("test").map(String::as_str) == Some("true") {
            return Some(Mode::Test);
        }
        let origin = crate::api::origin(&headers);
        detect_mode(world, tenant, origin.as_deref()).ok()
    });
    View {
        tenant_id,
        mode,
        entry,
        credential,
        headers,
    }
}

impl View {
    pub(super) fn to_json(&self) -> Value {
        let e = &self.entry;
        let query: Map<String, Value> = crate::api::parse_query(e.query())
            .into_iter()
            .map(|(k, v)| {
                let v = if SECRET_PARAMS.contains(&k.as_str()) || is_secret_string(&v) {
                    REDACTED.to_owned()
                } else {
                    v
                };
                (k, Value::String(v))
            })
            .collect();
        json!({
            "id": e.id,
            "at": format_iso(e.at),
            "durationMs": e.duration.as_secs_f64() * 1_000.0,
            "method": e.method.as_str(),
            "path": e.path(),
            "query": query,
            "status": e.status.as_u16(),
            "tenantId": self.tenant_id,
            "mode": self.mode.map(Mode::as_str),
            "credential": self.credential,
            "request": {
                "headers": headers_view(&self.headers),
                "body": body_view(&e.request_body),
            },
            "response": {
                "body": body_view(&e.response_body),
            },
        })
    }
}

/// The filters of `GET /__mock/requests`.
pub(super) struct Filter {
    pub(super) method: Option<String>,
    pub(super) path: Option<String>,
    pub(super) status: Option<(u16, u16)>,
    pub(super) tenant_id: Option<String>,
    pub(super) mode: Option<Mode>,
    pub(super) limit: Option<usize>,
}

impl Filter {
    pub(super) fn parse(ctx: &Ctx) -> Result<Self> {
        let q = &ctx.query;
        let status = match q.get("status").map(|s| s.trim().to_ascii_lowercase()) {
            None => None,
            Some(s) => Some(status_range(&s).ok_or_else(|| {
                Error::bad_request("\"status\" must be a status code (404) or a class (4xx)")
            })?),
        };
        let mode = match q.get("mode") {
            None => None,
            Some(m) => Some(
                Mode::parse(m)
                    .ok_or_else(|| Error::bad_request("\"mode\" must be one of [test, live]"))?,
            ),
        };
        let limit = match q.get("limit") {
            None => None,
            Some(l) => Some(
                l.parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::bad_request("\"limit\" must be a positive integer"))?,
            ),
        };
        Ok(Filter {
            method: q.get("method").cloned(),
            path: q.get("path").cloned(),
            status,
            tenant_id: q.get("tenantId").cloned(),
            mode,
            limit,
        })
    }

    pub(super) fn matches(&self, view: &View) -> bool {
        let e = &view.entry;
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(e.method.as_str()))
            && self.path.as_deref().is_none_or(|p| e.path().starts_with(p))
            && self
                .status
                .is_none_or(|(lo, hi)| (lo..=hi).contains(&e.status.as_u16()))
            && self
                .tenant_id
                .as_deref()
                .is_none_or(|t| view.tenant_id.as_deref() == Some(t))
            && self.mode.is_none_or(|m| view.mode == Some(m))
    }
}

/// `404` → 404..=404, `4xx` → 400..=499.
pub(super) fn status_range(s: &str) -> Option<(u16, u16)> {
    if let Some(class) = s.strip_suffix("xx") {
        let digit: u16 = class.parse().ok().filter(|d| (1..=5).contains(d))?;
        return Some((digit * 100, digit * 100 + 99));
    }
    let code: u16 = s.parse().ok().filter(|c| (100..=599).contains(c))?;
    Some((code, code))
}

impl Entry {
    /// Prints the entry's console-log line ([`crate::log`]), and with `--log debug` its
    /// headers and bodies: the credential described and the secrets redacted as the journal's
    /// own answers are.
    pub(super) fn log(&self) {
        let headers = self.headers.to_map();
        let (credential, _, credential_mode) =
            credential(&headers).unwrap_or((Value::Null, None, None));
        let message = match &self.response_body {
            Captured::Kept(bytes)
                if self.status.is_client_error() || self.status.is_server_error() =>
            {
                serde_json::from_slice::<Value>(bytes)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(redact_str))
            }
            _ => None,
        };
        crate::log::request(&crate::log::RequestLine {
            method: self.method.as_str(),
            path: self.path(),
            status: self.status.as_u16(),
            duration: self.duration,
            credential: &credential,
            credential_mode,
            message,
        });
        if crate::log::details_on() {
            crate::log::request_detail("headers", &headers_view(&headers));
            crate::log::request_detail("request", &body_view(&self.request_body));
            crate::log::request_detail("response", &body_view(&self.response_body));
        }
    }
}
