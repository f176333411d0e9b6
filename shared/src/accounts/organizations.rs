//! Organization records.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{org_partition, Accounts, Tier, TierLimits};
use crate::ids::{new_id, prefix};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreResult, Update};

/// Secondary-index partition listing every organization, oldest first.
const ALL_ORGS: &str = "ORGS";
const ORG_SK: &str = "ORG";

/// An organization as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    /// Credits included per month (the operator's allowance for this organization).
    pub monthly_credits: u64,
    pub created_at: Timestamp,
}

/// The organization object of the API.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrganizationObject {
    pub id: String,
    #[schema(example = "organization")]
    pub object: &'static str,
    pub name: String,
    pub tier: Tier,
    pub limits: TierLimits,
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
            limits: org.tier.limits(),
            monthly_credits: org.monthly_credits,
            created_at: org.created_at,
        }
    }
}

fn org_key(org_id: &str) -> Key {
    Key::new(org_partition(org_id), ORG_SK)
}

impl Accounts {
    /// Creates an organization.
    pub async fn create_organization(&self, name: &str, tier: Tier, monthly_credits: u64) -> StoreResult<Organization> {
        let org = Organization {
            id: new_id(prefix::ORGANIZATION),
            name: name.to_string(),
            tier,
            monthly_credits,
            created_at: self.clock.now().into(),
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
        let mut update = Update::new();
        if let Some(tier) = tier {
            update = update.set("tier", tier.as_str());
        }
        if let Some(credits) = monthly_credits {
            update = update.set("monthly_credits", credits);
        }
        if update.set.is_empty() {
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
