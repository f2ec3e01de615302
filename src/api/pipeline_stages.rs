//! `/v1/pipeline-stages`: the workspace's sales pipeline, for `pipelineStageId` on contacts.

use crate::api::envelope::{self, Envelope};
use crate::api::error::ApiResult;
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// A pipeline stage.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "stg_Lm3Nq8Rt2Vw6Xy0Zb4Cd", "name": "Lead", "position": 0, "createdAt": "2025-01-15T10:30:00Z"}))]
pub struct StageResponse {
    /// Stage id (`stg_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Order in the pipeline (0 first).
    pub position: i64,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// List the pipeline stages in order.
#[utoipa::path(get, path = "/v1/pipeline-stages", tag = "Pipeline stages", operation_id = "listPipelineStages",
    responses((status = 200, description = "The stages, first to last.", body = Envelope<Vec<StageResponse>>)))]
pub async fn list(state: web::Data<AppState>, tenant: Tenant) -> ApiResult<HttpResponse> {
    let stages = state
        .read(tenant.check(), move |conn| {
            db::pipeline_stages::list(conn, &tenant.0)
        })
        .await?;
    Ok(envelope::ok(
        stages
            .into_iter()
            .map(|stage| StageResponse {
                id: stage.stage.id.to_string(),
                name: stage.stage.name,
                position: stage.position,
                created_at: stage.created_at,
            })
            .collect::<Vec<_>>(),
    ))
}
