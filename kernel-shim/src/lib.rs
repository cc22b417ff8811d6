//! The Linux ABI.
