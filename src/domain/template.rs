//! Personalisation: `{{name}}` and `{{name|fallback}}` in subjects and bodies, compiled once
//! (by the template engine) and rendered for each contact.

use crate::domain::contact::Contact;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Longest variable name (custom field keys are at most 64 characters too).
pub const MAX_NAME_LEN: usize = 64;

/// Template names inside the environment: one compiled copy per escaping mode.
const HTML: &str = "html";
const TEXT: &str = "text";
/// The one context variable: every template variable is read as `v["name"]`.
const CONTEXT: &str = "v";

/// A variable a template uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The name between the braces, trimmed.
    pub name: String,
    /// The text after `|`, trimmed; `Some("")` renders nothing when the value is missing.
    pub fallback: Option<String>,
}

/// A template that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
    /// 1-based line of the offending `{{`.
    pub line: usize,
    /// 1-based column (in characters) of the offending `{{`.
    pub column: usize,
}

/// Why a template could not be rendered for some values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// These variables (each named once, in template order) have no value and no fallback.
    #[error("missing variables: {}", .0.join(", "))]
    Missing(Vec<String>),
    /// The engine failed in a way parsing should have ruled out.
    #[error("template could not be rendered: {0}")]
    Engine(String),
}

/// How values (and fallbacks) are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// HTML-escape `& < > " '` (message bodies are HTML).
    Html,
    /// Write values as they are (subjects, plain text).
    None,
}

/// The values of a contact (and the system variables) by name. Empty values count as missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl Variables {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value; an empty value is the same as none (the fallback applies).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let value = value.into();
        let name = name.into();
        if value.is_empty() {
            self.values.remove(&name);
        } else {
            self.values.insert(name, value);
        }
    }

    /// The value of a variable, if set and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Sets a contact's standard fields and custom fields (numbers and booleans as text). A
    /// custom field named like a standard field never overrides it.
    pub fn insert_contact(&mut self, contact: &Contact) {
        for (key, value) in &contact.custom_fields {
            match value {
                Json::String(text) => self.insert(key.as_str(), text.as_str()),
                Json::Number(number) => self.insert(key.as_str(), number.to_string()),
                Json::Bool(flag) => self.insert(key.as_str(), flag.to_string()),
                _ => {}
            }
        }
        let optional = [
            ("firstName", &contact.first_name),
            ("lastName", &contact.last_name),
            ("company", &contact.company),
            ("jobTitle", &contact.job_title),
            ("phone", &contact.phone),
            ("website", &contact.website),
        ];
        for (name, value) in optional {
            self.insert(name, value.clone().unwrap_or_default());
        }
        self.insert("email", contact.email.as_str());
    }

    /// Sets the system variables: `unsubscribe_link`, and `current_date` (`YYYY-MM-DD`) and
    /// `current_year` as they are at `now` in the campaign's zone.
    pub fn insert_system(&mut self, unsubscribe_link: &str, now: DateTime<Utc>, zone: Tz) {
        let local = now.with_timezone(&zone);
        self.insert("unsubscribe_link", unsubscribe_link);
        self.insert("current_date", local.format("%Y-%m-%d").to_string());
        self.insert("current_year", local.year().to_string());
    }
}

/// A parsed and compiled template, reusable across renders and threads.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    variables: Vec<Variable>,
    /// Names used at least once without a fallback: these must have a value.
    required: Vec<String>,
    environment: Environment<'static>,
}

/// Whether `name` is a variable name: an identifier or a custom field key (letters, digits,
/// `_`, and inside also `-`, `.` and spaces), at most 64 characters.
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|first| first.is_alphanumeric() || first == '_');
    starts_well
        && name.chars().count() <= MAX_NAME_LEN
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
}

/// Writes `text` as a string literal of the template engine.
fn push_string_literal(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// 1-based line and column (in characters) of a byte offset.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The environment every template compiles in. Blocks and comments start with `{{%` and `{{#`:
/// text outside our own `{{ … }}` never contains `{{`, so `{%`, `{#` or a stray `}}` in user
/// HTML stay plain text.
fn environment() -> Result<Environment<'static>, minijinja::Error> {
    // An empty environment: templates only ever need `default`, and nothing else is reachable.
    let mut environment = Environment::empty();
    environment.add_filter("default", minijinja::filters::default);
    environment.set_syntax(
        SyntaxConfig::builder()
            .block_delimiters("{{%", "%}}")
            .comment_delimiters("{{#", "#}}")
            .variable_delimiters("{{", "}}")
            .build()?,
    );
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_keep_trailing_newline(true);
    environment.set_auto_escape_callback(|name| {
        if name == HTML {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    environment.set_formatter(|out, state, value| {
        if value.is_undefined() {
            return Err(minijinja::Error::from(ErrorKind::UndefinedError));
        }
        if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
            escape_html_into(out, &value.to_string())?;
        } else {
            write!(out, "{value}")?;
        }
        Ok(())
    });
    Ok(environment)
}

/// Escapes the five HTML-significant characters (and leaves `/` alone, unlike the engine's own
/// escaping, so links stay readable in the message source).
fn escape_html_into(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[start..index])?;
        out.write_str(entity)?;
        start = index + 1;
    }
    out.write_str(&text[start..])
}

