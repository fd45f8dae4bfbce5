//! The filter grammar of C-10.3: a request's `filters`, `order` and `page` parsed into the
//! compiled [`Filter`]s and [`Group`]s of a [`Search`]. Members the grammar does not have are
//! refused, never ignored.

use super::*;

pub(super) fn invalid() -> Error {
    Error::bad_request(msg::INVALID_FILTERS)
}

/// Refuses members the grammar of C-10.3 does not have (`$where`, `$or`, a misspelt
/// `filtergroups`...): ignoring them would silently widen a search to every record, which is
/// the opposite of what whoever wrote them meant.
pub(super) fn only_members(
    object: &serde_json::Map<String, Value>,
    allowed: &[&str],
) -> Result<()> {
    if object.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(invalid())
    }
}

pub(super) fn parse_order(text: &str, allowed: &[SortKey]) -> Result<(SortKey, Direction)> {
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

pub(super) fn parse_group<R: Record>(group: &Value, now: Millis) -> Result<Group<R::Field>> {
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

pub(super) fn parse_attr<R: Record>(name: &str) -> Result<Attr<R::Field>> {
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

pub(super) fn lower(s: &str) -> Box<str> {
    s.to_lowercase().into()
}

pub(super) fn scalar(v: &Value) -> Result<Scalar> {
    match v {
        Value::String(s) => Ok(Scalar::Text(lower(s))),
        Value::Number(n) => n.as_f64().map(Scalar::Num).ok_or_else(invalid),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        _ => Err(invalid()),
    }
}

pub(super) fn role_ref(v: &Value) -> Result<RoleRef> {
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
pub(super) fn date(v: &Value) -> Result<Millis> {
    v.as_str().and_then(parse_iso).ok_or_else(invalid)
}

/// A number of days: a non-negative number, or its text.
pub(super) fn days(v: &Value) -> Result<Millis> {
    let n = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|n: &f64| n.is_finite() && *n >= 0.0 && *n < 1e7)
        .ok_or_else(invalid)?;
    Ok((n * DAY as f64) as Millis)
}

pub(super) fn parse_filter<R: Record>(filter: &Value, now: Millis) -> Result<Filter<R::Field>> {
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
