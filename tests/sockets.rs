//! Sockets (`roms/src/sockets.c`, static glibc): TCP and UDP on the loopback, AF_UNIX
//! stream/dgram/seqpacket by path and abstract name, socketpair with SCM_RIGHTS and
//! SCM_CREDENTIALS, a nonblocking connect through epoll, EPIPE/SIGPIPE, getifaddrs,
//! shutdown, blocking calls in a threaded guest; native run vs emu. Then record and replay:
//! a server and client in one process tree, and a client of a server outside emu replayed
//! after the server is gone.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use common::*;
use rom_case::{Case, SCRATCH};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sockets(mode: &str) -> Case {
    Case::new(&format!("sockets-{mode}.glibc"), "roms/bin/sockets.glibc", &[mode])
}

#[test]
fn tcp_on_the_loopback() {
    sockets("tcp").check();
}

#[test]
fn udp_on_the_loopback() {
    sockets("udp").check();
}

#[test]
fn unix_stream_dgram_seqpacket_and_abstract() {
    Case::new("sockets-unix.glibc", "roms/bin/sockets.glibc", &["unix", SCRATCH]).in_scratch().check();
}

#[test]
fn socketpair_fd_passing_and_credentials() {
    sockets("pair").check();
}

#[test]
fn nonblocking_connect_and_epoll() {
    sockets("nonblock").check();
}

#[test]
fn epipe_and_sigpipe() {
    sockets("epipe").check();
}

#[test]
fn getifaddrs_and_if_nameindex() {
    sockets("ifaddrs").check();
}

#[test]
fn shutdown_as_the_peer_sees_it() {
    sockets("shutdown").check();
}

#[test]
fn blocking_accept_and_recv_park_a_thread() {
    sockets("threads").check();
}

#[test]
fn server_and_client_in_two_processes() {
    sockets("fork").check();
}

fn rom() -> PathBuf {
    root().join("roms/bin/sockets.glibc")
}

fn emu_run(opts: &[&str], args: &[&str]) -> Outcome {
    let mut c = Command::new(emu());
    c.args(opts).args(args).env_clear();
    for (k, v) in FIXED_ENV {
        c.env(k, v);
    }
    let o = run(c, RUN_TIMEOUT);
    assert_no_panic(&format!("emu {opts:?} {args:?}"), &o);
    o
}

fn record_then_replay(dir: &Path, args: &[&str], between: impl FnOnce()) -> (Outcome, Outcome) {
    let d = dir.display().to_string();
    let rec = emu_run(&["--record", &d], args);
    assert_eq!(rec.status, Status::Exit(0), "recorded run: {}", rec.stderr_text());
    between();
    let rep = emu_run(&["--replay", &d], &[]);
    assert_eq!(rep.status, Status::Exit(0), "replay: {}", rep.stderr_text());
    assert_eq!(rep.stdout, rec.stdout, "replay output differs from the recorded run");
    (rec, rep)
}

#[test]
fn replay_a_server_and_client_in_one_process_tree() {
    let dir = scratch_dir("sockets-replay-fork");
    let r = rom().display().to_string();
    let (rec, _) = record_then_replay(&dir.join("log"), &[&r, "fork"], || {});
    let out = String::from_utf8_lossy(&rec.stdout);
    assert!(out.contains("parent: 14 'from the child'") && out.contains("child: 12 'to the child'"), "{out}");
}

#[test]
fn replay_a_client_after_its_server_is_gone() {
    let dir = scratch_dir("sockets-replay-client");
    // A server outside emu: answers one connection with a few lines, then stops.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("accept");
        let mut line = [0u8; 22];
        c.read_exact(&mut line).expect("the client's line");
        let reply = format!("server got: {}line two\nline three\n", String::from_utf8_lossy(&line));
        c.write_all(reply.as_bytes()).expect("reply");
        // Dropping the listener and the connection: nothing listens on the port any more.
    });
    let r = rom().display().to_string();
    let p = port.to_string();
    let (rec, _) = record_then_replay(&dir.join("log"), &[&r, "client", &p], || {
        server.join().expect("server thread");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the server is still there");
    });
    assert_eq!(
        String::from_utf8_lossy(&rec.stdout),
        "server got: hello from the client\nline two\nline three\n[54 bytes]\n"
    );
}

#[test]
fn strace_shows_socket_calls_as_strace_does() {
    let o = emu_run(&["--strace"], &[&rom().display().to_string(), "pair"]);
    let err = o.stderr_text();
    for want in [
        "socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0",
        "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"x\", iov_len=1}], msg_iovlen=1, \
         msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[6]}], \
         msg_controllen=24, msg_flags=0}, 0) = 1",
        "setsockopt(4, SOL_SOCKET, SO_PASSCRED, [1], 4) = 0",
        "getsockopt(3, SOL_SOCKET, SO_PEERCRED, {pid=",
    ] {
        assert!(err.contains(want), "--strace lacks {want:?}:\n{err}");
    }
}

/// Under `--chroot`, socket paths resolve inside the jail (a directory only the jail has),
/// and the names the guest reads back are its own paths; same output as a native run.
#[test]
fn socket_paths_resolve_inside_the_chroot() {
    let jail = scratch_dir("sockets-chroot");
    std::fs::copy(rom(), jail.join("sockets")).expect("copy the rom into the jail");
    std::fs::create_dir(jail.join("only-in-jail")).expect("mkdir");
    let emu = Guest::new("/sockets")
        .args(["unix", "/only-in-jail"])
        .run_emu(&["--chroot", &jail.display().to_string()]);
    let expected = if NATIVE {
        let dir = scratch_dir("sockets-chroot-native");
        Guest::new(rom()).args(["unix".to_string(), dir.display().to_string()]).run_native()
    } else {
        recorded("sockets-unix.glibc").expect("roms/expected/sockets-unix.glibc.*")
    };
    report("sockets unix under --chroot", &compare(&expected, &emu), &emu);
    assert!(String::from_utf8_lossy(&emu.stdout).contains("stream: names are the path: 1 1 1"));
}
