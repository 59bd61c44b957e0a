//! Versioned schema migrations, one list per backend, applied at open. Each runs in its own
//! transaction with its bookkeeping row; an applied migration whose text has changed since is
//! refused rather than silently skipped.

use crate::StoreError;
use crate::pool::{Pool, with_pool};
use crate::url::StoreUrl;
use sqlx::Row;

pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        description: "directory objects and the change log",
        sql: "
        CREATE TABLE directory_objects (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            parent TEXT NOT NULL,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            data TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            changed_ms INTEGER NOT NULL,
            UNIQUE (parent, kind, name_key)
        );
        CREATE INDEX directory_objects_kind ON directory_objects (kind, parent);
        CREATE TABLE change_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            origin TEXT NOT NULL,
            channel TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        );
    ",
    },
    Migration {
        version: 2,
        description: "mailbox folders, items and user configurations",
        sql: "
        CREATE TABLE mailbox_folders (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            parent_id TEXT,
            distinguished TEXT,
            display_name TEXT NOT NULL,
            folder_class TEXT,
            version INTEGER NOT NULL,
            UNIQUE (mailbox, distinguished)
        );
        CREATE INDEX mailbox_folders_mailbox ON mailbox_folders (mailbox);
        CREATE TABLE mailbox_items (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            folder_id TEXT NOT NULL REFERENCES mailbox_folders (id),
            tag TEXT NOT NULL,
            item_class TEXT NOT NULL,
            subject TEXT NOT NULL,
            props TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            received_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL,
            size INTEGER NOT NULL,
            is_read INTEGER NOT NULL,
            is_draft INTEGER NOT NULL,
            immutable INTEGER NOT NULL,
            version INTEGER NOT NULL
        );
        CREATE INDEX mailbox_items_folder ON mailbox_items (folder_id);
        CREATE TABLE user_configurations (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            folder_id TEXT NOT NULL REFERENCES mailbox_folders (id),
            name TEXT NOT NULL,
            dictionary TEXT,
            xml_data TEXT,
            binary_data TEXT,
            version INTEGER NOT NULL,
            UNIQUE (folder_id, name)
        );
    ",
    },
    Migration {
        version: 3,
        description: "handshake events",
        sql: "
        CREATE TABLE handshake_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms INTEGER NOT NULL,
            direction TEXT NOT NULL,
            token_kind TEXT NOT NULL,
            issuer TEXT NOT NULL,
            audience TEXT NOT NULL,
            nameid TEXT NOT NULL,
            user_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            error_code INTEGER,
            error TEXT NOT NULL,
            latency_us INTEGER NOT NULL,
            digest TEXT NOT NULL
        );
    ",
    },
    Migration {
        version: 4,
        description: "indexed mailbox search: sort and text keys, a value index for extended properties, kept folder counts",
        sql: "
        ALTER TABLE mailbox_items ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE mailbox_items ADD COLUMN class_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE mailbox_items ADD COLUMN props_format INTEGER NOT NULL DEFAULT 1;
        UPDATE mailbox_items SET subject_key = lower(subject), class_key = lower(item_class);
        DROP INDEX mailbox_items_folder;
        CREATE INDEX mailbox_items_received ON mailbox_items (folder_id, received_ms, id);
        CREATE INDEX mailbox_items_class ON mailbox_items (folder_id, class_key, received_ms, id);
        CREATE INDEX mailbox_items_subject ON mailbox_items (folder_id, subject_key, received_ms, id);
        CREATE INDEX mailbox_items_modified ON mailbox_items (folder_id, modified_ms, id);
        CREATE INDEX mailbox_items_created ON mailbox_items (folder_id, created_ms, id);
        CREATE INDEX mailbox_items_legacy ON mailbox_items (props_format);
        CREATE TABLE mailbox_item_values (
            item_id TEXT NOT NULL,
            prop_key TEXT NOT NULL,
            value_text TEXT NOT NULL,
            value_key TEXT NOT NULL,
            value_num REAL
        );
        CREATE INDEX mailbox_item_values_key ON mailbox_item_values (prop_key, value_key);
        CREATE INDEX mailbox_item_values_item ON mailbox_item_values (item_id);
        CREATE TABLE mailbox_folder_counts (
            folder_id TEXT NOT NULL,
            class_key TEXT NOT NULL,
            total INTEGER NOT NULL,
            unread INTEGER NOT NULL,
            PRIMARY KEY (folder_id, class_key)
        );
        INSERT INTO mailbox_folder_counts (folder_id, class_key, total, unread)
            SELECT folder_id, class_key, COUNT(*), SUM(CASE WHEN is_read = 0 THEN 1 ELSE 0 END)
            FROM mailbox_items GROUP BY folder_id, class_key;
    ",
    },
    Migration {
        version: 5,
        description: "folder properties (extended properties of folders)",
        sql: "
        ALTER TABLE mailbox_folders ADD COLUMN props TEXT NOT NULL DEFAULT '{}';
    ",
    },
    Migration {
        version: 6,
        description: "attachment contents by digest, folder sizes",
        sql: "
        CREATE TABLE mailbox_blobs (
            digest TEXT PRIMARY KEY,
            content BLOB NOT NULL,
            size INTEGER NOT NULL,
            created_ms INTEGER NOT NULL
        );
        CREATE INDEX mailbox_item_values_text ON mailbox_item_values (prop_key, value_text);
        ALTER TABLE mailbox_folder_counts ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
        UPDATE mailbox_folder_counts SET size = (SELECT COALESCE(SUM(i.size), 0) FROM mailbox_items i
            WHERE i.folder_id = mailbox_folder_counts.folder_id AND i.class_key = mailbox_folder_counts.class_key);
    ",
    },
    Migration {
        version: 7,
        description: "the item journal that folder synchronization reads",
        sql: "
        CREATE TABLE mailbox_item_journal (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            folder_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        );
        CREATE INDEX mailbox_item_journal_folder ON mailbox_item_journal (folder_id, seq);
    ",
    },
    Migration {
        version: 8,
        description: "client assertions already used, shared by every process",
        sql: "
        CREATE TABLE used_assertions (
            digest TEXT PRIMARY KEY,
            forget_after INTEGER NOT NULL
        );
        CREATE INDEX used_assertions_forget ON used_assertions (forget_after);
    ",
    },
    Migration {
        version: 9,
        description: "the work queue, by state and due time",
        sql: "
        CREATE TABLE work_queue (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            due_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            lease_owner TEXT NOT NULL,
            lease_until_ms INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        );
        CREATE INDEX work_queue_due ON work_queue (state, due_ms);
        CREATE INDEX work_queue_lease ON work_queue (state, lease_until_ms);
        CREATE INDEX work_queue_done ON work_queue (state, updated_ms);
    ",
    },
    Migration {
        version: 10,
        description: "mailbox events: the journal by mailbox, and EWS subscriptions",
        sql: "
        ALTER TABLE mailbox_item_journal ADD COLUMN mailbox TEXT NOT NULL DEFAULT '';
        ALTER TABLE mailbox_item_journal ADD COLUMN other_folder TEXT;
        ALTER TABLE mailbox_item_journal ADD COLUMN other_item TEXT;
        ALTER TABLE mailbox_item_journal ADD COLUMN new_mail INTEGER NOT NULL DEFAULT 0;
        UPDATE mailbox_item_journal SET mailbox = COALESCE((SELECT f.mailbox FROM mailbox_folders f
            WHERE f.id = mailbox_item_journal.folder_id), '');
        CREATE INDEX mailbox_item_journal_mailbox ON mailbox_item_journal (mailbox, seq);
        CREATE TABLE ews_subscriptions (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            kind TEXT NOT NULL,
            spec TEXT NOT NULL,
            position BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            last_sent_ms BIGINT NOT NULL DEFAULT 0,
            failing_since_ms BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX ews_subscriptions_mailbox ON ews_subscriptions (mailbox, expires_ms);
    ",
    },
    Migration {
        version: 11,
        description: "device code sign-ins waiting for their user",
        sql: "
        CREATE TABLE device_authorizations (
            user_code TEXT PRIMARY KEY,
            device_hash TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            client_id TEXT NOT NULL,
            request TEXT NOT NULL,
            state TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            expires BIGINT NOT NULL,
            last_poll BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX device_authorizations_expires ON device_authorizations (expires);
    ",
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        description: "directory objects and the change log",
        sql: "
        CREATE TABLE directory_objects (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            parent TEXT NOT NULL,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            data TEXT NOT NULL,
            version BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            changed_ms BIGINT NOT NULL,
            UNIQUE (parent, kind, name_key)
        );
        CREATE INDEX directory_objects_kind ON directory_objects (kind, parent);
        CREATE TABLE change_log (
            seq BIGSERIAL PRIMARY KEY,
            origin TEXT NOT NULL,
            channel TEXT NOT NULL,
            at_ms BIGINT NOT NULL
        );
    ",
    },
    Migration {
        version: 2,
        description: "mailbox folders, items and user configurations",
        sql: "
        CREATE TABLE mailbox_folders (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            parent_id TEXT,
            distinguished TEXT,
            display_name TEXT NOT NULL,
            folder_class TEXT,
            version BIGINT NOT NULL,
            UNIQUE (mailbox, distinguished)
        );
        CREATE INDEX mailbox_folders_mailbox ON mailbox_folders (mailbox);
        CREATE TABLE mailbox_items (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            folder_id TEXT NOT NULL REFERENCES mailbox_folders (id),
            tag TEXT NOT NULL,
            item_class TEXT NOT NULL,
            subject TEXT NOT NULL,
            props TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            modified_ms BIGINT NOT NULL,
            size BIGINT NOT NULL,
            is_read BIGINT NOT NULL,
            is_draft BIGINT NOT NULL,
            immutable BIGINT NOT NULL,
            version BIGINT NOT NULL
        );
        CREATE INDEX mailbox_items_folder ON mailbox_items (folder_id);
        CREATE TABLE user_configurations (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            folder_id TEXT NOT NULL REFERENCES mailbox_folders (id),
            name TEXT NOT NULL,
            dictionary TEXT,
            xml_data TEXT,
            binary_data TEXT,
            version BIGINT NOT NULL,
            UNIQUE (folder_id, name)
        );
    ",
    },
    Migration {
        version: 3,
        description: "handshake events",
        sql: "
        CREATE TABLE handshake_events (
            seq BIGSERIAL PRIMARY KEY,
            at_ms BIGINT NOT NULL,
            direction TEXT NOT NULL,
            token_kind TEXT NOT NULL,
            issuer TEXT NOT NULL,
            audience TEXT NOT NULL,
            nameid TEXT NOT NULL,
            user_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            error_code BIGINT,
            error TEXT NOT NULL,
            latency_us BIGINT NOT NULL,
            digest TEXT NOT NULL
        );
    ",
    },
    Migration {
        version: 4,
        description: "indexed mailbox search: sort and text keys, a value index for extended properties, kept folder counts",
        sql: "
        ALTER TABLE mailbox_items ADD COLUMN subject_key TEXT COLLATE \"C\" NOT NULL DEFAULT '';
        ALTER TABLE mailbox_items ADD COLUMN class_key TEXT COLLATE \"C\" NOT NULL DEFAULT '';
        ALTER TABLE mailbox_items ADD COLUMN props_format BIGINT NOT NULL DEFAULT 1;
        UPDATE mailbox_items SET subject_key = lower(subject), class_key = lower(item_class);
        DROP INDEX mailbox_items_folder;
        CREATE INDEX mailbox_items_received ON mailbox_items (folder_id, received_ms, id);
        CREATE INDEX mailbox_items_class ON mailbox_items (folder_id, class_key, received_ms, id);
        CREATE INDEX mailbox_items_subject ON mailbox_items (folder_id, subject_key, received_ms, id);
        CREATE INDEX mailbox_items_modified ON mailbox_items (folder_id, modified_ms, id);
        CREATE INDEX mailbox_items_created ON mailbox_items (folder_id, created_ms, id);
        CREATE INDEX mailbox_items_legacy ON mailbox_items (props_format);
        CREATE TABLE mailbox_item_values (
            item_id TEXT NOT NULL,
            prop_key TEXT COLLATE \"C\" NOT NULL,
            value_text TEXT NOT NULL,
            value_key TEXT COLLATE \"C\" NOT NULL,
            value_num DOUBLE PRECISION
        );
        CREATE INDEX mailbox_item_values_key ON mailbox_item_values (prop_key, value_key);
        CREATE INDEX mailbox_item_values_item ON mailbox_item_values (item_id);
        CREATE TABLE mailbox_folder_counts (
            folder_id TEXT NOT NULL,
            class_key TEXT COLLATE \"C\" NOT NULL,
            total BIGINT NOT NULL,
            unread BIGINT NOT NULL,
            PRIMARY KEY (folder_id, class_key)
        );
        INSERT INTO mailbox_folder_counts (folder_id, class_key, total, unread)
            SELECT folder_id, class_key, COUNT(*), SUM(CASE WHEN is_read = 0 THEN 1 ELSE 0 END)
            FROM mailbox_items GROUP BY folder_id, class_key;
    ",
    },
    Migration {
        version: 5,
        description: "folder properties (extended properties of folders)",
        sql: "
        ALTER TABLE mailbox_folders ADD COLUMN props TEXT NOT NULL DEFAULT '{}';
    ",
    },
    Migration {
        version: 6,
        description: "attachment contents by digest, folder sizes",
        sql: "
        CREATE TABLE mailbox_blobs (
            digest TEXT PRIMARY KEY,
            content BYTEA NOT NULL,
            size BIGINT NOT NULL,
            created_ms BIGINT NOT NULL
        );
        CREATE INDEX mailbox_item_values_text ON mailbox_item_values (prop_key, value_text);
        ALTER TABLE mailbox_folder_counts ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
        UPDATE mailbox_folder_counts SET size = (SELECT COALESCE(SUM(i.size), 0) FROM mailbox_items i
            WHERE i.folder_id = mailbox_folder_counts.folder_id AND i.class_key = mailbox_folder_counts.class_key);
    ",
    },
    Migration {
        version: 7,
        description: "the item journal that folder synchronization reads",
        sql: "
        CREATE TABLE mailbox_item_journal (
            seq BIGSERIAL PRIMARY KEY,
            folder_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            at_ms BIGINT NOT NULL
        );
        CREATE INDEX mailbox_item_journal_folder ON mailbox_item_journal (folder_id, seq);
    ",
    },
    Migration {
        version: 8,
        description: "client assertions already used, shared by every process",
        sql: "
        CREATE TABLE used_assertions (
            digest TEXT PRIMARY KEY,
            forget_after BIGINT NOT NULL
        );
        CREATE INDEX used_assertions_forget ON used_assertions (forget_after);
    ",
    },
    Migration {
        version: 9,
        description: "the work queue, by state and due time",
        sql: "
        CREATE TABLE work_queue (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            due_ms BIGINT NOT NULL,
            attempts BIGINT NOT NULL,
            last_error TEXT NOT NULL,
            lease_owner TEXT NOT NULL,
            lease_until_ms BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        );
        CREATE INDEX work_queue_due ON work_queue (state, due_ms);
        CREATE INDEX work_queue_lease ON work_queue (state, lease_until_ms);
        CREATE INDEX work_queue_done ON work_queue (state, updated_ms);
    ",
    },
    Migration {
        version: 10,
        description: "mailbox events: the journal by mailbox, and EWS subscriptions",
        sql: "
        ALTER TABLE mailbox_item_journal ADD COLUMN mailbox TEXT NOT NULL DEFAULT '';
        ALTER TABLE mailbox_item_journal ADD COLUMN other_folder TEXT;
        ALTER TABLE mailbox_item_journal ADD COLUMN other_item TEXT;
        ALTER TABLE mailbox_item_journal ADD COLUMN new_mail BIGINT NOT NULL DEFAULT 0;
        UPDATE mailbox_item_journal SET mailbox = COALESCE((SELECT f.mailbox FROM mailbox_folders f
            WHERE f.id = mailbox_item_journal.folder_id), '');
        CREATE INDEX mailbox_item_journal_mailbox ON mailbox_item_journal (mailbox, seq);
        CREATE TABLE ews_subscriptions (
            id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            kind TEXT NOT NULL,
            spec TEXT NOT NULL,
            position BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            last_sent_ms BIGINT NOT NULL DEFAULT 0,
            failing_since_ms BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX ews_subscriptions_mailbox ON ews_subscriptions (mailbox, expires_ms);
    ",
    },
    Migration {
        version: 11,
        description: "device code sign-ins waiting for their user",
        sql: "
        CREATE TABLE device_authorizations (
            user_code TEXT PRIMARY KEY,
            device_hash TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            client_id TEXT NOT NULL,
            request TEXT NOT NULL,
            state TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            expires BIGINT NOT NULL,
            last_poll BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX device_authorizations_expires ON device_authorizations (expires);
    ",
    },
];

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_ms BIGINT NOT NULL
)";

/// FNV-1a, 64 bits: enough to notice an edited migration.
fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in sql.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

pub async fn run(pool: &Pool, url: &StoreUrl) -> Result<(), StoreError> {
    let list = match pool {
        Pool::Sqlite(_) => SQLITE,
        Pool::Postgres(_) => POSTGRES,
    };
    let fail = |version: i64, e: sqlx::Error| StoreError::Migration {
        url: url.to_string(),
        version,
        reason: e.to_string(),
    };
    let known = list.last().map(|m| m.version).unwrap_or(0);
    with_pool!(pool, p => {
        sqlx::query(BOOKKEEPING).execute(p).await.map_err(|e| fail(0, e))?;
        for m in list {
            let mut tx = match pool {
                Pool::Sqlite(_) => p.begin_with("BEGIN IMMEDIATE").await,
                Pool::Postgres(_) => p.begin().await,
            }
            .map_err(|e| fail(m.version, e))?;
            if matches!(pool, Pool::Postgres(_)) {
                // Several processes may start at once: one migrates, the others wait and see it done.
                sqlx::query("SELECT pg_advisory_xact_lock(7243512)").execute(&mut *tx).await.map_err(|e| fail(m.version, e))?;
            }
            let rows = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| fail(m.version, e))?;
            let applied: Vec<(i64, String)> = rows.iter().map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1))).collect();
            if let Some((found, _)) = applied.iter().find(|(v, _)| *v > known) {
                return Err(StoreError::SchemaTooNew { url: url.to_string(), found: *found, known });
            }
            match applied.iter().find(|(v, _)| *v == m.version) {
                Some((_, sum)) if *sum == checksum(m.sql) => continue,
                Some(_) => {
                    return Err(StoreError::Migration {
                        url: url.to_string(),
                        version: m.version,
                        reason: "this migration was applied with a different text".into(),
                    });
                }
                None => {}
            }
            sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|e| fail(m.version, e))?;
            sqlx::query("INSERT INTO schema_migrations (version, description, checksum, applied_ms) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.description)
                .bind(checksum(m.sql))
                .bind(crate::now_ms())
                .execute(&mut *tx)
                .await
                .map_err(|e| fail(m.version, e))?;
            tx.commit().await.map_err(|e| fail(m.version, e))?;
            tracing::info!(store = %url, version = m.version, "applied migration: {}", m.description);
        }
        Ok(())
    })
}
