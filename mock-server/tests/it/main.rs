//! The integration tests of `userfront-mock`, one binary: each module covers one API area or
//! tool and starts its own in-process mock over real HTTP, so tests never share state.

mod common;

mod auth;
mod checklist;
mod cli;
mod codes;
mod connections;
mod control;
mod control_surface;
mod cors;
mod custom_jwt;
mod errors;
mod imports;
mod input_rules;
mod invites;
mod journal;
mod js_client;
mod jwt_format;
mod keys;
mod link_generate;
mod links;
mod mfa;
mod misc;
mod openapi;
mod passthrough;
mod permissions;
mod persist;
mod pkce;
mod profile;
mod rate_limits;
mod redirects;
mod reset;
mod roles;
mod saml;
mod schemas;
mod search;
mod session;
mod sso;
mod tenants;
mod tokens;
mod totp;
mod user_sessions;
mod users;
mod verify;
mod webhooks;
