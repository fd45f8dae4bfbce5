//! Userfront as a SAML 2.0 identity provider (conventions C-14.4; client-to-server CS-31 … CS-33).
//!
//! The spec's suggested "unsigned" response is overridden by a project decision: the mock
//! answers what an off-the-shelf service-provider library accepts. The `<saml:Assertion>` (and a
//! logout's `<samlp:LogoutResponse>`) carries an enveloped XML-DSig signature, RSA-SHA256 over
//! exclusive canonical XML, made with the tenant's live signing key (its public half is the
//! live JWT key, `GET /v0/tenants/{id}/keys/jwt`); the assertion names the SP as Audience and
//! its ACS URL as Recipient and Destination, has a validity window on the mock clock, and
//! answers the SP's AuthnRequest (`InResponseTo`) when its ID is known.
//!
//! No XML library is needed: the documents are built by [`El`], which writes elements already in
//! exclusive canonical form (attributes sorted, namespace declarations only where first used, no
//! self-closing tags, canonical escaping), so the bytes that are digested and signed are exactly
//! the bytes sent.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Realm;
use super::clock::{MINUTE, Millis, format_iso};
use crate::error::{Error, Result, msg};
use crate::state::tokens::SigningKey;

/// Lifetime of a SAML token, of a remembered AuthnRequest, and of an assertion.
pub const TOKEN_LIFETIME: Millis = 5 * MINUTE;

const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// A single-use SAML token (CS-31) of a signed-in user.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamlToken {
    pub user_id: u64,
    /// The session the token was made from (the assertion's `SessionIndex`).
    pub session_id: Uuid,
    pub expires_at: Millis,
}

/// What the mock keeps of an SP's AuthnRequest or LogoutRequest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpRequest {
    /// The request's `ID` (the response's `InResponseTo`).
    pub id: Option<String>,
    /// The SP entity id (`<Issuer>`).
    pub issuer: Option<String>,
    /// `AssertionConsumerServiceURL`, if the request names one.
    pub acs_url: Option<String>,
}

/// SAML tokens and SP-initiated requests of a realm.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SamlState {
    #[serde(serialize_with = "super::persist::sorted_map")]
    tokens: HashMap<Uuid, SamlToken>,
    /// SP requests seen at the SP-initiated entry, by the id of the browser cookie that
    /// remembers them (as a real IdP keeps them in its session).
    #[serde(serialize_with = "super::persist::sorted_map")]
    requests: HashMap<Uuid, (SpRequest, Millis)>,
}

/// A configured service provider (`samlServiceProviders` setting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceProvider {
    pub entity_id: String,
    pub acs_url: String,
    pub logout_url: Option<String>,
}

impl Realm {
    /// The tenant's service providers, in settings order.
    pub fn service_providers(&self) -> Vec<ServiceProvider> {
        self.config
            .saml_service_providers
            .iter()
            .filter_map(|sp| {
                let text = |k: &str| sp.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                let acs_url = text("acsUrl")?;
                Some(ServiceProvider {
                    entity_id: text("entityId").unwrap_or_else(|| acs_url.clone()),
                    logout_url: text("logoutUrl"),
                    acs_url,
                })
            })
            .collect()
    }

    /// The SP a request is for: the one whose entity id is the request's issuer, else the
    /// first; 400 `No SAML service provider configured` when there is none (or the issuer is
    /// unknown).
    pub fn service_provider(&self, request: &SpRequest) -> Result<ServiceProvider> {
        let sps = self.service_providers();
        let found = match &request.issuer {
            Some(issuer) => sps.into_iter().find(|sp| sp.entity_id == *issuer),
            None => sps.into_iter().next(),
        };
        found.ok_or_else(|| Error::bad_request(msg::NO_SAML_SP))
    }

    /// Issues a SAML token for a signed-in user (CS-31).
    pub fn issue_saml_token(&mut self, user_id: u64, session_id: Uuid, now: Millis) -> Uuid {
        self.saml.tokens.retain(|_, t| t.expires_at > now);
        let token = super::ids::uuid();
        self.saml.tokens.insert(
            token,
            SamlToken {
                user_id,
                session_id,
                expires_at: now + TOKEN_LIFETIME,
            },
        );
        token
    }

