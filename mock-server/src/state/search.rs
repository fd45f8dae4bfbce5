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

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use super::Realm;
use super::clock::{DAY, Millis, format_iso, parse_iso};
use super::model::{Object, Tenant, User};
use super::views::{PAGE_SIZE, tenant_image, user_image};
use crate::error::{Error, Result, msg};

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

fn invalid() -> Error {
    Error::bad_request(msg::INVALID_FILTERS)
}

/// Refuses members the grammar of C-10.3 does not have (`$where`, `$or`, a misspelt
/// `filtergroups`...): ignoring them would silently widen a search to every record, which is
/// the opposite of what whoever wrote them meant.
fn only_members(object: &serde_json::Map<String, Value>, allowed: &[&str]) -> Result<()> {
    if object.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(invalid())
    }
}

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

fn parse_order(text: &str, allowed: &[SortKey]) -> Result<(SortKey, Direction)> {
    let bad = || Error::bad_request(msg::INVALID_ORDER);
    let (attr, direction) = text.trim().rsplit_once('_').ok_or_else(bad)?;
    let direction = if direction.eq_ignore_ascii_case("asc") {
        Direction::Asc
    } else if direction.eq_ignore_ascii_case("desc") {
        Direction::Desc
    } else {
        return Err(bad());
    };
    let key = SortKey::parse(attr)
        .filter(|k| allowed.contains(k))
        .ok_or_else(bad)?;
    Ok((key, direction))
}

fn parse_group<R: Record>(group: &Value, now: Millis) -> Result<Group<R::Field>> {
    let group = group.as_object().ok_or_else(invalid)?;
    only_members(group, &["conjunction", "filters"])?;
    let conjunction = Conjunction::parse(group.get("conjunction"))?;
    let filters = match group.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(filters)) => filters
            .iter()
            .map(|f| parse_filter::<R>(f, now))
            .collect::<Result<Vec<_>>>()?,
        Some(_) => return Err(invalid()),
    };
    Ok(Group {
        conjunction,
        filters,
    })
}

fn parse_attr<R: Record>(name: &str) -> Result<Attr<R::Field>> {
    if let Some(path) = name.strip_prefix("data.") {
        let parts: Box<[Box<str>]> = path.split('.').map(Into::into).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(invalid());
        }
        return Ok(Attr::Data(parts));
    }
    if name == "data" {
        return Ok(Attr::Data(Box::new([])));
    }
    if name == "role" && R::HAS_ROLES {
        return Ok(Attr::Role);
    }
    R::field_named(name).map(Attr::Field).ok_or_else(invalid)
}

fn lower(s: &str) -> Box<str> {
    s.to_lowercase().into()
}

fn scalar(v: &Value) -> Result<Scalar> {
    match v {
        Value::String(s) => Ok(Scalar::Text(lower(s))),
        Value::Number(n) => n.as_f64().map(Scalar::Num).ok_or_else(invalid),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        _ => Err(invalid()),
    }
}

fn role_ref(v: &Value) -> Result<RoleRef> {
    let text = v.as_str().ok_or_else(invalid)?;
    let (tenant, role) = match text.split_once(':') {
        Some((t, r)) => (t.trim(), Some(r.trim()).filter(|r| !r.is_empty())),
        None => (text.trim(), None),
    };
    if tenant.is_empty() {
        return Err(invalid());
    }
    Ok(RoleRef {
        tenant: lower(tenant),
        role: role.map(lower),
    })
}

/// A date value: an ISO date or date-time string.
fn date(v: &Value) -> Result<Millis> {
    v.as_str().and_then(parse_iso).ok_or_else(invalid)
}

/// A number of days: a non-negative number, or its text.
fn days(v: &Value) -> Result<Millis> {
    let n = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|n: &f64| n.is_finite() && *n >= 0.0 && *n < 1e7)
        .ok_or_else(invalid)?;
    Ok((n * DAY as f64) as Millis)
}

