//! CSV import (streamed: rows are parsed and written a thousand at a time while the body is
//! still arriving) and CSV export (streamed, formula cells neutralised, RFC 4180).

use super::bulk::{BulkResponse, OnDuplicateDto};
use super::dto::{self, CreateContactRequest};
use super::query::ContactExportQuery;
use crate::api::envelope::{self, Envelope, ErrorEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{parse_query, Tenant};
use crate::api::AppState;
use crate::db;
use crate::db::contacts::{BulkOutcome, BulkRowError, OnDuplicate};
use crate::domain::contact::{Contact, NewContact};
use crate::domain::ids::{GroupId, WorkspaceId};
use crate::domain::text;
use crate::error::Error;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::Read;
use tokio::sync::mpsc;
use utoipa::IntoParams;

/// Rows written per transaction during an import.
const IMPORT_CHUNK: usize = 1000;
/// Row errors listed in an import result (the count covers all).
const MAX_LISTED_ERRORS: usize = 1000;
/// Prefix of export columns holding a custom field whose key collides with a standard column.
const CUSTOM_PREFIX: &str = "custom.";
/// Standard export columns, in order.
const STANDARD_COLUMNS: [&str; 16] = [
    "id",
    "email",
    "firstName",
    "lastName",
    "company",
    "jobTitle",
    "phone",
    "website",
    "status",
    "tags",
    "groups",
    "pipelineStage",
    "trackingOptOut",
    "consentSource",
    "createdAt",
    "updatedAt",
];

/// Query of `POST /v1/contacts/import`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Duplicate handling (default `skip`).
    pub on_duplicate: Option<OnDuplicateDto>,
    /// Comma-separated group ids (at most 100) every imported contact joins; an unknown one is
    /// `404`.
    #[param(
        max_length = 2499,
        pattern = "^(grp_[A-Za-z0-9]{20}(,grp_[A-Za-z0-9]{20}){0,99})?$"
    )]
    pub group_ids: Option<String>,
}

/// Whether a cell would be read as a formula by a spreadsheet (after any number of quotes).
fn looks_like_formula(value: &str) -> bool {
    value
        .trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Export: prefixes a quote to cells a spreadsheet would run as a formula.
pub fn neutralise(value: &str) -> String {
    if looks_like_formula(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Import: undoes [`neutralise`], so an export imports back to the same values.
pub fn unneutralise(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => value,
    }
}

/// What a CSV column feeds.
#[derive(Debug, Clone)]
enum Column {
    Email,
    FirstName,
    LastName,
    Company,
    JobTitle,
    Phone,
    Website,
    Status,
    Tags,
    TrackingOptOut,
    ConsentSource,
    Ignored,
    Custom(String),
}

fn column_for(header: &str) -> Column {
    let trimmed = header.trim().trim_start_matches('\u{feff}');
    if let Some(key) = trimmed.strip_prefix(CUSTOM_PREFIX) {
        return text::custom_field_key_lossy(key).map_or(Column::Ignored, Column::Custom);
    }
    let normalized: String = trimmed
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match normalized.as_str() {
        "email" | "emailaddress" | "mail" => Column::Email,
        "firstname" | "first" | "givenname" => Column::FirstName,
        "lastname" | "last" | "surname" | "familyname" => Column::LastName,
        "company" | "companyname" | "organization" | "organisation" => Column::Company,
        "jobtitle" | "title" | "position" => Column::JobTitle,
        "phone" | "phonenumber" | "mobile" => Column::Phone,
        "website" | "url" | "site" => Column::Website,
        "status" => Column::Status,
        "tags" => Column::Tags,
        "trackingoptout" => Column::TrackingOptOut,
        "consentsource" => Column::ConsentSource,
        "id" | "groups" | "pipelinestage" | "createdat" | "updatedat" => Column::Ignored,
        _ => text::custom_field_key_lossy(trimmed).map_or(Column::Ignored, Column::Custom),
    }
}

fn row_to_request(
    columns: &[Column],
    record: &csv::ByteRecord,
) -> Result<CreateContactRequest, String> {
    let mut request = CreateContactRequest::default();
    let mut custom = Map::new();
    for (index, raw) in record.iter().enumerate() {
        let Some(column) = columns.get(index) else {
            return Err(format!(
                "row has more cells ({}) than the header row ({})",
                record.len(),
                columns.len()
            ));
        };
        let value = std::str::from_utf8(raw).map_err(|_| "row is not valid UTF-8".to_owned())?;
        let value = unneutralise(value);
        if value.trim().is_empty() {
            continue;
        }
        let owned = Some(value.to_owned());
        match column {
            Column::Email => request.email = value.trim().to_owned(),
            Column::FirstName => request.first_name = owned,
            Column::LastName => request.last_name = owned,
            Column::Company => request.company = owned,
            Column::JobTitle => request.job_title = owned,
            Column::Phone => request.phone = owned,
            Column::Website => request.website = owned,
            Column::ConsentSource => request.consent_source = owned,
            Column::Status => {
                request.status = Some(
                    serde_json::from_value(Value::String(value.trim().to_lowercase()))
                        .map_err(|_| format!("status {value:?} is not one of active, unsubscribed, bounced, replied, blocked"))?,
                )
            }
            Column::Tags => {
                request.tags = Some(
                    value.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
                )
            }
            Column::TrackingOptOut => {
                request.tracking_opt_out = Some(match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(format!("trackingOptOut {value:?} must be true or false")),
                })
            }
            Column::Custom(key) => {
                custom.insert(key.clone(), Value::String(value.to_owned()));
            }
            Column::Ignored => {}
        }
    }
    if !custom.is_empty() {
        request.custom_fields = Some(custom);
    }
    Ok(request)
}

/// Reads the request body chunks the async side forwards (blocking, on the import thread).
struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Totals of an import.
#[derive(Default)]
struct ImportTotals {
    outcome: BulkOutcome,
    error_count: u64,
}

impl ImportTotals {
    fn add(&mut self, chunk: BulkOutcome) {
        self.outcome.created += chunk.created;
        self.outcome.updated += chunk.updated;
        self.outcome.skipped += chunk.skipped;
        self.error_count += chunk.errors.len() as u64;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.outcome.errors.len());
        self.outcome
            .errors
            .extend(chunk.errors.into_iter().take(room));
    }
}