    /// Uses a SAML token: it must exist, belong to the user of `uuid` and be unexpired. Used
    /// once, whatever the outcome of the checks after it.
    pub fn use_saml_token(&mut self, token: &str, uuid: &str, now: Millis) -> Result<SamlToken> {
        let invalid = || Error::bad_request(msg::INVALID_TOKEN);
        let token = Uuid::parse_str(token.trim()).map_err(|_| invalid())?;
        let uuid = Uuid::parse_str(uuid.trim()).map_err(|_| invalid())?;
        let found = self.saml.tokens.get(&token).ok_or_else(invalid)?;
        if self.users.get(&found.user_id).map(|u| u.user_uuid) != Some(uuid) {
            return Err(invalid());
        }
        let found = self.saml.tokens.remove(&token).ok_or_else(invalid)?;
        if now >= found.expires_at {
            return Err(Error::bad_request(msg::TOKEN_EXPIRED));
        }
        Ok(found)
    }

    /// Remembers an SP request for the browser; returns the id its cookie carries.
    pub fn remember_sp_request(&mut self, request: SpRequest, now: Millis) -> Uuid {
        self.saml.requests.retain(|_, (_, expires)| *expires > now);
        let id = super::ids::uuid();
        self.saml
            .requests
            .insert(id, (request, now + TOKEN_LIFETIME));
        id
    }

    /// Takes the SP request a browser cookie names, if still known.
    pub fn take_sp_request(&mut self, id: &str, now: Millis) -> Option<SpRequest> {
        let id = Uuid::parse_str(id.trim()).ok()?;
        let (request, expires) = self.saml.requests.remove(&id)?;
        (now < expires).then_some(request)
    }
}

/// Reads a `SAMLRequest` query value: Base64 of the XML, deflated (HTTP-Redirect binding) or
/// not. Only the root's `ID`, `AssertionConsumerServiceURL` and the `<Issuer>` are kept.
pub fn parse_sp_request(encoded: &str) -> Result<SpRequest> {
    let invalid = || Error::bad_request("Invalid SAMLRequest");
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD.decode(compact).map_err(|_| invalid())?;
    let xml = if bytes.first() == Some(&b'<') {
        bytes
    } else {
        miniz_oxide::inflate::decompress_to_vec(&bytes).map_err(|_| invalid())?
    };
    let xml = String::from_utf8(xml).map_err(|_| invalid())?;
    let root_start = xml
        .find('<')
        .filter(|&i| !xml[i..].starts_with("<?"))
        .or_else(|| {
            xml.find("?>")
                .and_then(|end| xml[end..].find('<').map(|i| end + i))
        })
        .ok_or_else(invalid)?;
    let root_end = xml[root_start..].find('>').ok_or_else(invalid)? + root_start;
    let root = &xml[root_start..root_end];
    let issuer = xml.find("Issuer").and_then(|start| {
        let open_end = xml[start..].find('>')? + start + 1;
        let close = xml[open_end..].find('<')? + open_end;
        let text = unescape(xml[open_end..close].trim());
        (!text.is_empty()).then_some(text)
    });
    Ok(SpRequest {
        id: attribute(root, "ID"),
        issuer,
        acs_url: attribute(root, "AssertionConsumerServiceURL"),
    })
}

/// The value of attribute `name` in an element's start tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before_ok = rest[..i].ends_with(char::is_whitespace);
        let after = rest[i + name.len()..].trim_start();
        if before_ok && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let end = value[1..].find(quote)?;
                return Some(unescape(&value[1..1 + end]));
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// Canonical XML

