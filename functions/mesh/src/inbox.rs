//! Inbox listing: the `workflow_filter` syntax of `GET /{mailbox}/inbox`, the opaque cursor a page
//! continues from, and the page itself.
//!
//! `workflow_filter` follows the MESH sandbox (`handlers/inbox.py`): surrounding spaces are
//! trimmed and an empty filter is none; a leading `!` negates; `*text*` matches ids containing
//! `text`; `text*` matches ids beginning with it; anything else must equal the workflow id.

use crate::message_id::MessageId;

/// A parsed `workflow_filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowFilter {
    negate: bool,
    kind: FilterKind,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FilterKind {
    Exact,
    BeginsWith,
    Contains,
}

impl WorkflowFilter {
    /// The filter in a `workflow_filter` query value; `None` when it is empty.
    pub fn parse(value: &str) -> Option<Self> {
        let mut text = value.trim();
        if text.is_empty() {
            return None;
        }
        let negate = text.starts_with('!');
        if negate {
            text = &text[1..];
        }
        let kind = if let Some(inner) = text.strip_prefix('*') {
            text = inner.strip_suffix('*').unwrap_or(inner);
            FilterKind::Contains
        } else if let Some(prefix) = text.strip_suffix('*') {
            text = prefix;
            FilterKind::BeginsWith
        } else {
            FilterKind::Exact
        };
        Some(WorkflowFilter { negate, kind, text: text.to_owned() })
    }

    /// Whether a message of `workflow_id` is listed.
    pub fn matches(&self, workflow_id: &str) -> bool {
        let hit = match self.kind {
            FilterKind::Exact => workflow_id == self.text,
            FilterKind::BeginsWith => workflow_id.starts_with(self.text.as_str()),
            FilterKind::Contains => workflow_id.contains(self.text.as_str()),
        };
        hit != self.negate
    }
}

/// Where the next inbox page starts: after the message with this inbox sort key
/// (`<accepted time>#<id>`). Opaque to clients; routes pass [`InboxCursor::as_str`] through
/// `continue_from` (v2 links) and read it back with [`InboxCursor::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxCursor {
    sort_key: String,
    id: MessageId,
}

impl InboxCursor {
    /// The cursor after the message with inbox sort key `sort_key`.
    pub fn parse(value: &str) -> Option<Self> {
        let (time, id) = value.split_once('#')?;
        if time.len() != 20 || !time.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id = MessageId::parse(id).ok()?;
        Some(InboxCursor { sort_key: format!("{time}#{id}"), id })
    }

    pub fn as_str(&self) -> &str {
        &self.sort_key
    }

    /// The message the previous page ended with.
    pub fn message_id(&self) -> &MessageId {
        &self.id
    }
}

impl std::fmt::Display for InboxCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sort_key)
    }
}

/// One page of a mailbox's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    /// Accepted messages, oldest acceptance first.
    pub messages: Vec<MessageId>,
    /// Present when more (matching) messages follow.
    pub next: Option<InboxCursor>,
    /// The accepted messages in the inbox, ignoring the filter (exact up to
    /// [`crate::store::INBOX_COUNT_CAP`]).
    pub approx_inbox_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_sandbox_syntax() {
        let f = |s: &str| WorkflowFilter::parse(s).unwrap();
        assert_eq!(WorkflowFilter::parse("  "), None);
        assert!(f("PATH_MEDRPT_V3").matches("PATH_MEDRPT_V3"));
        assert!(!f("PATH_MEDRPT_V3").matches("PATH_MEDRPT_V31"));
        assert!(f("!PATH_MEDRPT_V3").matches("OTHER") && !f("!PATH_MEDRPT_V3").matches("PATH_MEDRPT_V3"));
        assert!(f("PATH_*").matches("PATH_MEDRPT_V3") && !f("PATH_*").matches("XPATH_"));
        assert!(f("!PATH_*").matches("XPATH_") && !f("!PATH_*").matches("PATH_A"));
        assert!(f("*MEDRPT*").matches("PATH_MEDRPT_V3") && !f("*MEDRPT*").matches("PATH_V3"));
        assert!(f("!*MEDRPT*").matches("PATH_V3"));
    }

    #[test]
    fn a_cursor_is_a_time_and_a_message_id() {
        let c = InboxCursor::parse("20251122062600500000#20251122062500000001_0a1b2c").unwrap();
        assert_eq!(c.as_str(), "20251122062600500000#20251122062500000001_0A1B2C");
        assert_eq!(c.message_id().as_str(), "20251122062500000001_0A1B2C");
        for bad in ["", "x#20251122062500000001_0A1B2C", "20251122062600500000#nope", "20251122062600500000"] {
            assert_eq!(InboxCursor::parse(bad), None, "{bad}");
        }
    }
}
