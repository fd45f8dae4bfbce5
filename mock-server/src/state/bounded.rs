//! Logs that can only grow so far: the outbox, the webhook delivery log and the passthrough call
//! log.
//!
//! Each log is capped twice: by entries, and by bytes. A cap by entries alone is not a bound on
//! memory, because one entry can be as large as a request body allows (a user record with 1 MiB
//! of `data` in every webhook event, a 900 KB address in every outbox entry): a thousand of them
//! would hold a gigabyte. So every entry reports what it costs ([`Logged::cost`], its heap bytes
//! roughly), the log keeps the running total, and the oldest entries go first when either cap is
//! reached. Entries are made small before they are logged (each log truncates its large members
//! with a marker), so one entry never takes a whole budget.

use std::collections::VecDeque;
use std::collections::vec_deque;

use serde_json::Value;

/// How deep JSON taken from outside may nest (request bodies, the SSO `data` parameter,
/// upstream answers kept in a log): 32 levels, the top-level object counting as one.
///
/// Far more than any real document needs, and far enough below the 128 levels at which the JSON
/// parser gives up that anything stored with it still reads back when it is saved inside a
/// state file (which adds a few levels around it).
pub const MAX_JSON_DEPTH: usize = 32;

/// Something kept in a [`BoundedLog`].
pub trait Logged {
    /// Most entries kept.
    const MAX_ENTRIES: usize;
    /// Most bytes kept (by [`Logged::cost`]).
    const MAX_BYTES: usize;
    /// What the entry costs in memory, in bytes (an estimate that never undercounts by much:
    /// lengths of what it holds plus a fixed overhead).
    fn cost(&self) -> usize;
}

/// A log, oldest first, bounded by entries and by bytes.
#[derive(Debug)]
pub struct BoundedLog<T> {
    entries: VecDeque<T>,
    bytes: usize,
}

impl<T> Default for BoundedLog<T> {
    fn default() -> Self {
        BoundedLog {
            entries: VecDeque::new(),
            bytes: 0,
        }
    }
}

impl<T: Logged> BoundedLog<T> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `entry`, dropping the oldest entries while either cap would be exceeded.
    pub fn push_back(&mut self, entry: T) {
        let cost = entry.cost();
        while !self.entries.is_empty()
            && (self.entries.len() >= T::MAX_ENTRIES || self.bytes + cost > T::MAX_BYTES)
        {
            self.pop_front();
        }
        self.bytes += cost;
        self.entries.push_back(entry);
    }

    /// Removes the oldest entry.
    pub fn pop_front(&mut self) -> Option<T> {
        let entry = self.entries.pop_front()?;
        self.bytes = self.bytes.saturating_sub(entry.cost());
        Some(entry)
    }

    /// Changes the newest entry that `find` picks (the cost is counted again).
    pub fn update_last(&mut self, find: impl Fn(&T) -> bool, change: impl FnOnce(&mut T)) {
        if let Some(entry) = self.entries.iter_mut().rev().find(|e| find(e)) {
            let before = entry.cost();
            change(entry);
            self.bytes = self.bytes.saturating_sub(before) + entry.cost();
        }
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    /// The entries, oldest first.
    pub fn iter(&self) -> vec_deque::Iter<'_, T> {
        self.entries.iter()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What its entries cost, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Its size in entries and bytes, with the caps (`/__mock/state`'s `memory`).
    pub fn figures(&self) -> Value {
        serde_json::json!({
            "entries": self.len(),
            "bytes": self.bytes,
            "maxEntries": T::MAX_ENTRIES,
            "maxBytes": T::MAX_BYTES,
        })
    }
}

impl<T: Logged> FromIterator<T> for BoundedLog<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut log = BoundedLog::new();
        for entry in iter {
            log.push_back(entry);
        }
        log
    }
}

