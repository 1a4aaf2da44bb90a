//! confidant-store: see ARCHITECTURE.md.