impl Template {
    /// Parses `{{name}}` / `{{name|fallback}}` placeholders and compiles the template. Every
    /// `{{` must be closed by `}}` and hold a valid name; everything else is literal text.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut translated = String::with_capacity(source.len() + 16);
        let mut variables: Vec<Variable> = Vec::new();
        let mut required: Vec<String> = Vec::new();
        let mut rest = 0;
        while let Some(found) = source[rest..].find("{{") {
            let open = rest + found;
            let fail = |message: String| {
                let (line, column) = position(source, open);
                TemplateError {
                    message,
                    line,
                    column,
                }
            };
            let inner_start = open + 2;
            let Some(length) = source[inner_start..].find("}}") else {
                return Err(fail("\"{{\" has no matching \"}}\"".to_owned()));
            };
            let inner = &source[inner_start..inner_start + length];
            let (name, fallback) = match inner.split_once('|') {
                Some((name, fallback)) => (name.trim(), Some(fallback.trim())),
                None => (inner.trim(), None),
            };
            if name.is_empty() {
                return Err(fail("\"{{ }}\" needs a variable name".to_owned()));
            }
            if !is_valid_name(name) {
                return Err(fail(format!(
                    "{name:?} is not a valid variable name (letters, digits and _, or a custom \
                     field key, at most {MAX_NAME_LEN} characters)"
                )));
            }
            translated.push_str(&source[rest..open]);
            translated.push_str("{{ ");
            translated.push_str(CONTEXT);
            translated.push('[');
            push_string_literal(&mut translated, name);
            translated.push(']');
            if let Some(fallback) = fallback {
                translated.push_str(" | default(");
                push_string_literal(&mut translated, fallback);
                translated.push(')');
            } else if !required.iter().any(|known| known == name) {
                required.push(name.to_owned());
            }
            translated.push_str(" }}");
            let variable = Variable {
                name: name.to_owned(),
                fallback: fallback.map(str::to_owned),
            };
            if !variables.contains(&variable) {
                variables.push(variable);
            }
            rest = inner_start + length + 2;
        }
        translated.push_str(&source[rest..]);

