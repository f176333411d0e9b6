//! Artifacts as files: rendering a job's leads as a sheet (one row per company, people as
//! columns) and writing it as CSV, XLSX or JSON. Storing and signing them is `jobs::artifact`.

pub mod render;
