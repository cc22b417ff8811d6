//! A task's security and scheduling structs: capget/capset's header and data, and
//! `struct sched_attr` (sched_getattr/sched_setattr), with the constants they use.

use super::guest_struct;

/// capget/capset versions: v1 has one data struct (32-bit sets), v2 and v3 two.
pub const CAP_V1: u32 = 0x1998_0330;
pub const CAP_V2: u32 = 0x2007_1026;
pub const CAP_V3: u32 = 0x2008_0522;

guest_struct! {
    /// `struct __user_cap_header_struct`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct CapHeader [8] {
        version: u32 = 0,
        pid: i32 = 4,
    }
}

guest_struct! {
    /// `struct __user_cap_data_struct`: 32 bits of each set (v2/v3 pass two of them, the
    /// low then the high half).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct CapData [12] {
        effective: u32 = 0,
        permitted: u32 = 4,
        inheritable: u32 = 8,
    }
}

/// The highest capability number Linux 6.x knows (CAP_CHECKPOINT_RESTORE).
pub const CAP_LAST_CAP: u32 = 40;

/// The size of the first `struct sched_attr` (without the utilization clamps).
pub const SCHED_ATTR_SIZE_VER0: u32 = 48;

guest_struct! {
    /// `struct sched_attr` (SCHED_ATTR_SIZE_VER1).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SchedAttr [56] {
        size: u32 = 0,
        policy: u32 = 4,
        flags: u64 = 8,
        nice: i32 = 16,
        priority: u32 = 20,
        runtime: u64 = 24,
        deadline: u64 = 32,
        period: u64 = 40,
        util_min: u32 = 48,
        util_max: u32 = 52,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(CapHeader::FIELDS, CapHeader::SIZE, 8, &[("version", 0), ("pid", 4)]);
        expect(CapData::FIELDS, CapData::SIZE, 12, &[("effective", 0), ("permitted", 4), ("inheritable", 8)]);
        expect(
            SchedAttr::FIELDS,
            SchedAttr::SIZE,
            56,
            &[("policy", 4), ("flags", 8), ("nice", 16), ("priority", 20), ("period", 40), ("util_max", 52)],
        );
    }
}
