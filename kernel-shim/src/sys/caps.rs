//! Capabilities: capget and capset, answered with the host's sets for the guest's
//! process (emu's own), in the version the caller gives (v1: 32 bits of each set; v2 and
//! v3: 64).

use super::{read_array, read_struct, write_array, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::task::{CapData, CapHeader, CAP_V1, CAP_V2, CAP_V3};
use crate::{host, Process};

/// How many data structs version `v` passes; otherwise the preferred version is written
/// back and the call fails with EINVAL, as Linux's cap_validate_magic does.
fn data_count(p: &mut Process, hdr_addr: u64, hdr: &CapHeader) -> Result<usize, i32> {
    match hdr.version {
        CAP_V1 => Ok(1),
        CAP_V2 | CAP_V3 => Ok(2),
        _ => {
            write_struct(p, hdr_addr, &CapHeader { version: CAP_V3, ..*hdr })?;
            Err(E::EINVAL)
        }
    }
}

/// The host pid of the header's pid (0: the caller).
fn target(p: &Process, pid: i32) -> Result<i32, i32> {
    match pid {
        0 => Ok(0),
        pid if pid < 0 => Err(E::EINVAL),
        pid => Ok(p.world().host_pid(pid)),
    }
}

pub(super) fn capget(p: &mut Process, a: &Args) -> SysResult {
    let (hdr_addr, data) = (a.ptr(0), a.ptr(1));
    let hdr = read_struct::<CapHeader>(p, hdr_addr)?;
    let n = match data_count(p, hdr_addr, &hdr) {
        // A version query (no data pointer) is answered by the header alone.
        Err(E::EINVAL) if data == 0 => return Ok(0),
        r => r?,
    };
    if data == 0 {
        return Ok(0);
    }
    let [e, pm, i] = host::capabilities(target(p, hdr.pid)?)?;
    let half = |k: usize| CapData {
        effective: (e >> (32 * k)) as u32,
        permitted: (pm >> (32 * k)) as u32,
        inheritable: (i >> (32 * k)) as u32,
    };
    let out: Vec<CapData> = (0..n).map(half).collect();
    write_array(p, data, &out)?;
    Ok(0)
}

pub(super) fn capset(p: &mut Process, a: &Args) -> SysResult {
    let (hdr_addr, data) = (a.ptr(0), a.ptr(1));
    let hdr = read_struct::<CapHeader>(p, hdr_addr)?;
    let n = data_count(p, hdr_addr, &hdr)?;
    // Only the caller's own sets can be changed.
    if hdr.pid != 0 && hdr.pid != p.world().pid() {
        return Err(E::EPERM);
    }
    let d = read_array::<CapData>(p, data, n)?;
    let join = |f: fn(&CapData) -> u32| {
        d.iter().enumerate().fold(0u64, |acc, (k, c)| acc | (f(c) as u64) << (32 * k))
    };
    host::set_capabilities(0, [join(|c| c.effective), join(|c| c.permitted), join(|c| c.inheritable)])?;
    Ok(0)
}
