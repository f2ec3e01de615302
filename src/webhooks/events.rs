//! What campaign and email events hold, built from the database inside the transaction of the
//! change that caused them (contact events are built by the API, which owns the contact's
//! JSON shape).

use crate::db::campaigns::CampaignRecord;
use crate::domain::ids::WorkspaceId;
use crate::error::Error;
use crate::webhooks::outbox;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Map, Value};

/// A campaign as `GET /v1/campaigns/{id}` shows it, with its counters (the API's
/// `CampaignResponse`; a test keeps the two identical).
pub fn campaign_json(conn: &Connection, campaign: &CampaignRecord) -> Result<Value, Error> {
    let counts = crate::db::campaign_stats::campaign_counts(conn, campaign.seq)?;
    Ok(json!({
        "id": campaign.id.as_str(),
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status.as_str(),
        "emailAccountId": campaign.email_account.as_ref().map(|(_, id)| id.as_str()),
        "settings": serde_json::from_str::<Value>(&campaign.settings).unwrap_or(Value::Null),
        "workflow": campaign
            .workflow
            .as_deref()
            .and_then(|workflow| serde_json::from_str::<Value>(workflow).ok()),
        "groupIds": campaign.group_ids.iter().map(|id| id.as_str()).collect::<Vec<_>>(),
        "stats": {
            "totalContacts": counts.total_contacts,
            "sent": counts.sent,
            "delivered": counts.delivered,
            "opened": counts.opened,
            "clicked": counts.clicked,
            "replied": counts.replied,
            "bounced": counts.bounced,
            "unsubscribed": counts.unsubscribed,
        },
        "createdAt": campaign.created_at,
        "startedAt": campaign.started_at,
        "completedAt": campaign.completed_at,
        "updatedAt": campaign.updated_at,
    }))
}

/// Emits `campaign.started`, `campaign.paused` or `campaign.completed` for a campaign (read
/// again by row number, so the payload shows the change) with `{"campaign": …}`.
pub fn campaign(
    conn: &Connection,
    campaign_seq: i64,
    event_type: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let Some(campaign) = crate::db::campaigns::by_seq(conn, campaign_seq)? else {
        return Ok(());
    };
    if !outbox::is_subscribed(conn, &campaign.workspace_id, event_type)? {
        return Ok(());
    }
    let data = json!({ "campaign": campaign_json(conn, &campaign)? });
    outbox::emit(conn, &campaign.workspace_id, event_type, &data, at)?;
    Ok(())
}

/// Emits an `email.*` event about one send: `campaignId, campaignName, contactId,
/// contactEmail, emailNodeId`, then the fields of `extra`.
pub fn email(
    conn: &Connection,
    send_seq: i64,
    event_type: &str,
    extra: Map<String, Value>,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let workspace: Option<String> = conn
        .prepare_cached("SELECT workspace_id FROM sends WHERE seq = ?1")?
        .query_row([send_seq], |row| row.get(0))
        .optional()?;
    let Some(workspace) = workspace else {
        return Ok(());
    };
    let workspace = WorkspaceId::from_db(workspace);
    if !outbox::is_subscribed(conn, &workspace, event_type)? {
        return Ok(());
    }
    let data = conn
        .prepare_cached(
            "SELECT cmp.id, cmp.name, con.id, con.email, s.node_id
             FROM sends s
             JOIN campaigns cmp ON cmp.seq = s.campaign_seq
             JOIN contacts con ON con.seq = s.contact_seq
             WHERE s.seq = ?1",
        )?
        .query_row([send_seq], |row| {
            let mut data = Map::new();
            for (index, key) in [
                "campaignId",
                "campaignName",
                "contactId",
                "contactEmail",
                "emailNodeId",
            ]
            .into_iter()
            .enumerate()
            {
                data.insert(key.to_owned(), Value::String(row.get(index)?));
            }
            Ok(data)
        })
        .optional()?;
    let Some(mut data) = data else {
        return Ok(());
    };
    data.extend(extra);
    outbox::emit(conn, &workspace, event_type, &Value::Object(data), at)?;
    Ok(())
}

/// A Unix time in seconds as the instant of an event.
pub fn at_unix(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}
