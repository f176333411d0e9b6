//! Members: the people of an organization. An admin invites someone by email with a role; the
//! invitation is a one-time token (shown once, stored as its SHA-256 hash, valid for
//! [`INVITATION_TTL_DAYS`]); redeeming it makes the member active and mints a key of theirs
//! with the role's scopes, in one transaction; a retry with the same token within a day answers
//! the same key. Usage of the jobs their keys approve is billed
//! to them (`GET /v1/usage?group_by=member`); removing a member revokes their keys.
//!
//! Items, all but the lookup in the organization's partition:
//! - `MEMBER#<mem_id>`: the member;
//! - `MEMBEREMAIL#<email>`: one per address, so an address is a member once (put if absent);
//! - `INVITE#<sha256>` / `INVITE`: the invitation's lookup (expires with it; once redeemed, it
//!   keeps the answer for a day, so a retry gets the same key).

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{org_partition, Accounts, ApiKey, KeyKind, Mode, NewKey, Scope};
use crate::error::{ResearchError, ResearchResult};
use crate::ids::{has_prefix, new_id};
use quarry_ports::clock::Timestamp;
use quarry_ports::table::query_matching;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreError, StoreResult, Update, WriteOp};

/// ID prefix of members.
pub const MEMBER_PREFIX: &str = "mem";
/// How long an invitation can be redeemed.
pub const INVITATION_TTL_DAYS: i64 = 7;
/// Prefix of invitation tokens; 43 random letters and digits follow.
const TOKEN_PREFIX: &str = "inv_";
const TOKEN_RANDOM_LEN: usize = 43;
/// Longest email address (RFC 5321's path limit) and name.
const MAX_EMAIL: usize = 254;
const MAX_NAME: usize = 200;
/// Most members one list page examines, and most keys a removal revokes.
const MAX_EXAMINED: usize = 1_000;

/// What a member may do; their key gets the role's scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// Every scope, `admin` included.
    Admin,
    /// Research and integrations: `read`, `run`, `integrations`.
    Member,
    /// Read only.
    Viewer,
}

impl MemberRole {
    pub fn scopes(self) -> Vec<Scope> {
        match self {
            MemberRole::Admin => Scope::ALL.to_vec(),
            MemberRole::Member => vec![Scope::Read, Scope::Run, Scope::Integrations],
            MemberRole::Viewer => vec![Scope::Read],
        }
    }
}

/// Whether the invitation was redeemed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    Invited,
    Active,
}

/// A member, as stored and as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    #[schema(example = "mem_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7")]
    pub id: String,
    #[schema(example = "member")]
    pub object: String,
    pub organization_id: String,
    pub email: String,
    pub name: Option<String>,
    pub role: MemberRole,
    pub status: MemberStatus,
    pub invited_at: Timestamp,
    /// When the invitation was redeemed.
    pub joined_at: Option<Timestamp>,
    /// Until when the invitation can be redeemed (while `invited`).
    pub invitation_expires_at: Option<Timestamp>,
}

/// What to invite, parsed: a plausible address (lowercased), a role, an optional name.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub email: String,
    pub name: Option<String>,
    pub role: MemberRole,
}

impl NewMember {
    /// The invitation a request asks for; a bad field is an error naming it.
    pub fn parse(email: &str, name: Option<&str>, role: Option<MemberRole>) -> ResearchResult<NewMember> {
        if email.is_empty() || email.chars().count() > MAX_EMAIL {
            return Err(ResearchError::invalid("email", format!("`email` must be 1 to {MAX_EMAIL} characters.")));
        }
        let email = email.trim().to_ascii_lowercase();
        let plausible = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
        });
        if !plausible || email.chars().any(char::is_whitespace) {
            return Err(ResearchError::unprocessable("email", format!("`{email}` is not an email address (name@example.com).")));
        }
        let name = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        if name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME) {
            return Err(ResearchError::invalid("name", format!("`name` must be at most {MAX_NAME} characters.")));
        }
        Ok(NewMember { email, name, role: role.unwrap_or(MemberRole::Member) })
    }
}

/// A new invitation: its token, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    /// Give it to the invitee; redeeming it (`POST /v1/invitations/accept`) makes their key.
    #[schema(example = "inv_2mX9…")]
    pub token: String,
    pub expires_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct InvitationLookup {
    organization_id: String,
    member_id: String,
    /// The mode of the admin's key that invited: the member's key is of the same mode.
    mode: Mode,
}

fn member_key(org_id: &str, member_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("MEMBER#{member_id}"))
}

