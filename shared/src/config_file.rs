//! Configuration files in YAML: parsing with errors that name the file, the line and the field path.

use serde::de::DeserializeOwned;
use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong with a configuration file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file at fault.
    pub file: PathBuf,
    /// 1-based line, when it could be found.
    pub line: Option<usize>,
    /// Dotted field path (`server.port`, `allow[2]`), when the error is about one field.
    pub field: Option<String>,
    /// What is wrong, for a human.
    pub message: String,
}

impl ConfigError {
    /// An error about the whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// An error about one field; the line is looked up in `text` from the field's last key.
    pub fn field(file: &Path, text: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: line_of_field(text, field),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Best-effort line of a field: the first line where its last key appears as `key:` (block or flow style).
/// For list items (`allow[2]`) the line of the item's text is found by the caller instead.
pub fn line_of_field(text: &str, field: &str) -> Option<usize> {
    let key = field.rsplit('.').next()?.split('[').next()?;
    if key.is_empty() {
        return None;
    }
    let needle = format!("{key}:");
    text.lines()
        .position(|l| {
            let code = l.split('#').next().unwrap_or("");
            code.trim_start().starts_with(&needle)
                || code.contains(&format!("{{ {needle}"))
                || code.contains(&format!(", {needle}"))
                || code.contains(&format!("{{{needle}"))
        })
        .map(|i| i + 1)
}

/// The line of the first list item whose text equals `item` (for allow-list entries).
pub fn line_of_item(text: &str, item: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let code = l.split('#').next().unwrap_or("").trim();
            code.strip_prefix('-')
                .map(|rest| rest.trim().trim_matches(['"', '\'']))
                == Some(item)
                || code.contains(item)
        })
        .map(|i| i + 1)
}

/// Reads and parses a YAML file into `T`; errors name the file, line and field path.
pub fn parse_yaml<T: DeserializeOwned>(file: &Path) -> Result<(T, String), ConfigError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| ConfigError::file(file, format!("cannot read: {e}")))?;
    let value = parse_yaml_text(file, &text)?;
    Ok((value, text))
}

/// Parses YAML text into `T` (see [`parse_yaml`]). An empty file is an empty mapping.
pub fn parse_yaml_text<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, ConfigError> {
    let source = if text.trim().is_empty() { "{}" } else { text };
    let de = serde_norway::Deserializer::from_str(source);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.location().map(|l| l.line());
        let message = inner.to_string();
        // serde_norway appends " at line L column C"; the line is reported separately.
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        // ... and prefixes the parent path ("tls: unknown field"), which the field path already says.
        let message = match message.split_once(": ") {
            Some((head, rest)) if !head.contains(' ') && path.starts_with(head) => rest.to_owned(),
            _ => message,
        };
        ConfigError {
            file: file.to_path_buf(),
            line,
            field: (path != ".").then_some(path),
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_block_and_flow_keys() {
        let text = "server:\n  bind_address: 0.0.0.0\n  port: 99999\ntls: { ca_cert: x, crl: null }\n";
        assert_eq!(line_of_field(text, "server.port"), Some(3));
        assert_eq!(line_of_field(text, "tls.crl"), Some(4));
        assert_eq!(line_of_field(text, "nope"), None);
    }

    #[test]
    fn display_names_file_line_and_field() {
        let e = ConfigError::field(
            Path::new("/etc/c.yaml"),
            "a:\n  port: 0\n",
            "a.port",
            "must not be 0",
        );
        assert_eq!(e.to_string(), "/etc/c.yaml:2: field `a.port`: must not be 0");
    }

    #[test]
    fn finds_list_items() {
        assert_eq!(
            line_of_item("allow:\n  - 10.0.0.1\n  - \"::1\"\n", "::1"),
            Some(3)
        );
    }
}
