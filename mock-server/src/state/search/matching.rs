//! Evaluating compiled filters against a record: attribute access ([`read`]), the comparisons,
//! and case-insensitive text matching that decides from the bytes when they are ASCII.

use super::*;

pub(super) fn read<'a, R: Record>(
    attr: &Attr<R::Field>,
    record: &'a R,
    ctx: &'a R::Ctx,
) -> Val<'a> {
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
pub(super) fn member<'a>(object: &'a Object, key: &str) -> Option<&'a Value> {
    if object.len() <= 8 {
        object.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        object.get(key)
    }
}

/// Reads the first and last byte of a text value, to bring it into the cache.
pub(super) fn touch(val: Val<'_>) -> u8 {
    match val {
        Val::Str(s) => {
            let b = s.as_bytes();
            b.first().copied().unwrap_or(0) ^ b.last().copied().unwrap_or(0)
        }
        _ => 0,
    }
}

pub(super) fn filter_matches<R: Record>(
    filter: &Filter<R::Field>,
    record: &R,
    ctx: &R::Ctx,
) -> bool {
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
pub(super) fn is_unknown(val: Val<'_>) -> bool {
    match val {
        Val::Missing | Val::Str("") => true,
        Val::Roles(roles) => roles.values().all(Vec::is_empty),
        _ => false,
    }
}

/// Runs `f` on the text form of a value (`None` for arrays, objects and missing values),
/// without allocating for strings, UUIDs and booleans.
pub(super) fn with_text<T>(val: Val<'_>, f: impl FnOnce(Option<&str>) -> T) -> T {
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

pub(super) fn text_matches(op: TextOp, text: Option<&str>, needle: &str) -> bool {
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
pub(super) fn eq_folded(hay: &str, needle: &str) -> bool {
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

pub(super) fn contains_folded(hay: &str, needle: &str) -> bool {
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
pub(super) fn ascii_region_eq(region: &[u8], needle: &[u8]) -> Option<bool> {
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

pub(super) fn starts_folded(hay: &str, needle: &str) -> bool {
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

pub(super) fn ends_folded(hay: &str, needle: &str) -> bool {
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
pub(super) fn as_bool(val: Val<'_>) -> Option<bool> {
    match val {
        Val::Bool(b) => Some(b),
        Val::Missing => Some(false),
        Val::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Val::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

pub(super) fn as_num(val: Val<'_>) -> Option<f64> {
    match val {
        Val::Num(n) => Some(n),
        Val::Str(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

pub(super) fn as_date(val: Val<'_>) -> Option<Millis> {
    match val {
        Val::Date(t) => Some(t),
        Val::Str(s) => parse_iso(s),
        _ => None,
    }
}

pub(super) fn array_has(val: Val<'_>, wanted: &Scalar) -> bool {
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

pub(super) fn has_role(val: Val<'_>, wanted: &RoleRef) -> bool {
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
pub(super) fn role_text(val: Val<'_>, op: TextOp, needle: &str) -> bool {
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
