//! Report logic without I/O: compliance figures and trend, PCI-DSS ageing, CSV cells, PDF documents.

pub mod compliance;
pub mod csv;
pub mod exposure;
pub mod history;
pub mod pdf;
pub mod schedule;
