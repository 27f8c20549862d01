//! The opening handshake over real sockets: every malformed or ambiguous
//! request gets the HTTP answer RFC 6455 and HTTP prescribe, and tokens are
//! checked strictly (`nbf`, `crit`, one credential only).

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::*;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(header: Header, claims: Value) -> String {
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

async fn answer(t: &TestServer, request: String) -> String {
    raw_http(&addr(t), request.as_bytes()).await
}

/// The suites run against the entry point `AGENTWIRE_TEST_ENTRY` names: this
/// checks that the selection is real, so a run meant for the mounted
/// endpoint cannot quietly test `hub.serve` again.
#[tokio::test]
async fn the_selected_entry_point_is_the_one_under_test() {
    let t = start(config()).await;
    let health = raw_http(
        &addr(&t),
        format!("GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n", addr(&t)).as_bytes(),
    )
    .await;
    let expected = match Entry::from_env() {
        Entry::Serve => 404,
        Entry::Mounted => 200,
    };
    assert_eq!(status_of(&health), expected, "{health}");
}

#[tokio::test]
async fn malformed_handshakes_get_the_http_answer_that_names_the_problem() {
    let t = start(config()).await;
    let a = addr(&t);
    let auth = bearer(&token("alice"));

    // A browser address bar or curl: a plain GET.
    let head = answer(&t, format!("GET /ws HTTP/1.1\r\nHost: {a}\r\n\r\n")).await;
    assert_eq!(status_of(&head), 426, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{head}"
    );

    // Another WebSocket version.
    let v8 = upgrade_request(&a, "/ws", &auth).replace("Version: 13", "Version: 8");
    let head = answer(&t, v8).await;
    assert_eq!(status_of(&head), 426, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{head}"
    );

    // No Sec-WebSocket-Key, or a malformed one.
    let no_key = upgrade_request(&a, "/ws", &auth)
        .replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    assert_eq!(status_of(&answer(&t, no_key).await), 400);
    let bad_key = upgrade_request(&a, "/ws", &auth).replace("dGhlIHNhbXBsZSBub25jZQ==", "short");
    assert_eq!(status_of(&answer(&t, bad_key).await), 400);

    // HTTP/1.0.
    let old = upgrade_request(&a, "/ws", &auth).replace("HTTP/1.1", "HTTP/1.0");
    assert_eq!(status_of(&answer(&t, old).await), 400);

    // POST.
    let post = upgrade_request(&a, "/ws", &auth).replacen("GET", "POST", 1);
    let head = answer(&t, post).await;
    assert_eq!(status_of(&head), 405, "{head}");
    assert!(head.to_ascii_lowercase().contains("allow: get"), "{head}");

    // Too many header lines, and headers too large.
    let many: String = (0..200).map(|i| format!("X-Filler-{i}: x\r\n")).collect();
    assert_eq!(
        status_of(&answer(&t, upgrade_request(&a, "/ws", &many)).await),
        431
    );
    // The size of a request head is the HTTP server's to limit: `hub.serve`
    // keeps it to 32 KiB; a mounted endpoint lives with the app's server
    // (hyper's default is about 400 KiB), so the request reaches the
    // endpoint, which asks for the token it lacks.
    let large = format!("X-Large: {}\r\n", "y".repeat(64 * 1024));
    let expected = match Entry::from_env() {
        Entry::Serve => 431,
        Entry::Mounted => 401,
    };
    assert_eq!(
        status_of(&answer(&t, upgrade_request(&a, "/ws", &large)).await),
        expected
    );

    // Another path.
    assert_eq!(
        status_of(&answer(&t, upgrade_request(&a, "/other", &auth)).await),
        404
    );

    // And a well-formed request still gets 101.
    assert_eq!(
        status_of(&answer(&t, upgrade_request(&a, "/ws", &auth)).await),
        101
    );
}

#[tokio::test]
async fn ambiguous_credentials_are_refused_with_400() {
    let t = start(config()).await;
    let a = addr(&t);
    let alice = token("alice");
    let bob = token("bob");
    let cases = [
        (
            "a header for alice and a subprotocol for bob",
            format!(
                "{}Sec-WebSocket-Protocol: agentwire.v1, bearer.{bob}\r\n",
                bearer(&alice)
            ),
        ),
        (
            "the same token both ways",
            format!(
                "{}Sec-WebSocket-Protocol: agentwire.v1, bearer.{alice}\r\n",
                bearer(&alice)
            ),
        ),
        (
            "two subprotocol tokens",
            format!("Sec-WebSocket-Protocol: agentwire.v1, bearer.{alice}, bearer.{bob}\r\n"),
        ),
        (
            "two Authorization headers",
            format!("{}{}", bearer(&alice), bearer(&bob)),
        ),
    ];
    for (case, headers) in cases {
        let head = answer(&t, upgrade_request(&a, "/ws", &headers)).await;
        assert_eq!(status_of(&head), 400, "{case}: {head}");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let t = start(config()).await;
    let a = addr(&t);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("Authorization: {scheme} {}\r\n", token("alice"));
        let head = answer(&t, upgrade_request(&a, "/ws", &header)).await;
        assert_eq!(status_of(&head), 101, "{scheme}: {head}");
    }
}

#[tokio::test]
async fn tokens_not_yet_valid_or_with_unknown_critical_extensions_are_refused() {
    let t = start(config()).await;
    let a = addr(&t);
    let tomorrow = sign(
        Header::new(Algorithm::HS256),
        json!({ "sub": "mallory", "exp": now() + 2 * 86_400, "nbf": now() + 86_400 }),
    );
    let mut crit = Header::new(Algorithm::HS256);
    crit.crit = Some(vec!["x-unknown".into()]);
    let critical = sign(crit, json!({ "sub": "mallory", "exp": now() + 600 }));
    for (case, token) in [("nbf tomorrow", tomorrow), ("crit", critical)] {
        let head = answer(&t, upgrade_request(&a, "/ws", &bearer(&token))).await;
        assert_eq!(status_of(&head), 401, "{case}: {head}");
    }
    // `nbf` in the past is fine.
    let valid = sign(
        Header::new(Algorithm::HS256),
        json!({ "sub": "alice", "exp": now() + 600, "nbf": now() - 60 }),
    );
    let head = answer(&t, upgrade_request(&a, "/ws", &bearer(&valid))).await;
    assert_eq!(status_of(&head), 101, "{head}");
}

#[tokio::test]
async fn missing_claims_are_named_in_the_answer() {
    let t = start(config()).await;
    let a = addr(&t);
    for (claims, missing) in [
        (json!({ "sub": "alice" }), "exp"),
        (json!({ "exp": now() + 600 }), "sub"),
    ] {
        let token = sign(Header::new(Algorithm::HS256), claims);
        let head = answer(&t, upgrade_request(&a, "/ws", &bearer(&token))).await;
        assert_eq!(status_of(&head), 401, "{head}");
        // The body follows the head; read the whole answer.
        let whole = raw_http_body(&a, upgrade_request(&a, "/ws", &bearer(&token))).await;
        assert!(whole.contains(&format!("`{missing}`")), "{whole}");
    }
}

#[tokio::test]
async fn malformed_resume_queries_are_refused_with_400() {
    let t = start(config()).await;
    let a = addr(&t);
    let auth = bearer(&token("alice"));
    for query in [
        "since=+5",
        "since=-1",
        "since=5&since=6",
        "since=99999999999999999999",
        "epoch=abc",
        "since=1&epoch=not%20an%20epoch",
    ] {
        let head = answer(&t, upgrade_request(&a, &format!("/ws?{query}"), &auth)).await;
        assert_eq!(status_of(&head), 400, "{query}: {head}");
    }
}

/// The whole response, head and body, read until the server closes.
async fn raw_http_body(addr: &str, request: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
