//! The signed-in user's own record (client-to-server CS-25, CS-26).

use serde_json::json;

use super::flows::{self, PASSWORD};
use crate::routes::Group;
use crate::scenario::{Cx, Outcome, Scenario};
use crate::{ensure, ensure_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("self.read.returns_the_token_user", Group::SelfUser, read)
            .checks(&["C-16.1"]),
        Scenario::new(
            "self.update.edits_only_editable_fields",
            Group::SelfUser,
            update,
        ),
        Scenario::new("self.auth.refuses_bad_tokens", Group::SelfUser, refusals)
            .checks(&["C-5", "C-12.1"])
            .tags(&["permissions"]),
    ]
}

/// CS-25: the User of the token, with the tenant block the client redirects with.
async fn read(cx: Cx) -> Outcome {
    let email = cx.email("self");
    let (signed, tokens) = flows::signup(&cx, &email, PASSWORD).await?;
    let me = flows::read_self(&cx, &tokens.access).await?;
    ensure_eq!(me["userUuid"], signed["userUuid"], "self userUuid");
    ensure_eq!(me["email"], email, "self email");
    ensure_eq!(me["mode"], "test", "self mode");
    ensure_eq!(me["tenant"]["tenantId"], cx.tenant(), "self tenant");
    ensure!(
        me["tenant"]["loginRedirectPath"].is_string(),
        "tenant.loginRedirectPath present"
    );
    Ok(())
}

/// CS-26: name, username, image and data (shallow merge) change; anything else is ignored.
async fn update(cx: Cx) -> Outcome {
    let email = cx.email("update");
    let (signed, tokens) = flows::signup_with(
        &cx,
        json!({ "email": email, "password": PASSWORD, "data": { "keep": 1, "swap": "old" } }),
        None,
    )
    .await?;
    let username = cx.unique("renamed");
    let updated = cx
        .put("/v0/self")
        .bearer(&tokens.access)
        .json(json!({
            "name": "New Name",
            "username": username,
            "image": "https://images.example.com/me.png",
            "data": { "swap": "new", "added": true },
            "email": cx.email("ignored"),
            "locked": true,
            "userId": 999_999
        }))
        .send()
        .await?
        .ok()?;
    ensure_eq!(updated["name"], "New Name", "name");
    ensure_eq!(updated["username"], username, "username");
    ensure_eq!(
        updated["image"],
        "https://images.example.com/me.png",
        "image"
    );
    ensure_eq!(
        updated["data"],
        json!({ "keep": 1, "swap": "new", "added": true }),
        "data is shallow-merged"
    );
    ensure_eq!(updated["email"], email, "email is not editable here");
    ensure_eq!(updated["locked"], false, "locked is not editable here");
    ensure_eq!(
        updated["userId"],
        signed["userId"],
        "userId is not editable here"
    );
    let me = flows::read_self(&cx, &tokens.access).await?;
    ensure_eq!(me["data"], updated["data"], "the update is stored");
    // Another user's username is taken.
    let (_, other) = flows::signup(&cx, &cx.email("taken"), PASSWORD).await?;
    cx.put("/v0/self")
        .bearer(&other.access)
        .json(json!({ "username": username }))
        .send()
        .await?
        .err(400, "Username exists")?;
    Ok(())
}

/// C-5: no token, garbage, a forged payload and an ID token are all refused.
async fn refusals(cx: Cx) -> Outcome {
    let (_, tokens) = flows::signup(&cx, &cx.email("forge"), PASSWORD).await?;
    cx.get("/v0/self")
        .send()
        .await?
        .err(401, "Missing authentication")?;
    // Another user's id in a re-encoded payload: the signature no longer matches.
    let forged = super::forge_payload(&tokens.access, |claims| {
        claims["userId"] = json!(1);
    });
    let unsigned = super::unsigned(&tokens.access);
    // Garbage, forged, unsigned (`alg: none`), and a valid token of the wrong kind.
    for token in ["not-a-token", &forged, &unsigned, &tokens.id] {
        flows::self_refused(&cx, token).await?;
    }
    cx.put("/v0/self")
        .bearer(&tokens.refresh)
        .json(json!({ "name": "x" }))
        .send()
        .await?
        .err(401, "Unauthorized")?;
    Ok(())
}
