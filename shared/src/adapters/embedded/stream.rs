//! The embedded record store's stream: what a DynamoDB stream with a filter hands a Lambda in AWS
//! (the keys of the items written under a partition-key prefix), for the local Spine's stream
//! consumers — the EPS outbox relay. A subscriber gets, after each successful commit, the keys of
//! the items that commit put under its prefix; deletes are not streamed. The stream is in memory:
//! keys written while nobody listened (before a restart), or dropped because a subscriber fell
//! [`BUFFER`] keys behind, are for the subscriber's own sweep to find, as a relay in AWS sweeps
//! for what the stream's retries gave up on.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use crate::ports::{Item, WriteOp};

/// How many keys a subscriber may fall behind before new ones are dropped.
pub const BUFFER: usize = 100_000;

/// An item's key: (partition key, sort key).
pub type Key = (String, String);

/// The subscribers: each a partition-key prefix and where its keys go.
#[derive(Default)]
pub(super) struct KeyStream {
    /// Whether anyone subscribed: a write looks no further when not.
    live: AtomicBool,
    subscribers: Mutex<Vec<(String, mpsc::Sender<Key>)>>,
}

impl KeyStream {
    pub(super) fn subscribe(&self, prefix: &str) -> mpsc::Receiver<Key> {
        let (tx, rx) = mpsc::channel(BUFFER);
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.push((prefix.to_owned(), tx));
        self.live.store(true, Ordering::Release);
        rx
    }

    /// The keys of the items `ops` put under a subscriber's prefix (taken before the write, which
    /// consumes the operations).
    pub(super) fn keys_of<'a>(&self, ops: impl IntoIterator<Item = &'a WriteOp>) -> Vec<Key> {
        self.keys_of_items(ops.into_iter().filter_map(|op| match op {
            WriteOp::Put { item, .. } => Some(item),
            _ => None,
        }))
    }

    /// The keys of these items (being put) under a subscriber's prefix.
    pub(super) fn keys_of_items<'a>(&self, items: impl IntoIterator<Item = &'a Item>) -> Vec<Key> {
        if !self.live.load(Ordering::Acquire) {
            return Vec::new();
        }
        let subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        items
            .into_iter()
            .filter(|item| subscribers.iter().any(|(prefix, _)| item.pk.starts_with(prefix.as_str())))
            .map(|item| (item.pk.clone(), item.sk.clone()))
            .collect()
    }

    /// Hands committed keys to their subscribers; a subscriber that is gone or too far behind
    /// misses them (its sweep finds them).
    pub(super) fn publish(&self, keys: Vec<Key>) {
        if keys.is_empty() {
            return;
        }
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|(_, tx)| !tx.is_closed());
        for key in keys {
            for (prefix, tx) in subscribers.iter() {
                if key.0.starts_with(prefix.as_str()) {
                    let _ = tx.try_send(key.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Condition;

    fn put(pk: &str, sk: &str) -> WriteOp {
        WriteOp::Put { item: Item::new(pk, sk, Vec::new()), condition: Condition::None }
    }

    #[test]
    fn only_puts_under_a_subscribed_prefix_are_streamed() {
        let stream = KeyStream::default();
        assert!(stream.keys_of(&[put("OUTBOX#1", "a")]).is_empty(), "nobody listens: nothing is kept");
        let mut rx = stream.subscribe("OUTBOX#");
        let ops = [
            put("OUTBOX#1", "a"),
            put("PATIENT#1", "b"),
            WriteOp::Delete { pk: "OUTBOX#1".into(), sk: "c".into(), condition: Condition::None },
            put("OUTBOX#2", "d"),
        ];
        let keys = stream.keys_of(&ops);
        assert_eq!(keys, vec![("OUTBOX#1".to_owned(), "a".to_owned()), ("OUTBOX#2".to_owned(), "d".to_owned())]);
        stream.publish(keys);
        assert_eq!(rx.try_recv().unwrap(), ("OUTBOX#1".to_owned(), "a".to_owned()));
        assert_eq!(rx.try_recv().unwrap(), ("OUTBOX#2".to_owned(), "d".to_owned()));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_subscriber_that_is_gone_is_forgotten() {
        let stream = KeyStream::default();
        drop(stream.subscribe("OUTBOX#"));
        stream.publish(vec![("OUTBOX#1".into(), "a".into())]);
        assert!(stream.subscribers.lock().unwrap().is_empty());
    }
}
