//! User imports (conventions C-16.5; server-to-server SS-28 … SS-32).
//!
//! An import is created idle and processed on request, synchronously. Creation checks only the
//! shape (a non-empty `users` array of objects, each with an `email`) and the mode rule for
//! passwords; every other rule is checked per row at processing time, where a failing row is
//! recorded in `failures` and skipped, so one bad row never blocks the others. Passwords never
//! stay in the import: the echo masks them, and their hashes (made outside the lock when the
//! import is created, test mode only) are dropped once the import has been processed.

use serde_json::{Value, json};
use uuid::Uuid;

use super::Realm;
use super::clock::Millis;
use super::ids;
use super::model::{Mode, Object, UserImport};
use super::users::{UserFields, fields_from_json};
use super::webhooks::Action;
use crate::error::{Error, Result, msg};

/// What the API echoes in place of a password.
pub const MASK: &str = "********";

/// The recognised attributes of an import row besides the identifiers and `password`
/// (server-to-server SS-28); anything else goes into `data`.
const ATTRIBUTES: [&str; 9] = [
    "email",
    "username",
    "name",
    "image",
    "phoneNumber",
    "locked",
    "isMfaRequired",
    "isEmailConfirmed",
    "isPhoneNumberConfirmed",
];

/// A checked `POST /v0/user-import` body.
#[derive(Clone, Debug)]
pub struct ImportRequest {
    /// The rows as the API echoes them: passwords masked.
    pub rows: Vec<Value>,
    /// Each row's password (index-aligned), to be hashed before the import is stored.
    pub passwords: Vec<Option<String>>,
}

/// Whether an attribute is a password in any spelling (`password`, `Password`, ...).
fn is_password_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("password")
}

/// Whether a value counts as a password being imported (`null` and `""` do not).
fn has_password(value: &Value) -> bool {
    !value.is_null() && value.as_str() != Some("")
}

/// Checks the `users` member of a new import: a non-empty array of objects, each with a string
/// `email`; passwords only in test mode. Returns the masked echo and the passwords to hash.
pub fn check_import(users: Option<&Value>, mode: Mode) -> Result<ImportRequest> {
    let rows = match users {
        None | Some(Value::Null) => return Err(Error::required("users")),
        Some(Value::Array(rows)) if rows.is_empty() => return Err(Error::required("users")),
        Some(Value::Array(rows)) => rows,
        Some(_) => return Err(Error::bad_request("\"users\" must be an array")),
    };
    let mut request = ImportRequest {
        rows: Vec::with_capacity(rows.len()),
        passwords: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let Value::Object(row) = row else {
            return Err(Error::bad_request("\"users\" must be an array of objects"));
        };
        match row.get("email") {
            None | Some(Value::Null) => return Err(Error::required("email")),
            Some(Value::String(email)) if email.trim().is_empty() => {
                return Err(Error::required("email"));
            }
            Some(Value::String(_)) => {}
            Some(_) => return Err(Error::bad_request("\"email\" must be a string")),
        }
        let mut echo = row.clone();
        for (_, value) in echo.iter_mut().filter(|(k, _)| is_password_key(k)) {
            if has_password(value) {
                if mode == Mode::Live {
                    return Err(Error::bad_request(msg::LIVE_PASSWORD_IMPORT));
                }
                *value = json!(MASK);
            }
        }
        let password = match row.get("password") {
            Some(Value::String(p)) if !p.is_empty() => Some(p.clone()),
            Some(v) if has_password(v) => {
                return Err(Error::bad_request("\"password\" must be a string"));
            }
            _ => None,
        };
        request.rows.push(Value::Object(echo));
        request.passwords.push(password);
    }
    Ok(request)
}

/// The user fields of one import row (server-to-server SS-29): `userId` wins over `id` (which
/// then goes to `data.id`), `userUuid` over `uuid` (then `data.uuid`); a `data` object is
/// merged into `data`; other spellings of `password` are dropped; every other attribute goes
/// into `data`. Email and username are lowercased when stored.
fn row_fields(row: &Object) -> Result<UserFields> {
    let mut recognised = Object::new();
    let mut data = Object::new();
    for (key, value) in row {
        match key.as_str() {
            k if is_password_key(k) => {}
            k if ATTRIBUTES.contains(&k) => {
                recognised.insert(key.clone(), value.clone());
            }
            "userId" | "userUuid" => {
                recognised.insert(key.clone(), value.clone());
            }
            "id" if !row.contains_key("userId") => {
                recognised.insert("userId".into(), value.clone());
            }
            "uuid" if !row.contains_key("userUuid") => {
                recognised.insert("userUuid".into(), value.clone());
            }
            "data" if value.is_object() => {
                if let Value::Object(given) = value {
                    data.extend(given.clone());
                }
            }
            _ => {
                data.insert(key.clone(), value.clone());
            }
        }
    }
    // An empty phone number in a row means "none", not "clear".
    if recognised.get("phoneNumber").is_some_and(|p| p == "") {
        recognised.remove("phoneNumber");
    }
    let mut fields = fields_from_json(&recognised)?;
    if !data.is_empty() {
        fields.data = Some(data);
    }
    Ok(fields)
}

impl Realm {
    /// Stores a new, unprocessed import for a tenant.
    pub fn create_import(
        &mut self,
        tenant_id: &str,
        rows: Vec<Value>,
        password_hashes: Vec<Option<String>>,
        now: Millis,
    ) -> &UserImport {
        self.imports.push(UserImport {
            uuid: ids::uuid(),
            tenant_id: tenant_id.into(),
            users: rows,
            password_hashes,
            success_count: 0,
            failure_count: 0,
            failures: Vec::new(),
            completed_at: None,
            created_at: now,
            updated_at: now,
        });
        &self.imports[self.imports.len() - 1]
    }

