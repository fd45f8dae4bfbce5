//! What a scenario is, and the context ([`Cx`]) it runs in.
//!
//! A scenario is an async function of a [`Cx`] returning an [`Outcome`]. Through the context it
//! sends requests (each recorded, and checked against the [`crate::contract::Contract`]
//! before the scenario sees the answer), makes unique names under the run prefix, registers
//! what it created for clean-up, verifies tokens against the target's JWKS, and drives the
//! mock control surface when the target has one.
//!
//! Layout: this file holds the scenario type, its outcome and the comparison helpers; `cx.rs`
//! the context; `request.rs` a request being built and its answer; `raw.rs` requests written
//! byte for byte (header names in a chosen case).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::routes::Group;
use crate::target::Need;

mod cx;
mod raw;
mod request;

pub use cx::{Cx, SLOW_ANSWER, suspicious};
pub use request::{Req, Resp};

/// Why a scenario did not pass.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The target departs from the contract.
    Fail(String),
    /// The scenario cannot run against this target.
    Skip(String),
}

/// What a scenario (or a step of one) returns.
pub type Outcome<T = ()> = Result<T, Failure>;

/// A failure with a message.
pub fn fail(message: impl Into<String>) -> Failure {
    Failure::Fail(message.into())
}

/// Fails the scenario unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        $crate::coverage::note(stringify!($cond));
        if !$cond {
            return Err($crate::scenario::Failure::Fail(format!($($fmt)+)));
        }
    };
}

/// Fails the scenario unless `left == right`, naming what was compared.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($fmt:tt)+) => {{
        $crate::coverage::note(concat!(stringify!($left), " == ", stringify!($right)));
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err($crate::scenario::Failure::Fail(format!(
                "{}: expected {}, got {}",
                format!($($fmt)+),
                $crate::scenario::show(right),
                $crate::scenario::show(left)
            )));
        }
    }};
}

/// Fails unless the member at `path` of `body` equals `expected`, and notes the members of
/// the path for the coverage report ([`crate::coverage`]): the helper for checks whose member
/// names come from a table rather than from the source of an `ensure!`.
pub fn member_eq(body: &Value, path: &[&str], expected: &Value, context: &str) -> Outcome {
    crate::coverage::note_members(path);
    // A whole object or list compared: its members are asserted too.
    crate::coverage::note_value(expected);
    let actual = path.iter().fold(body, |v, m| &v[*m]);
    ensure!(
        actual == expected,
        "{context}: {} expected {}, got {}",
        path.join("."),
        show(expected),
        show(actual)
    );
    Ok(())
}

/// A short JSON rendering of a compared value for failure messages.
pub fn show<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "?".into());
    if text.chars().count() > 400 {
        format!("{}…", text.chars().take(400).collect::<String>())
    } else {
        text
    }
}

type ScenarioFn = Arc<dyn Fn(Cx) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

/// One named check of the contract.
#[derive(Clone)]
pub struct Scenario {
    /// `<group>.<subject>.<behaviour>`, unique.
    pub name: &'static str,
    pub group: Group,
    pub tags: Vec<&'static str>,
    pub needs: Vec<Need>,
    /// The rules of the spec it checks (`C-15`, `CS-4`, `C-6.1`): what the coverage report
    /// credits to it when it passes having asserted something ([`crate::coverage`]).
    pub checks: Vec<&'static str>,
    pub run: ScenarioFn,
}

impl Scenario {
    /// A scenario of `group` running `f`.
    pub fn new<F, Fut>(name: &'static str, group: Group, f: F) -> Self
    where
        F: Fn(Cx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        Scenario {
            name,
            group,
            tags: Vec::new(),
            needs: Vec::new(),
            checks: Vec::new(),
            run: Arc::new(move |cx| Box::pin(f(cx))),
        }
    }

    /// Adds tags (filters select on them).
    pub fn tags(mut self, tags: &[&'static str]) -> Self {
        self.tags.extend_from_slice(tags);
        self
    }

    /// Declares the rules of the spec it checks (see [`Scenario::checks`]).
    pub fn checks(mut self, rules: &[&'static str]) -> Self {
        self.checks.extend_from_slice(rules);
        self
    }

    /// Declares what the target must offer; the scenario is skipped otherwise. Needing the
    /// mock controls also tags the scenario `mock`.
    pub fn needs(mut self, needs: &[Need]) -> Self {
        self.needs.extend_from_slice(needs);
        if needs.contains(&Need::MockControls) && !self.tags.contains(&"mock") {
            self.tags.push("mock");
        }
        self
    }

    /// Whether a `--filter` value selects this scenario: a part of its name, its group, or
    /// one of its tags.
    pub fn matches(&self, filter: &str) -> bool {
        self.name.contains(filter) || self.group.as_str() == filter || self.tags.contains(&filter)
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}
