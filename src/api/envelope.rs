//! The success envelope (`{success, data, meta}`) and the schemas that document both envelopes.

use crate::domain::listing::{Page, PageRequest};
use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `{"success": true, "data": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub success: bool,
    /// The result.
    pub data: T,
}

/// `{"success": true, "data": [...], "meta": {...}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ListEnvelope<T> {
    /// Always `true`.
    pub success: bool,
    /// This page's items.
    pub data: Vec<T>,
    /// Pagination.
    pub meta: PageMeta,
}

/// Pagination metadata of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// Page number (1-based).
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: u32,
    /// Items matching in all.
    pub total: u64,
    /// Pages in all.
    pub total_pages: u64,
}

/// The error envelope every error uses.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"success": false, "error": {"code": "VALIDATION_ERROR", "message": "Email is required", "details": {"field": "email"}}}))]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub error: ErrorBody,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    #[schema(value_type = String, example = "VALIDATION_ERROR")]
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Optional details, e.g. `{"field": "email"}`.
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// 200 with the data enveloped.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope {
        success: true,
        data,
    })
}

/// 201 with the data enveloped.
pub fn created<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Created().json(Envelope {
        success: true,
        data,
    })
}

/// 200 with a page of items and its meta.
pub fn page<T, U: Serialize>(
    page: Page<T>,
    request: PageRequest,
    convert: impl FnMut(T) -> U,
) -> HttpResponse {
    let per_page = u64::from(request.per_page);
    HttpResponse::Ok().json(ListEnvelope {
        success: true,
        data: page.items.into_iter().map(convert).collect(),
        meta: PageMeta {
            page: request.page,
            per_page: request.per_page,
            total: page.total,
            total_pages: page.total.div_ceil(per_page),
        },
    })
}
