//! The permission matrix (issue 11, item 1): no credential gains rights above the tenant that
//! holds it, and no token minted by one does either.
//!
//! One tenant, `C` (a child of the demo workspace `W`), holds every kind of credential: admin,
//! read-only and webhook keys, an access token of a user who is admin in `C` and below, and
//! custom JWTs minted by `C`'s admin key whose `authorization` names every tenant there is
//! (the attack: the payload is the caller's to choose). Each is sent to a route of each tenant
//! in each relation to `C`: itself, its child, its grandchild, its parent, a sibling, another
//! workspace, and itself seen from the other mode. The table runs in test and in live mode.
//!
//! The second half is the shared user pool (README, "Child tenants and the shared user pool"):
//! a child's credential may change or sign in as only users without a role outside its subtree.

use crate::common;

use common::{Harness, LIVE_ORIGIN, Method, access};
use serde_json::{Value, json};
use userfront_mock::{DEMO_TENANT, KeyType, Mode, OTHER_TENANT, TEST_PASSWORD};

/// Where a target tenant stands relative to the holder `C`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rel {
    Own,
    Child,
    Grandchild,
    Parent,
    Sibling,
    OtherWorkspace,
    OtherMode,
}

const RELATIONS: [Rel; 7] = [
    Rel::Own,
    Rel::Child,
    Rel::Grandchild,
    Rel::Parent,
    Rel::Sibling,
    Rel::OtherWorkspace,
    Rel::OtherMode,
];

/// The kinds of credential `C` holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    AdminKey,
    ReadonlyKey,
    WebhookKey,
    /// A login access token of a user with the `admin` role in `C`, its child and grandchild.
    UserToken,
    /// A custom JWT minted by `C`'s admin key, `admin` in every tenant of the table.
    CustomAdmin,
    /// The same with a non-admin role (read-only rights).
    CustomMember,
}

const KINDS: [Kind; 6] = [
    Kind::AdminKey,
    Kind::ReadonlyKey,
    Kind::WebhookKey,
    Kind::UserToken,
    Kind::CustomAdmin,
    Kind::CustomMember,
];

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Need {
    Read,
    Admin,
}

/// The tenants of one mode around `C`.
struct Tree {
    mode: Mode,
    own: String,
    child: String,
    grandchild: String,
    sibling: String,
}

impl Tree {
    fn tenant<'a>(&'a self, rel: Rel, other_mode: &'a Tree) -> &'a str {
        match rel {
            Rel::Own => &self.own,
            Rel::Child => &self.child,
            Rel::Grandchild => &self.grandchild,
            Rel::Parent => DEMO_TENANT,
            Rel::Sibling => &self.sibling,
            Rel::OtherWorkspace => OTHER_TENANT,
            Rel::OtherMode => &other_mode.own,
        }
    }
}

/// The answer the matrix expects: a webhook key is never a credential; a read-only right does
/// not open an admin route; `C` reaches itself, its child and its grandchild (conventions C-2.2)
/// and nothing above or beside; a tenant of the other mode does not exist for a credential of
/// this mode (404), except that a login token, holding no role there, is refused first (403).
fn expected(kind: Kind, need: Need, rel: Rel) -> u16 {
    let reader = matches!(kind, Kind::ReadonlyKey | Kind::CustomMember);
    if kind == Kind::WebhookKey || (reader && need == Need::Admin) {
        return 403;
    }
    match rel {
        Rel::Own | Rel::Child | Rel::Grandchild => 200,
        Rel::OtherMode if kind != Kind::UserToken => 404,
        _ => 403,
    }
}

/// `mode`'s admin key of the demo workspace.
fn workspace_key(h: &Harness, mode: Mode) -> String {
    h.key(mode, KeyType::Admin)
}

/// A new key of `tenant` in `mode`, made with the workspace's admin key.
async fn new_key(h: &Harness, mode: Mode, tenant: &str, key_type: &str) -> String {
    h.post(&format!("/v0/tenants/{tenant}/keys"))
        .bearer(&workspace_key(h, mode))
        .json(json!({ "type": key_type }))
        .send()
        .await
        .ok()["key"]
        .as_str()
        .expect("key")
        .to_owned()
}

/// `W → C → child → grandchild` and a sibling `W → S`, in `mode`.
async fn tree(h: &Harness, mode: Mode) -> Tree {
    let key = workspace_key(h, mode);
    let [own, child, grandchild] = h.tenant_chain(&key, ["C", "C-child", "C-grandchild"]).await;
    let sibling = h.create_tenant(&key, DEMO_TENANT, "Sibling").await;
    Tree {
        mode,
        own,
        child,
        grandchild,
        sibling,
    }
}

