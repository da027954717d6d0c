//! YAML parsing with located errors (file, line, dotted field path), shared with the agent.

pub use linux_patch_shared::config_file::{parse_yaml, parse_yaml_text};
