//! TODO family

use super::Table;

pub(super) fn register(_t: &mut Table) {}
