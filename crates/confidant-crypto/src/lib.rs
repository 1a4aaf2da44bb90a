//! confidant-crypto: see ARCHITECTURE.md.
