//! Configuration the request path reads (settings, users), kept in memory between changes.
//!
//! An entry is good for as long as the store's change generation it was read at lasts: any
//! configuration change, this process's at once and another process's within a second, starts
//! a new generation and so empties the cache. No database read on the archive path, none
//! missed after a change.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::Store;

/// More entries than this and the cache starts over (users are many only in a benchmark).
const MAX_ENTRIES: usize = 10_000;

/// One kept value, of the type its key is read as (settings, a user).
type Entry = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
pub struct ConfigCache {
    inner: Mutex<(u64, HashMap<String, Entry>)>,
}

impl ConfigCache {
    /// The value kept under `key` at this generation, or what `read` finds (kept when no change
    /// came while it was read).
    pub async fn get_or_read<T, E, F>(&self, store: &Store, key: &str, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: AsyncFnOnce() -> Result<T, E>,
    {
        let generation = store.generation();
        {
            let kept = self.inner.lock().expect("config cache lock");
            if kept.0 == generation
                && let Some(v) = kept.1.get(key).and_then(|v| v.downcast_ref::<T>())
            {
                return Ok(v.clone());
            }
        }
        let value = read().await?;
        let mut kept = self.inner.lock().expect("config cache lock");
        if store.generation() == generation && kept.0 <= generation {
            if kept.0 != generation || kept.1.len() >= MAX_ENTRIES {
                kept.1.clear();
                kept.0 = generation;
            }
            kept.1.insert(key.to_string(), Arc::new(value.clone()));
        }
        Ok(value)
    }
}