fn parse_filter<R: Record>(filter: &Value, now: Millis) -> Result<Filter<R::Field>> {
    let f = filter.as_object().ok_or_else(invalid)?;
    only_members(f, &["attr", "type", "comparison", "value"])?;
    let text = |key: &str| f.get(key).and_then(Value::as_str).ok_or_else(invalid);
    let attr = parse_attr::<R>(text("attr")?.trim())?;
    let kind = text("type")?.trim().to_ascii_lowercase();
    let comparison = text("comparison")?.trim().to_ascii_lowercase();
    let value = f.get("value").unwrap_or(&Value::Null);
    let needle = || value.as_str().map(lower).ok_or_else(invalid);
    let is_role = matches!(attr, Attr::Role);
    let test = match (kind.as_str(), comparison.as_str()) {
        ("string", "is unknown") => Test::Unknown,
        ("string", "has any value") => Test::AnyValue,
        ("string", "is") if is_role => Test::RoleIs(role_ref(value)?),
        ("string", op) => {
            let op = match op {
                "is" => TextOp::Is,
                "contains" => TextOp::Contains,
                "does not contain" => TextOp::NotContains,
                "starts with" => TextOp::StartsWith,
                "ends with" => TextOp::EndsWith,
                _ => return Err(invalid()),
            };
            if is_role {
                Test::RoleText(op, needle()?)
            } else {
                Test::Text(op, needle()?)
            }
        }
        ("boolean", "is" | "is not") => Test::Bool {
            want: value.as_bool().ok_or_else(invalid)?,
            negate: comparison == "is not",
        },
        ("number", op) => {
            let n = value.as_f64().ok_or_else(invalid)?;
            match op {
                "is" => Test::NumIs(n),
                "more than" => Test::NumMore(n),
                "less than" => Test::NumLess(n),
                _ => return Err(invalid()),
            }
        }
        ("date", "before") => Test::Before(date(value)?),
        ("date", "after") => Test::After(date(value)?),
        ("date", "between") => match value.as_array().map(Vec::as_slice) {
            Some([start, end]) => {
                let start = date(start)?;
                let end_text = end.as_str().ok_or_else(invalid)?;
                // A date without a time covers that whole day.
                let end = date(end)?
                    + if end_text.trim().len() == 10 {
                        DAY - 1
                    } else {
                        0
                    };
                Test::Between(start, end)
            }
            _ => return Err(invalid()),
        },
        ("date", "less than") => Test::After(now - days(value)?),
        ("date", "more than") => Test::Before(now - days(value)?),
        ("array", "contains") if is_role => Test::RoleIs(role_ref(value)?),
        ("array", "does not contain") if is_role => Test::RoleNot(role_ref(value)?),
        ("array", "any") if is_role => match value {
            Value::Null => Test::AnyValue,
            Value::Array(items) => {
                Test::RoleAny(items.iter().map(role_ref).collect::<Result<_>>()?)
            }
            _ => return Err(invalid()),
        },
        ("array", "contains") => Test::ArrContains(scalar(value)?),
        ("array", "does not contain") => Test::ArrNotContains(scalar(value)?),
        ("array", "any") => match value {
            Value::Null => Test::ArrAny(None),
            Value::Array(items) => {
                Test::ArrAny(Some(items.iter().map(scalar).collect::<Result<_>>()?))
            }
            _ => return Err(invalid()),
        },
        _ => return Err(invalid()),
    };
    Ok(Filter { attr, test })
}

fn read<'a, R: Record>(attr: &Attr<R::Field>, record: &'a R, ctx: &'a R::Ctx) -> Val<'a> {
    match attr {
        Attr::Field(f) => record.get(*f, ctx),
        Attr::Role => record.roles().map_or(Val::Missing, Val::Roles),
        Attr::Data(path) => {
            let Some((first, rest)) = path.split_first() else {
                return Val::Object;
            };
            let mut current = member(record.data(), first);
            for key in rest {
                current = current
                    .and_then(Value::as_object)
                    .and_then(|o| member(o, key));
            }
            current.map_or(Val::Missing, Val::from)
        }
    }
}

/// A member of a JSON object. Small objects (custom data usually is one) are searched in
/// order: comparing a few key lengths is cheaper than hashing the key and probing a table.
fn member<'a>(object: &'a Object, key: &str) -> Option<&'a Value> {
    if object.len() <= 8 {
        object.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        object.get(key)
    }
}

/// Reads the first and last byte of a text value, to bring it into the cache.
fn touch(val: Val<'_>) -> u8 {
    match val {
        Val::Str(s) => {
            let b = s.as_bytes();
            b.first().copied().unwrap_or(0) ^ b.last().copied().unwrap_or(0)
        }
        _ => 0,
    }
}

