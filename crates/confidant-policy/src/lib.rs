//! confidant-policy: see ARCHITECTURE.md.
