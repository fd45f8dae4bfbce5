//! SSO with fake providers (conventions C-14.3).

/// Fake provider identities and pending SSO sign-ons.
#[derive(Clone, Debug, Default)]
pub struct SsoState {}