fn filter_matches<R: Record>(filter: &Filter<R::Field>, record: &R, ctx: &R::Ctx) -> bool {
    let val = read(&filter.attr, record, ctx);
    match &filter.test {
        Test::Unknown => is_unknown(val),
        Test::AnyValue => !is_unknown(val),
        Test::Text(op, needle) => with_text(val, |text| text_matches(*op, text, needle)),
        Test::Bool { want, negate } => {
            let equal = as_bool(val) == Some(*want);
            equal != *negate
        }
        Test::NumIs(n) => as_num(val).is_some_and(|x| x == *n),
        Test::NumMore(n) => as_num(val).is_some_and(|x| x > *n),
        Test::NumLess(n) => as_num(val).is_some_and(|x| x < *n),
        Test::Before(t) => as_date(val).is_some_and(|x| x < *t),
        Test::After(t) => as_date(val).is_some_and(|x| x > *t),
        Test::Between(a, b) => as_date(val).is_some_and(|x| *a <= x && x <= *b),
        Test::ArrContains(s) => array_has(val, s),
        Test::ArrNotContains(s) => !array_has(val, s),
        Test::ArrAny(None) => matches!(val, Val::Array(items) if !items.is_empty()),
        Test::ArrAny(Some(list)) => list.iter().any(|s| array_has(val, s)),
        Test::RoleIs(r) => has_role(val, r),
        Test::RoleNot(r) => !has_role(val, r),
        Test::RoleAny(list) => list.iter().any(|r| has_role(val, r)),
        Test::RoleText(op, needle) => role_text(val, *op, needle),
    }
}

/// Missing, `null`, `""`, or a user without any role.
fn is_unknown(val: Val<'_>) -> bool {
    match val {
        Val::Missing | Val::Str("") => true,
        Val::Roles(roles) => roles.values().all(Vec::is_empty),
        _ => false,
    }
}

/// Runs `f` on the text form of a value (`None` for arrays, objects and missing values),
/// without allocating for strings, UUIDs and booleans.
fn with_text<T>(val: Val<'_>, f: impl FnOnce(Option<&str>) -> T) -> T {
    match val {
        Val::Str(s) => f(Some(s)),
        Val::Uuid(u) => {
            let mut buf = [0u8; 36];
            f(Some(u.hyphenated().encode_lower(&mut buf)))
        }
        Val::Bool(b) => f(Some(if b { "true" } else { "false" })),
        Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => f(Some(&(n as i64).to_string())),
        Val::Num(n) => f(Some(&n.to_string())),
        Val::Date(t) => f(Some(&format_iso(t))),
        Val::Missing | Val::Array(_) | Val::Object | Val::Roles(_) => f(None),
    }
}

fn text_matches(op: TextOp, text: Option<&str>, needle: &str) -> bool {
    match (op, text) {
        (TextOp::NotContains, None) => true,
        (_, None) => false,
        (TextOp::Is, Some(t)) => eq_folded(t, needle),
        (TextOp::Contains, Some(t)) => contains_folded(t, needle),
        (TextOp::NotContains, Some(t)) => !contains_folded(t, needle),
        (TextOp::StartsWith, Some(t)) => starts_folded(t, needle),
        (TextOp::EndsWith, Some(t)) => ends_folded(t, needle),
    }
}

// Case-insensitive comparisons against a lowercase needle. They mean exactly "the lowercase of
// `hay` (Unicode rules) equals / contains / starts with / ends with `needle`", but decide from
// the bytes when the bytes involved are ASCII, which is what a scan over a large pool meets, and
// allocate a lowercase copy only otherwise.

/// `hay` equals the lowercase `needle`, ignoring case.
fn eq_folded(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_ascii() {
        let decided = if h.len() == n.len() {
            ascii_region_eq(h, n)
        } else {
            h.is_ascii().then_some(false)
        };
        if let Some(result) = decided {
            return result;
        }
    }
    hay.to_lowercase() == needle
}

fn contains_folded(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.is_ascii() {
        // A window equal to an ASCII needle is itself ASCII, so a hit is exact.
        if h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n)) {
            return true;
        }
        if h.is_ascii() {
            return false;
        }
    }
    hay.to_lowercase().contains(needle)
}

