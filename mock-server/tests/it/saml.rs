//! SAML (CS-31 … CS-33, C-14.4): tokens, the signed login response an off-the-shelf verifier
//! accepts (checked with `xmlsec1`), the SP-initiated entry with `InResponseTo`, logout, and
//! every refusal.
//!
//! The signature checks need the `xmlsec1` command (Debian: `apt-get install xmlsec1`;
//! `scripts/test` installs it). Without it these tests fail and say so.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Harness, LIVE_ORIGIN, access, query_param};
use serde_json::{Value, json};
use userfront_mock::DEMO_TENANT;

const SP: &str = "https://sp.example.org/metadata";
const ACS: &str = "https://sp.example.org/acs";
const SLO: &str = "https://sp.example.org/slo";
const ASSERTION_ID: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
const LOGOUT_ID: &str = "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse";

/// A mock with a live user and one configured SP; returns it with the user's sign-on body.
async fn start() -> (Harness, Value) {
    let h = Harness::start().await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "live", "samlServiceProviders": [
            {"entityId": "https://other-sp.example.net", "acsUrl": "https://other-sp.example.net/acs"},
            {"entityId": SP, "acsUrl": ACS, "logoutUrl": SLO}
        ]}),
    )
    .await;
    let login = h.live_signup("sam@example.com", "correct-horse-9").await;
    (h, login)
}

async fn saml_token(h: &Harness, login: &Value) -> String {
    let body = h.get_as(&access(login), "/v0/auth/saml/idp/token").await;
    body["token"].as_str().expect("token").to_owned()
}

/// The `value` of a hidden input of the HTML form.
fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form action") + 8;
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The decoded XML the form posts.
fn posted_xml(html: &str) -> String {
    let b64 = form_value(html, "SAMLResponse").expect("a SAMLResponse input");
    String::from_utf8(STANDARD.decode(b64).expect("Base64")).expect("UTF-8")
}

/// The value of `name="..."` on the first element named `element`.
fn xml_attr(xml: &str, element: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{element} "))?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

fn xml_text(xml: &str, element: &str) -> Option<String> {
    let start = xml
        .find(&format!("<{element}>"))
        .or_else(|| xml.find(&format!("<{element} ")))?;
    let open_end = xml[start..].find('>')? + start + 1;
    let close = xml[open_end..].find(&format!("</{element}>"))? + open_end;
    Some(xml[open_end..close].to_owned())
}

/// The demo workspace's live signing key as an SPKI PEM (the mock publishes PKCS#1).
async fn live_public_key_pem(h: &Harness) -> String {
    let keys = h
        .get(&format!("/v0/tenants/{DEMO_TENANT}/keys/jwt"))
        .send()
        .await
        .ok();
    let pem = keys["results"][0]["publicKey"]
        .as_str()
        .or_else(|| keys[0]["publicKey"].as_str())
        .or_else(|| keys["publicKey"].as_str())
        .unwrap_or_else(|| panic!("a public key in {keys}"));
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pkcs1 = STANDARD.decode(b64).expect("PEM body");
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 128 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    let algorithm = der(
        0x30,
        &[
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
            ][..],
            &[0x05, 0x00],
        ]
        .concat(),
    );
    let bits = der(0x03, &[&[0u8][..], &pkcs1].concat());
    let spki = der(0x30, &[algorithm, bits].concat());
    let body = STANDARD.encode(spki);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// Verifies the XML signature with `xmlsec1` (the element type `id_node` carries the `ID`
/// attribute the signature references); returns whether it verified.
fn xmlsec1_verifies(xml: &str, key_pem: &str, id_node: &str) -> bool {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("uf-saml-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (doc, key) = (dir.join("response.xml"), dir.join("key.pem"));
    std::fs::write(&doc, xml).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let output = std::process::Command::new("xmlsec1")
        .arg("--verify")
        .arg("--pubkey-pem")
        .arg(&key)
        .arg("--id-attr:ID")
        .arg(id_node)
        .arg(&doc)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "the SAML tests need the xmlsec1 command to verify signatures ({e}); \
                 install it with `apt-get install xmlsec1` (scripts/test does this)"
            )
        });
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stderr).to_string();
    output.status.success() && text.contains("OK")
}

