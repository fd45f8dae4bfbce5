//! Search over users and tenants (conventions C-10): the filter grammar, ordering and paging.
//!
//! A request is parsed once into a [`Search`]: attribute names are resolved, needles lowercased,
//! dates parsed and relative dates ("less than 7 days") turned into fixed instants. Matching then
//! reads stored records in place through the [`Record`] trait, without building their JSON and,
//! for ASCII text, without allocating, so a scan over a large pool stays cheap while the caller
//! holds the read lock. Only the records of the requested page are fully sorted.
//!
//! The same grammar, and this one parser ([`Search::parse`]), serves `POST /v0/users/find`,
//! `GET /v0/users` and `POST /v0/tenants/{tenantId}/tenants/find`; nothing here knows about
//! HTTP. Members the grammar does not have are refused, never ignored.
//!
//! Here: the compiled [`Search`], the scan and its ordering. The grammar that builds it is in
//! `grammar`, the evaluation of filters against records in `matching`, users and tenants as
//! records in `records`.

mod grammar;
mod matching;
mod records;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use super::Realm;
use super::clock::{DAY, Millis, format_iso, parse_iso};
use super::model::{Object, Tenant, User};
use super::views::{PAGE_SIZE, tenant_image, user_image};
use crate::error::{Error, Result, msg};
use grammar::*;
use matching::*;
pub use records::*;

/// A user's role assignments: tenant id → role names.
pub type Roles = BTreeMap<Box<str>, Vec<Box<str>>>;

/// An attribute value as a filter sees it, borrowed from the record.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    /// Absent or `null`.
    Missing,
    Str(&'a str),
    Uuid(Uuid),
    Bool(bool),
    Num(f64),
    Date(Millis),
    Array(&'a [Value]),
    /// A JSON object (only `is unknown` / `has any value` can say something about it).
    Object,
    Roles(&'a Roles),
}

impl<'a> From<&'a Value> for Val<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => Val::Missing,
            Value::String(s) => Val::Str(s),
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Val::Missing, Val::Num),
            Value::Array(a) => Val::Array(a),
            Value::Object(_) => Val::Object,
        }
    }
}

/// What results can be ordered by (conventions C-10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    LastActiveAt,
    CreatedAt,
    UpdatedAt,
    Name,
    Username,
}

impl SortKey {
    fn parse(name: &str) -> Option<SortKey> {
        Some(match name {
            "lastActiveAt" => SortKey::LastActiveAt,
            "createdAt" => SortKey::CreatedAt,
            "updatedAt" => SortKey::UpdatedAt,
            "name" => SortKey::Name,
            "username" => SortKey::Username,
            _ => return None,
        })
    }
}

/// A sort value of a record; `Date(None)` sorts last in both directions.
#[derive(Clone, Copy, Debug)]
pub enum SortValue<'a> {
    Date(Option<Millis>),
    Text(&'a str),
}

/// Something searchable: users and tenants.
pub trait Record {
    /// A plain attribute of the record (not `data.*`, not `role`).
    type Field: Copy;
    /// What attributes read that is not in the record itself (the realm: mode, workspace).
    type Ctx: ?Sized;
    /// The `order` attributes this record allows.
    const SORT_KEYS: &'static [SortKey];
    /// Whether the `role` attribute exists.
    const HAS_ROLES: bool;

    /// Resolves a top-level attribute name.
    fn field_named(name: &str) -> Option<Self::Field>;
    /// Reads a plain attribute.
    fn get<'a>(&'a self, field: Self::Field, ctx: &'a Self::Ctx) -> Val<'a>;
    /// The custom `data` object.
    fn data(&self) -> &Object;
    /// Role assignments (users only).
    fn roles(&self) -> Option<&Roles>;
    /// The value ordered by.
    fn sort_value(&self, key: SortKey) -> SortValue<'_>;
    /// The tie-breaker: `userId` / `tenantId` ascending.
    fn tie(&self, other: &Self) -> Ordering;
}

/// `and` / `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conjunction {
    And,
    Or,
}

impl Conjunction {
    fn parse(v: Option<&Value>) -> Result<Self> {
        match v {
            None | Some(Value::Null) => Ok(Conjunction::And),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("and") => Ok(Conjunction::And),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("or") => Ok(Conjunction::Or),
            _ => Err(invalid()),
        }
    }