/// An XML element written in exclusive canonical form (W3C xml-exc-c14n): namespace
/// declarations first (by prefix), then attributes sorted by name (all unqualified here), no
/// self-closing tags, canonical escaping. Declarations must be placed on the element that first
/// uses the prefix within the signed subtree, which is where exclusive canonicalization renders
/// them.
#[derive(Clone, Debug)]
pub struct El {
    name: &'static str,
    namespaces: Vec<(&'static str, &'static str)>,
    attributes: Vec<(&'static str, String)>,
    children: Vec<Node>,
}

#[derive(Clone, Debug)]
enum Node {
    El(El),
    Text(String),
    /// Already canonical markup (the signature).
    Raw(String),
}

impl El {
    pub fn new(name: &'static str) -> Self {
        El {
            name,
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn ns(mut self, prefix: &'static str, uri: &'static str) -> Self {
        self.namespaces.push((prefix, uri));
        self
    }

    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attributes.push((name, value.into()));
        self
    }

    pub fn child(mut self, child: El) -> Self {
        self.children.push(Node::El(child));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Inserts canonical markup as child number `index`.
    fn insert_raw(&mut self, index: usize, markup: String) {
        self.children.insert(index, Node::Raw(markup));
    }

    /// The canonical serialization.
    pub fn write(&self) -> String {
        let mut out = String::new();
        self.write_into(&mut out);
        out
    }

    fn write_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        let mut namespaces = self.namespaces.clone();
        namespaces.sort();
        for (prefix, uri) in namespaces {
            out.push_str(&format!(" xmlns:{prefix}=\"{}\"", escape_attr(uri)));
        }
        let mut attributes = self.attributes.clone();
        attributes.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in attributes {
            out.push_str(&format!(" {name}=\"{}\"", escape_attr(&value)));
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::El(el) => el.write_into(out),
                Node::Text(text) => out.push_str(&escape_text(text)),
                Node::Raw(markup) => out.push_str(markup),
            }
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

fn escape_attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

/// Signs `element` (which has an `ID` attribute `id`) with an enveloped signature inserted as
/// child number `position` (after the `<Issuer>`, as the SAML schema wants).
pub fn sign(mut element: El, id: &str, position: usize, key: &SigningKey) -> El {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, element.write().as_bytes());
    let signed_info = El::new("ds:SignedInfo")
        .ns("ds", NS_DS)
        .child(El::new("ds:CanonicalizationMethod").attr("Algorithm", EXC_C14N))
        .child(El::new("ds:SignatureMethod").attr(
            "Algorithm",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        ))
        .child(
            El::new("ds:Reference")
                .attr("URI", format!("#{id}"))
                .child(
                    El::new("ds:Transforms")
                        .child(El::new("ds:Transform").attr(
                            "Algorithm",
                            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
                        ))
                        .child(El::new("ds:Transform").attr("Algorithm", EXC_C14N)),
                )
                .child(
                    El::new("ds:DigestMethod")
                        .attr("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256"),
                )
                .child(El::new("ds:DigestValue").text(STANDARD.encode(digest.as_ref()))),
        )
        .write();
    let signature = STANDARD.encode(key.sign_rsa_sha256(signed_info.as_bytes()));
    let markup = format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\">{signed_info}<ds:SignatureValue>{signature}</ds:SignatureValue></ds:Signature>"
    );
    element.insert_raw(position, markup);
    element
}

/// Everything a SAML response says.
#[derive(Clone, Debug)]
pub struct Assertion<'a> {
    pub idp_entity_id: &'a str,
    pub sp: &'a ServiceProvider,
    pub in_response_to: Option<&'a str>,
    pub now: Millis,
    pub session_id: Uuid,
    pub name_id: &'a str,
    /// `(name, value)` attributes.
    pub attributes: Vec<(&'static str, String)>,
}

fn saml_id() -> String {
    format!("_{}", super::ids::hex(40))
}

/// A `<samlp:Response>` with a signed `<saml:Assertion>` (CS-32).
pub fn login_response(a: &Assertion<'_>, key: &SigningKey) -> String {
    let now = format_iso(a.now);
    let until = format_iso(a.now + TOKEN_LIFETIME);
    let assertion_id = saml_id();
    let mut confirmation_data = El::new("saml:SubjectConfirmationData")
        .attr("NotOnOrAfter", until.clone())
        .attr("Recipient", a.sp.acs_url.clone());
    if let Some(id) = a.in_response_to {
        confirmation_data = confirmation_data.attr("InResponseTo", id);
    }
    let mut attributes = El::new("saml:AttributeStatement");
    for (name, value) in &a.attributes {
        attributes = attributes.child(
            El::new("saml:Attribute")
                .attr("Name", *name)
                .attr(
                    "NameFormat",
                    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                )
                .child(El::new("saml:AttributeValue").text(value.clone())),
        );
    }
    let assertion =
        El::new("saml:Assertion")
            .ns("saml", NS_SAML)
            .attr("ID", assertion_id.clone())
            .attr("IssueInstant", now.clone())
            .attr("Version", "2.0")
            .child(El::new("saml:Issuer").text(a.idp_entity_id))
            .child(
                El::new("saml:Subject")
                    .child(
                        El::new("saml:NameID")
                            .attr(
                                "Format",
                                "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                            )
                            .text(a.name_id),
                    )
                    .child(
                        El::new("saml:SubjectConfirmation")
                            .attr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
                            .child(confirmation_data),
                    ),
            )
            .child(
                El::new("saml:Conditions")
                    .attr("NotBefore", now.clone())
                    .attr("NotOnOrAfter", until)
                    .child(
                        El::new("saml:AudienceRestriction")
                            .child(El::new("saml:Audience").text(a.sp.entity_id.clone())),
                    ),
            )
            .child(
                El::new("saml:AuthnStatement")
                    .attr("AuthnInstant", now.clone())
                    .attr("SessionIndex", a.session_id.to_string())
                    .child(El::new("saml:AuthnContext").child(
                        El::new("saml:AuthnContextClassRef").text(
                            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                        ),
                    )),
            )
            .child(attributes);
    let assertion = sign(assertion, &assertion_id, 1, key);
    let mut response = El::new("samlp:Response")
        .ns("samlp", NS_SAMLP)
        .attr("Destination", a.sp.acs_url.clone())
        .attr("ID", saml_id())
        .attr("IssueInstant", now)
        .attr("Version", "2.0")
        .child(
            El::new("saml:Issuer")
                .ns("saml", NS_SAML)
                .text(a.idp_entity_id),
        )
        .child(El::new("samlp:Status").child(El::new("samlp:StatusCode").attr("Value", SUCCESS)))
        .child(assertion);
    if let Some(id) = a.in_response_to {
        response = response.attr("InResponseTo", id);
    }
    response.write()
}

/// A signed `<samlp:LogoutResponse>` to the SP's logout URL (CS-33).
pub fn logout_response(
    idp_entity_id: &str,
    destination: &str,
    in_response_to: Option<&str>,
    now: Millis,
    key: &SigningKey,
) -> String {
    let id = saml_id();
    let mut response = El::new("samlp:LogoutResponse")
        .ns("samlp", NS_SAMLP)
        .attr("Destination", destination)
        .attr("ID", id.clone())
        .attr("IssueInstant", format_iso(now))
        .attr("Version", "2.0")
        .child(
            El::new("saml:Issuer")
                .ns("saml", NS_SAML)
                .text(idp_entity_id),
        )
        .child(El::new("samlp:Status").child(El::new("samlp:StatusCode").attr("Value", SUCCESS)));
    if let Some(irt) = in_response_to {
        response = response.attr("InResponseTo", irt);
    }
    sign(response, &id, 1, key).write()
}

/// The HTML page that POSTs `SAMLResponse` (and `RelayState`) to the SP and submits itself.
/// (XML attribute escaping is also right for HTML attribute values.)
pub fn post_form(action: &str, saml_response: &str, relay_state: Option<&str>) -> String {
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                escape_attr(r)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Signing in…</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"POST\" action=\"{}\">\
         <input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\">{relay}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>\n",
        escape_attr(action),
        STANDARD.encode(saml_response),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_and_escapes() {
        let el = El::new("a:x")
            .attr("b", "1 & \"2\"")
            .attr("A", "<")
            .ns("z", "urn:z")
            .ns("a", "urn:a")
            .child(El::new("a:y"))
            .text("t<&>\r");
        assert_eq!(
            el.write(),
            "<a:x xmlns:a=\"urn:a\" xmlns:z=\"urn:z\" A=\"&lt;\" b=\"1 &amp; &quot;2&quot;\"><a:y></a:y>t&lt;&amp;&gt;&#xD;</a:x>"
        );
    }

    #[test]
    fn sp_requests_are_read_deflated_or_not() {
        let xml = r#"<?xml version="1.0"?><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_req1" Version="2.0" AssertionConsumerServiceURL="https://sp.example.org/acs?a=1&amp;b=2"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.org</saml:Issuer></samlp:AuthnRequest>"#;
        let expected = SpRequest {
            id: Some("_req1".into()),
            issuer: Some("https://sp.example.org".into()),
            acs_url: Some("https://sp.example.org/acs?a=1&b=2".into()),
        };
        assert_eq!(parse_sp_request(&STANDARD.encode(xml)).unwrap(), expected);
        let deflated = miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6);
        assert_eq!(
            parse_sp_request(&STANDARD.encode(deflated)).unwrap(),
            expected
        );
        assert!(parse_sp_request("%%%").is_err());
    }
}
