//! `--strace` notation for the structs that need more than a number: fd sets
//! (`[0 3]`), socket addresses (AF_UNIX, AF_INET, AF_INET6), terminal settings
//! (`struct termios`) and signal stacks (`stack_t`), written as strace writes them. Each
//! function takes the guest bytes already read, so the notation is tested on its own.

use std::net::{Ipv4Addr, Ipv6Addr};

fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The descriptors set in an `fd_set` of `nfds` bits: `[3 4]`.
pub(crate) fn fd_set(b: &[u8], nfds: usize) -> String {
    let fds: Vec<String> = (0..nfds.min(b.len() * 8))
        .filter(|&fd| b[fd / 8] & (1 << (fd % 8)) != 0)
        .map(|fd| fd.to_string())
        .collect();
    format!("[{}]", fds.join(" "))
}

/// The bytes an fd_set of `nfds` descriptors occupies (whole 64-bit words, as the kernel
/// reads them).
pub(crate) fn fd_set_len(nfds: usize) -> usize {
    nfds.div_ceil(64) * 8
}

/// Address family names (`socket`'s first argument, `sa_family`).
pub(crate) fn family(f: u64) -> String {
    match f {
        0 => "AF_UNSPEC".into(),
        1 => "AF_UNIX".into(),
        2 => "AF_INET".into(),
        10 => "AF_INET6".into(),
        16 => "AF_NETLINK".into(),
        17 => "AF_PACKET".into(),
        f => f.to_string(),
    }
}

/// `socket`'s type argument: `SOCK_STREAM|SOCK_CLOEXEC`.
pub(crate) fn sock_type(t: u64) -> String {
    let base = match t & 0xf {
        1 => "SOCK_STREAM".to_string(),
        2 => "SOCK_DGRAM".into(),
        3 => "SOCK_RAW".into(),
        4 => "SOCK_RDM".into(),
        5 => "SOCK_SEQPACKET".into(),
        10 => "SOCK_PACKET".into(),
        n => n.to_string(),
    };
    let mut out = vec![base];
    if t & 0o2000000 != 0 {
        out.push("SOCK_CLOEXEC".into());
    }
    if t & 0o4000 != 0 {
        out.push("SOCK_NONBLOCK".into());
    }
    let rest = t & !0xf & !0o2000000 & !0o4000;
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    out.join("|")
}

/// `socket`'s protocol argument, named for the IP families as strace names it.
pub(crate) fn protocol(domain: u64, p: u64) -> String {
    match (domain, p) {
        (2 | 10, 0) => "IPPROTO_IP".into(),
        (2 | 10, 1) => "IPPROTO_ICMP".into(),
        (2 | 10, 6) => "IPPROTO_TCP".into(),
        (2 | 10, 17) => "IPPROTO_UDP".into(),
        (2 | 10, 58) => "IPPROTO_ICMPV6".into(),
        _ => p.to_string(),
    }
}

/// A socket address of `b.len()` bytes (the length the call gave or got).
pub(crate) fn sockaddr(b: &[u8]) -> String {
    if b.len() < 2 {
        return "{}".into();
    }
    let fam = u16::from_le_bytes([b[0], b[1]]) as u64;
    let head = format!("sa_family={}", family(fam));
    match fam {
        1 if b.len() == 2 => format!("{{{head}}}"),
        1 => {
            let path = &b[2..];
            let (abstract_, path) = match path.first() {
                Some(0) => ("@", &path[1..]),
                _ => ("", path),
            };
            let end = if abstract_.is_empty() {
                path.iter().position(|&c| c == 0).unwrap_or(path.len())
            } else {
                path.len()
            };
            format!("{{{head}, sun_path={abstract_}{}}}", super::strace::quote(&path[..end], false, false))
        }
        2 if b.len() >= 8 => format!(
            "{{{head}, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}",
            u16_be(b, 2),
            Ipv4Addr::new(b[4], b[5], b[6], b[7])
        ),
        10 if b.len() >= 24 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            let scope = if b.len() >= 28 { u32_le(b, 24) } else { 0 };
            format!(
                "{{{head}, sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={scope}}}",
                u16_be(b, 2),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                Ipv6Addr::from(a)
            )
        }
        _ => {
            let data: String = b[2..].iter().map(|x| format!("\\x{x:02x}")).collect();
            format!("{{{head}, sa_data=\"{data}\"}}")
        }
    }
}