/// Compares a region of `hay` with an equally long ASCII lowercase needle, ignoring ASCII case.
/// `None` when the region holds non-ASCII bytes (then only a Unicode comparison can tell).
///
/// Eight bytes at a time and without early exit: in a scan over a large pool the bytes arrive
/// from cache misses, and the fewer instructions and branches per record, the more of those
/// misses the processor overlaps.
fn ascii_region_eq(region: &[u8], needle: &[u8]) -> Option<bool> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    fn load(bytes: &[u8]) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[..8]);
        u64::from_le_bytes(word)
    }
    /// ASCII-lowercases every byte of a word (bytes >= 0x80 are reported separately).
    fn fold(x: u64) -> u64 {
        let low = x & (0x7f * ONES);
        let above_z = low + (0x25 * ONES);
        let from_a = low + (0x3f * ONES);
        x | ((from_a & !above_z & (0x80 * ONES)) >> 2)
    }
    let len = region.len().min(needle.len());
    let (mut diff, mut high) = (0u64, 0u64);
    if len >= 8 {
        let mut i = 0;
        while i + 8 <= len {
            let word = load(&region[i..]);
            diff |= fold(word) ^ load(&needle[i..]);
            high |= word;
            i += 8;
        }
        if i < len {
            let word = load(&region[len - 8..]);
            diff |= fold(word) ^ load(&needle[len - 8..]);
            high |= word;
        }
    } else {
        for (a, b) in region.iter().zip(needle) {
            diff |= u64::from(a.to_ascii_lowercase() ^ b);
            high |= u64::from(*a);
        }
    }
    (high & (0x80 * ONES) == 0).then_some(diff == 0)
}

fn starts_folded(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_ascii() {
        let decided = match h.get(..n.len()) {
            Some(head) => ascii_region_eq(head, n),
            None => h.is_ascii().then_some(false),
        };
        if let Some(result) = decided {
            return result;
        }
    }
    hay.to_lowercase().starts_with(needle)
}

fn ends_folded(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_ascii() {
        let decided = match h.len().checked_sub(n.len()) {
            Some(from) => ascii_region_eq(&h[from..], n),
            None => h.is_ascii().then_some(false),
        };
        if let Some(result) = decided {
            return result;
        }
    }
    hay.to_lowercase().ends_with(needle)
}