/// Creates a user of `mode` with a password; returns its `userId`.
async fn new_user(h: &Harness, mode: Mode, email: &str) -> u64 {
    h.post("/v0/users")
        .bearer(&workspace_key(h, mode))
        .json(json!({ "email": email, "password": TEST_PASSWORD }))
        .send()
        .await
        .ok()["userId"]
        .as_u64()
        .expect("userId")
}

/// Gives `user_id` `roles` in `tenant` with `key`; returns the answer's status.
async fn set_roles(h: &Harness, key: &str, tenant: &str, user_id: u64, roles: &[&str]) -> u16 {
    h.put(&format!("/v0/tenants/{tenant}/users/{user_id}/roles"))
        .bearer(key)
        .json(json!({ "roles": roles }))
        .send()
        .await
        .status
}

/// Password login in `mode` (live through the live domain's origin); returns the access token.
async fn login(h: &Harness, mode: Mode, email: &str) -> String {
    let req = h
        .post(&format!("/v0/tenants/{DEMO_TENANT}/auth/basic"))
        .json(json!({ "emailOrUsername": email, "password": TEST_PASSWORD }));
    let req = if mode == Mode::Live {
        req.origin(LIVE_ORIGIN)
    } else {
        req
    };
    access(&req.send().await.ok())
}

/// A custom JWT minted with `key`, with `role` in every tenant of `tenants`.
async fn mint(h: &Harness, key: &str, tenants: &[&str], role: &str) -> String {
    let authorization: serde_json::Map<String, Value> = tenants
        .iter()
        .map(|t| ((*t).to_owned(), json!({ "roles": [role] })))
        .collect();
    access(
        &h.post("/v0/auth/jwt")
            .bearer(key)
            .json(json!({ "payload": { "authorization": authorization } }))
            .send()
            .await
            .ok(),
    )
}

/// Every credential of `C` in `tree.mode`.
async fn credentials(h: &Harness, tree: &Tree, other: &Tree) -> Vec<(Kind, String)> {
    let mode = tree.mode;
    let admin = new_key(h, mode, &tree.own, "admin").await;
    let readonly = new_key(h, mode, &tree.own, "readonly").await;
    let webhook = new_key(h, mode, &tree.own, "webhook").await;
    let email = format!("c-admin-{}@example.com", mode.as_str());
    let user = new_user(h, mode, &email).await;
    for tenant in [&tree.own, &tree.child, &tree.grandchild] {
        assert_eq!(set_roles(h, &admin, tenant, user, &["admin"]).await, 200);
    }
    // `C`'s key cannot make its user an admin above or beside `C`.
    for tenant in [DEMO_TENANT, &tree.sibling, OTHER_TENANT] {
        assert_eq!(set_roles(h, &admin, tenant, user, &["admin"]).await, 403);
    }
    let user_token = login(h, mode, &email).await;
    let everywhere = [
        tree.own.as_str(),
        &tree.child,
        &tree.grandchild,
        DEMO_TENANT,
        &tree.sibling,
        OTHER_TENANT,
        &other.own,
    ];
    let custom_admin = mint(h, &admin, &everywhere, "admin").await;
    let custom_member = mint(h, &admin, &everywhere, "member").await;
    vec![
        (Kind::AdminKey, admin),
        (Kind::ReadonlyKey, readonly),
        (Kind::WebhookKey, webhook),
        (Kind::UserToken, user_token),
        (Kind::CustomAdmin, custom_admin),
        (Kind::CustomMember, custom_member),
    ]
}

/// Routes of a tenant, two per right: reading the tenant and searching its pool (read),
/// listing its admin keys and defining a role named `role` (admin).
fn routes(tenant: &str, role: &str) -> [(Method, String, Value, Need); 4] {
    [
        (
            Method::GET,
            format!("/v0/tenants/{tenant}"),
            Value::Null,
            Need::Read,
        ),
        (
            Method::POST,
            format!("/v0/tenants/{tenant}/users/find"),
            json!({}),
            Need::Read,
        ),
        (
            Method::GET,
            format!("/v0/tenants/{tenant}/keys/admin"),
            Value::Null,
            Need::Admin,
        ),
        (
            Method::POST,
            format!("/v0/tenants/{tenant}/roles"),
            json!({ "name": role }),
            Need::Admin,
        ),
    ]
}

