//! YAML parsing with located errors (file, line, dotted field path), the same way the agent reads its files.

use super::error::ConfigError;
use serde::de::DeserializeOwned;
use std::path::Path;

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
