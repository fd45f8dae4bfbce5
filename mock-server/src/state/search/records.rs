//! Users and tenants as searchable [`Record`]s: their searchable fields (C-16.1, C-16.2), how a
//! field is read in place, and what results are ordered by.

use super::*;

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