#[tokio::test]
async fn every_credential_of_a_child_reaches_its_subtree_and_nothing_above_or_beside() {
    let h = Harness::start().await;
    let test = tree(&h, Mode::Test).await;
    let live = tree(&h, Mode::Live).await;
    let mut cells = 0;
    for (tree, other) in [(&test, &live), (&live, &test)] {
        for (kind, credential) in credentials(&h, tree, other).await {
            for rel in RELATIONS {
                let tenant = tree.tenant(rel, other);
                let role = format!("probe-{cells}");
                for (method, path, body, need) in routes(tenant, &role) {
                    let req = h.req(method.clone(), &path).bearer(&credential);
                    let req = if body.is_null() { req } else { req.json(body) };
                    let resp = req.send().await;
                    let want = expected(kind, need, rel);
                    let at = format!("{:?} {kind:?} {rel:?} {method} {path}", tree.mode);
                    assert_eq!(resp.status, want, "{at}: {}", resp.body);
                    match want {
                        200 => {}
                        403 => resp.err(403, "Forbidden"),
                        _ => resp.err(404, "Not Found"),
                    }
                    cells += 1;
                }
            }
        }
    }
    assert_eq!(cells, 2 * KINDS.len() * RELATIONS.len() * 4);
}

#[tokio::test]
async fn a_custom_jwt_of_a_child_key_does_not_open_the_workspace() {
    // The two paths of the issue, exactly as reported.
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Child").await;
    let child_key = h.create_key(&child, "admin").await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = mint(&h, &child_key, &[DEMO_TENANT, &child], "admin").await;
    h.get_refused(
        &token,
        &format!("/v0/tenants/{DEMO_TENANT}/keys/admin"),
        403,
        "Forbidden",
    )
    .await;
    // Minted for the child, it still speaks for the child (the bare form acts on the token's
    // tenant), and only for it.
    for path in [
        "/v0/keys/admin".to_owned(),
        format!("/v0/tenants/{child}/keys/admin"),
    ] {
        let keys = h.get_as(&token, &path).await;
        assert_eq!(keys["totalCount"], 1, "{path}");
        assert_eq!(keys["results"][0]["key"], child_key.as_str(), "{path}");
    }
    // No login link for the workspace admin either.
    h.post("/v0/auth/link/generate")
        .bearer(&child_key)
        .json(json!({ "userId": 1 }))
        .send()
        .await
        .err(403, "Forbidden");
    assert!(h.outbox("to=admin@example.com").await.is_empty());
}

/// Users of the pool around `C`, by where their roles lie.
struct Pool {
    workspace_admin: u64,
    /// Admin in `C` and in the workspace: a right above `C`.
    mixed: u64,
    sibling_member: u64,
    own_member: u64,
    child_member: u64,
    roleless: u64,
}

async fn pool(h: &Harness, tree: &Tree) -> Pool {
    let workspace = workspace_key(h, Mode::Test);
    let mut ids = Vec::new();
    for (name, tenants) in [
        ("mixed", vec![DEMO_TENANT, tree.own.as_str()]),
        ("sibling", vec![tree.sibling.as_str()]),
        ("own", vec![tree.own.as_str()]),
        ("child", vec![tree.child.as_str()]),
        ("roleless", vec![]),
    ] {
        let id = new_user(h, Mode::Test, &format!("{name}@example.com")).await;
        for tenant in tenants {
            assert_eq!(set_roles(h, &workspace, tenant, id, &["member"]).await, 200);
        }
        ids.push(id);
    }
    Pool {
        workspace_admin: 1,
        mixed: ids[0],
        sibling_member: ids[1],
        own_member: ids[2],
        child_member: ids[3],
        roleless: ids[4],
    }
}

/// Whether `user` is within the reach of a credential held by `C`.
fn in_reach(pool: &Pool, user: u64) -> bool {
    [pool.own_member, pool.child_member, pool.roleless].contains(&user)
}

/// The changes of a user a credential may make, through the tenant form of `tenant`:
/// `(method, path, body)`.
async fn user_changes(h: &Harness, tenant: &str, user: u64) -> Vec<(Method, String, Value)> {
    let uuid = h.get_as(&h.admin(), &format!("/v0/users/{user}")).await["userUuid"].clone();
    let changes = vec![
        (
            Method::PUT,
            format!("/v0/users/{user}"),
            json!({ "data": { "touched": true } }),
        ),
        (
            Method::POST,
            "/v0/users/createOrUpdate".into(),
            json!({ "userId": user, "data": { "touched": true } }),
        ),
        (Method::POST, format!("/v0/users/{user}/active"), json!({})),
        (
            Method::POST,
            "/v0/auth/link/generate".into(),
            json!({ "userId": user }),
        ),
        (
            Method::POST,
            "/v0/auth/jwt".into(),
            json!({ "userId": user }),
        ),
        (
            Method::POST,
            "/v0/auth/jwt".into(),
            json!({ "payload": { "userId": user } }),
        ),
        (
            Method::POST,
            "/v0/auth/logout".into(),
            json!({ "userUuid": uuid }),
        ),
    ];
    changes
        .into_iter()
        .map(|(method, path, body)| (method, format!("/v0/tenants/{tenant}{}", &path[3..]), body))
        .collect()
}