/// Names of flag bits, in table order; leftover bits in octal as strace shows them here.
fn bits(v: u32, table: &[(u32, &str)], out: &mut Vec<String>) {
    let mut rest = v;
    for &(b, name) in table {
        if rest & b == b {
            out.push(name.into());
            rest &= !b;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#o}"));
    }
}

const IFLAGS: &[(u32, &str)] = &[
    (0o1, "IGNBRK"),
    (0o2, "BRKINT"),
    (0o4, "IGNPAR"),
    (0o10, "PARMRK"),
    (0o20, "INPCK"),
    (0o40, "ISTRIP"),
    (0o100, "INLCR"),
    (0o200, "IGNCR"),
    (0o400, "ICRNL"),
    (0o1000, "IUCLC"),
    (0o2000, "IXON"),
    (0o4000, "IXANY"),
    (0o10000, "IXOFF"),
    (0o20000, "IMAXBEL"),
    (0o40000, "IUTF8"),
];
const OFLAGS: &[(u32, &str)] = &[
    (0o1, "OPOST"),
    (0o2, "OLCUC"),
    (0o4, "ONLCR"),
    (0o10, "OCRNL"),
    (0o20, "ONOCR"),
    (0o40, "ONLRET"),
    (0o100, "OFILL"),
    (0o200, "OFDEL"),
];
const CFLAGS: &[(u32, &str)] = &[
    (0o100, "CSTOPB"),
    (0o200, "CREAD"),
    (0o400, "PARENB"),
    (0o1000, "PARODD"),
    (0o2000, "HUPCL"),
    (0o4000, "CLOCAL"),
    (0o10000000000, "CMSPAR"),
    (0o20000000000, "CRTSCTS"),
];
const LFLAGS: &[(u32, &str)] = &[
    (0o1, "ISIG"),
    (0o2, "ICANON"),
    (0o4, "XCASE"),
    (0o10, "ECHO"),
    (0o20, "ECHOE"),
    (0o40, "ECHOK"),
    (0o100, "ECHONL"),
    (0o200, "NOFLSH"),
    (0o400, "TOSTOP"),
    // strace lists IEXTEN before ECHOCTL (its table's order, not the bits').
    (0o100000, "IEXTEN"),
    (0o1000, "ECHOCTL"),
    (0o2000, "ECHOPRT"),
    (0o4000, "ECHOKE"),
    (0o10000, "FLUSHO"),
    (0o40000, "PENDIN"),
    (0o200000, "EXTPROC"),
];

fn baud(b: u32) -> String {
    const LOW: [&str; 16] = [
        "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400",
        "B4800", "B9600", "B19200", "B38400",
    ];
    const HIGH: [&str; 15] = [
        "BOTHER", "B57600", "B115200", "B230400", "B460800", "B500000", "B576000", "B921600", "B1000000",
        "B1152000", "B1500000", "B2000000", "B2500000", "B3000000", "B3500000",
    ];
    match b {
        0..=0o17 => LOW[b as usize].into(),
        0o10000..=0o10016 => HIGH[(b - 0o10000) as usize].into(),
        _ => format!("{b:#o}"),
    }
}

/// A kernel `struct termios` (TCGETS/TCSETS*): the four flag words by name, the rest
/// elided as strace does without -v.
pub(crate) fn termios(b: &[u8]) -> String {
    if b.len() < 16 {
        return "{...}".into();
    }
    let (i, o, c, l) = (u32_le(b, 0), u32_le(b, 4), u32_le(b, 8), u32_le(b, 12));
    let mut iv = Vec::new();
    bits(i, IFLAGS, &mut iv);
    // Output delays first (NL0|CR0|TAB0|BS0|VT0|FF0), then the flags.
    let mut ov = vec![
        format!("NL{}", (o >> 8) & 1),
        format!("CR{}", (o >> 9) & 3),
        format!("TAB{}", (o >> 11) & 3),
        format!("BS{}", (o >> 13) & 1),
        format!("VT{}", (o >> 14) & 1),
        format!("FF{}", (o >> 15) & 1),
    ];
    bits(o & 0o377, OFLAGS, &mut ov);
    let mut cv = vec![baud(c & 0o10017), format!("CS{}", 5 + ((c >> 4) & 3))];
    bits(c & !0o10017 & !0o60 & !(0o10017 << 16), CFLAGS, &mut cv);
    let ibaud = (c >> 16) & 0o10017;
    if ibaud != 0 {
        cv.push(format!("{}<<IBSHIFT", baud(ibaud)));
    }
    let mut lv = Vec::new();
    bits(l, LFLAGS, &mut lv);
    let join = |v: Vec<String>| if v.is_empty() { "0".to_string() } else { v.join("|") };
    format!("{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}", join(iv), join(ov), join(cv), join(lv))
}

/// A `stack_t` (sigaltstack): `{ss_sp=0x4bf320, ss_flags=0, ss_size=65536}`.
pub(crate) fn stack_t(b: &[u8]) -> String {
    if b.len() < 24 {
        return "{...}".into();
    }
    let sp = u64_le(b, 0);
    let flags = u32_le(b, 8);
    let size = u64_le(b, 16);
    let mut fv = Vec::new();
    bits(flags, &[(1, "SS_ONSTACK"), (2, "SS_DISABLE"), (1 << 31, "SS_AUTODISARM")], &mut fv);
    let flags = if fv.is_empty() { "0".to_string() } else { fv.join("|") };
    let sp = if sp == 0 { "NULL".to_string() } else { format!("{sp:#x}") };
    format!("{{ss_sp={sp}, ss_flags={flags}, ss_size={size}}}")
}

/// A `struct timeval` (select's timeout): `{tv_sec=0, tv_usec=0}`.
pub(crate) fn timeval(b: &[u8]) -> String {
    if b.len() < 16 {
        return "{...}".into();
    }
    format!("{{tv_sec={}, tv_usec={}}}", u64_le(b, 0) as i64, u64_le(b, 8) as i64)
}

/// `send`/`recv` flags.
pub(crate) const MSG_FLAGS: &[(u64, &str)] = &[
    (0x1, "MSG_OOB"),
    (0x2, "MSG_PEEK"),
    (0x4, "MSG_DONTROUTE"),
    (0x8, "MSG_CTRUNC"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x40000000, "MSG_CMSG_CLOEXEC"),
];

#[cfg(test)]
mod tests {
    //! Expected strings are real strace 6.x output for the same bytes (recorded from
    //! `strace ./tracee decode` on x86-64 Linux: emu cannot open sockets or ptys yet, so the
    //! comparison in tests/strace.rs cannot reach these).
    use super::*;

    #[test]
    fn fd_sets_list_the_descriptors() {
        assert_eq!(fd_set(&[0b11000, 0, 0, 0, 0, 0, 0, 0], 5), "[3 4]");
        assert_eq!(fd_set(&[0b11000, 0, 0, 0, 0, 0, 0, 0], 4), "[3]");
        assert_eq!(fd_set(&[0; 8], 5), "[]");
        assert_eq!(fd_set_len(5), 8);
        assert_eq!(fd_set_len(65), 16);
    }

    #[test]
    fn socket_addresses_as_strace_shows_them() {
        let mut un = vec![1u8, 0];
        un.extend_from_slice(b"/tmp/instr/sock\0");
        assert_eq!(sockaddr(&un), r#"{sa_family=AF_UNIX, sun_path="/tmp/instr/sock"}"#);
        assert_eq!(sockaddr(&[1, 0]), "{sa_family=AF_UNIX}");
        let inet = [2u8, 0, 0, 9, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            sockaddr(&inet),
            r#"{sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}"#
        );
        let mut six = vec![10u8, 0, 0, 9, 0, 0, 0, 0];
        six.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        six.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            sockaddr(&six),
            r#"{sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}"#
        );
        assert_eq!(sock_type(1), "SOCK_STREAM");
        assert_eq!(sock_type(2 | 0o2000000), "SOCK_DGRAM|SOCK_CLOEXEC");
        assert_eq!(protocol(2, 0), "IPPROTO_IP");
        assert_eq!(protocol(1, 0), "0");
    }

    #[test]
    fn termios_flags_by_name() {
        // A fresh pty: c_iflag=ICRNL|IXON, c_oflag=OPOST|ONLCR, c_cflag=B38400|CS8|CREAD,
        // c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE.
        let mut t = Vec::new();
        for w in [0o2400u32, 0o5, 0o277, 0o105073] {
            t.extend_from_slice(&w.to_le_bytes());
        }
        t.extend_from_slice(&[0; 20]);
        assert_eq!(
            termios(&t),
            "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, \
             c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}"
        );
    }

    #[test]
    fn stack_t_fields() {
        let mut s = Vec::new();
        s.extend_from_slice(&0x4bf320u64.to_le_bytes());
        s.extend_from_slice(&0u64.to_le_bytes());
        s.extend_from_slice(&65536u64.to_le_bytes());
        assert_eq!(stack_t(&s), "{ss_sp=0x4bf320, ss_flags=0, ss_size=65536}");
        let mut d = vec![0u8; 24];
        d[8] = 2;
        assert_eq!(stack_t(&d), "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}");
    }
}