    fn combine<T>(self, items: &[T], test: impl Fn(&T) -> bool) -> bool {
        match self {
            Conjunction::And => items.iter().all(test),
            Conjunction::Or => items.iter().any(test),
        }
    }
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// The attribute a filter reads.
#[derive(Clone, Debug)]
enum Attr<F> {
    Field(F),
    /// `data.<path>`, split at the dots.
    Data(Box<[Box<str>]>),
    Role,
}

/// A text comparison; the needle is lowercase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextOp {
    Is,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

/// A scalar a filter compares array elements with; text is lowercase.
#[derive(Clone, Debug)]
enum Scalar {
    Text(Box<str>),
    Num(f64),
    Bool(bool),
}

/// `tenantId` or `tenantId:role` of a role search, lowercase and trimmed.
#[derive(Clone, Debug)]
struct RoleRef {
    tenant: Box<str>,
    role: Option<Box<str>>,
}

/// A compiled comparison.
#[derive(Clone, Debug)]
enum Test {
    Text(TextOp, Box<str>),
    Unknown,
    AnyValue,
    Bool {
        want: bool,
        negate: bool,
    },
    NumIs(f64),
    NumMore(f64),
    NumLess(f64),
    /// Strictly before.
    Before(Millis),
    /// Strictly after.
    After(Millis),
    /// Inclusive.
    Between(Millis, Millis),
    ArrContains(Scalar),
    ArrNotContains(Scalar),
    ArrAny(Option<Vec<Scalar>>),
    RoleIs(RoleRef),
    RoleNot(RoleRef),
    RoleAny(Vec<RoleRef>),
    RoleText(TextOp, Box<str>),
}

#[derive(Clone, Debug)]
struct Filter<F> {
    attr: Attr<F>,
    test: Test,
}

#[derive(Clone, Debug)]
struct Group<F> {
    conjunction: Conjunction,
    filters: Vec<Filter<F>>,
}

/// A parsed search request.
#[derive(Clone, Debug)]
pub struct Search<R: Record> {
    conjunction: Conjunction,
    /// Groups without filters are dropped; no groups = everything matches.
    groups: Vec<Group<R::Field>>,
    pub order: (SortKey, Direction),
    /// 1-based.
    pub page: usize,
}

/// One page of results.
#[derive(Debug)]
pub struct Page<'a, R> {
    pub total: usize,
    pub results: Vec<&'a R>,
}

/// Records evaluated together in a scan (see [`Search::run`]); at most 63.
const BLOCK: usize = 32;

/// The search parameters as sent: `filters` (object, or JSON text), `order`, `page`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Params<'a> {
    pub filters: Option<&'a Value>,
    pub order: Option<&'a Value>,
    pub page: Option<&'a Value>,
}

