//! The documented error messages the scenarios expect, worded as the spec words them.
//!
//! The runner judges any implementation, so it must not take its expectations from the mock it
//! may be judging. These belong in the contract crate's message catalogue once `msg` moves
//! there (issue 12, a later step); until then a test checks each equals the mock's `msg`.

/// The password rule of conventions C-9.
pub const PASSWORD_RULES: &str = "Password must be at least 16 characters OR at least 8 characters including a number and a letter";

/// A custom JWT payload may not set the reserved claims.
pub const RESERVED_PAYLOAD: &str =
    "Payload cannot include \"tenantId\", \"sessionId\", \"mode\", \"exp\", or \"iat\"";

/// `Role "<name>" not found`.
pub fn role_not_found(name: &str) -> String {
    format!("Role \"{name}\" not found")
}

/// The refusal to invalidate the last active key of a type.
pub fn last_key_invalidate(kind: &str) -> String {
    format!(
        "Cannot invalidate the only active {kind} API key. Please create another {kind} API key, then try again."
    )
}

/// The refusal to delete the last active key of a type.
pub fn last_key_delete(kind: &str) -> String {
    format!(
        "Cannot delete the only active {kind} API key. Please create another {kind} API key, then try again."
    )
}

#[cfg(test)]
mod tests {
    use userfront_mock::msg;

    #[test]
    fn the_messages_are_the_mocks() {
        assert_eq!(super::PASSWORD_RULES, msg::PASSWORD_RULES);
        assert_eq!(super::RESERVED_PAYLOAD, msg::RESERVED_PAYLOAD);
        assert_eq!(super::role_not_found("x"), msg::role_not_found("x"));
        for kind in ["admin", "webhook"] {
            assert_eq!(
                super::last_key_invalidate(kind),
                msg::last_key_invalidate(kind)
            );
            assert_eq!(super::last_key_delete(kind), msg::last_key_delete(kind));
        }
    }
}
