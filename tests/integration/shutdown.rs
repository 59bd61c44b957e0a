//! Every role stops cleanly on SIGTERM: within the grace period, exit status 0, with requests
//! in flight, and also when its database is gone (deleted SQLite file, dropped PostgreSQL
//! database).

use hybrid_tests::{ServeProcess, TempDir, fresh_postgres_database, postgres_admin_url};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// One plain HTTP/1.1 GET of `/health`; whether it was answered 200.
fn health(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut tcp) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(3)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if tcp.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// Keeps requests going at the server until told to stop.
fn traffic(url: &str) -> (Arc<AtomicBool>, std::thread::JoinHandle<usize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let handle = std::thread::spawn(move || {
        let mut answered = 0;
        while !flag.load(Ordering::Relaxed) {
            if health(&addr) {
                answered += 1;
            }
        }
        answered
    });
    (stop, handle)
}

fn stops_cleanly(mut p: ServeProcess, role: &str, why: &str) {
    let (stop, handle) = traffic(&p.url);
    std::thread::sleep(Duration::from_millis(300));
    let ended = p.terminate(LIMIT);
    stop.store(true, Ordering::Relaxed);
    let answered = handle.join().unwrap();
    let (status, took) =
        ended.unwrap_or_else(|| panic!("{role} ({why}) still running {LIMIT:?} after SIGTERM"));
    assert!(status.success(), "{role} ({why}) exited with {status}");
    assert!(
        answered > 0,
        "{role} ({why}) answered nothing before the signal"
    );
    eprintln!("{role} ({why}): exit 0 after {took:?} ({answered} requests answered)");
}

#[test]
fn every_role_stops_on_sigterm_on_sqlite() {
    for role in ["cloud", "onprem", "partner"] {
        let tmp = TempDir::new("shutdown");
        let data = tmp.0.to_string_lossy().to_string();
        stops_cleanly(ServeProcess::start(&data, role), role, "SQLite, in flight");
        // Again, with the database file gone underneath it.
        let _ = std::fs::remove_file(tmp.0.join(role).join("server.url"));
        let p = ServeProcess::start(&data, role);
        let db = tmp.0.join(role).join("store.db");
        for f in [
            db.clone(),
            db.with_extension("db-wal"),
            db.with_extension("db-shm"),
        ] {
            let _ = std::fs::remove_file(f);
        }
        stops_cleanly(p, role, "SQLite, database deleted");
    }
}

#[test]
fn every_role_stops_on_sigterm_on_postgres() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for role in ["cloud", "onprem", "partner"] {
        let tmp = TempDir::new("shutdown-pg");
        let data = tmp.0.to_string_lossy().to_string();
        let url = runtime.block_on(fresh_postgres_database(&admin));
        stops_cleanly(
            ServeProcess::start_with(&data, role, &["--store", &url]),
            role,
            "PostgreSQL, in flight",
        );
        let _ = std::fs::remove_file(tmp.0.join(role).join("server.url"));
        let p = ServeProcess::start_with(&data, role, &["--store", &url]);
        let name = url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        runtime.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        });
        stops_cleanly(p, role, "PostgreSQL, database dropped");
    }
}
