//! Messages: the turns of a thread. Stored under `MSG#<thread>#<message>`, so a prefix query of
//! the organization's partition lists a thread's messages in the order they were written.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Caller, Research, ResearchResult};
use crate::accounts::org_partition;
use crate::ids::{new_id, prefix};
use quarry_planner::{Attachment, Hints, Turn, TurnKind};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, Order, Query, WriteOp};

/// Who wrote a message. Published as `MessageRole`, apart from the planner's `TargetRole`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = MessageRole)]
pub enum Role {
    User,
    Assistant,
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A user's prompt.
    Text,
    /// A user's corrective feedback on a plan (`POST /v1/plans/{id}/replan`).
    Feedback,
    /// The assistant's reply announcing the plan it drafted.
    Plan,
}

/// The message object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: String,
    #[schema(example = "message")]
    pub object: String,
    pub thread_id: String,
    pub role: Role,
    pub kind: MessageKind,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub hints: Option<Hints>,
    /// Whether the user asked for the resulting job to start without approval.
    pub auto_approve: bool,
    /// The plan this message led to (or, for the assistant's reply, announces).
    pub plan_id: Option<String>,
    pub job_id: Option<String>,
    pub created_at: Timestamp,
}

impl Message {
    /// A message with a fresh ID.
    pub(super) fn new(thread_id: &str, role: Role, kind: MessageKind, content: String, now: Timestamp) -> Message {
        Message {
            id: new_id(prefix::MESSAGE),
            object: "message".into(),
            thread_id: thread_id.into(),
            role,
            kind,
            content,
            attachments: Vec::new(),
            hints: None,
            auto_approve: false,
            plan_id: None,
            job_id: None,
            created_at: now,
        }
    }

    /// The planner's view of a user message; `None` for the assistant's.
    pub(super) fn as_turn(&self) -> Option<Turn> {
        let kind = match (self.role, self.kind) {
            (Role::User, MessageKind::Feedback) => TurnKind::Feedback,
            (Role::User, _) => TurnKind::Message,
            (Role::Assistant, _) => return None,
        };
        Some(Turn {
            kind,
            content: self.content.clone(),
            attachments: self.attachments.clone(),
            hints: self.hints.clone().unwrap_or_default(),
        })
    }

    /// The write that stores the message.
    pub(super) fn create_op(&self, org_id: &str) -> ResearchResult<WriteOp> {
        Ok(WriteOp::Put { item: Item::from_record(message_key(org_id, &self.thread_id, &self.id), self)?, condition: Condition::Absent })
    }
}

pub(super) fn thread_messages_prefix(thread_id: &str) -> String {
    format!("MSG#{thread_id}#")
}

fn message_key(org_id: &str, thread_id: &str, message_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{}{message_id}", thread_messages_prefix(thread_id)))
}

impl Research {
    /// One page of an active thread's messages, chronological by default.
    pub async fn list_messages(
        &self,
        caller: &Caller,
        thread_id: &str,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Message>, Option<String>)> {
        super::threads::load_active(self, caller, thread_id).await?;
        let query = Query::partition(org_partition(&caller.org_id))
            .prefix(thread_messages_prefix(thread_id))
            .order(order)
            .limit(limit)
            .cursor(cursor);
        let page = self.table.query(query).await?;
        let messages = page.items.iter().map(Item::to_record).collect::<Result<Vec<Message>, _>>()?;
        Ok((messages, page.next_cursor))
    }

    /// Every message of a thread, oldest first (the planner's history).
    pub(super) async fn all_messages(&self, org_id: &str, thread_id: &str) -> ResearchResult<Vec<Message>> {
        let query = Query::partition(org_partition(org_id)).prefix(thread_messages_prefix(thread_id));
        let items = quarry_ports::table::query_all(self.table.as_ref(), query).await?;
        Ok(items.iter().map(Item::to_record).collect::<Result<_, _>>()?)
    }
}
