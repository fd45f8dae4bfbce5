//! What a request acts on: a tenant in a mode. [`World::realm`](super::World::realm) takes
//! anything [`Scoped`] (a [`Scope`], or a verified credential of the HTTP side) so that callers
//! name the realm by what they hold instead of spelling out its tenant and mode each time.

use super::model::Mode;

/// The tenant and mode a client endpoint acts on.
#[derive(Clone, Debug)]
pub struct Scope {
    pub tenant_id: String,
    pub mode: Mode,
}

/// Anything that names one tenant in one mode.
pub trait Scoped {
    /// The tenant acted on.
    fn tenant_id(&self) -> &str;
    /// Its mode (test or live).
    fn mode(&self) -> Mode;
}

impl Scoped for Scope {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    fn mode(&self) -> Mode {
        self.mode
    }
}

/// A reference names what it refers to, so `world.realm(&scope)` reads the same whether
/// `scope` is owned or borrowed.
impl<T: Scoped + ?Sized> Scoped for &T {
    fn tenant_id(&self) -> &str {
        (**self).tenant_id()
    }

    fn mode(&self) -> Mode {
        (**self).mode()
    }
}