fn run_import(
    db: db::Database,
    workspace: WorkspaceId,
    groups: Vec<GroupId>,
    on_duplicate: OnDuplicate,
    reader: ChannelReader,
) -> Result<ImportTotals, Error> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let headers = csv
        .byte_headers()
        .map_err(|error| {
            Error::invalid(
                "body",
                format!("Could not read the CSV header row: {error}"),
            )
        })?
        .clone();
    let columns: Vec<Column> = headers
        .iter()
        .map(|raw| column_for(&String::from_utf8_lossy(raw)))
        .collect();
    if !columns.iter().any(|column| matches!(column, Column::Email)) {
        return Err(Error::invalid(
            "body",
            "The CSV header row must have an email column",
        ));
    }
    let mut totals = ImportTotals::default();
    let mut batch: Vec<(usize, Result<NewContact, BulkRowError>)> =
        Vec::with_capacity(IMPORT_CHUNK);
    let mut record = csv::ByteRecord::new();
    let mut index = 0usize;
    let flush = |batch: &mut Vec<(usize, Result<NewContact, BulkRowError>)>,
                 totals: &mut ImportTotals|
     -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(batch);
        let (workspace, groups) = (workspace.clone(), groups.clone());
        let now = crate::domain::time::format(chrono::Utc::now());
        let outcome = db.write_blocking(move |conn| {
            let outcome =
                db::contacts::bulk_upsert(conn, &workspace, rows, &groups, on_duplicate, &now)?;
            super::emit_contacts(conn, &workspace, "contact.created", &outcome.created_ids)?;
            super::emit_contacts(conn, &workspace, "contact.updated", &outcome.updated_ids)?;
            Ok(outcome)
        })?;
        totals.add(outcome);
        Ok(())
    };
    loop {
        let more = match csv.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(error) if error.is_io_error() => {
                return Err(Error::invalid(
                    "body",
                    "The request body ended unexpectedly",
                ))
            }
            Err(error) => {
                batch.push((
                    index,
                    Err(row_error(index, None, format!("Malformed CSV: {error}"))),
                ));
                index += 1;
                continue;
            }
        };
        if !more {
            break;
        }
        let parsed = row_to_request(&columns, &record)
            .map_err(|message| row_error(index, None, message))
            .and_then(|request| {
                let email = Some(request.email.clone()).filter(|e| !e.is_empty());
                NewContact::try_from(request).map_err(|error| match error {
                    Error::Validation { message, .. } => row_error(index, email, message),
                    other => row_error(index, email, other.to_string()),
                })
            });
        batch.push((index, parsed));
        index += 1;
        if batch.len() >= IMPORT_CHUNK {
            flush(&mut batch, &mut totals)?;
        }
    }
    flush(&mut batch, &mut totals)?;
    Ok(totals)
}

