//! Group commit for the embedded SQLite store.
//!
//! SQLite in WAL mode with `synchronous=FULL` flushes the WAL to disk inside every commit,
//! while the database's single write lock is held: writers queue behind each other's flush,
//! so a store commits at most one transaction per disk flush. Connections run with
//! `synchronous=NORMAL` instead (a commit appends its frames to the WAL and returns), and every
//! write waits here, after its commit and before it answers, until a flush of the WAL covers
//! it. Writers that commit while a flush is under way share the next one: one flush makes a
//! whole group durable. A transaction is reported committed only once it is on disk, exactly
//! as with `FULL`; checkpoints stay safe because `NORMAL` flushes the WAL before copying it
//! into the database file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct GroupCommit {
    wal: PathBuf,
    /// Commits made so far (a commit takes its ticket after it returns).
    committed: AtomicU64,
    /// The highest ticket known to be on disk; holding the lock is holding the flush.
    flushed: tokio::sync::Mutex<u64>,
    /// Flushes done, for tests and metrics.
    flushes: AtomicU64,
}

impl GroupCommit {
    pub(crate) fn new(database: &std::path::Path) -> GroupCommit {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        GroupCommit {
            wal: PathBuf::from(wal),
            committed: AtomicU64::new(0),
            flushed: tokio::sync::Mutex::new(0),
            flushes: AtomicU64::new(0),
        }
    }

    /// Waits until the transaction that just committed is on disk.
    pub(crate) async fn durable(&self) -> std::io::Result<()> {
        let ticket = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = self.flushed.lock().await;
        if *flushed >= ticket {
            // A flush that started after this commit already covered it.
            return Ok(());
        }
        // Every commit with a ticket up to `target` returned before this flush starts.
        let target = self.committed.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        tokio::task::spawn_blocking(move || flush(&wal))
            .await
            .map_err(std::io::Error::other)??;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        *flushed = target;
        Ok(())
    }

    pub(crate) fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

/// Flushes the WAL file's data. The file is opened anew each time: SQLite may have removed
/// it (the last connection closing checkpoints it away, and then the frames are in the
/// database file, which the checkpoint flushed).
fn flush(wal: &std::path::Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().read(true).open(wal) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_commits_share_flushes() {
        let dir = std::env::temp_dir().join(format!("gc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("x.db");
        std::fs::write(dir.join("x.db-wal"), b"frames").unwrap();
        let g = Arc::new(GroupCommit::new(&db));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let g = g.clone();
            tasks.push(tokio::spawn(async move { g.durable().await.unwrap() }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert!(g.flushes() >= 1);
        assert!(
            g.flushes() < 64,
            "each commit flushed alone: {}",
            g.flushes()
        );
        // A missing WAL is not an error (it was checkpointed away).
        std::fs::remove_file(dir.join("x.db-wal")).unwrap();
        g.durable().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
