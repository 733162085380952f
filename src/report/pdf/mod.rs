//! The PDF report (placeholder while the renderer is written).
pub mod layout;
