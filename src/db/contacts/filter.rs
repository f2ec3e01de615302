//! Reading contacts through filters: list pages, export streams and the custom field columns.

use super::{attach_relations, from_row, COLUMNS, JOIN};
use crate::db::like_contains;
use crate::domain::contact::{
    Contact, ContactFilter, ContactSort, ContactSortField, GroupSelector,
};
use crate::domain::ids::WorkspaceId;
use crate::domain::listing::{Page, PageRequest};
use crate::error::Error;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

/// A WHERE clause (always starting with the workspace scope) and its parameters.
struct Where {
    sql: String,
    params: Vec<SqlValue>,
    /// An `INDEXED BY` clause when the planner needs steering.
    hint: &'static str,
}

impl Where {
    fn new(workspace_id: &WorkspaceId) -> Self {
        Self {
            sql: "c.workspace_id = ?1".to_owned(),
            params: vec![SqlValue::Text(workspace_id.as_str().to_owned())],
            hint: "",
        }
    }

    /// Adds `AND <clause>` where each `?` in `clause` takes the next parameter.
    fn and(&mut self, clause: &str, values: impl IntoIterator<Item = SqlValue>) {
        let mut rendered = String::with_capacity(clause.len() + 8);
        let mut values = values.into_iter();
        for c in clause.chars() {
            if c == '?' {
                self.params.push(values.next().unwrap_or(SqlValue::Null));
                rendered.push_str(&format!("?{}", self.params.len()));
            } else {
                rendered.push(c);
            }
        }
        self.sql.push_str(" AND ");
        self.sql.push_str(&rendered);
    }
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

fn build_where(workspace_id: &WorkspaceId, filter: &ContactFilter) -> Where {
    let mut clause = Where::new(workspace_id);
    if let Some(email) = &filter.email_contains {
        // `email_lower` is stored lowercased, so a plain substring test is exact and much
        // cheaper than LIKE.
        clause.and("instr(c.email_lower, ?) > 0", [text(&email.to_lowercase())]);
    }
    if !filter.statuses.is_empty() {
        let marks = vec!["?"; filter.statuses.len()].join(", ");
        clause.and(
            &format!("c.status IN ({marks})"),
            filter.statuses.iter().map(|status| text(status.as_str())),
        );
    }
    let scope = text(workspace_id.as_str());
    match &filter.group {
        Some(GroupSelector::Id(id)) => clause.and(
            "c.seq IN (SELECT gm.contact_seq FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
              WHERE g.workspace_id = ? AND g.id = ?)",
            [scope.clone(), text(id)],
        ),
        Some(GroupSelector::IdOrName(value)) => clause.and(
            "c.seq IN (SELECT gm.contact_seq FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
              WHERE g.workspace_id = ? AND (g.id = ? OR g.name = ? COLLATE NOCASE))",
            [scope.clone(), text(value), text(value)],
        ),
        None => {}
    }
    if !filter.any_group_ids.is_empty() {
        let marks = vec!["?"; filter.any_group_ids.len()].join(", ");
        clause.and(
            &format!(
                "c.seq IN (SELECT gm.contact_seq FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
                 WHERE g.workspace_id = ? AND g.id IN ({marks}))"
            ),
            std::iter::once(scope.clone()).chain(filter.any_group_ids.iter().map(|id| text(id))),
        );
    }
    if let Some(tag) = &filter.tag {
        clause.and(
            "c.seq IN (SELECT contact_seq FROM contact_tags WHERE tag = ?)",
            [text(tag)],
        );
    }
    if !filter.any_tags.is_empty() {
        let marks = vec!["?"; filter.any_tags.len()].join(", ");
        clause.and(
            &format!("c.seq IN (SELECT contact_seq FROM contact_tags WHERE tag IN ({marks}))"),
            filter.any_tags.iter().map(|tag| text(tag)),
        );
    }
    if let Some(company) = &filter.company_contains {
        clause.and(
            "lower(c.company) LIKE ? ESCAPE '\\'",
            [text(&like_contains(company))],
        );
    }
    if let Some(query) = &filter.query {
        let pattern = like_contains(query);
        clause.and(
            "(c.email_lower LIKE ? ESCAPE '\\' OR lower(c.first_name) LIKE ? ESCAPE '\\'
              OR lower(c.last_name) LIKE ? ESCAPE '\\' OR lower(c.company) LIKE ? ESCAPE '\\'
              OR lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) LIKE ? ESCAPE '\\')",
            std::iter::repeat_n(text(&pattern), 5),
        );
    }
    for (key, value) in &filter.custom_fields {
        let path = format!("$.\"{key}\"");
        let value = match value {
            serde_json::Value::String(s) => text(s),
            serde_json::Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => SqlValue::Integer(i),
                None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
            },
            _ => SqlValue::Null,
        };
        clause.and("json_extract(c.custom_fields, ?) = ?", [text(&path), value]);
    }
    if let Some(after) = &filter.created_after {
        clause.and("c.created_at >= ?", [text(after)]);
    }
    if let Some(before) = &filter.created_before {
        clause.and("c.created_at <= ?", [text(before)]);
    }
    // Steer the planner. A group or tag filter is far more selective than the workspace: a unary
    // `+` keeps SQLite from walking the whole workspace index, so the memberships drive the
    // query. Otherwise an email filter is best answered by scanning the (workspace, email) index,
    // which holds the email, so only matching rows are read and sorted.
    let selective = filter.group.is_some()
        || !filter.any_group_ids.is_empty()
        || filter.tag.is_some()
        || !filter.any_tags.is_empty();
    if selective {
        clause
            .sql
            .replace_range(0.."c.workspace_id".len(), "+c.workspace_id");
    } else if filter.email_contains.is_some() {
        clause.hint = "INDEXED BY contacts_workspace_email";
    }
    clause
}