fn row_error(index: usize, email: Option<String>, message: String) -> BulkRowError {
    BulkRowError {
        index,
        email,
        code: "VALIDATION_ERROR",
        message,
    }
}

fn is_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| mime == "text/csv" || mime == "application/csv")
}

/// Import contacts from a CSV body (header row required; unknown columns become custom fields).
#[utoipa::path(post, path = "/v1/contacts/import", tag = "Contacts", operation_id = "importContacts",
    params(ImportQuery),
    request_body(content = crate::api::openapi::schemas::ContactsCsv, content_type = "text/csv", description = "CSV with a header row; `email` is required. Known columns: email, firstName, lastName, company, jobTitle, phone, website, status, tags (`;`-separated), trackingOptOut, consentSource; `id`, `groups`, `pipelineStage`, `createdAt`, `updatedAt` are ignored; any other column becomes a custom field (a `custom.` prefix is stripped). Cells are imported as text.",
        example = "email,firstName,company,plan\nada@example.com,Ada,Analytical Engines,gold\n"),
    responses(
        (status = 200, description = "Counts and per-row errors (row index 0 is the first data row).", body = Envelope<BulkResponse>),
        (status = 404, description = "A group of `groupIds` does not exist (`NOT_FOUND`).", body = ErrorEnvelope),
    ))]
pub async fn import(
    state: web::Data<AppState>,
    tenant: Tenant,
    req: HttpRequest,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    if !is_csv(&req) {
        return Err(ApiError::invalid(
            "Content-Type",
            "Content-Type must be text/csv",
        ));
    }
    let query: ImportQuery = parse_query(req.query_string())?;
    let raw_groups: Vec<String> = match query.group_ids.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list.split(',').map(str::to_owned).collect(),
    };
    let groups = dto::group_ids(&raw_groups)?;
    let limit = state.config.max_import_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    {
        let (workspace, groups) = (tenant.0.clone(), groups.clone());
        state
            .read(tenant.check(), move |conn| {
                db::groups::resolve_seqs(conn, &workspace, &groups, "groupIds").map(|_| ())
            })
            .await?;
    }
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    let reader = ChannelReader {
        chunks: receiver,
        current: Bytes::new(),
    };
    let on_duplicate = query.on_duplicate.map(Into::into).unwrap_or_default();
    let database = state.db.clone();
    let workspace = tenant.0.clone();
    let worker = tokio::task::spawn_blocking(move || {
        run_import(database, workspace, groups, on_duplicate, reader)
    });
    let mut received = 0usize;
    let mut failure = None;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                received += chunk.len();
                if received > limit {
                    failure = Some(ApiError::PayloadTooLarge(limit));
                    break;
                }
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                failure = Some(ApiError::validation(format!(
                    "Could not read the request body: {error}"
                )));
                break;
            }
        }
    }
    drop(sender);
    let totals = worker.await.map_err(|error| {
        ApiError::Domain(Error::Internal(anyhow::anyhow!(
            "import task failed: {error}"
        )))
    })??;
    if let Some(failure) = failure {
        return Err(failure);
    }
    let count = totals.error_count;
    Ok(envelope::ok(BulkResponse::from_outcome(
        totals.outcome,
        count,
    )))
}

/// Bytes buffered before a chunk of the export is sent.
const CHUNK_BYTES: usize = 60 * 1024;

/// Collects CSV output and hands it to the response stream in chunks.
struct ChunkSink {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChunkSink {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES + 4096));
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }

    fn finish(mut self) {
        if !self.buffer.is_empty() {
            let _ = self.send();
        }
    }
}

impl std::io::Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn export_row(contact: &Contact, custom_keys: &[String]) -> Vec<String> {
    let opt = |value: &Option<String>| value.clone().unwrap_or_default();
    let mut row = vec![
        contact.id.to_string(),
        contact.email.clone(),
        opt(&contact.first_name),
        opt(&contact.last_name),
        opt(&contact.company),
        opt(&contact.job_title),
        opt(&contact.phone),
        opt(&contact.website),
        contact.status.as_str().to_owned(),
        contact.tags.join(";"),
        contact
            .groups
            .iter()
            .map(|group| group.name.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        contact
            .pipeline_stage
            .as_ref()
            .map(|stage| stage.name.clone())
            .unwrap_or_default(),
        contact.tracking_opt_out.to_string(),
        opt(&contact.consent_source),
        contact.created_at.clone(),
        contact.updated_at.clone(),
    ];
    for key in custom_keys {
        row.push(match contact.custom_fields.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        });
    }
    row.iter().map(|cell| neutralise(cell)).collect()
}

