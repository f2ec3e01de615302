//! Schemas the derive macros cannot express: string lists whose items carry a pattern, custom
//! field maps (`propertyNames`, `null` removals), bulk rows, the CSV import body and custom field
//! values. DTO fields point here with `#[schema(schema_with = …)]`.

use crate::api::contacts::dto::CustomFieldValue;
use std::borrow::Cow;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType,
};
use utoipa::openapi::{Ref, RefOr, Type};
use utoipa::{PartialSchema, ToSchema};

/// One line of text holding at least one character that is neither a control nor white space
/// (the server trims white space and refuses what is left empty). Plain one-line fields use
/// `^[^\x00-\x1f\x7f-\x9f]*$` (no C0 or C1 control, CR/LF included, and no DEL), spelled out
/// in the DTOs because `#[schema(pattern)]` takes a literal.
pub const NON_BLANK: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$";
/// A group id.
pub const GROUP_ID: &str = "^grp_[A-Za-z0-9]{20}$";
/// A custom field key: 1–64 letters, digits, `_`, `-`, `.` or spaces, starting with a letter, a
/// digit or `_`. The server takes any Unicode alphabetic character as a letter, which also covers
/// a few combining marks and symbols (`Ⓐ`) that `\p{L}` leaves out; common generators and
/// validators only know the general categories, so the schema names those.
pub const CUSTOM_FIELD_KEY: &str = r"^[\p{L}\p{N}_][\p{L}\p{N}_. -]{0,63}$";

fn nullable(schema_type: Type, nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([schema_type, Type::Null])
    } else {
        SchemaType::Type(schema_type)
    }
}

fn string_list(
    item: ObjectBuilder,
    optional: bool,
    min_items: Option<usize>,
    description: &str,
) -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array, optional))
        .items(item.schema_type(Type::String))
        .min_items(min_items)
        .max_items(Some(100))
        .description(Some(description))
}

fn group_id_item() -> ObjectBuilder {
    ObjectBuilder::new()
        .pattern(Some(GROUP_ID))
        .description(Some("A group id (`grp_…`)."))
}

fn tag_item() -> ObjectBuilder {
    ObjectBuilder::new()
        .pattern(Some(NON_BLANK))
        .max_length(Some(64))
        .description(Some(
            "A tag: 1–64 characters on one line, trimmed; duplicates are dropped.",
        ))
}

/// `groupIds` that may be absent or `null`: at most 100 group ids.
pub fn optional_group_ids() -> ArrayBuilder {
    string_list(
        group_id_item(),
        true,
        None,
        "Group ids (`grp_…`), at most 100; an unknown one is `404`.",
    )
}

/// `groupIds` of a membership change: 1 to 100 group ids.
pub fn required_group_ids() -> ArrayBuilder {
    string_list(
        group_id_item(),
        false,
        Some(1),
        "Group ids (`grp_…`), 1 to 100; an unknown one is `404`.",
    )
}

/// `tags` that may be absent or `null`: at most 100 tags.
pub fn optional_tags() -> ArrayBuilder {
    string_list(tag_item(), true, None, "Tags, at most 100.")
}

/// `tags` of a tag change: 1 to 100 tags.
pub fn required_tags() -> ArrayBuilder {
    string_list(tag_item(), false, Some(1), "Tags, 1 to 100.")
}

fn custom_field_map(value: RefOr<Schema>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Object, true))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(CUSTOM_FIELD_KEY)),
        ))
        .additional_properties(Some(value))
        .max_properties(Some(100))
        .description(Some(description))
}

/// `customFields` of a new contact or of a search: at most 100 keys.
pub fn custom_fields() -> ObjectBuilder {
    custom_field_map(
        Ref::from_schema_name(CustomFieldValue::name()).into(),
        "Custom fields, at most 100: keys of 1–64 letters, digits, `_`, `-`, `.` or spaces starting with a letter, a digit or `_`; values are strings, numbers or booleans.",
    )
}

/// `customFields` of an update: merged per key, a `null` value removes the key.
pub fn custom_field_changes() -> ObjectBuilder {
    custom_field_map(
        OneOfBuilder::new()
            .item(Ref::from_schema_name(CustomFieldValue::name()))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into(),
        "Custom fields to merge, at most 100 per request: a value sets the key, `null` removes it. Keys as on create; a contact holds at most 100 custom fields.",
    )
}

/// `contacts` of a bulk write: 1 to 1000 rows. A row is meant to be a [`CreateContactRequest`],
/// but any JSON value is accepted: a row that is not valid is reported in `errors`, it never
/// fails the request.
///
/// [`CreateContactRequest`]: crate::api::contacts::dto::CreateContactRequest
pub fn bulk_rows() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            AnyOfBuilder::new()
                .item(Ref::from_schema_name("CreateContactRequest"))
                .item(ObjectBuilder::new().schema_type(SchemaType::AnyValue))
                .description(Some(
                    "A contact as in `POST /v1/contacts`. Any row is accepted: one that is not a valid contact is reported in `errors` with its index.",
                )),
        )
        .min_items(Some(1))
        .max_items(Some(1000))
        .description(Some(
            "The contacts, 1 to 1000; each row is validated and written on its own.",
        ))
}

/// The body of `POST /v1/contacts/import`: CSV whose header row has an email column.
pub struct ContactsCsv;

/// A pattern for CSV text whose header row (up to the first CR or LF) has an email column: a
/// cell reading `email`, `emailaddress` or `mail` in any case once its punctuation is ignored
/// (`E-mail`, `Email Address`). Quoted header cells are allowed by the server but not described.
fn csv_with_email_column() -> String {
    // Punctuation and spaces a header cell may carry around and inside the name (no comma, no
    // quote); the server ignores every character that is not a letter or a digit.
    const FILLER: &str = r"[\t !#-+\-./:-@\[-`{-~]*";
    let word = |word: &str| {
        word.chars()
            .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
            .collect::<Vec<_>>()
            .join(FILLER)
    };
    let other_cell = r#"[^",\r\n]*"#;
    format!(
        r"^(?:{other_cell},)*{FILLER}(?:{email}(?:{FILLER}{address})?|{mail}){FILLER}(?:,{other_cell})*(?:[\r\n][\s\S]*)?$",
        email = word("email"),
        address = word("address"),
        mail = word("mail"),
    )
}

impl PartialSchema for ContactsCsv {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(csv_with_email_column()))
            .description(Some(
                "CSV (RFC 4180) with a header row that has an email column (`email`, `Email Address`, `e-mail`, `mail`…); any number of data rows.",
            ))
            .into()
    }
}

impl ToSchema for ContactsCsv {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ContactsCsv")
    }
}

impl PartialSchema for CustomFieldValue {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(2000))
                    .pattern(Some(r"^[^\x00]*$"))
                    .description(Some("Text: at most 2000 characters, no NUL.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
                    .description(Some("A number.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("A boolean.")),
            )
            .description(Some("A custom field value: string, number or boolean."))
            .into()
    }
}

impl ToSchema for CustomFieldValue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CustomFieldValue")
    }
}
