//! Organization records: the tier, the monthly credit allowance and the operator's overrides
//! of the tier's limits ([`super::overrides`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{org_partition, Accounts, Limit, LimitOverrides, OverrideChange, Tier, TierLimits};
use crate::ids::{new_id, prefix};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreResult, Update};

/// Secondary-index partition listing every organization, oldest first.
const ALL_ORGS: &str = "ORGS";
pub(super) const ORG_SK: &str = "ORG";
/// Longest organization name.
pub const MAX_ORGANIZATION_NAME: usize = 100;

/// An organization as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    /// Credits included per month (the operator's allowance for this organization).
    pub monthly_credits: u64,
    pub created_at: Timestamp,
    /// What the operator set in place of the tier's limits: one attribute of the item per
    /// limit, missing on organizations stored before overrides existed.
    #[serde(flatten, default)]
    pub overrides: LimitOverrides,
}

impl Organization {
    /// The limits every check enforces: the tier's, with the operator's overrides over them.
    pub fn limits(&self) -> TierLimits {
        self.overrides.apply(self.tier.limits())
    }
}

/// Checks an organization's name: 1 to [`MAX_ORGANIZATION_NAME`] characters once trimmed.
pub fn parse_organization_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("the organization name is blank: give it the name of the team it serves".into());
    }
    if name.chars().count() > MAX_ORGANIZATION_NAME {
        return Err(format!("the organization name is longer than {MAX_ORGANIZATION_NAME} characters"));
    }
    Ok(name.to_string())
}

/// What `quarry org set` changes; `None` and an empty list leave things as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationChanges {
    pub tier: Option<Tier>,
    pub monthly_credits: Option<u64>,
    /// Overrides to set or clear, in order (a later change of the same limit wins).
    pub overrides: Vec<OverrideChange>,
}

/// The organization object of the API.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrganizationObject {
    pub id: String,
    #[schema(example = "organization")]
    pub object: &'static str,
    pub name: String,
    pub tier: Tier,
    /// The limits in force: the tier's, with any override of the operator in their place.
    pub limits: TierLimits,
    /// What the operator of this deployment set in place of the tier's limits (each `null`
    /// where the tier's value holds); `null` when nothing is overridden.
    pub overrides: Option<LimitOverrides>,
    pub monthly_credits: u64,
    pub created_at: Timestamp,
}

impl From<&Organization> for OrganizationObject {
    fn from(org: &Organization) -> Self {
        OrganizationObject {
            id: org.id.clone(),
            object: "organization",
            name: org.name.clone(),
            tier: org.tier,
            limits: org.limits(),
            overrides: (!org.overrides.is_empty()).then_some(org.overrides),
            monthly_credits: org.monthly_credits,
            created_at: org.created_at,
        }
    }
}

fn org_key(org_id: &str) -> Key {
    Key::new(org_partition(org_id), ORG_SK)
}

impl Accounts {
    /// Creates an organization with its tier's limits.
    pub async fn create_organization(&self, name: &str, tier: Tier, monthly_credits: u64) -> StoreResult<Organization> {
        self.create_organization_with(name, tier, monthly_credits, LimitOverrides::default()).await
    }

    /// Creates an organization whose limits are its tier's with `overrides` over them.
    pub async fn create_organization_with(
        &self,
        name: &str,
        tier: Tier,
        monthly_credits: u64,
        overrides: LimitOverrides,
    ) -> StoreResult<Organization> {
        let org = Organization {
            id: new_id(prefix::ORGANIZATION),
            name: name.to_string(),
            tier,
            monthly_credits,
            created_at: self.clock.now().into(),
            overrides,
        };
        let item = Item::from_record(org_key(&org.id), &org)?.with_gsi1(ALL_ORGS, org.id.clone());
        self.table.put(item, Condition::Absent).await?;
        Ok(org)
    }

    /// The organization, if it exists.
    pub async fn organization(&self, org_id: &str) -> StoreResult<Option<Organization>> {
        match self.table.get(&org_key(org_id)).await? {
            Some(item) => Ok(Some(item.to_record()?)),
            None => Ok(None),
        }
    }

    /// The oldest organization: the one the local CLI acts on when none is named.
    pub async fn first_organization(&self) -> StoreResult<Option<Organization>> {
        let page = self.table.query(Query::gsi1(ALL_ORGS).order(Order::Asc).limit(1)).await?;
        // The index projects whole items, so the record is read straight from it.
        page.items.first().map(Item::to_record).transpose()
    }

