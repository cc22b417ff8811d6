//! Signal state: dispositions (rt_sigaction), the blocked mask (rt_sigprocmask) and the
//! alternate stack. Delivery to guest handlers is not implemented yet: a fault with the
//! default action ends the process.

use super::{read_guest, write_guest, SysResult};
use crate::abi::{errno as E, signal as S};
use crate::process::SigAction;
use crate::Process;

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

pub(super) fn rt_sigaction(p: &mut Process, a: &[u64; 6]) -> SysResult {
    let (sig, act, old, size) = (a[0] as i64, a[1], a[2], a[3]);
    if size != 8 || !(1..=64).contains(&sig) {
        return Err(E::EINVAL);
    }
    let sig = sig as usize;
    if act != 0 && (sig == S::SIGKILL as usize || sig == S::SIGSTOP as usize) {
        return Err(E::EINVAL);
    }
    let prev = p.sigactions[sig];
    if act != 0 {
        let b = read_guest(p, act, 32)?;
        p.sigactions[sig] = SigAction {
            handler: le64(&b[0..]),
            flags: le64(&b[8..]),
            restorer: le64(&b[16..]),
            mask: le64(&b[24..]),
        };
    }
    if old != 0 {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&prev.handler.to_le_bytes());
        b[8..16].copy_from_slice(&prev.flags.to_le_bytes());
        b[16..24].copy_from_slice(&prev.restorer.to_le_bytes());
        b[24..32].copy_from_slice(&prev.mask.to_le_bytes());
        write_guest(p, old, &b)?;
    }
    Ok(0)
}

pub(super) fn rt_sigprocmask(p: &mut Process, a: &[u64; 6]) -> SysResult {
    let (how, set, old, size) = (a[0], a[1], a[2], a[3]);
    if size != 8 {
        return Err(E::EINVAL);
    }
    let prev = p.sigmask;
    if set != 0 {
        let s = le64(&read_guest(p, set, 8)?);
        // SIGKILL and SIGSTOP cannot be blocked.
        let s = s & !((1 << (S::SIGKILL - 1)) | (1 << (S::SIGSTOP - 1)));
        p.sigmask = match how {
            0 => prev | s,
            1 => prev & !s,
            2 => s,
            _ => return Err(E::EINVAL),
        };
    }
    if old != 0 {
        write_guest(p, old, &prev.to_le_bytes())?;
    }
    Ok(0)
}

pub(super) fn sigaltstack(p: &mut Process, a: &[u64; 6]) -> SysResult {
    if a[1] != 0 {
        // SS_DISABLE: no alternate stack is in use.
        let mut b = [0u8; 24];
        b[8..12].copy_from_slice(&2u32.to_le_bytes());
        write_guest(p, a[1], &b)?;
    }
    if a[0] != 0 {
        read_guest(p, a[0], 24)?;
    }
    Ok(0)
}
