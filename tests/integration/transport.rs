//! The transport on both backends: a message queued by a process that then stops is delivered
//! by the next process on the store, once; delivering its job again stores nothing twice.

use hybrid_tests::TempDir;
use mailbox::{Mailbox, Recipient, Sender};
use store::{JobState, Store};

async fn inbox_total(store: &Store, guid: &str) -> i64 {
    let mbox = Mailbox::open(store, guid).await.unwrap();
    let inbox = mbox.distinguished("inbox").unwrap().id.clone();
    mbox.counts()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.folder_id == inbox)
        .map(|c| c.total)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queued_before_a_restart_is_delivered_once_after_it() {
    let dir = TempDir::new("transport");
    for store in hybrid_tests::store_backends(&dir, "transport.db").await {
        let label = store.url().to_string();
        for guid in ["mbx-sender", "mbx-recipient"] {
            mailbox::provision(&store, guid).await.unwrap();
        }
        // The sender's process queues the message and stops before any delivery.
        let sender = Mailbox::open(&store, "mbx-sender").await.unwrap();
        let drafts = sender.distinguished("drafts").unwrap().clone();
        let mut item = mailbox::ItemDraft::new(mailbox::ItemKind::Message);
        item.subject = Some("queued before a restart".into());
        let made = sender.compose(&drafts, &item).await.unwrap();
        let recipient = Recipient {
            mailbox: Mailbox::open(&store, "mbx-recipient").await.unwrap(),
            name: "Recipient".into(),
            address: "recipient@contoso.com".into(),
        };
        let from = Sender::new("Sender", "sender@contoso.com");
        sender.send(&made, &from, &[recipient], None).await.unwrap();
        assert_eq!(inbox_total(&store, "mbx-recipient").await, 0, "{label}");
        assert_eq!(store.queue().stats().await.unwrap().pending, 1, "{label}");

        // The next process on the store delivers it.
        let server = onprem::OnPremServer::start(
            store.clone(),
            onprem::OnPremConfig::new("http://127.0.0.1:9"),
        )
        .await
        .unwrap();
        let started = std::time::Instant::now();
        while inbox_total(&store, "mbx-recipient").await < 1 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{label}: not delivered"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The job ends just after the delivery's own commit.
        let job = loop {
            let done = store.queue().list(JobState::Done, 10).await.unwrap();
            if let Some(j) = done
                .into_iter()
                .find(|j| j.kind == mailbox::transport::DELIVERY_JOB)
            {
                break j;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{label}: the delivery's job did not end"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        drop(server);

        // Its job, run again (as after a crash between the delivery and the job's end), stores
        // nothing twice.
        let out: mailbox::transport::Outgoing =
            serde_json::from_value(job.payload.clone()).unwrap();
        assert_eq!(
            mailbox::transport::deliver(&store, &out).await.unwrap(),
            0,
            "{label}"
        );
        assert_eq!(inbox_total(&store, "mbx-recipient").await, 1, "{label}");
    }
}