fn email_key(org_id: &str, email: &str) -> Key {
    Key::new(org_partition(org_id), format!("MEMBEREMAIL#{email}"))
}

fn invitation_key(token: &str) -> Key {
    Key::new(format!("INVITE#{}", hex::encode(Sha256::digest(token.as_bytes()))), "INVITE")
}

/// The attribute of a spent invitation holding the answer it gave, and how long it is kept.
const REDEEMED: &str = "redeemed";
pub const REDEEMED_REPLAY_SECS: i64 = 24 * 3600;

/// The answer a spent invitation gave, if it was spent.
fn redeemed(item: &Item) -> StoreResult<Option<(Member, ApiKey, String)>> {
    match item.attrs.get(REDEEMED) {
        Some(value) => {
            serde_json::from_value(value.clone()).map(Some).map_err(|e| StoreError::Invalid(format!("redeemed invitation: {e}")))
        }
        None => Ok(None),
    }
}

/// The idempotency steps of inviting and of removing (the invite's outcome holds the token, as
/// the stored response does, for the replay window).
const STEP_INVITE: &str = "member_invite";

impl Accounts {
    /// Invites `new` into the organization; the member's key will be of `mode`. An address that
    /// is a member already (or invited) is a `Conflict`.
    pub async fn invite_member(&self, org_id: &str, new: NewMember, mode: Mode) -> ResearchResult<(Member, Invitation)> {
        if let Some(invited) = crate::idempotency::recovered(STEP_INVITE) {
            return Ok(invited);
        }
        let now = self.clock.now();
        let expires_at = Timestamp::from(now + chrono::Duration::days(INVITATION_TTL_DAYS));
        let token = format!("{TOKEN_PREFIX}{}", Alphanumeric.sample_string(&mut rand::rng(), TOKEN_RANDOM_LEN));
        let member = Member {
            id: new_id(MEMBER_PREFIX),
            object: "member".into(),
            organization_id: org_id.to_string(),
            email: new.email.clone(),
            name: new.name,
            role: new.role,
            status: MemberStatus::Invited,
            invited_at: now.into(),
            joined_at: None,
            invitation_expires_at: Some(expires_at),
        };
        let lookup = InvitationLookup { organization_id: org_id.to_string(), member_id: member.id.clone(), mode };
        let email_marker = Item::new(email_key(org_id, &new.email)).with("member_id", member.id.as_str());
        let ops = vec![
            WriteOp::Put { item: Item::from_record(member_key(org_id, &member.id), &member)?, condition: Condition::Absent },
            WriteOp::Put { item: email_marker, condition: Condition::Absent },
            WriteOp::Put {
                item: Item::from_record(invitation_key(&token), &lookup)?.expires_at(expires_at.unix()),
                condition: Condition::Absent,
            },
        ];
        let invited = (member, Invitation { token, expires_at });
        match self.table.transact(crate::idempotency::with_outcome(ops, STEP_INVITE, &invited)?).await {
            Ok(()) => Ok(invited),
            Err(StoreError::ConditionFailed) => Err(ResearchError::Conflict(format!(
                "{} is a member of the organization already, or has an invitation: remove them first to invite them again.",
                new.email
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// A member of the organization.
    pub async fn member(&self, org_id: &str, member_id: &str) -> StoreResult<Option<Member>> {
        if !has_prefix(member_id, MEMBER_PREFIX) {
            return Ok(None);
        }
        self.table.get(&member_key(org_id, member_id)).await?.map(|i| i.into_record()).transpose()
    }

    /// One page of the organization's members, by invitation time.
    pub async fn members(
        &self,
        org_id: &str,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> StoreResult<(Vec<Member>, Option<String>)> {
        let query = Query::partition(org_partition(org_id)).prefix("MEMBER#").order(order).cursor(cursor);
        query_matching(self.table.as_ref(), query, limit, MAX_EXAMINED, |item| item.to_record().map(Some)).await
    }

    /// Redeems an invitation: the member becomes active and gets a key of the role's scopes
    /// (named `key_name`, or after them), in one transaction that also marks the token spent
    /// and keeps the answer on it for [`REDEEMED_REPLAY_SECS`], so a client whose connection
    /// dropped can ask again with the same token and get the same key instead of losing it.
    /// Returns the member, the key and its secret. An unknown or expired token is `NotFound`.
    pub async fn accept_invitation(&self, token: &str, key_name: Option<&str>) -> ResearchResult<(Member, ApiKey, String)> {
        let gone = || ResearchError::NotFound { what: "Invitation", id: "(the token)".into(), param: "token" };
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + TOKEN_RANDOM_LEN {
            return Err(gone());
        }
        let lookup_item = self.table.get(&invitation_key(token)).await?.ok_or_else(gone)?;
        if let Some(redeemed) = redeemed(&lookup_item)? {
            return Ok(redeemed);
        }
        let lookup: InvitationLookup = lookup_item.to_record()?;
        let member = self.member(&lookup.organization_id, &lookup.member_id).await?.ok_or_else(gone)?;
        let now = self.clock.now();
        if member.status != MemberStatus::Invited || member.invitation_expires_at.is_some_and(|t| t.0 <= now) {
            return Err(gone());
        }
        let name = key_name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).unwrap_or_else(|| member.email.clone());
        let name: String = name.chars().take(super::keys::MAX_KEY_NAME).collect();
        let new = NewKey { name, kind: KeyKind::Secret, mode: lookup.mode, scopes: member.role.scopes(), expires_at: None };
        let minted = self.mint(&lookup.organization_id, new, Some(&member.id))?;
        let joined = Member { status: MemberStatus::Active, joined_at: Some(now.into()), invitation_expires_at: None, ..member };
        let answer = (joined.clone(), minted.key, minted.secret);
        let update = Update::new()
            .set("status", "active")
            .set("joined_at", serde_json::to_value(joined.joined_at).expect("timestamp"))
            .set("invitation_expires_at", serde_json::Value::Null);
        let spent = Update::new()
            .set(REDEEMED, serde_json::to_value(&answer).map_err(|e| StoreError::Invalid(e.to_string()))?)
            .set(quarry_ports::table::TTL, now.timestamp() + REDEEMED_REPLAY_SECS);
        let mut ops = minted.ops;
        ops.push(WriteOp::Update { key: invitation_key(token), update: spent, condition: Condition::Exists });
        ops.push(WriteOp::Update {
            key: member_key(&lookup.organization_id, &joined.id),
            update,
            condition: Condition::equals("status", "invited"),
        });
        match self.table.transact(ops).await {
            Ok(()) => Ok(answer),
            // Redeemed by a concurrent request: its answer, or gone if the member went meanwhile.
            Err(StoreError::ConditionFailed) => match self.table.get(&invitation_key(token)).await? {
                Some(item) => redeemed(&item)?.ok_or_else(gone),
                None => Err(gone()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a member: the member and their address's marker go (an open invitation can no
    /// longer be redeemed; its lookup expires with it), and every key of theirs is revoked. `None` when there is no such member.
    pub async fn remove_member(&self, org_id: &str, member_id: &str) -> StoreResult<Option<Member>> {
        let Some(member) = self.member(org_id, member_id).await? else { return Ok(None) };
        let mut cursor = None;
        loop {
            let base = Query::partition(org_partition(org_id)).prefix("KEY#").cursor(cursor);
            let keep = |item: &Item| -> StoreResult<Option<ApiKey>> {
                let key: ApiKey = item.to_record()?;
                Ok((key.member_id.as_deref() == Some(member_id)).then_some(key))
            };
            let (keys, next) = query_matching(self.table.as_ref(), base, 100, MAX_EXAMINED, keep).await?;
            for key in keys {
                self.revoke_key(org_id, None, &key.id).await?;
            }
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let ops = vec![
            WriteOp::Delete { key: member_key(org_id, member_id), condition: Condition::None },
            WriteOp::Delete { key: email_key(org_id, &member.email), condition: Condition::None },
        ];
        self.table.transact(ops).await?;
        Ok(Some(member))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_name_what_is_wrong() {
        let ok = NewMember::parse("  Ada@Example.COM ", Some(" Ada "), None).unwrap();
        assert_eq!((ok.email.as_str(), ok.name.as_deref(), ok.role), ("ada@example.com", Some("Ada"), MemberRole::Member));
        for email in ["", "   ", "ada", "ada@localhost", "a b@example.com"] {
            let param = match NewMember::parse(email, None, None) {
                Err(ResearchError::Invalid { param, .. } | ResearchError::Unprocessable { param, .. }) => param,
                other => panic!("{email}: {other:?}"),
            };
            assert_eq!(param, "email");
        }
        assert!(NewMember::parse("a@example.com", Some(&"x".repeat(201)), None).is_err());
        assert_eq!(MemberRole::Viewer.scopes(), [Scope::Read]);
        assert!(MemberRole::Admin.scopes().contains(&Scope::Admin));
    }
}