#[tokio::test]
async fn a_child_credential_changes_only_users_without_rights_outside_its_subtree() {
    let h = Harness::start().await;
    let tree = tree(&h, Mode::Test).await;
    let pool = pool(&h, &tree).await;
    let admin = new_key(&h, Mode::Test, &tree.own, "admin").await;
    let c_user = new_user(&h, Mode::Test, "c-admin@example.com").await;
    for tenant in [&tree.own, &tree.child] {
        assert_eq!(set_roles(&h, &admin, tenant, c_user, &["admin"]).await, 200);
    }
    let holders = [
        ("C admin key", admin.clone()),
        (
            "C admin's token",
            login(&h, Mode::Test, "c-admin@example.com").await,
        ),
        (
            "custom JWT of C",
            mint(&h, &admin, &[&tree.own, &tree.child], "admin").await,
        ),
    ];
    let users = [
        pool.workspace_admin,
        pool.mixed,
        pool.sibling_member,
        pool.own_member,
        pool.child_member,
        pool.roleless,
    ];
    for (holder, credential) in &holders {
        for user in users {
            // Reading the shared pool is allowed (README): it grants nothing.
            h.get_as(
                credential,
                &format!("/v0/tenants/{}/users/{user}", tree.own),
            )
            .await;
            let want = if in_reach(&pool, user) { 200 } else { 403 };
            for (method, path, body) in user_changes(&h, &tree.own, user).await {
                let resp = h
                    .call(method.clone(), &path, credential, body.clone())
                    .await;
                assert_eq!(
                    resp.status, want,
                    "{holder}, user {user}, {method} {path} {body}: {}",
                    resp.body
                );
                if want == 403 {
                    resp.err(403, "Forbidden");
                }
            }
            // The tenant form through `C`'s child: a key (and what it minted) keeps `C`'s reach;
            // a login token speaks for the tenant it names, so the child's reach applies.
            let want = if holder.contains("token") && user == pool.own_member {
                403
            } else {
                want
            };
            let resp = h
                .call(
                    Method::PUT,
                    &format!("/v0/tenants/{}/users/{user}", tree.child),
                    credential,
                    json!({ "name": "Renamed" }),
                )
                .await;
            assert_eq!(resp.status, want, "{holder}, user {user}, child path");
        }
        // Ending a session of someone out of reach, named by its id, is refused too.
        let session = h.login("admin@example.com", TEST_PASSWORD).await["sessionId"].clone();
        let logout = format!("/v0/tenants/{}/auth/logout", tree.own);
        h.call(
            Method::POST,
            &logout,
            credential,
            json!({ "sessionId": session }),
        )
        .await
        .err(403, "Forbidden");
    }
    // Nothing was changed on the users out of reach: the workspace admin still has its name,
    // and no out-of-reach user ever got a link.
    let admin_user = h.get_as(&h.admin(), "/v0/users/1").await;
    assert_eq!(admin_user["name"], "Admin User");
    assert!(admin_user["data"].get("touched").is_none());
    // Deleting is a change too; the workspace key still reaches everyone.
    h.delete("/v0/users/1")
        .bearer(&admin)
        .send()
        .await
        .err(403, "Forbidden");
    h.delete(&format!("/v0/users/{}", pool.roleless))
        .bearer(&admin)
        .send()
        .await
        .ok();
    for user in [pool.workspace_admin, pool.mixed, pool.sibling_member] {
        h.call(
            Method::PUT,
            &format!("/v0/users/{user}"),
            &h.admin(),
            json!({ "data": { "touched": true } }),
        )
        .await
        .ok();
    }
}

#[tokio::test]
async fn a_child_import_cannot_rewrite_a_workspace_admin() {
    let h = Harness::start().await;
    let child = h.create_tenant(&h.admin(), DEMO_TENANT, "Child").await;
    let key = h.create_key(&child, "admin").await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = h
        .import_and_process(
            &key,
            json!([
                { "userId": 1, "email": "admin@example.com", "password": "taken-over-1234" },
                { "email": "imported@example.com" },
            ]),
        )
        .await;
    assert_eq!(done["successCount"], 1, "{done}");
    assert_eq!(done["failureCount"], 1, "{done}");
    assert_eq!(done["failures"][0]["message"], "Forbidden");
    // The admin's password is the old one.
    h.login("admin@example.com", TEST_PASSWORD).await;
}
