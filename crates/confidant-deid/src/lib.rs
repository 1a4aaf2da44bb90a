//! confidant-deid: see ARCHITECTURE.md.