    /// The imports of a tenant, oldest first.
    pub fn imports_of(&self, tenant_id: &str) -> Vec<&UserImport> {
        self.imports
            .iter()
            .filter(|i| *i.tenant_id == *tenant_id)
            .collect()
    }

    fn import_position(&self, import_uuid: &str, tenant_id: &str) -> Result<usize> {
        let uuid = Uuid::parse_str(import_uuid).map_err(|_| Error::not_found())?;
        self.imports
            .iter()
            .position(|i| i.uuid == uuid && *i.tenant_id == *tenant_id)
            .ok_or_else(Error::not_found)
    }

    /// An import of a tenant by UUID; 404 otherwise.
    pub fn import(&self, import_uuid: &str, tenant_id: &str) -> Result<&UserImport> {
        Ok(&self.imports[self.import_position(import_uuid, tenant_id)?])
    }

    /// Deletes an import; users it created stay. Returns it as it was.
    pub fn delete_import(&mut self, import_uuid: &str, tenant_id: &str) -> Result<UserImport> {
        let position = self.import_position(import_uuid, tenant_id)?;
        Ok(self.imports.remove(position))
    }

    /// Processes an import once (400 `Import already processed` after that): each row updates
    /// the user with its `userId`, or creates a user; failing rows are recorded and skipped.
    /// A row naming a user beyond `reach` (the processing credential's, see
    /// [`super::tenants::Reach`]) fails with `Forbidden`. Returns the user events to announce,
    /// in row order.
    pub fn process_import(
        &mut self,
        import_uuid: &str,
        tenant_id: &str,
        reach: &super::tenants::Reach,
        now: Millis,
    ) -> Result<Vec<(Action, u64)>> {
        let position = self.import_position(import_uuid, tenant_id)?;
        if self.imports[position].completed_at.is_some() {
            return Err(Error::bad_request(msg::IMPORT_PROCESSED));
        }
        let rows = self.imports[position].users.clone();
        let mut hashes = std::mem::take(&mut self.imports[position].password_hashes);
        hashes.resize(rows.len(), None);
        let mut events = Vec::new();
        let mut failures = Vec::new();
        for (index, (row, hash)) in rows.iter().zip(hashes).enumerate() {
            let outcome = row
                .as_object()
                .ok_or_else(|| Error::required("email"))
                .and_then(row_fields)
                .and_then(|mut fields| {
                    fields.password_hash = hash;
                    match fields.user_id.filter(|id| self.users.contains_key(id)) {
                        Some(id) => self
                            .check_reach(reach, id)
                            .and_then(|()| self.update_user(id, fields, now))
                            .map(|id| (Action::Update, id)),
                        None => self.create_user(fields, now).map(|id| (Action::Create, id)),
                    }
                });
            match outcome {
                Ok(event) => events.push(event),
                Err(error) => failures.push(json!({
                    "index": index,
                    "email": row.get("email"),
                    "message": error.message,
                })),
            }
        }
        let import = &mut self.imports[position];
        import.success_count = events.len() as u64;
        import.failure_count = failures.len() as u64;
        import.failures = failures;
        import.completed_at = Some(now);
        import.updated_at = now;
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Object {
        match value {
            Value::Object(o) => o,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn rows_map_identifiers_and_spill_into_data() {
        let fields = row_fields(&object(json!({
            "email": "A@Example.com", "id": 7, "userId": 9, "uuid": "x",
            "userUuid": "6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68",
            "plan": "pro", "Password": "dropped", "data": {"tier": 2}
        })))
        .unwrap();
        assert_eq!(fields.user_id, Some(9));
        assert_eq!(
            fields.user_uuid.map(|u| u.to_string()).as_deref(),
            Some("6d2b9c41-8f0e-4a57-b3c2-19e7a4d05f68")
        );
        let data = fields.data.unwrap();
        assert_eq!(data["id"], 7);
        assert_eq!(data["uuid"], "x");
        assert_eq!(data["plan"], "pro");
        assert_eq!(data["tier"], 2);
        assert!(!data.contains_key("Password"));
        let fields = row_fields(&object(json!({"email": "b@example.com", "id": 3}))).unwrap();
        assert_eq!(fields.user_id, Some(3));
        assert!(fields.data.is_none());
        let bad = row_fields(&object(json!({"email": "b@example.com", "uuid": "x"})));
        assert_eq!(
            bad.unwrap_err().message,
            "\"userUuid\" must be a valid GUID"
        );
    }

    #[test]
    fn passwords_are_masked_and_refused_in_live_mode() {
        let users = json!([{"email": "a@example.com", "password": "s3cretpass", "PASSWORD": "x"}]);
        let request = check_import(Some(&users), Mode::Test).unwrap();
        assert_eq!(request.rows[0]["password"], MASK);
        assert_eq!(request.rows[0]["PASSWORD"], MASK);
        assert_eq!(request.passwords, vec![Some("s3cretpass".to_owned())]);
        assert_eq!(
            check_import(Some(&users), Mode::Live).unwrap_err().message,
            msg::LIVE_PASSWORD_IMPORT
        );
        let empty = json!([{"email": "a@example.com", "password": ""}]);
        assert!(check_import(Some(&empty), Mode::Live).is_ok());
    }
}
