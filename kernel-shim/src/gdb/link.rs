//! The connection to gdb as gdbstub sees it. Writes are gathered into whole packets, sent
//! with one host write each (gdbstub's own TcpStream connection writes byte by byte). And
//! a stop after an execve carries gdb's `exec:` field, which gdbstub 0.7 cannot produce:
//! emu reports that stop as a `library:` stop, and the link rewrites the field.

use gdbstub::conn::{Connection, ConnectionExt};
use std::cell::RefCell;
use std::net::TcpStream;
use std::rc::Rc;

pub(crate) struct Link {
    tcp: TcpStream,
    out: Vec<u8>,
    /// The guest path of the program an execve just started, for the next stop packet.
    pub exec: Rc<RefCell<Option<Vec<u8>>>>,
}

impl Link {
    pub fn new(tcp: TcpStream) -> Link {
        Link { tcp, out: Vec::new(), exec: Rc::default() }
    }

    /// The stop packet in `out` names the new program, if an execve is to be reported.
    fn rewrite_exec(&mut self) {
        let Some(start) = self.out.iter().position(|&b| b == b'$') else { return };
        let Some(hash) = self.out.iter().rposition(|&b| b == b'#') else { return };
        let body = &self.out[start + 1..hash];
        if !body.starts_with(b"T") {
            return;
        }
        let Some(at) = body.windows(9).position(|w| w == b"library:;") else { return };
        let Some(path) = self.exec.borrow_mut().take() else { return };
        let mut new = body[..at].to_vec();
        new.extend_from_slice(b"exec:");
        for b in path {
            new.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        new.push(b';');
        new.extend_from_slice(&body[at + 9..]);
        let sum = new.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        let mut packet = self.out[..start + 1].to_vec();
        packet.extend_from_slice(&new);
        packet.extend_from_slice(format!("#{sum:02x}").as_bytes());
        self.out = packet;
    }
}

impl Connection for Link {
    type Error = std::io::Error;

    /// An acknowledgement ('+', '-') goes at once; a packet ('$' ... '#xx') at `flush`.
    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        if self.out.is_empty() && byte != b'$' {
            return std::io::Write::write_all(&mut self.tcp, &[byte]);
        }
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        for &b in buf {
            self.write(b)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        if self.exec.borrow().is_some() {
            self.rewrite_exec();
        }
        let r = std::io::Write::write_all(&mut self.tcp, &self.out);
        self.out.clear();
        r
    }

    fn on_session_start(&mut self) -> Result<(), Self::Error> {
        self.tcp.set_nodelay(true)
    }
}

impl ConnectionExt for Link {
    fn read(&mut self) -> Result<u8, Self::Error> {
        ConnectionExt::read(&mut self.tcp)
    }

    fn peek(&mut self) -> Result<Option<u8>, Self::Error> {
        ConnectionExt::peek(&mut self.tcp)
    }
}
