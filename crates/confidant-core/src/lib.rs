//! Pure domain types shared by every Confidant crate: the consent
//! vocabulary, the record model, the situations put to a policy and the
//! decisions it gives. No I/O lives here.
//!
//! `Debug` of anything that can hold an identifier prints ids only, never
//! names or text: these types end up in logs and error messages.

pub mod calendar;
pub mod decision;
pub mod ids;
pub mod record;
pub mod sar_clock;
pub mod situation;
pub mod vocab;
