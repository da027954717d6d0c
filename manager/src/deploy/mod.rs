//! Pure deployment logic (DESIGN §5.2, §5.3): maintenance windows; no I/O, the clock is a parameter.

pub mod local_zone;
pub mod window;
mod window_check;
mod window_spec;
pub mod window_text;