fn order_by(sort: ContactSort) -> String {
    let order = sort.order.sql();
    let column = match sort.field {
        // Row numbers follow creation order (see `contacts_workspace` in schema.sql).
        ContactSortField::CreatedAt => return format!("c.seq {order}"),
        ContactSortField::UpdatedAt => "c.updated_at",
        ContactSortField::Email => "c.email_lower",
        ContactSortField::FirstName => "c.first_name COLLATE NOCASE",
        ContactSortField::LastName => "c.last_name COLLATE NOCASE",
        ContactSortField::Company => "c.company COLLATE NOCASE",
    };
    format!("{column} {order}, c.seq {order}")
}

/// One page of the workspace's contacts matching `filter`, with the total count.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &ContactFilter,
    sort: ContactSort,
    page: PageRequest,
) -> Result<Page<Contact>, Error> {
    let clause = build_where(workspace_id, filter);
    if !filter.is_empty() {
        return list_filtered(conn, &clause, sort, page);
    }
    let total = crate::db::workspaces::contact_count(conn, workspace_id)?;
    let mut params = clause.params.clone();
    params.push(SqlValue::Integer(page.limit()));
    params.push(SqlValue::Integer(page.offset()));
    let count = params.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts c {} {JOIN} WHERE {} ORDER BY {} LIMIT ?{} OFFSET ?{}",
        clause.hint,
        clause.sql,
        order_by(sort),
        count - 1,
        count
    );
    let mut rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(params.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    attach_relations(conn, &mut rows)?;
    Ok(Page {
        items: rows.into_iter().map(|(_, contact)| contact).collect(),
        total,
    })
}

/// A filtered page in one pass over the matches: the ordered row numbers of every match give
/// the total and the page, then only the page's rows are read in full.
fn list_filtered(
    conn: &Connection,
    clause: &Where,
    sort: ContactSort,
    page: PageRequest,
) -> Result<Page<Contact>, Error> {
    let seqs: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT c.seq FROM contacts c {} WHERE {} ORDER BY {}",
            clause.hint,
            clause.sql,
            order_by(sort)
        ))?
        .query_map(params_from_iter(clause.params.iter()), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let total = seqs.len() as u64;
    let start = usize::try_from(page.offset())
        .unwrap_or(usize::MAX)
        .min(seqs.len());
    let end = start
        .saturating_add(usize::try_from(page.limit()).unwrap_or(0))
        .min(seqs.len());
    let wanted = &seqs[start..end];
    if wanted.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let mut rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM contacts c {JOIN} WHERE c.seq IN (SELECT value FROM json_each(?1))"
        ))?
        .query_map([serde_json::to_string(wanted)?], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let position: std::collections::HashMap<i64, usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, seq)| (*seq, i))
        .collect();
    rows.sort_by_key(|(seq, _)| position.get(seq).copied().unwrap_or(usize::MAX));
    attach_relations(conn, &mut rows)?;
    Ok(Page {
        items: rows.into_iter().map(|(_, contact)| contact).collect(),
        total,
    })
}

/// Calls `visit` for every matching contact in order, a chunk at a time (for export); stops
/// early when `visit` returns `false`.
pub fn for_each_matching(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &ContactFilter,
    sort: ContactSort,
    mut visit: impl FnMut(&Contact) -> bool,
) -> Result<(), Error> {
    const CHUNK: usize = 500;
    let clause = build_where(workspace_id, filter);
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts c {} {JOIN} WHERE {} ORDER BY {}",
        clause.hint,
        clause.sql,
        order_by(sort)
    );
    let mut statement = conn.prepare(&sql)?;
    let mut cursor = statement.query(params_from_iter(clause.params.iter()))?;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let next = cursor.next()?;
        let done = next.is_none();
        if let Some(row) = next {
            chunk.push(from_row(row)?);
        }
        if chunk.len() == CHUNK || (done && !chunk.is_empty()) {
            attach_relations(conn, &mut chunk)?;
            for (_, contact) in chunk.drain(..) {
                if !visit(&contact) {
                    return Ok(());
                }
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// (row number, public id, status) of every matching contact, in creation order (campaign
/// enrolment by filter).
pub fn matching(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &ContactFilter,
) -> Result<Vec<(i64, String, String)>, Error> {
    let clause = build_where(workspace_id, filter);
    let sql = format!(
        "SELECT c.seq, c.id, c.status FROM contacts c {} WHERE {} ORDER BY c.seq",
        clause.hint, clause.sql
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement
        .query_map(params_from_iter(clause.params.iter()), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Every custom field key used by the matching contacts, sorted (the export's extra columns).
pub fn custom_field_keys(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &ContactFilter,
) -> Result<Vec<String>, Error> {
    let clause = build_where(workspace_id, filter);
    let sql = format!(
        "SELECT DISTINCT j.key FROM contacts c, json_each(c.custom_fields) j WHERE {} ORDER BY j.key",
        clause.sql
    );
    let mut statement = conn.prepare(&sql)?;
    let keys = statement
        .query_map(params_from_iter(clause.params.iter()), |row| {
            row.get::<_, String>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}
