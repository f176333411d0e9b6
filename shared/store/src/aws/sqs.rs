//! The [`Queue`] port on SQS (standard queues).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;

use quarry_ports::queue::{check_receive, check_send, MAX_VISIBILITY};
use quarry_ports::{Queue, Received, StoreError, StoreResult};

/// Most messages in one `SendMessageBatch` call (SQS's limit).
const MAX_BATCH_MESSAGES: usize = 10;

/// SQS error codes that mean the caller's request was wrong rather than the service failing.
const CALLER_ERRORS: [&str; 5] = [
    "ReceiptHandleIsInvalid",
    "InvalidParameterValue",
    "MessageNotInflight",
    "AWS.SimpleQueueService.MessageNotInflight",
    "InvalidIdFormat",
];

/// The [`Queue`] port over one SQS standard queue.
///
/// Why: on AWS the step worker and the webhook dispatcher are fed by SQS (with a dead-letter
/// queue for poison messages); the same port lets the local runner and the tests drive it.
#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    /// An adapter for the existing queue at `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsQueue { client, queue_url: queue_url.into() }
    }

    /// The URL of the queue this adapter uses.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    fn fail<E>(&self, action: &str, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match err.code() {
            Some(code) if CALLER_ERRORS.contains(&code) => StoreError::Invalid(format!(
                "SQS refused {action} on `{}`: {code}: {}",
                self.queue_url,
                err.message().unwrap_or("no details")
            )),
            _ => StoreError::Backend(format!("SQS {action} on `{}` failed: {}", self.queue_url, DisplayErrorContext(&err))),
        }
    }

    fn received(&self, message: Message) -> StoreResult<Received> {
        let missing = |what: &str| StoreError::Backend(format!("SQS message from `{}` has no {what}", self.queue_url));
        let receive_count = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| missing("ApproximateReceiveCount"))?;
        Ok(Received {
            id: message.message_id.ok_or_else(|| missing("message id"))?,
            receipt: message.receipt_handle.ok_or_else(|| missing("receipt handle"))?,
            body: message.body.ok_or_else(|| missing("body"))?,
            receive_count,
        })
    }
}

/// Whole seconds, rounded up (SQS takes seconds; never deliver or release earlier than asked).
fn seconds_up(d: Duration) -> i32 {
    let seconds = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, body: &str, delay: Duration) -> StoreResult<String> {
        check_send(body, delay)?;
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(seconds_up(delay).min(900))
            .send()
            .await
            .map_err(|e| self.fail("SendMessage", e))?;
        out.message_id.ok_or_else(|| StoreError::Backend(format!("SQS SendMessage on `{}` returned no message id", self.queue_url)))
    }

    /// `SendMessageBatch` calls of up to 10 messages; entries SQS fails are sent again one by one
    /// (so a throttled entry is retried with the SDK's backoff, and a refused one is the error).
    async fn send_batch(&self, bodies: &[String], delay: Duration) -> StoreResult<()> {
        for body in bodies {
            check_send(body, delay)?;
        }
        let delay_seconds = seconds_up(delay).min(900);
        for chunk in bodies.chunks(MAX_BATCH_MESSAGES) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(n, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .message_body(body)
                        .delay_seconds(delay_seconds)
                        .build()
                        .map_err(|e| StoreError::Backend(format!("SQS batch entry: {e}")))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| self.fail("SendMessageBatch", e))?;
            for failed in out.failed {
                let body = failed.id.parse::<usize>().ok().and_then(|n| chunk.get(n));
                let Some(body) = body else {
                    return Err(StoreError::Backend(format!("SQS SendMessageBatch failed an unknown entry: {}", failed.code)));
                };
                self.send(body, delay).await?;
            }
        }
        Ok(())
    }

    async fn receive(&self, max: usize, visibility: Duration) -> StoreResult<Vec<Received>> {
        check_receive(max, visibility)?;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max as i32)
            .visibility_timeout(seconds_up(visibility))
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| self.fail("ReceiveMessage", e))?;
        out.messages.unwrap_or_default().into_iter().map(|m| self.received(m)).collect()
    }

    async fn delete(&self, receipt: &str) -> StoreResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| self.fail("DeleteMessage", e))?;
        Ok(())
    }

    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> StoreResult<()> {
        if timeout > MAX_VISIBILITY {
            return Err(StoreError::Invalid("a visibility timeout is at most 12 hours".into()));
        }
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds_up(timeout))
            .send()
            .await
            .map_err(|e| self.fail("ChangeMessageVisibility", e))?;
        Ok(())
    }
}

/// Creates the dead-letter queue `<name>-dlq` and the queue `<name>`, which moves a message to
/// the DLQ once it has been received `max_receives` times without being deleted. Returns the
/// URLs of the queue and of the DLQ (for tests and local bootstrap; production queues come from
/// the SAM template).
pub async fn create_queue_with_dlq(client: &Client, name: &str, max_receives: u32) -> StoreResult<(String, String)> {
    let dlq_name = format!("{name}-dlq");
    let dlq_url = create_queue(client, &dlq_name, None).await?;
    let dlq_arn = queue_arn(client, &dlq_url).await?;
    let policy = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives });
    let queue_url = create_queue(client, name, Some(policy.to_string())).await?;
    Ok((queue_url, dlq_url))
}

async fn create_queue(client: &Client, name: &str, redrive_policy: Option<String>) -> StoreResult<String> {
    let mut request = client.create_queue().queue_name(name);
    if let Some(policy) = redrive_policy {
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let out =
        request.send().await.map_err(|e| StoreError::Backend(format!("SQS CreateQueue `{name}` failed: {}", DisplayErrorContext(&e))))?;
    out.queue_url.ok_or_else(|| StoreError::Backend(format!("SQS CreateQueue `{name}` returned no queue URL")))
}

async fn queue_arn(client: &Client, queue_url: &str) -> StoreResult<String> {
    let out = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| StoreError::Backend(format!("SQS GetQueueAttributes on `{queue_url}` failed: {}", DisplayErrorContext(&e))))?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| StoreError::Backend(format!("SQS queue `{queue_url}` has no QueueArn attribute")))
}
