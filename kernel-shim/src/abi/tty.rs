//! Terminal and descriptor ioctl requests, as `<asm-generic/ioctls.h>` numbers them
//! (x86-64). The structs they exchange (`Termios`, `Winsize`) are in `io`.

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TCSBRK: u32 = 0x5409;
pub const TCXONC: u32 = 0x540a;
pub const TCFLSH: u32 = 0x540b;
pub const TIOCEXCL: u32 = 0x540c;
pub const TIOCNXCL: u32 = 0x540d;
pub const TIOCSCTTY: u32 = 0x540e;
pub const TIOCGPGRP: u32 = 0x540f;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCOUTQ: u32 = 0x5411;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
/// Also TIOCINQ.
pub const FIONREAD: u32 = 0x541b;
pub const FIONBIO: u32 = 0x5421;
pub const TIOCNOTTY: u32 = 0x5422;
pub const TIOCGSID: u32 = 0x5429;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;
pub const TIOCGPTLCK: u32 = 0x8004_5439;
pub const TIOCGPTPEER: u32 = 0x5441;
pub const FIONCLEX: u32 = 0x5450;
pub const FIOCLEX: u32 = 0x5451;
pub const FIOASYNC: u32 = 0x5452;

/// The requests and their names, as strace shows them (some numbers are shared with the
/// OSS sound timer ioctls, which strace names too).
pub const NAMES: &[(u32, &str)] = &[
    (TCGETS, "TCGETS"),
    (TCSETS, "SNDCTL_TMR_START or TCSETS"),
    (TCSETSW, "SNDCTL_TMR_STOP or TCSETSW"),
    (TCSETSF, "SNDCTL_TMR_CONTINUE or TCSETSF"),
    (TCSBRK, "TCSBRK"),
    (TCXONC, "TCXONC"),
    (TCFLSH, "TCFLSH"),
    (TIOCEXCL, "TIOCEXCL"),
    (TIOCNXCL, "TIOCNXCL"),
    (TIOCSCTTY, "TIOCSCTTY"),
    (TIOCGPGRP, "TIOCGPGRP"),
    (TIOCSPGRP, "TIOCSPGRP"),
    (TIOCOUTQ, "TIOCOUTQ"),
    (TIOCGWINSZ, "TIOCGWINSZ"),
    (TIOCSWINSZ, "TIOCSWINSZ"),
    (FIONREAD, "FIONREAD"),
    (FIONBIO, "FIONBIO"),
    (TIOCNOTTY, "TIOCNOTTY"),
    (TIOCGSID, "TIOCGSID"),
    (TIOCGPTN, "TIOCGPTN"),
    (TIOCSPTLCK, "TIOCSPTLCK"),
    (TIOCGPTLCK, "TIOCGPTLCK"),
    (TIOCGPTPEER, "TIOCGPTPEER"),
    (FIONCLEX, "FIONCLEX"),
    (FIOCLEX, "FIOCLEX"),
    (FIOASYNC, "FIOASYNC"),
];