#[tokio::test]
async fn an_idp_initiated_login_posts_a_signed_response_to_the_acs() {
    let (h, login) = start().await;
    let token = saml_token(&h, &login).await;
    assert!(uuid::Uuid::parse_str(&token).is_ok());
    let uuid = login["userUuid"].as_str().unwrap();
    let page = h
        .get(&format!(
            "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}&RelayState=%2Fhome"
        ))
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.body.as_str().expect("HTML").to_owned();
    assert!(html.contains("method=\"POST\""));
    assert!(html.contains("document.forms[0].submit()"));
    assert_eq!(form_value(&html, "RelayState").as_deref(), Some("/home"));
    // First configured SP when the request names none.
    assert_eq!(form_action(&html), "https://other-sp.example.net/acs");

    let xml = posted_xml(&html);
    let key = live_public_key_pem(&h).await;
    assert!(
        xmlsec1_verifies(&xml, &key, ASSERTION_ID),
        "signature: {xml}"
    );
    assert_eq!(
        xml_attr(&xml, "samlp:Response", "Destination").as_deref(),
        Some("https://other-sp.example.net/acs")
    );
    assert!(xml_attr(&xml, "samlp:Response", "InResponseTo").is_none());
    assert_eq!(
        xml_text(&xml, "saml:Audience").as_deref(),
        Some("https://other-sp.example.net")
    );
    assert_eq!(
        xml_text(&xml, "saml:NameID").as_deref(),
        Some("sam@example.com")
    );
    assert_eq!(
        xml_attr(&xml, "saml:SubjectConfirmationData", "Recipient").as_deref(),
        Some("https://other-sp.example.net/acs")
    );
    assert_eq!(
        xml_attr(&xml, "saml:SubjectConfirmation", "Method").as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:cm:bearer")
    );
    let now = h.now_millis().await;
    let not_before = common::iso_millis(&json!(xml_attr(&xml, "saml:Conditions", "NotBefore")));
    let not_after = common::iso_millis(&json!(xml_attr(&xml, "saml:Conditions", "NotOnOrAfter")));
    assert!(
        not_before <= now && now < not_after,
        "{not_before} {now} {not_after}"
    );
    assert_eq!(not_after - not_before, 300_000);
    assert!(xml.contains(&format!(">{uuid}</saml:AttributeValue>")));
    assert_eq!(
        xml_attr(&xml, "saml:AuthnStatement", "SessionIndex"),
        login["sessionId"].as_str().map(str::to_owned)
    );

    // A changed assertion no longer verifies: the verifier really checks.
    let tampered = xml.replace(
        "sam@example.com</saml:NameID>",
        "eve@example.com</saml:NameID>",
    );
    assert!(!xmlsec1_verifies(&tampered, &key, ASSERTION_ID));

    // The token was used up.
    h.get(&format!(
        "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}"
    ))
    .send()
    .await
    .err(400, "Invalid token");
}

/// A deflated, Base64-encoded AuthnRequest of the SP (HTTP-Redirect binding), URL-encoded.
fn authn_request(id: &str) -> String {
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"{id}\" \
         Version=\"2.0\" IssueInstant=\"2024-05-15T23:04:50Z\" AssertionConsumerServiceURL=\"{ACS}\">\
         <saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">{SP}</saml:Issuer>\
         </samlp:AuthnRequest>"
    );
    let deflated = miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6);
    userfront_mock::state::messages::url_encode(&STANDARD.encode(deflated))
}

#[tokio::test]
async fn an_sp_initiated_login_answers_the_authn_request() {
    let (h, login) = start().await;
    let request = authn_request("_req-4f2a");
    let entry = h
        .get(&format!(
            "/v0/auth/saml/idp/login?tenant_id=demo1234&SAMLRequest={request}&RelayState=abc"
        ))
        .send()
        .await;
    assert_eq!(entry.status, 302, "{}", entry.body);
    let location = entry.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://example.com/login?tenant_id=demo1234"),
        "{location}"
    );
    assert_eq!(query_param(location, "RelayState").as_deref(), Some("abc"));
    assert!(query_param(location, "SAMLRequest").is_some());
    let cookie = entry.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("uf_saml_request="));

    // The login page signs in (the user already did) and comes back with a SAML token; the
    // browser brings the cookie along.
    let token = saml_token(&h, &login).await;
    let uuid = login["userUuid"].as_str().unwrap();
    let page = h
        .get(&format!(
            "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}&RelayState=abc"
        ))
        .header("cookie", &cookie)
        .send()
        .await;
    let html = page.body.as_str().expect("HTML").to_owned();
    assert_eq!(form_action(&html), ACS);
    let xml = posted_xml(&html);
    assert_eq!(
        xml_attr(&xml, "samlp:Response", "InResponseTo").as_deref(),
        Some("_req-4f2a")
    );
    assert_eq!(
        xml_attr(&xml, "saml:SubjectConfirmationData", "InResponseTo").as_deref(),
        Some("_req-4f2a")
    );
    assert_eq!(xml_text(&xml, "saml:Audience").as_deref(), Some(SP));
    assert!(xmlsec1_verifies(
        &xml,
        &live_public_key_pem(&h).await,
        ASSERTION_ID
    ));

    // A request passed along on the final URL works as well.
    let token = saml_token(&h, &login).await;
    let page = h
        .get(&format!(
            "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}&SAMLRequest={}",
            authn_request("_req-again")
        ))
        .send()
        .await;
    let xml = posted_xml(page.body.as_str().unwrap());
    assert_eq!(
        xml_attr(&xml, "samlp:Response", "InResponseTo").as_deref(),
        Some("_req-again")
    );
}