impl super::World {
    /// What the growable stores hold, in entries and bytes, with their caps: the `memory`
    /// member of `GET /__mock/state`, so a test (or a curious developer) can see the caps hold.
    pub fn memory(&self) -> Value {
        let (mut entries, mut bytes) = (0, 0);
        for realm in self.workspaces.values().flat_map(|ws| &ws.realms) {
            let (e, b) = realm.signing.cache_figures();
            entries += e;
            bytes += b;
        }
        serde_json::json!({
            "outbox": self.outbox.figures(),
            "webhooks": self.webhooks.figures(),
            "passthroughCalls": self.passthrough_calls.figures(),
            "verifiedTokens": {
                "entries": entries,
                "bytes": bytes,
                "maxBytesPerKey": crate::state::tokens::VERIFIED_CACHE_BYTES,
                "maxEntryBytes": crate::state::tokens::VERIFIED_ENTRY_BYTES,
            },
        })
    }
}

/// What a JSON value costs in memory, roughly: its own size plus what it owns.
pub fn value_cost(value: &Value) -> usize {
    const NODE: usize = std::mem::size_of::<Value>();
    // Iterative, so no input is deep enough to overflow the stack.
    let mut total = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        total += NODE;
        match v {
            Value::String(s) => total += s.capacity(),
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                for (key, member) in map {
                    // The key, and the map's own per-entry overhead.
                    total += key.capacity() + 3 * std::mem::size_of::<usize>();
                    stack.push(member);
                }
            }
            _ => {}
        }
    }
    total
}

/// How deep a JSON value nests: a scalar is 0, `{}` and `[]` are 1, `{"a": {}}` is 2.
pub fn json_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(depth);
                stack.extend(items.iter().map(|i| (i, depth + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(depth);
                stack.extend(map.values().map(|m| (m, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// `text` cut to at most `max` bytes (on a character boundary) with a marker saying how long it
/// was; unchanged when it fits.
pub fn truncate_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{}", &text[..end], truncation_marker(text.len()))
}

/// The marker that ends a truncated text.
pub fn truncation_marker(len: usize) -> String {
    format!("...[truncated, {len} bytes]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Item(usize);

    impl Logged for Item {
        const MAX_ENTRIES: usize = 4;
        const MAX_BYTES: usize = 100;
        fn cost(&self) -> usize {
            self.0
        }
    }

    #[test]
    fn both_caps_hold() {
        let mut log = BoundedLog::new();
        for _ in 0..10 {
            log.push_back(Item(10));
        }
        assert_eq!((log.len(), log.bytes()), (4, 40));
        log.push_back(Item(90));
        assert_eq!((log.len(), log.bytes()), (2, 100));
        // An entry over the whole budget is still kept alone (each log truncates before).
        log.push_back(Item(150));
        assert_eq!((log.len(), log.bytes()), (1, 150));
        log.push_back(Item(1));
        assert_eq!((log.len(), log.bytes()), (1, 1));
        log.clear();
        assert_eq!((log.len(), log.bytes()), (0, 0));
    }

    #[test]
    fn depth_and_cost_are_measured_without_recursion() {
        assert_eq!(json_depth(&json!(1)), 0);
        assert_eq!(json_depth(&json!({})), 1);
        assert_eq!(json_depth(&json!({"a": [1, {"b": []}]})), 4);
        let mut deep = json!(0);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(json_depth(&deep), 100_000);
        assert!(value_cost(&deep) >= 100_000 * std::mem::size_of::<Value>());
        // Dropping a value that deep would recurse; leak it in the test instead.
        std::mem::forget(deep);
        assert!(value_cost(&json!({"k": "x".repeat(1000)})) > 1000);
    }

    #[test]
    fn texts_are_cut_with_a_marker() {
        assert_eq!(truncate_text("short", 10), "short");
        let cut = truncate_text(&"é".repeat(10), 5);
        assert_eq!(cut, format!("éé{}", truncation_marker(20)));
    }
}
