//! SAML: Userfront as identity provider (conventions C-14.4).

/// SAML tokens and pending SP requests of a realm.
#[derive(Clone, Debug, Default)]
pub struct SamlState {}