/// Booleans, `"true"`/`"false"`, and missing values (which count as false).
fn as_bool(val: Val<'_>) -> Option<bool> {
    match val {
        Val::Bool(b) => Some(b),
        Val::Missing => Some(false),
        Val::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Val::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn as_num(val: Val<'_>) -> Option<f64> {
    match val {
        Val::Num(n) => Some(n),
        Val::Str(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

fn as_date(val: Val<'_>) -> Option<Millis> {
    match val {
        Val::Date(t) => Some(t),
        Val::Str(s) => parse_iso(s),
        _ => None,
    }
}

fn array_has(val: Val<'_>, wanted: &Scalar) -> bool {
    let Val::Array(items) = val else {
        return false;
    };
    items.iter().any(|item| match (item, wanted) {
        (Value::String(s), Scalar::Text(t)) => eq_folded(s, t),
        (Value::Number(n), Scalar::Num(x)) => n.as_f64() == Some(*x),
        (Value::Bool(b), Scalar::Bool(x)) => b == x,
        _ => false,
    })
}

fn has_role(val: Val<'_>, wanted: &RoleRef) -> bool {
    let Val::Roles(roles) = val else {
        return false;
    };
    roles
        .iter()
        .find(|(tenant, _)| eq_folded(tenant, &wanted.tenant))
        .is_some_and(|(_, names)| match &wanted.role {
            None => !names.is_empty(),
            Some(role) => names.iter().any(|n| eq_folded(n, role)),
        })
}

/// Text comparisons against each assignment written as `tenantId:role`; `does not contain`
/// holds when no assignment contains the needle.
fn role_text(val: Val<'_>, op: TextOp, needle: &str) -> bool {
    let Val::Roles(roles) = val else {
        return op == TextOp::NotContains;
    };
    let mut assignments = roles
        .iter()
        .flat_map(|(tenant, names)| names.iter().map(move |n| format!("{tenant}:{n}")));
    match op {
        TextOp::NotContains => assignments.all(|a| !contains_folded(&a, needle)),
        _ => assignments.any(|a| text_matches(op, Some(&a), needle)),
    }
}

// ---------------------------------------------------------------------------------------------
// Users and tenants as records

/// Searchable attributes of a user (the scalar members of the User object, C-16.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserField {
    Mode,
    UserId,
    UserUuid,
    TenantId,
    Username,
    Email,
    Name,
    Image,
    PhoneNumber,
    Locked,
    IsMfaRequired,
    IsEmailConfirmed,
    IsPhoneNumberConfirmed,
    ConfirmedEmailAt,
    ConfirmedPhoneNumberAt,
    LastActiveAt,
    LastMessagedAt,
    CreatedAt,
    UpdatedAt,
}

impl Record for User {
    type Field = UserField;
    type Ctx = Realm;
    const SORT_KEYS: &'static [SortKey] = &[
        SortKey::LastActiveAt,
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
        SortKey::Name,
        SortKey::Username,
    ];
    const HAS_ROLES: bool = true;

    fn field_named(name: &str) -> Option<UserField> {
        use UserField::*;
        Some(match name {
            "mode" => Mode,
            "userId" => UserId,
            "userUuid" | "uuid" => UserUuid,
            "tenantId" => TenantId,
            "username" => Username,
            "email" => Email,
            "name" => Name,
            "image" => Image,
            "phoneNumber" => PhoneNumber,
            "locked" => Locked,
            "isMfaRequired" => IsMfaRequired,
            "isEmailConfirmed" | "isConfirmed" => IsEmailConfirmed,
            "isPhoneNumberConfirmed" => IsPhoneNumberConfirmed,
            "confirmedEmailAt" | "confirmedAt" => ConfirmedEmailAt,
            "confirmedPhoneNumberAt" => ConfirmedPhoneNumberAt,
            "lastActiveAt" => LastActiveAt,
            "lastMessagedAt" => LastMessagedAt,
            "createdAt" => CreatedAt,
            "updatedAt" => UpdatedAt,
            _ => return None,
        })
    }

    fn get<'a>(&'a self, field: UserField, realm: &'a Realm) -> Val<'a> {
        let date = |t: Option<Millis>| t.map_or(Val::Missing, Val::Date);
        match field {
            UserField::Mode => Val::Str(realm.mode.as_str()),
            UserField::UserId => Val::Num(self.user_id as f64),
            UserField::UserUuid => Val::Uuid(self.user_uuid),
            UserField::TenantId => Val::Str(&realm.workspace_id),
            UserField::Username => Val::Str(&self.username),
            UserField::Email => Val::Str(&self.email),
            UserField::Name => Val::Str(&self.name),
            UserField::Image => Val::Str(user_image(self)),
            UserField::PhoneNumber => self.phone_number.as_deref().map_or(Val::Missing, Val::Str),
            UserField::Locked => Val::Bool(self.locked),
            UserField::IsMfaRequired => Val::Bool(self.is_mfa_required),
            UserField::IsEmailConfirmed => Val::Bool(self.is_email_confirmed()),
            UserField::IsPhoneNumberConfirmed => Val::Bool(self.is_phone_number_confirmed()),
            UserField::ConfirmedEmailAt => date(self.confirmed_email_at),
            UserField::ConfirmedPhoneNumberAt => date(self.confirmed_phone_number_at),
            UserField::LastActiveAt => date(self.last_active_at),
            UserField::LastMessagedAt => date(self.last_messaged_at),
            UserField::CreatedAt => Val::Date(self.created_at),
            UserField::UpdatedAt => Val::Date(self.updated_at),
        }
    }

    fn data(&self) -> &Object {
        &self.data
    }

    fn roles(&self) -> Option<&Roles> {
        Some(&self.roles)
    }

    fn sort_value(&self, key: SortKey) -> SortValue<'_> {
        match key {
            SortKey::LastActiveAt => SortValue::Date(self.last_active_at),
            SortKey::CreatedAt => SortValue::Date(Some(self.created_at)),
            SortKey::UpdatedAt => SortValue::Date(Some(self.updated_at)),
            SortKey::Name => SortValue::Text(&self.name),
            SortKey::Username => SortValue::Text(&self.username),
        }
    }

    fn tie(&self, other: &Self) -> Ordering {
        self.user_id.cmp(&other.user_id)
    }
}

/// Searchable attributes of a tenant (scalar members of the Tenant object, C-16.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantField {
    Mode,
    TenantId,
    Uuid,
    AliasId,
    Name,
    Image,
    Type,
    ParentId,
    CreatedAt,
    UpdatedAt,
    LastActiveAt,
}

impl Record for Tenant {
    type Field = TenantField;
    type Ctx = Realm;
    const SORT_KEYS: &'static [SortKey] = &[
        SortKey::LastActiveAt,
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
        SortKey::Name,
    ];
    const HAS_ROLES: bool = false;

    fn field_named(name: &str) -> Option<TenantField> {
        use TenantField::*;
        Some(match name {
            "mode" => Mode,
            "tenantId" => TenantId,
            "uuid" => Uuid,
            "aliasId" => AliasId,
            "name" => Name,
            "image" => Image,
            "type" => Type,
            "parentId" => ParentId,
            "createdAt" => CreatedAt,
            "updatedAt" => UpdatedAt,
            "lastActiveAt" => LastActiveAt,
            _ => return None,
        })
    }

    fn get<'a>(&'a self, field: TenantField, realm: &'a Realm) -> Val<'a> {
        let text = |s: Option<&'a str>| s.map_or(Val::Missing, Val::Str);
        match field {
            TenantField::Mode => Val::Str(realm.mode.as_str()),
            TenantField::TenantId => Val::Str(&self.tenant_id),
            TenantField::Uuid => Val::Uuid(self.uuid),
            TenantField::AliasId => text(self.settings.alias_id.as_deref()),
            TenantField::Name => Val::Str(&self.name),
            TenantField::Image => Val::Str(tenant_image(self)),
            TenantField::Type => Val::Str(&self.settings.tenant_type),
            TenantField::ParentId => text(self.parent_id.as_deref()),
            TenantField::CreatedAt => Val::Date(self.created_at),
            TenantField::UpdatedAt => Val::Date(self.updated_at),
            TenantField::LastActiveAt => self.last_active_at.map_or(Val::Missing, Val::Date),
        }
    }

    fn data(&self) -> &Object {
        &self.data
    }

    fn roles(&self) -> Option<&Roles> {
        None
    }

    fn sort_value(&self, key: SortKey) -> SortValue<'_> {
        match key {
            SortKey::LastActiveAt => SortValue::Date(self.last_active_at),
            SortKey::CreatedAt => SortValue::Date(Some(self.created_at)),
            SortKey::UpdatedAt => SortValue::Date(Some(self.updated_at)),
            SortKey::Name | SortKey::Username => SortValue::Text(&self.name),
        }
    }

    fn tie(&self, other: &Self) -> Ordering {
        self.tenant_id.cmp(&other.tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(filters: Value) -> Result<Search<User>> {
        Search::parse(
            Params {
                filters: Some(&filters),
                ..Params::default()
            },
            0,
        )
    }

    #[test]
    fn malformed_filters_are_refused() {
        let filter = |f: Value| json!({"conjunction": "and", "filterGroups": [{"conjunction": "or", "filters": [f]}]});
        for bad in [
            json!("not json"),
            json!(["a"]),
            json!({"conjunction": "xor", "filterGroups": []}),
            json!({"filterGroups": {}}),
            filter(json!({"attr": "email", "type": "text", "comparison": "is", "value": "a"})),
            filter(
                json!({"attr": "email", "type": "string", "comparison": "before", "value": "a"}),
            ),
            filter(json!({"attr": "email", "type": "string", "comparison": "is", "value": 3})),
            filter(
                json!({"attr": "locked", "type": "boolean", "comparison": "is", "value": "yes"}),
            ),
            filter(json!({"attr": "userId", "type": "number", "comparison": "is", "value": "1"})),
            filter(
                json!({"attr": "createdAt", "type": "date", "comparison": "before", "value": "soon"}),
            ),
            filter(
                json!({"attr": "createdAt", "type": "date", "comparison": "between", "value": ["2024-01-01"]}),
            ),
            filter(
                json!({"attr": "data.tags", "type": "array", "comparison": "any", "value": "x"}),
            ),
            filter(json!({"attr": "data..x", "type": "string", "comparison": "is", "value": "x"})),
            filter(json!({"attr": "nope", "type": "string", "comparison": "is", "value": "x"})),
            filter(
                json!({"attr": "role", "type": "string", "comparison": "is", "value": " : admin"}),
            ),
            filter(json!({"type": "string", "comparison": "is", "value": "x"})),
        ] {
            let err = parse(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(err.message, msg::INVALID_FILTERS, "{bad}");
        }
    }

    #[test]
    fn orders_and_pages_are_checked() {
        let order = |o: Value| {
            Search::<Tenant>::parse(
                Params {
                    order: Some(&o),
                    ..Params::default()
                },
                0,
            )
        };
        assert_eq!(
            order(json!("name_asc")).unwrap().order,
            (SortKey::Name, Direction::Asc)
        );
        for bad in [
            json!("username_ASC"),
            json!("name"),
            json!("name_UP"),
            json!(3),
        ] {
            assert_eq!(order(bad).unwrap_err().message, msg::INVALID_ORDER);
        }
        let page = |p: Value| {
            Search::<User>::parse(
                Params {
                    page: Some(&p),
                    ..Params::default()
                },
                0,
            )
        };
        assert_eq!(page(json!("3")).unwrap().page, 3);
        assert!(page(json!(0)).is_err());
        assert!(page(json!(-1)).is_err());
    }

    #[test]
    fn folded_text_comparisons() {
        assert!(eq_folded("Ana", "ana"));
        assert!(eq_folded("ÉLODIE", "élodie"));
        assert!(contains_folded("Hello World", "o w"));
        assert!(contains_folded("x", ""));
        assert!(!contains_folded("ab", "abc"));
        assert!(starts_folded("Straße", "stra"));
        assert!(ends_folded("A@Example.COM", "@example.com"));
        assert!(!ends_folded("m", "com"));
        assert_eq!(cmp_folded("alice", "Bob"), Ordering::Less);
        assert_eq!(cmp_folded("Bob", "bob"), Ordering::Less);
    }

    /// The block evaluation of [`Search::run`] agrees with [`Search::matches`] record by record,
    /// across block boundaries and for every combination of conjunctions.
    #[test]
    fn block_scan_agrees_with_per_record_matching() {
        let store = crate::state::Store::new(std::sync::Arc::new(
            crate::state::seed::Seed::embedded().expect("embedded seed"),
        ));
        let mut world = store.write();
        let realm = world
            .realm_of_mut("demo1234", crate::state::model::Mode::Test)
            .expect("demo realm");
        let template = realm.user(1).expect("seeded user").clone();
        for i in 10..150u64 {
            let mut u = template.clone();
            u.user_id = i;
            u.user_uuid = Uuid::from_u128(u128::from(i));
            u.email = format!("u{i}@d{}.com", i % 5).into();
            u.username = format!("user-{i}").into();
            u.name = if i % 4 == 0 {
                "Élodie".into()
            } else {
                format!("Name {}", i % 9).into()
            };
            u.locked = i % 3 == 0;
            u.last_active_at = (i % 2 == 0).then_some(i as Millis);
            u.data = json!({"n": i % 7, "tags": [i % 2, "x"]})
                .as_object()
                .cloned()
                .unwrap_or_default();
            realm.insert_user(u);
        }
        let realm = &*realm;
        let f = |attr: &str, kind: &str, comparison: &str, value: Value| json!({"attr": attr, "type": kind, "comparison": comparison, "value": value});
        let filters = [
            f("email", "string", "ends with", json!("@D1.com")),
            f("locked", "boolean", "is", json!(true)),
            f("data.n", "number", "more than", json!(3)),
            f("name", "string", "starts with", json!("élo")),
            f("data.tags", "array", "contains", json!("X")),
        ];
        for top in ["and", "or"] {
            for inner in ["and", "or"] {
                let search = parse(json!({"conjunction": top, "filterGroups": [
                    {"conjunction": inner, "filters": [filters[0], filters[1]]},
                    {"conjunction": inner, "filters": [filters[2], filters[3], filters[4]]},
                ]}))
                .expect("valid filters");
                let expected = realm
                    .users
                    .values()
                    .filter(|u| search.matches(u, realm))
                    .count();
                let found = search.run(realm.users.values(), realm);
                assert_eq!(found.total, expected, "{top}/{inner}");
                assert!(
                    expected > 0 && expected < realm.users.len(),
                    "{top}/{inner}"
                );
            }
        }
    }
}