        let engine_failure = |error: minijinja::Error| TemplateError {
            message: format!("template could not be compiled: {error}"),
            line: 1,
            column: 1,
        };
        let mut environment = environment().map_err(engine_failure)?;
        environment
            .add_template_owned(HTML, translated.clone())
            .map_err(engine_failure)?;
        environment
            .add_template_owned(TEXT, translated)
            .map_err(engine_failure)?;
        Ok(Template {
            source: source.to_owned(),
            variables,
            required,
            environment,
        })
    }

    /// The source as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables used, each distinct name/fallback pair once, in order of appearance.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// Names used without a fallback that `vars` lacks, in order of appearance.
    pub fn missing(&self, vars: &Variables) -> Vec<String> {
        self.required
            .iter()
            .filter(|name| vars.get(name).is_none())
            .cloned()
            .collect()
    }

    /// Renders with these values; fails naming every variable without a value or fallback.
    pub fn render(&self, vars: &Variables, escape: Escape) -> Result<String, RenderError> {
        let missing = self.missing(vars);
        if !missing.is_empty() {
            return Err(RenderError::Missing(missing));
        }
        let values: Value = self
            .variables
            .iter()
            .filter_map(|variable| {
                let value = vars.get(&variable.name)?;
                Some((variable.name.as_str(), value))
            })
            .collect();
        let name = match escape {
            Escape::Html => HTML,
            Escape::None => TEXT,
        };
        let engine = |error: minijinja::Error| RenderError::Engine(error.to_string());
        let template = self.environment.get_template(name).map_err(engine)?;
        template
            .render(minijinja::context! { v => values })
            .map_err(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        let mut vars = Variables::new();
        for (name, value) in pairs {
            vars.insert(*name, *value);
        }
        vars
    }

    fn render(source: &str, pairs: &[(&str, &str)], escape: Escape) -> String {
        Template::parse(source)
            .unwrap()
            .render(&vars(pairs), escape)
            .unwrap()
    }

    #[test]
    fn values_and_fallbacks_are_filled_in() {
        let source = "Hi {{ firstName | there }}, {{company}}!";
        assert_eq!(
            render(
                source,
                &[("firstName", "Ann"), ("company", "Acme")],
                Escape::None
            ),
            "Hi Ann, Acme!"
        );
        assert_eq!(
            render(
                source,
                &[("firstName", ""), ("company", "Acme")],
                Escape::None
            ),
            "Hi there, Acme!"
        );
        assert_eq!(render("{{x|}}.", &[], Escape::None), ".");
        assert_eq!(render("{{x|{{y}}", &[], Escape::None), "{{y");
        assert_eq!(render("{{x|{% raw %}}", &[], Escape::None), "{% raw %");
        assert_eq!(
            render("{{x|a \"quoted\" \\ fallback}}", &[], Escape::None),
            "a \"quoted\" \\ fallback"
        );
    }

    #[test]
    fn every_missing_variable_is_named_once() {
        let template = Template::parse("{{a}} {{b|B}} {{c}} {{a}} {{ d }}").unwrap();
        let error = template
            .render(&vars(&[("c", "C")]), Escape::None)
            .unwrap_err();
        assert_eq!(error, RenderError::Missing(vec!["a".into(), "d".into()]));
        assert_eq!(
            template.variables(),
            [
                Variable {
                    name: "a".into(),
                    fallback: None
                },
                Variable {
                    name: "b".into(),
                    fallback: Some("B".into())
                },
                Variable {
                    name: "c".into(),
                    fallback: None
                },
                Variable {
                    name: "d".into(),
                    fallback: None
                },
            ]
        );
    }

    #[test]
    fn hostile_values_are_escaped_in_html_only() {
        let hostile = "<script>alert('x')</script> & \"co\"";
        let html = render("<p>{{company}}</p>", &[("company", hostile)], Escape::Html);
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;</p>"
        );
        let text = render("{{company}}", &[("company", hostile)], Escape::None);
        assert_eq!(text, hostile);
        let fallback = render("{{company|<b>R&D</b>}}", &[], Escape::Html);
        assert_eq!(fallback, "&lt;b&gt;R&amp;D&lt;/b&gt;");
        let link = render(
            "<a href=\"{{unsubscribe_link}}\">x</a>",
            &[("unsubscribe_link", "https://h/u/t?a=1&b=2")],
            Escape::Html,
        );
        assert_eq!(link, "<a href=\"https://h/u/t?a=1&amp;b=2\">x</a>");
    }

    #[test]
    fn template_syntax_in_user_text_stays_literal() {
        let source = "{% if x %}{# c #}{%- raw -%} }} %} #} { {x} {{name}}}\n";
        assert_eq!(
            render(source, &[("name", "Ann")], Escape::Html),
            "{% if x %}{# c #}{%- raw -%} }} %} #} { {x} Ann}\n"
        );
        let css = "<style>p{color:red}</style>{{name}}";
        assert_eq!(
            render(css, &[("name", "A")], Escape::Html),
            "<style>p{color:red}</style>A"
        );
    }

    #[test]
    fn custom_field_keys_with_spaces_dots_and_dashes_work() {
        let source = "{{ lead source }}/{{plan.tier}}/{{x-y|none}}/{{Prénom}}";
        assert_eq!(
            render(
                source,
                &[
                    ("lead source", "Web"),
                    ("plan.tier", "Gold"),
                    ("Prénom", "Zoé")
                ],
                Escape::None
            ),
            "Web/Gold/none/Zoé"
        );
    }

    #[test]
    fn malformed_placeholders_are_parse_errors() {
        let cases = [
            ("Hi {{firstName", "unclosed braces"),
            ("{{}}", "empty name"),
            ("{{ |x}}", "fallback without a name"),
            ("{{first name!}}", "punctuation in the name"),
            ("{{%if%}}", "block syntax inside braces"),
            ("{{#c#}}", "comment syntax inside braces"),
            ("{{-x}}", "starts with a dash"),
            ("{{{x}}}", "triple braces"),
            ("{{a {{b}}", "nested opening braces"),
            ("{{\"x\"}}", "quoted name"),
            ("{{x]|y}}", "bracket in the name"),
        ];
        for (source, reason) in cases {
            assert!(Template::parse(source).is_err(), "{reason}");
        }
        assert!(Template::parse(&format!("{{{{{}}}}}", "a".repeat(64))).is_ok());
        assert!(Template::parse(&format!("{{{{{}}}}}", "a".repeat(65))).is_err());
        let error = Template::parse("line one\n  {{ oops").unwrap_err();
        assert_eq!((error.line, error.column), (2, 3));
        assert!(error.message.contains("no matching"), "{}", error.message);
    }

    #[test]
    fn system_variables_follow_the_campaign_zone() {
        let now = DateTime::parse_from_rfc3339("2025-12-31T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut vars = Variables::new();
        vars.insert_system("https://x/u/1", now, chrono_tz::Europe::Paris);
        assert_eq!(vars.get("current_date"), Some("2026-01-01"));
        assert_eq!(vars.get("current_year"), Some("2026"));
        vars.insert_system("https://x/u/1", now, chrono_tz::America::New_York);
        assert_eq!(vars.get("current_date"), Some("2025-12-31"));
    }

    #[test]
    fn templates_are_shared_across_threads_and_render_fast() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Template>();
        let template =
            Template::parse(&"<p>Hi {{firstName|there}} at {{company}}</p>".repeat(50)).unwrap();
        let values = vars(&[("company", "Acme & Sons")]);
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            template.render(&values, Escape::Html).unwrap();
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
