//! A configuration error that names the file, the line and the field at fault (shared with the manager).

pub use linux_patch_shared::config_file::{line_of_field, line_of_item, ConfigError};