impl<R: Record> Search<R> {
    /// Parses a request; `now` fixes relative dates. 400 `Invalid filters`, `Invalid order`, or
    /// a `"page"` message for malformed input.
    pub fn parse(params: Params<'_>, now: Millis) -> Result<Self> {
        let page = match params.page {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|&p| p >= 1)
                .and_then(|p| usize::try_from(p).ok())
                .ok_or_else(|| Error::bad_request("\"page\" must be a positive integer"))?,
        };
        let order = match params.order {
            None | Some(Value::Null) => (SortKey::LastActiveAt, Direction::Desc),
            Some(Value::String(s)) => parse_order(s, R::SORT_KEYS)?,
            Some(_) => return Err(Error::bad_request(msg::INVALID_ORDER)),
        };
        let parsed_text;
        let filters = match params.filters {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => {
                parsed_text = serde_json::from_str::<Value>(text).map_err(|_| invalid())?;
                Some(&parsed_text)
            }
            Some(v) => Some(v),
        };
        let (conjunction, groups) = match filters {
            None => (Conjunction::And, Vec::new()),
            Some(Value::Object(f)) => {
                only_members(f, &["conjunction", "filterGroups"])?;
                let conjunction = Conjunction::parse(f.get("conjunction"))?;
                let groups = match f.get("filterGroups") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(groups)) => groups
                        .iter()
                        .map(|g| parse_group::<R>(g, now))
                        .collect::<Result<Vec<_>>>()?,
                    Some(_) => return Err(invalid()),
                };
                (
                    conjunction,
                    groups
                        .into_iter()
                        .filter(|g| !g.filters.is_empty())
                        .collect(),
                )
            }
            Some(_) => return Err(invalid()),
        };
        Ok(Search {
            conjunction,
            groups,
            order,
            page,
        })
    }

    /// Whether a record passes the filters.
    pub fn matches(&self, record: &R, ctx: &R::Ctx) -> bool {
        self.groups.is_empty()
            || self.conjunction.combine(&self.groups, |g| {
                g.conjunction
                    .combine(&g.filters, |f| filter_matches(f, record, ctx))
            })
    }

    /// Evaluates the filters for a block of records (at most [`BLOCK`]) one filter at a time,
    /// and returns the bit set of the records that pass. Before a filter runs, the values it
    /// reads are touched for every record it still has to decide: those loads are independent,
    /// so their cache misses overlap instead of stalling the evaluation record by record. The
    /// result is the same as [`Search::matches`] on each record.
    fn block_matches(&self, block: &[&R], ctx: &R::Ctx) -> u64 {
        let all: u64 = (1 << block.len()) - 1;
        if self.groups.is_empty() {
            return all;
        }
        let mut passed = match self.conjunction {
            Conjunction::And => all,
            Conjunction::Or => 0,
        };
        for group in &self.groups {
            // Records whose overall result this group can still change.
            let open = match self.conjunction {
                Conjunction::And => passed,
                Conjunction::Or => all & !passed,
            };
            let mut result = match group.conjunction {
                Conjunction::And => open,
                Conjunction::Or => 0,
            };
            let mut undecided = open;
            for filter in &group.filters {
                if undecided == 0 {
                    break;
                }
                let bits = || (0..block.len()).filter(move |&i| undecided & (1 << i) != 0);
                let warmth =
                    bits().fold(0u8, |acc, i| acc ^ touch(read(&filter.attr, block[i], ctx)));
                std::hint::black_box(warmth);
                for i in bits() {
                    let hit = filter_matches(filter, block[i], ctx);
                    match (group.conjunction, hit) {
                        (Conjunction::And, false) => {
                            result &= !(1 << i);
                            undecided &= !(1 << i);
                        }
                        (Conjunction::Or, true) => {
                            result |= 1 << i;
                            undecided &= !(1 << i);
                        }
                        _ => {}
                    }
                }
            }
            passed = match self.conjunction {
                Conjunction::And => passed & result,
                Conjunction::Or => passed | result,
            };
        }
        passed
    }

    /// Filters, orders and cuts out the requested page (24 records). Only the records up to the
    /// end of the page are sorted; a page past the end is empty.
    pub fn run<'a>(&self, records: impl Iterator<Item = &'a R>, ctx: &R::Ctx) -> Page<'a, R>
    where
        R: 'a,
    {
        let mut matched: Vec<&'a R> = Vec::new();
        let mut records = records.peekable();
        let mut block = Vec::with_capacity(BLOCK);
        while records.peek().is_some() {
            block.clear();
            block.extend(records.by_ref().take(BLOCK));
            let passed = self.block_matches(&block, ctx);
            matched.extend(
                block
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| passed & (1 << i) != 0)
                    .map(|(_, r)| *r),
            );
        }
        let total = matched.len();
        let start = (self.page - 1).saturating_mul(PAGE_SIZE);
        if start >= total {
            return Page {
                total,
                results: Vec::new(),
            };
        }
        let end = (start + PAGE_SIZE).min(total);
        let (key, direction) = self.order;
        let cmp = |a: &&R, b: &&R| compare(*a, *b, key, direction);
        if end < total {
            matched.select_nth_unstable_by(end, cmp);
            matched.truncate(end);
        }
        matched.sort_unstable_by(cmp);
        matched.drain(..start);
        Page {
            total,
            results: matched,
        }
    }
}

/// Total order of results: the sort value (nulls last either way), then the tie-breaker.
fn compare<R: Record>(a: &R, b: &R, key: SortKey, direction: Direction) -> Ordering {
    let directed = |o: Ordering| match direction {
        Direction::Asc => o,
        Direction::Desc => o.reverse(),
    };
    let by_value = match (a.sort_value(key), b.sort_value(key)) {
        (SortValue::Date(x), SortValue::Date(y)) => match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => directed(x.cmp(&y)),
        },
        (SortValue::Text(x), SortValue::Text(y)) => directed(cmp_folded(x, y)),
        _ => Ordering::Equal,
    };
    by_value.then_with(|| a.tie(b))
}

/// Case-insensitive order of two strings, then exact order so equal-looking names stay stable.
fn cmp_folded(a: &str, b: &str) -> Ordering {
    let folded = if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    };
    folded.then_with(|| a.cmp(b))
}