#[tokio::test]
async fn logout_posts_a_signed_logout_response_and_keeps_the_session() {
    let (h, login) = start().await;
    h.settings(
        DEMO_TENANT,
        json!({"mode": "live", "samlServiceProviders": [{"entityId": SP, "acsUrl": ACS, "logoutUrl": SLO}]}),
    )
    .await;
    let token = saml_token(&h, &login).await;
    let uuid = login["userUuid"].as_str().unwrap();
    let page = h
        .get(&format!(
            "/v0/auth/saml/idp/logout?tenant_id=demo1234&token={token}&uuid={uuid}"
        ))
        .send()
        .await;
    let html = page.body.as_str().expect("HTML").to_owned();
    assert_eq!(form_action(&html), SLO);
    let xml = posted_xml(&html);
    assert!(xml.starts_with("<samlp:LogoutResponse "));
    assert_eq!(
        xml_attr(&xml, "samlp:LogoutResponse", "Destination").as_deref(),
        Some(SLO)
    );
    assert!(xmlsec1_verifies(
        &xml,
        &live_public_key_pem(&h).await,
        LOGOUT_ID
    ));
    // Only the SP is logged out.
    h.get("/v0/self")
        .bearer(&access(&login))
        .origin(LIVE_ORIGIN)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn refusals() {
    let (h, login) = start().await;
    let uuid = login["userUuid"].as_str().unwrap().to_owned();
    // Test mode has no SAML.
    let test_token = h.access_token("member@example.com").await;
    h.get_refused(
        &test_token,
        "/v0/auth/saml/idp/token",
        400,
        "SAML is only available in live mode",
    )
    .await;
    h.get("/v0/auth/saml/idp/token")
        .send()
        .await
        .err(401, "Missing authentication");
    // Bad, foreign and expired tokens.
    h.get(&format!(
        "/v0/auth/saml/idp/login?tenant_id=demo1234&token=not-a-token&uuid={uuid}"
    ))
    .send()
    .await
    .err(400, "Invalid token");
    let token = saml_token(&h, &login).await;
    h.get(&format!(
        "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid=6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68"
    ))
    .send()
    .await
    .err(400, "Invalid token");
    let token = saml_token(&h, &login).await;
    h.advance(301).await;
    h.get(&format!(
        "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}"
    ))
    .send()
    .await
    .err(400, "Token expired");
    h.get("/v0/auth/saml/idp/login?token=x&uuid=y")
        .send()
        .await
        .err(400, "\"tenant_id\" is required");
    h.get("/v0/auth/saml/idp/login?tenant_id=nope0000")
        .send()
        .await
        .err(404, "Not Found");
    h.get("/v0/auth/saml/idp/login?tenant_id=demo1234&SAMLRequest=%25%25")
        .send()
        .await
        .err(400, "Invalid SAMLRequest");
    // Without a service provider.
    h.settings(
        DEMO_TENANT,
        json!({"mode": "live", "samlServiceProviders": []}),
    )
    .await;
    let token = saml_token(&h, &login).await;
    h.get(&format!(
        "/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}"
    ))
    .send()
    .await
    .err(400, "No SAML service provider configured");
    h.get("/v0/auth/saml/idp/logout?tenant_id=demo1234")
        .send()
        .await
        .err(400, "No SAML service provider configured");
    // A workspace that has not activated live mode has no SAML at all.
    h.settings(DEMO_TENANT, json!({"hasActivatedLiveMode": false}))
        .await;
    h.get("/v0/auth/saml/idp/login?tenant_id=demo1234")
        .send()
        .await
        .err(400, "SAML is only available in live mode");
}

/// CS-31's older form, `POST /v0/auth/saml/idp/token`, answers the same single-use token as
/// the `GET`: it opens the login page once, and the user's SAML token is spent by it.
#[tokio::test]
async fn the_legacy_post_form_gives_the_same_single_use_token() {
    let (h, login) = start().await;
    let body = h
        .post("/v0/auth/saml/idp/token")
        .bearer(&access(&login))
        .send()
        .await
        .ok();
    let token = body["token"].as_str().expect("token").to_owned();
    assert!(uuid::Uuid::parse_str(&token).is_ok(), "{body}");
    let uuid = login["userUuid"].as_str().unwrap();
    let url = format!("/v0/auth/saml/idp/login?tenant_id=demo1234&token={token}&uuid={uuid}");
    let page = h.get(&url).send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body.as_str().expect("HTML");
    assert!(form_value(html, "SAMLResponse").is_some(), "{html}");
    h.get(&url).send().await.err(400, "Invalid token");
    // The page the GET form's token opens posts to the same service provider.
    let get_token = saml_token(&h, &login).await;
    let get_page = h
        .get(&format!(
            "/v0/auth/saml/idp/login?tenant_id=demo1234&token={get_token}&uuid={uuid}"
        ))
        .send()
        .await;
    assert_eq!(
        form_action(html),
        form_action(get_page.body.as_str().expect("HTML"))
    );
    h.post("/v0/auth/saml/idp/token")
        .send()
        .await
        .err(401, "Missing authentication");
}
