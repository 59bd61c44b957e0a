//! A role's listener under clients that stop mid-request: connections that stall in their
//! headers or their body are closed at the listener's deadlines, while other clients are
//! answered meanwhile.

use hybrid_tests::{ServeProcess, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The header deadline and the body grace are 10 s each; a stalled connection must be gone
/// well within this.
const CLOSED_WITHIN: Duration = Duration::from_secs(25);

fn addr_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// One request on a fresh connection: its status line, or what went wrong.
fn request(addr: &str, text: &str) -> String {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(text.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("(nothing)").to_string()
}

/// Whether the server closed `tcp` (end of stream or a reset), reading whatever it said first.
fn closed_by_server(tcp: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_clients_are_cut_off_while_others_are_served() {
    let dir = TempDir::new("slow-clients");
    let mut p = ServeProcess::start(&dir.path("data"), "onprem");
    let addr = addr_of(&p.url);
    let get_folder = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>"#;
    let ews = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{get_folder}",
        get_folder.len()
    );
    assert!(
        request(&addr, &ews).starts_with("HTTP/1.1 401"),
        "the challenge"
    );

    let started = Instant::now();
    let mut stalled = Vec::new();
    for i in 0..256 {
        let mut tcp = TcpStream::connect(&addr).expect("connect");
        let partial = if i % 2 == 0 {
            // Stops in the middle of its headers.
            format!("POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ")
        } else {
            // Sends its headers, then 10 bytes of a body of 100,000.
            format!(
                "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<s:Envel"
            )
        };
        tcp.write_all(partial.as_bytes()).unwrap();
        tcp.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        stalled.push(tcp);
    }
    // Held connections do not stop others from being served.
    for _ in 0..5 {
        assert!(request(&addr, &ews).starts_with("HTTP/1.1 401"));
        assert!(
            request(
                &addr,
                &format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            )
            .starts_with("HTTP/1.1 200")
        );
    }
    // Every stalled connection is closed by the server at its deadline.
    while !stalled.is_empty() && started.elapsed() < CLOSED_WITHIN {
        stalled.retain_mut(|tcp| !closed_by_server(tcp));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        stalled.is_empty(),
        "{} of 256 stalled connections still open after {CLOSED_WITHIN:?}",
        stalled.len()
    );
    assert!(request(&addr, &ews).starts_with("HTTP/1.1 401"));
    let ended = p.terminate(Duration::from_secs(10));
    assert!(ended.is_some_and(|(s, _)| s.success()));
}