fn header_row(custom_keys: &[String]) -> Vec<String> {
    let standard: Vec<String> = STANDARD_COLUMNS
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect();
    let mut row: Vec<String> = STANDARD_COLUMNS
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    for key in custom_keys {
        // A key that would not import back as itself (a standard column's name, or one
        // starting with the `custom.` prefix) is written with the prefix.
        let collides = standard.contains(&key.to_ascii_lowercase())
            || !matches!(column_for(key), Column::Custom(same) if same == *key);
        row.push(if collides {
            format!("{CUSTOM_PREFIX}{key}")
        } else {
            key.clone()
        });
    }
    row.iter().map(|cell| neutralise(cell)).collect()
}

/// Export the filtered contacts as CSV (RFC 4180, CRLF line ends, UTF-8).
#[utoipa::path(get, path = "/v1/contacts/export", tag = "Contacts", operation_id = "exportContacts",
    params(ContactExportQuery),
    responses((status = 200, description = "CSV of the matching contacts: the standard columns, then one column per custom field. Cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` so spreadsheets do not run them (import removes it again).",
        content_type = "text/csv", body = String,
        example = "id,email,firstName,lastName,company,jobTitle,phone,website,status,tags,groups,pipelineStage,trackingOptOut,consentSource,createdAt,updatedAt,plan\r\ncon_8fK2mQ9xLp3vR7tY1wZa,ada@example.com,Ada,Lovelace,Analytical Engines,,'+44 20 7946 0000,,active,vip,Leads,Lead,false,,2025-01-15T10:30:00Z,2025-01-15T10:30:00Z,gold\r\n")))]
pub async fn export(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<ContactExportQuery>,
) -> ApiResult<HttpResponse> {
    let mut query = query.into_inner();
    let sort = super::query::sort(query.sort, query.order);
    let filter = query.filter_params().into_filter()?;
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let database = state.db.clone();
    // Confirm the key before answering 200: once streaming starts, errors can no longer be sent.
    state.read(tenant.check(), |_| Ok(())).await?;
    let check = tenant.check();
    let workspace = tenant.0;
    tokio::task::spawn_blocking(move || {
        let failure = sender.clone();
        let result = database.read_blocking(|conn| {
            check.verify(conn)?;
            let keys = db::contacts::custom_field_keys(conn, &workspace, &filter)?;
            let sink = ChunkSink {
                buffer: Vec::with_capacity(CHUNK_BYTES + 4096),
                sender,
            };
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(sink);
            let write_err =
                |error: csv::Error| Error::Internal(anyhow::anyhow!("writing CSV: {error}"));
            writer.write_record(header_row(&keys)).map_err(write_err)?;
            let mut open = true;
            db::contacts::for_each_matching(conn, &workspace, &filter, sort, |contact| {
                open = writer.write_record(export_row(contact, &keys)).is_ok();
                open
            })?;
            if open {
                let sink = writer
                    .into_inner()
                    .map_err(|error| Error::Internal(anyhow::anyhow!("flushing CSV: {error}")))?;
                sink.finish();
            }
            Ok(())
        });
        if let Err(error) = result {
            tracing::error!(%error, "contact export failed");
            let _ = failure.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"contacts.csv\"",
        ))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for value in [
            "=SUM(A1)", "+33 1 23", "-5", "@cmd", "\tx", "'=x", "''+y", "plain", "'quoted",
        ] {
            let exported = neutralise(value);
            assert!(
                !exported.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{value:?}"
            );
            assert_eq!(unneutralise(&exported), value, "{value:?}");
        }
    }

    #[test]
    fn headers_map_to_fields_and_unknown_ones_to_custom_fields() {
        assert!(matches!(column_for("E-mail"), Column::Email));
        assert!(matches!(column_for("First Name"), Column::FirstName));
        assert!(matches!(column_for("custom.email"), Column::Custom(key) if key == "email"));
        assert!(matches!(column_for("Lead Source"), Column::Custom(key) if key == "Lead Source"));
        let header = header_row(&[
            "custom.note".to_owned(),
            "title".to_owned(),
            "plan".to_owned(),
        ]);
        assert_eq!(
            header[STANDARD_COLUMNS.len()..],
            ["custom.custom.note", "custom.title", "plan"]
        );
    }
}