    /// Every organization, oldest first (operators only: the CLI).
    pub async fn organizations(&self) -> StoreResult<Vec<Organization>> {
        let items = quarry_ports::table::query_all(self.table.as_ref(), Query::gsi1(ALL_ORGS)).await?;
        items.iter().map(Item::to_record).collect()
    }

    /// Changes an organization's tier and/or allowance; `None` when it does not exist.
    pub async fn update_organization(
        &self,
        org_id: &str,
        tier: Option<Tier>,
        monthly_credits: Option<u64>,
    ) -> StoreResult<Option<Organization>> {
        self.change_organization(org_id, &OrganizationChanges { tier, monthly_credits, overrides: Vec::new() }).await
    }

    /// Changes an organization's tier, allowance and limit overrides in one conditional update
    /// (each override is its own attribute, so the others stay as they are); `None` when it does
    /// not exist. This process's verified keys of the organization are dropped, so its requests
    /// see the new limits at once (other processes within [`super::VERIFIED_KEY_TTL`]).
    pub async fn change_organization(&self, org_id: &str, changes: &OrganizationChanges) -> StoreResult<Option<Organization>> {
        let mut update = Update::new();
        if let Some(tier) = changes.tier {
            update = update.set("tier", tier.as_str());
        }
        if let Some(credits) = changes.monthly_credits {
            update = update.set("monthly_credits", credits);
        }
        // Each limit a change names ends as the last of its changes left it.
        let wanted = changes.overrides.iter().fold(LimitOverrides::default(), |o, change| o.with(*change));
        for limit in Limit::ALL.into_iter().filter(|l| changes.overrides.iter().any(|c| c.limit() == *l)) {
            update = match wanted.value(limit) {
                Some(value) => update.set(limit.name(), value),
                None => update.remove(limit.name()),
            };
        }
        if update.set.is_empty() && update.remove.is_empty() {
            return self.organization(org_id).await;
        }
        match self.table.update(&org_key(org_id), update, Condition::Exists).await {
            Ok(item) => {
                self.verified.forget_organization(org_id);
                Ok(Some(item.to_record()?))
            }
            Err(quarry_ports::StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_stored_before_overrides_load_with_none() {
        let stored = serde_json::json!({
            "id": "org_1", "name": "Acme", "tier": "growth", "monthly_credits": 5000,
            "created_at": "2026-01-02T03:04:05.000Z", "gsi1pk": "ORGS", "gsi1sk": "org_1",
        });
        let org: Organization = serde_json::from_value(stored).unwrap();
        assert!(org.overrides.is_empty());
        assert_eq!(org.limits(), Tier::Growth.limits());
        let shown = serde_json::to_value(OrganizationObject::from(&org)).unwrap();
        assert_eq!(shown["overrides"], serde_json::Value::Null);
        assert_eq!(shown["limits"]["requests_per_minute"], 600);
    }

    #[test]
    fn overrides_show_beside_the_limits_they_change() {
        let overrides = LimitOverrides::default().with(OverrideChange::Set(Limit::ConcurrentJobs.to(40).unwrap()));
        let org = Organization {
            id: "org_1".into(),
            name: "Acme".into(),
            tier: Tier::Scale,
            monthly_credits: 1,
            created_at: Timestamp::parse("2026-01-02T03:04:05Z").unwrap(),
            overrides,
        };
        let stored: Organization = serde_json::from_value(serde_json::to_value(&org).unwrap()).unwrap();
        assert_eq!(stored, org, "the overrides round-trip through the item");
        let shown = serde_json::to_value(OrganizationObject::from(&org)).unwrap();
        assert_eq!(shown["limits"]["concurrent_jobs"], 40);
        assert_eq!(shown["overrides"]["concurrent_jobs"], 40);
        assert_eq!(shown["overrides"]["requests_per_minute"], serde_json::Value::Null);
        assert_eq!(shown["limits"]["requests_per_minute"], 3_000);
        assert!(parse_organization_name("  ").is_err());
        assert!(parse_organization_name(&"x".repeat(101)).is_err());
        assert_eq!(parse_organization_name(" Team B ").unwrap(), "Team B");
    }
}
