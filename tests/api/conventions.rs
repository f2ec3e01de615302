//! The /v1 conventions: envelopes, error codes, pagination, sorting and unknown parameters.

use crate::helpers::{assert_error, body_json, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_created_contact_is_returned_in_the_success_envelope() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_eq!(response.status(), 201);
    let body = body_json(response).await;
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["email"], "ada@example.com");
    assert!(body["data"]["id"].as_str().unwrap().starts_with("con_"));
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_envelope_without_internals() {
    let app = spawn_app().await;
    let body = assert_error(app.get("/v1/_test/panic").await, 500, "INTERNAL_ERROR").await;
    assert_eq!(body["error"]["message"], "Internal server error");
    // The server keeps serving afterwards.
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
}

#[tokio::test]
async fn an_unsupported_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .request(Method::PATCH, "/v1/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
}
